import Foundation
import GRDB

extension Ledger {
    /// Checks the ledger in `reader` (a live pool, or a file opened after a crash) from
    /// scratch, on one consistent snapshot:
    ///
    /// 1. total debits equal total credits;
    /// 2. each account's stored debits and credits equal the sums of its transfers;
    /// 3. no wallet or earnings account is below zero, now or at any point of the history;
    /// 4. the hash chain is intact from the first transfer (and matches any `anchors`);
    /// 5. sequences run from 1 without gaps;
    /// 6. each play's price, split, pricing version and two transfers agree, and every play
    ///    transfer has its play;
    /// 7. every pricing version is well formed and chargeable;
    /// 8. each listener's plays are chained in order and their wallet names the newest.
    ///
    /// Reads every transfer once, streaming. Throws only if the database cannot be read;
    /// what is wrong with the ledger is in the report. No stored value, however edited,
    /// makes it trap: every number is read strictly and every sum checked for overflow.
    package static func verify(_ reader: any DatabaseReader, anchors: [ChainAnchor] = []) throws(LedgerError) -> VerificationReport {
        do {
            return try reader.read { db in
                var verifier = Verifier(db: db, anchors: anchors)
                try verifier.run()
                return verifier.report
            }
        } catch {
            throw LedgerError(wrapping: error)
        }
    }

    /// Verifies this ledger's database: see ``verify(_:anchors:)``.
    public func verify(anchors: [ChainAnchor] = []) throws(LedgerError) -> VerificationReport {
        try Self.verify(database, anchors: anchors)
    }
}

/// One verification pass. Reads stored values strictly (an integer column holding text is
/// a failure, not a crash) and does no arithmetic that could overflow on them, since the
/// file may have been edited by hand.
struct Verifier {
    let db: Database
    var report = VerificationReport()
    /// Accounts, the chain and the totals, as every backend checks them.
    private var replay: ChainReplay

    init(db: Database, anchors: [ChainAnchor]) {
        self.db = db
        replay = ChainReplay(anchors: anchors)
    }

    mutating func run() throws {
        guard try db.tableExists("ledger_transfers") else {
            report.fail(.records, "the database has no ledger tables")
            return
        }
        try loadAccounts()
        try replayTransfers()
        replay.finish(&report)
        try checkPlays()
        try checkPlayChains()
    }

    // MARK: Accounts

    private mutating func loadAccounts() throws {
        let rows = try Row.fetchCursor(db, sql: """
            SELECT id, kind, owner, debits_must_not_exceed_credits, debits_posted, credits_posted FROM ledger_accounts ORDER BY id
            """)
        while let row = try rows.next() {
            guard let rowID = Strict.int(row, 0), let kind = Strict.text(row, 1), let owner = Strict.text(row, 2),
                  let account = AccountID(kind: kind, owner: owner)
            else {
                report.accounts += 1
                report.fail(.records, "account row \(row[0] as DatabaseValue) has an unknown kind or a malformed owner")
                continue
            }
            guard let flag = Strict.int(row, 3), let debits = Strict.int(row, 4), let credits = Strict.int(row, 5) else {
                report.accounts += 1
                report.fail(.records, account: account, "flag or totals are not integers")
                continue
            }
            replay.account(rowID: rowID, account, flag: flag == 1, flagText: String(flag), debits: debits, credits: credits, &report)
        }
    }

    // MARK: Transfers

