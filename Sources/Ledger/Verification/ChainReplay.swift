/// The checks of accounts and transfers that do not depend on the database, for every
/// backend's verifier: it reads its rows and hands them over in order (the accounts, then the
/// transfers by sequence), and the replay checks the sequence, the hash chain, the anchors,
/// each account's stored totals against the sum of its transfers, the grand totals, and that
/// no wallet or earnings account is or ever was below zero. Failures go to the report passed
/// in. No arithmetic overflows on stored values: a file edited by hand is a failure, not a crash.
package struct ChainReplay {
    private struct Account {
        let id: AccountID
        let flagged: Bool
        let storedDebits: Int64
        let storedCredits: Int64
        var debits: Int64 = 0
        var credits: Int64 = 0
    }

    private var accounts: [Int64: Account] = [:]
    private let anchors: [Int64: String]
    /// The sequence the next transfer must have; nil after one at Int64.max (none can follow).
    private var expectedSequence: Int64? = 1
    private var lastSequence: Int64 = 0
    private var previousHash = TransferHash.genesis

    package init(anchors: [ChainAnchor]) {
        self.anchors = Dictionary(anchors.map { ($0.sequence, $0.hash) }, uniquingKeysWith: { first, _ in first })
    }

    /// An account row as stored: its kind's flag (whether debits must not exceed credits) as
    /// stored, and its posted totals.
    package mutating func account(rowID: Int64, _ account: AccountID, flag: Bool, flagText: String, debits: Int64, credits: Int64,
                                  _ report: inout VerificationReport) {
        report.accounts += 1
        if flag != account.kind.debitsMustNotExceedCredits {
            report.fail(.records, account: account, "flag debits_must_not_exceed_credits is \(flagText), must be \(account.kind.debitsMustNotExceedCredits ? 1 : 0)")
        }
        accounts[rowID] = Account(id: account, flagged: account.kind.debitsMustNotExceedCredits, storedDebits: debits, storedCredits: credits)
    }

    /// The row id of every account read, by account.
    package var accountRowIDs: [AccountID: Int64] {
        var rowIDs: [AccountID: Int64] = [:]
        for (rowID, account) in accounts { rowIDs[account.id] = rowID }
        return rowIDs
    }

    /// The next transfer row, by its sequence: it must follow the one before.
    package mutating func sequence(_ sequence: Int64, id: String, _ report: inout VerificationReport) {
        report.transfers += 1
        if let expected = expectedSequence {
            if sequence != expected {
                report.fail(.sequence, sequence: sequence, transferID: id, "expected sequence \(expected)")
            }
        } else {
            report.fail(.sequence, sequence: sequence, transferID: id, "follows a transfer numbered \(Int64.max), the largest sequence")
        }
        let next = sequence.addingReportingOverflow(1)
        expectedSequence = next.overflow ? nil : next.partialValue
        lastSequence = sequence
    }

    /// A transfer row whose columns could not be read: the chain goes on from its stored hash.
    package mutating func unreadable(hash: [UInt8]?) {
        previousHash = hash ?? []
    }

    /// A stored leg of a transfer (``TransferLeg``), its account by row id.
    package struct StoredLeg {
        let position: Int64
        let accountRowID: Int64
        let amount: Int64

        package init(position: Int64, accountRowID: Int64, amount: Int64) {
            self.position = position
            self.accountRowID = accountRowID
            self.amount = amount
        }
    }

    /// A transfer row whose columns were read (after ``sequence(_:id:_:)``): its accounts must
    /// exist, it must follow the chain and its hash cover its fields (its legs included), its
    /// amount moves from one account to the other, or, for a transfer to the splits account,
    /// from the debit to its legs' accounts, which must take the whole amount.
    package mutating func transfer(
        sequence: Int64, id: String, debitRowID: Int64, creditRowID: Int64, amount: Int64, code: String, linkedGroup: String?,
        details: TransferDetails, createdAt: Int64, previousHash storedPrevious: [UInt8], hash storedHash: [UInt8],
        legs storedLegs: [StoredLeg] = [], _ report: inout VerificationReport
    ) {
        guard let debit = accounts[debitRowID], let credit = accounts[creditRowID] else {
            report.fail(.records, sequence: sequence, transferID: id, "debits or credits an account that does not exist")
            previousHash = storedHash
            return
        }
        var legs: [TransferLeg] = []
        for leg in storedLegs {
            guard let account = accounts[leg.accountRowID]?.id, let position = Int(exactly: leg.position) else {
                report.fail(.records, sequence: sequence, transferID: id, "a leg credits an account that does not exist")
                previousHash = storedHash
                return
            }
            legs.append(TransferLeg(position: position, account: account, amount: leg.amount))
        }
        if storedPrevious != previousHash {
            report.fail(.hashChain, sequence: sequence, transferID: id, "previous_hash is not the hash of the transfer before it")
        }
        let fields = HashedFields(
            sequence: sequence, id: id, debit: debit.id, credit: credit.id, amount: amount, code: code, linkedGroup: linkedGroup,
            details: details, timestampMilliseconds: createdAt, legs: legs)
        if TransferHash.compute(previous: storedPrevious, fields) != storedHash {
            report.fail(.hashChain, sequence: sequence, transferID: id, "hash does not match the transfer's contents (altered after booking)")
        }
        if let anchored = anchors[sequence], anchored != Hex.encode(storedHash) {
            report.fail(.anchor, sequence: sequence, transferID: id, "hash \(Hex.encode(storedHash)) differs from the anchor \(anchored)")
        }
        previousHash = storedHash
        report.headSequence = sequence
        report.headHash = Hex.encode(storedHash)

        guard amount > 0, TransferCode(rawValue: code) != nil, debitRowID != creditRowID else {
            report.fail(.records, sequence: sequence, transferID: id, "amount \(amount), code '\(code)' or accounts are invalid")
            return
        }
        // Where the amount is credited: the credit account, or a divided transfer's legs.
        var credited: [(rowID: Int64, amount: Int64)] = [(creditRowID, amount)]
        if credit.id == .splits || !legs.isEmpty {
            guard credit.id == .splits, !legs.isEmpty else {
                report.fail(.records, sequence: sequence, transferID: id,
                            credit.id == .splits ? "credits the splits account without legs to pass it on" : "has legs but does not credit the splits account")
                return
            }
            var sum: Int64 = 0
            var previousPosition = -1
            for leg in legs {
                let added = sum.addingReportingOverflow(leg.amount)
                guard leg.amount > 0, leg.position > previousPosition, leg.account.kind == .artistEarnings, !added.overflow else {
                    report.fail(.records, sequence: sequence, transferID: id,
                                "leg \(leg.position) (\(leg.amount) to \(leg.account)) is not a positive part for an earnings account in sheet order")
                    return
                }
                sum = added.partialValue
                previousPosition = leg.position
            }
            guard sum == amount else {
                report.fail(.records, sequence: sequence, transferID: id, "its legs pass on \(sum) of its \(amount)")
                return
            }
            credited = storedLegs.map { ($0.accountRowID, $0.amount) }
        }
        let total = report.totalAmount.addingReportingOverflow(amount)
        let debits = debit.debits.addingReportingOverflow(amount)
        var credits: [Int64: Int64] = [:]
        var overflow = total.overflow || debits.overflow
        for (rowID, part) in credited {
            let next = (credits[rowID] ?? accounts[rowID]?.credits ?? 0).addingReportingOverflow(part)
            overflow = overflow || next.overflow
            credits[rowID] = next.partialValue
        }
        guard !overflow else {
            report.fail(.totals, sequence: sequence, transferID: id, "totals overflow Int64")
            return
        }
        report.totalAmount = total.partialValue
        accounts[debitRowID]?.debits = debits.partialValue
        for (rowID, value) in credits { accounts[rowID]?.credits = value }
        if debit.flagged, debits.partialValue > debit.credits {
            report.fail(.negativeBalance, sequence: sequence, transferID: id, "takes \(debit.id) to \(debit.credits - debits.partialValue), below zero")
        }
    }

    /// After the last transfer: anchors beyond the end, each account against its transfers,
    /// and the grand totals.
    package func finish(_ report: inout VerificationReport) {
        for (sequence, _) in anchors.sorted(by: { $0.key < $1.key }) where sequence > lastSequence {
            report.fail(.anchor, "anchored transfer #\(sequence) is missing (the ledger ends at #\(lastSequence))")
        }
        var storedDebits: Int64 = 0
        var storedCredits: Int64 = 0
        var overflowed = false
        for (_, account) in accounts.sorted(by: { $0.key < $1.key }) {
            if account.storedDebits != account.debits || account.storedCredits != account.credits {
                report.fail(.accountTotals, account: account.id,
                            "stored debits \(account.storedDebits) and credits \(account.storedCredits), but its transfers sum to debits \(account.debits) and credits \(account.credits)")
            }
            if account.flagged, account.storedDebits > account.storedCredits {
                let balance = account.storedCredits.subtractingReportingOverflow(account.storedDebits)
                report.fail(.negativeBalance, account: account.id,
                            "stored balance is \(balance.overflow ? "beyond Int64" : String(balance.partialValue)), below zero")
            }
            let debits = storedDebits.addingReportingOverflow(account.storedDebits)
            let credits = storedCredits.addingReportingOverflow(account.storedCredits)
            overflowed = overflowed || debits.overflow || credits.overflow
            storedDebits = debits.partialValue
            storedCredits = credits.partialValue
        }
        if overflowed {
            report.fail(.totals, "the accounts' stored totals overflow Int64")
        } else if storedDebits != storedCredits {
            report.fail(.totals, "accounts' stored debits sum to \(storedDebits) but their credits to \(storedCredits)")
        } else if storedDebits != report.totalAmount {
            report.fail(.totals, "accounts' stored debits and credits sum to \(storedDebits) but the transfers move \(report.totalAmount)")
        }
    }
}