    private mutating func replayTransfers() throws {
        let rows = try Row.fetchCursor(db, sql: """
            SELECT sequence, id, debit_account_id, credit_account_id, amount, code, linked_group, track_id, play_id,
                   pricing_version, reference, actor, note, created_at_ms, previous_hash, hash
            FROM ledger_transfers ORDER BY sequence
            """)
        var legs = try LegReader(db, &report)
        while let row = try rows.next() {
            guard let sequence = Strict.int(row, 0) else {
                report.transfers += 1
                report.fail(.records, "a transfer row has a non-integer sequence")
                continue
            }
            let id = Strict.text(row, 1) ?? "?"
            replay.sequence(sequence, id: id, &report)
            guard let debitRowID = Strict.int(row, 2), let creditRowID = Strict.int(row, 3), let amount = Strict.int(row, 4),
                  let code = Strict.text(row, 5), let createdAt = Strict.int(row, 13),
                  let storedPrevious = Strict.blob(row, 14), let storedHash = Strict.blob(row, 15),
                  let linkedGroup = Strict.optionalText(row, 6), let trackID = Strict.optionalText(row, 7),
                  let playID = Strict.optionalText(row, 8), let pricingVersion = Strict.optionalInt(row, 9),
                  let reference = Strict.optionalText(row, 10), let actor = Strict.optionalText(row, 11),
                  let note = Strict.optionalText(row, 12)
            else {
                report.fail(.records, sequence: sequence, transferID: id, "a column has the wrong type")
                replay.unreadable(hash: Strict.blob(row, 15))
                continue
            }
            replay.transfer(
                sequence: sequence, id: id, debitRowID: debitRowID, creditRowID: creditRowID, amount: amount, code: code,
                linkedGroup: linkedGroup.value,
                details: TransferDetails(
                    trackID: trackID.value, playID: playID.value, pricingVersion: pricingVersion.value.map { Int($0) },
                    reference: reference.value, actor: actor.value, note: note.value),
                createdAt: createdAt, previousHash: storedPrevious, hash: storedHash,
                legs: try legs.take(sequence, &report), &report)
        }
        try legs.finish(&report)
    }

    /// The legs of divided transfers (``TransferLeg``), read in transfer order beside the
    /// transfers: each transfer takes the legs of its sequence; a leg of no transfer is a finding.
    private struct LegReader {
        private let cursor: RowCursor?
        private var next: (sequence: Int64, leg: ChainReplay.StoredLeg)?

        init(_ db: Database, _ report: inout VerificationReport) throws {
            cursor = try db.tableExists("ledger_transfer_legs")
                ? Row.fetchCursor(db, sql: "SELECT transfer_sequence, position, account_id, amount FROM ledger_transfer_legs ORDER BY transfer_sequence, position")
                : nil
            try advance(&report)
        }

        private mutating func advance(_ report: inout VerificationReport) throws {
            next = nil
            while let row = try cursor?.next() {
                guard let sequence = Strict.int(row, 0), let position = Strict.int(row, 1), let account = Strict.int(row, 2),
                      let amount = Strict.int(row, 3)
                else {
                    report.fail(.records, "a transfer leg of transfer \(row[0] as DatabaseValue): a column has the wrong type")
                    continue
                }
                next = (sequence, ChainReplay.StoredLeg(position: position, accountRowID: account, amount: amount))
                return
            }
        }

        /// The legs of the transfer at `sequence`, after reporting any of an earlier sequence
        /// that had no transfer.
        mutating func take(_ sequence: Int64, _ report: inout VerificationReport) throws -> [ChainReplay.StoredLeg] {
            var legs: [ChainReplay.StoredLeg] = []
            while let (legSequence, leg) = next, legSequence <= sequence {
                if legSequence < sequence {
                    report.fail(.records, sequence: legSequence, "transfer leg \(leg.position) belongs to no transfer")
                } else {
                    legs.append(leg)
                }
                try advance(&report)
            }
            return legs
        }

        /// Reports legs after the last transfer.
        mutating func finish(_ report: inout VerificationReport) throws {
            while let (legSequence, leg) = next {
                report.fail(.records, sequence: legSequence, "transfer leg \(leg.position) belongs to no transfer")
                try advance(&report)
            }
        }
    }

    // MARK: Plays

    /// Each listener's chain of plays (which wallet history pages follow, see `LedgerSchema`):
    /// every play names the listener's previous play, and the wallet their newest. A play may
    /// name none only while the listener has no play of a price above zero before it (plays
    /// recorded before the listener had a wallet); a wallet may name none only if its
    /// listener has no such play. One pass in play order; skipped on a file not yet migrated.
    private mutating func checkPlayChains() throws {
        guard try db.columns(in: "ledger_plays").contains(where: { $0.name == "listener_previous" }) else { return }
        var newest: [String: (sequence: Int64, charged: Bool)] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT play_id, listener_id, sequence, listener_previous, price FROM ledger_plays ORDER BY sequence")
        while let row = try rows.next() {
            guard let playID = Strict.text(row, 0), let listener = Strict.text(row, 1), let sequence = Strict.int(row, 2),
                  let previous = Strict.optionalInt(row, 3), let price = Strict.int(row, 4)
            else {
                report.fail(.records, playID: Strict.text(row, 0) ?? "?", "a column has the wrong type")
                continue
            }
            let before = newest[listener]
            if let named = previous.value, named != before?.sequence {
                report.fail(.plays, playID: playID, "names play \(named) as its listener's previous play, which is \(before.map { String($0.sequence) } ?? "none")")
            } else if previous.value == nil, before?.charged == true {
                report.fail(.plays, playID: playID, "names no previous play though its listener has charged plays before it (play \(before?.sequence ?? 0))")
            }
            newest[listener] = (sequence, price > 0 || before?.charged == true)
        }
        let wallets = try Row.fetchCursor(db, sql: "SELECT owner, last_play FROM ledger_accounts WHERE kind = ?",
                                          arguments: [AccountID.Kind.listenerWallet.rawValue])
        while let row = try wallets.next() {
            guard let owner = Strict.text(row, 0), let last = Strict.optionalInt(row, 1) else {
                report.fail(.records, "a listener wallet's newest play has the wrong type")
                continue
            }
            let plays = newest[owner]
            if last.value != plays?.sequence, last.value != nil || plays?.charged == true {
                report.fail(.plays, account: .listenerWallet(owner), "the wallet of '\(owner)' names play \(last.value.map(String.init) ?? "none") as its newest, which is \(plays.map { String($0.sequence) } ?? "none")")
            }
        }
    }

    private mutating func checkPlays() throws {
        let pricing = try loadPricing()
        let splits = try loadSplits()
        let transferByID = try db.makeStatement(sql: """
            SELECT id, code, amount, debit_account_id, credit_account_id, pricing_version, track_id, play_id, sequence
            FROM ledger_transfers WHERE id = ?
            """)
        let legsOf = try db.tableExists("ledger_transfer_legs")
            ? db.makeStatement(sql: "SELECT position, account_id, amount FROM ledger_transfer_legs WHERE transfer_sequence = ? ORDER BY position")
            : nil
        let rows = try Row.fetchCursor(db, sql: """
            SELECT play_id, listener_id, artist_id, track_id, play_number, price, artist_part, cooperative_part,
                   pricing_version, completes_ownership, played_at_ms, sequence
            FROM ledger_plays ORDER BY listener_id, track_id, play_number
            """)
        let accountRowIDs = replay.accountRowIDs
        var expectedTransfers = 0
        var previous: (listener: String, track: String, number: Int64, owned: Bool)?
        while let row = try rows.next() {
            report.plays += 1
            guard let playID = Strict.text(row, 0), let listener = Strict.text(row, 1), let artist = Strict.text(row, 2),
                  let track = Strict.text(row, 3), let number = Strict.int(row, 4), let price = Strict.int(row, 5),
                  let artistPart = Strict.int(row, 6), let cooperativePart = Strict.int(row, 7),
                  let versionNumber = Strict.int(row, 8), let completes = Strict.int(row, 9), let playedAt = Strict.int(row, 10),
                  let playSequence = Strict.int(row, 11)
            else {
                report.fail(.records, playID: Strict.text(row, 0) ?? "?", "a column has the wrong type")
                continue
            }
            func fail(_ detail: String) { report.fail(.plays, playID: playID, detail) }

            // Play numbers of a listener and track run 1, 2, 3... and stop at ownership.
            let sameTrack = previous.map { $0.listener == listener && $0.track == track } ?? false
            let expectedNumber = sameTrack ? (previous?.number ?? 0).addingReportingOverflow(1) : (partialValue: Int64(1), overflow: false)
            if expectedNumber.overflow || number != expectedNumber.partialValue {
                fail("is play \(number) of its listener and track, expected \(expectedNumber.overflow ? "none after play \(Int64.max)" : String(expectedNumber.partialValue))")
            }
            if sameTrack, previous?.owned == true { fail("was charged after the listener owned the track") }
            previous = (listener, track, number, (sameTrack && previous?.owned == true) || completes == 1)

            let version: PricingVersion
            switch pricing.lookup(versionNumber) {
            case .missing:
                fail("pricing version \(versionNumber) does not exist")
                continue
            case .unreadable:
                fail("was charged under pricing version \(versionNumber), which cannot be read")
                continue
            case .invalid(let found):
                // Reported once as such (check `pricing`); its prices are not worked out.
                version = found
                fail("was charged under pricing version \(versionNumber), which is not a valid pricing")
            case .valid(let found):
                version = found
                let rule = found.pricing
                // Computed only for a play number the rule prices and a price it can split.
                let priced = number >= 1 && number <= rule.playsToOwn
                let split = price >= 0 ? rule.split(price) : nil
                if !priced || price != rule.price(ofPlay: Int(number)) || split?.artist != artistPart
                    || split?.cooperative != cooperativePart || (completes == 1) != (number == rule.playsToOwn) {
                    fail("price \(price) (artist \(artistPart), cooperative \(cooperativePart)) does not follow version \(found.version) for play \(number)")
                }
            }
            do {
                let inForce = try pricing.history.inForce(at: playedAt)
                if inForce.version != version.version {
                    fail("used pricing version \(version.version) but version \(inForce.version) was in force at \(Timestamp.date(playedAt))")
                }
            } catch {
                fail("no pricing version was in force at \(Timestamp.date(playedAt)) (\(playedAt) ms), when it was played")
            }

            // Its transfers: exactly the non-zero parts, from the listener's wallet.
            // Its id is made from the play's sequence, or from its play id if recorded before
            // that format (see PlayTransferID).
            var expected: [(ids: [String], code: TransferCode, amount: Int64, credit: AccountID)] = []
            // Under a split sheet: the legs the artist part's transfer must have.
            var expectedLegs: [(position: Int, amount: Int64, party: String)]?
            if let sheetID = splits.playSheets[playSequence] {
                // The rule's parts for the recorded sheet: legs of one transfer to the splits
                // account, or, as plays were charged before legs, one transfer per party.
                let parts = splitParts(splits, sheetID: sheetID, playID: playID, playSequence: playSequence, track: track,
                                       artistPart: artistPart, playedAt: playedAt) ?? []
                let divided = PlayTransferID.artist(playSequence)
                if artistPart > 0, try PlayTransferID.firstStored([divided], by: transferByID) != nil {
                    expected.append(([divided], .playArtistShare, artistPart, .splits))
                    expectedLegs = parts.filter { $0.amount > 0 }
                } else {
                    for part in parts where part.amount > 0 {
                        expected.append(([PlayTransferID.party(playSequence, position: part.position)], .playArtistShare, part.amount,
                                         .artistEarnings(part.party)))
                    }
                }
            } else if artistPart > 0 {
                expected.append((PlayTransferID.candidates(artistPart: true, playSequence: playSequence, playID: playID),
                                 .playArtistShare, artistPart, .artistEarnings(artist)))
            }
            if cooperativePart > 0 {
                expected.append((PlayTransferID.candidates(artistPart: false, playSequence: playSequence, playID: playID),
                                 .playCooperativeShare, cooperativePart, .treasury))
            }
            expectedTransfers += expected.count
            let wallet = accountRowIDs[.listenerWallet(listener)]
            for want in expected {
                let id = want.ids[0]
                guard let transfer = try PlayTransferID.firstStored(want.ids, by: transferByID) else {
                    fail("its transfer '\(id)' is missing")
                    continue
                }
                guard Strict.text(transfer, 1) == want.code.rawValue, Strict.int(transfer, 2) == want.amount,
                      wallet != nil, Strict.int(transfer, 3) == wallet, Strict.int(transfer, 4) == accountRowIDs[want.credit],
                      Strict.int(transfer, 5) == versionNumber, Strict.text(transfer, 6) == track, Strict.text(transfer, 7) == playID
                else {
                    fail("transfer '\(id)' does not match the play's \(artistPart)/\(cooperativePart) split from \(AccountID.listenerWallet(listener)) (\(want.amount) to \(want.credit))")
                    continue
                }
                if want.credit == .splits, let parts = expectedLegs, let legsOf, let sequence = Strict.int(transfer, 8) {
                    let stored = try Row.fetchAll(legsOf, arguments: [sequence]).map { row in
                        (position: Strict.int(row, 0), account: Strict.int(row, 1), amount: Strict.int(row, 2))
                    }
                    let matches = stored.count == parts.count && zip(stored, parts).allSatisfy { leg, part in
                        leg.position == Int64(part.position) && leg.amount == part.amount
                            && leg.account != nil && leg.account == accountRowIDs[.artistEarnings(part.party)]
                    }
                    if !matches {
                        fail("the legs of transfer '\(id)' are not the parts of its split sheet by the rule (\(parts.map { "\($0.amount) to \($0.party)" }.joined(separator: ", ")))")
                    }
                }
            }
        }
        // A play charge by its code or its reserved id. Other transfers may name a play (an
        // adjustment correcting one) without being its charge.
        let playTransfers = try Int.fetchOne(db, sql: """
            SELECT count(*) FROM ledger_transfers WHERE code IN (?, ?) OR substr(id, 1, 5) = 'play:'
            """, arguments: [TransferCode.playArtistShare.rawValue, TransferCode.playCooperativeShare.rawValue]) ?? 0
        if playTransfers != expectedTransfers {
            let orphan = try Row.fetchOne(db, sql: """
                SELECT t.sequence, t.id FROM ledger_transfers t
                WHERE (t.code IN (?, ?) OR substr(t.id, 1, 5) = 'play:')
                  AND NOT EXISTS (SELECT 1 FROM ledger_plays p WHERE p.play_id = t.play_id)
                ORDER BY t.sequence LIMIT 1
                """, arguments: [TransferCode.playArtistShare.rawValue, TransferCode.playCooperativeShare.rawValue])
            report.fail(.plays, sequence: orphan.flatMap { Strict.int($0, 0) }, transferID: orphan.flatMap { Strict.text($0, 1) },
                        "\(playTransfers) play transfers for plays that call for \(expectedTransfers)")
        }
        try checkChargeOrder()
    }

    /// The pricing versions, read strictly: a row with a value of the wrong type, or one that
    /// fails ``Pricing/validate()``, is a finding (its plays are then reported against it).
    private mutating func loadPricing() throws -> VerifiedPricing {
        let rows = try Row.fetchCursor(db, sql: """
            SELECT version, effective_from_ms, preview_seconds, base_price, multiplier, plays_to_own,
                   artist_share_bp, proposal_id
            FROM ledger_pricing_versions ORDER BY effective_from_ms
            """)
        var pricing = VerifiedPricing()
        var versions: [(effectiveFromMilliseconds: Int64, version: PricingVersion)] = []
        while let row = try rows.next() {
            guard let number = Strict.int(row, 0), let effectiveFrom = Strict.int(row, 1), let preview = Strict.int(row, 2),
                  let basePrice = Strict.int(row, 3), let multiplier = Strict.int(row, 4), let playsToOwn = Strict.int(row, 5),
                  let share = Strict.int(row, 6), let proposalID = Strict.optionalText(row, 7)
            else {
                report.fail(.pricing, "pricing version \(row[0] as DatabaseValue): a column has the wrong type")
                if let number = Strict.int(row, 0) { pricing.unreadable.insert(number) }
                continue
            }
            // Int is 64 bits wide wherever Tutti runs, so these conversions are exact.
            let rule = Pricing(
                previewSeconds: Int(truncatingIfNeeded: preview), basePrice: basePrice, multiplier: multiplier,
                playsToOwn: Int(truncatingIfNeeded: playsToOwn), artistShareBasisPoints: Int(truncatingIfNeeded: share))
            do {
                try rule.validate()
            } catch {
                report.fail(.pricing, "pricing version \(number): \(error)")
                pricing.invalid.insert(number)
            }
            versions.append((effectiveFrom, PricingVersion(
                version: Int(truncatingIfNeeded: number), effectiveFrom: Timestamp.date(effectiveFrom), pricing: rule,
                proposalID: proposalID.value)))
        }
        pricing.history = PricingHistory(versions: versions)
        return pricing
    }

    /// Play charges come in the order of their plays (each play's charges right after its
    /// row): a wallet's history relies on it to page through a listener's plays.
    private mutating func checkChargeOrder() throws {
        let charges = try Row.fetchCursor(db, sql: """
            SELECT t.sequence, t.id, p.sequence FROM ledger_transfers t JOIN ledger_plays p ON p.play_id = t.play_id
            WHERE t.code IN (?, ?) ORDER BY t.sequence
            """, arguments: [TransferCode.playArtistShare.rawValue, TransferCode.playCooperativeShare.rawValue])
        var previousPlay: Int64 = 0
        while let row = try charges.next() {
            guard let play = Strict.int(row, 2) else { continue }
            if play < previousPlay {
                report.fail(.plays, sequence: Strict.int(row, 0), transferID: Strict.text(row, 1),
                            "charges play #\(play) after a charge of play #\(previousPlay): charges are out of their plays' order")
                return
            }
            previousPlay = play
        }
    }
}

/// The pricing versions as verify read them: all whose columns could be read (valid or not,
/// since which was in force when depends on them all), and which failed.
struct VerifiedPricing {
    var history = PricingHistory(versions: [])
    /// Versions whose values fail ``Pricing/validate()``.
    var invalid: Set<Int64> = []
    /// Versions with a column of the wrong type (not in `history`).
    var unreadable: Set<Int64> = []

    enum Lookup {
        case missing, unreadable
        case invalid(PricingVersion)
        case valid(PricingVersion)
    }

    func lookup(_ number: Int64) -> Lookup {
        if unreadable.contains(number) { return .unreadable }
        guard let version = history.versions.first(where: { Int64($0.version.version) == number })?.version else { return .missing }
        return invalid.contains(number) ? .invalid(version) : .valid(version)
    }
}

/// Strict readers of stored values: nil unless the value has exactly the expected type.
enum Strict {
    /// A nullable column: nil if the type is wrong, `.value == nil` for NULL.
    struct Nullable<T> { let value: T? }

    static func int(_ row: Row, _ index: Int) -> Int64? {
        if case .int64(let value) = (row[index] as DatabaseValue).storage { return value }
        return nil
    }

    static func text(_ row: Row, _ index: Int) -> String? {
        if case .string(let value) = (row[index] as DatabaseValue).storage { return value }
        return nil
    }

    static func blob(_ row: Row, _ index: Int) -> [UInt8]? {
        if case .blob(let value) = (row[index] as DatabaseValue).storage { return [UInt8](value) }
        return nil
    }

    static func optionalText(_ row: Row, _ index: Int) -> Nullable<String>? {
        let value = row[index] as DatabaseValue
        if value.isNull { return Nullable(value: nil) }
        return text(row, index).map { Nullable(value: $0) }
    }

    static func optionalInt(_ row: Row, _ index: Int) -> Nullable<Int64>? {
        let value = row[index] as DatabaseValue
        if value.isNull { return Nullable(value: nil) }
        return int(row, index).map { Nullable(value: $0) }
    }
}
