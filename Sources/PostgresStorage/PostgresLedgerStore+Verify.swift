import Foundation
import Ledger
import NIOCore
import PostgresNIO

extension PostgresLedgerStore {
    /// Checks the ledger's tables on PostgreSQL as `Ledger.verify` does on SQLite: every
    /// account's stored totals equal the sums of its transfers, debits equal credits, no wallet
    /// or earnings account is or ever was below zero, the sequence runs 1, 2, 3... and every
    /// hash covers its transfer and the one before, and `anchors` match. The checks of plays,
    /// pricing and splits join it with their tables.
    ///
    /// Reads in one REPEATABLE READ transaction: one snapshot, while nodes keep booking.
    public func verify(anchors: [ChainAnchor] = []) async throws(LedgerError) -> VerificationReport {
        do {
            return try await client.withConnection { connection in
                try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: self.logger)
                do {
                    var pass = PostgresVerifier(anchors: anchors)
                    try await pass.run(connection, logger: self.logger)
                    try await connection.query("COMMIT", logger: self.logger)
                    return pass.report
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: self.logger)
                    throw error
                }
            }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw .database(Self.describe(error))
        }
    }
}

/// One verification pass over PostgreSQL's tables. PostgreSQL's column types already refuse
/// a wrongly typed value, so unlike SQLite's pass this one reads values as their types.
struct PostgresVerifier {
    let anchors: [Int64: String]
    var report = VerificationReport()

    private struct Account {
        let id: AccountID
        let flagged: Bool
        let storedDebits: Int64
        let storedCredits: Int64
        var debits: Int64 = 0
        var credits: Int64 = 0
    }
    private var accounts: [Int64: Account] = [:]

    init(anchors: [ChainAnchor]) {
        self.anchors = Dictionary(anchors.map { ($0.sequence, $0.hash) }, uniquingKeysWith: { first, _ in first })
    }

    mutating func run(_ connection: PostgresConnection, logger: Logger) async throws {
        let rows = try await connection.query("""
            SELECT id, kind, owner, debits_must_not_exceed_credits, debits_posted, credits_posted FROM ledger_accounts ORDER BY id
            """, logger: logger)
        for try await (rowID, kind, owner, flag, debits, credits) in rows.decode((Int64, String, String, Bool, Int64, Int64).self) {
            report.accounts += 1
            guard let account = AccountID(kind: kind, owner: owner) else {
                report.fail(.records, "account row \(rowID) has an unknown kind or a malformed owner")
                continue
            }
            if flag != account.kind.debitsMustNotExceedCredits {
                report.fail(.records, account: account, "flag debits_must_not_exceed_credits is \(flag), must be \(account.kind.debitsMustNotExceedCredits)")
            }
            accounts[rowID] = Account(id: account, flagged: account.kind.debitsMustNotExceedCredits, storedDebits: debits, storedCredits: credits)
        }
        try await replayTransfers(connection, logger: logger)
        checkAccounts()
    }

    private mutating func replayTransfers(_ connection: PostgresConnection, logger: Logger) async throws {
        let rows = try await connection.query("""
            SELECT sequence, id, debit_account_id, credit_account_id, amount, code, linked_group, track_id, play_id,
                   pricing_version, reference, actor, note, created_at_ms, previous_hash, hash
            FROM ledger_transfers ORDER BY sequence
            """, logger: logger)
        var expectedSequence: Int64 = 1
        var previousHash = TransferHash.genesis
        for try await row in rows {
            let columns = row.makeRandomAccess()
            let sequence = try columns["sequence"].decode(Int64.self)
            let id = try columns["id"].decode(String.self)
            report.transfers += 1
            if sequence != expectedSequence {
                report.fail(.sequence, sequence: sequence, transferID: id, "expected sequence \(expectedSequence)")
            }
            expectedSequence = sequence &+ 1
            let (debitRowID, creditRowID) = (try columns["debit_account_id"].decode(Int64.self), try columns["credit_account_id"].decode(Int64.self))
            let amount = try columns["amount"].decode(Int64.self)
            let code = try columns["code"].decode(String.self)
            let storedPrevious = Array(try columns["previous_hash"].decode(ByteBuffer.self).readableBytesView)
            let storedHash = Array(try columns["hash"].decode(ByteBuffer.self).readableBytesView)
            guard let debit = accounts[debitRowID], let credit = accounts[creditRowID] else {
                report.fail(.records, sequence: sequence, transferID: id, "debits or credits an account that does not exist")
                previousHash = storedHash
                continue
            }
            if storedPrevious != previousHash {
                report.fail(.hashChain, sequence: sequence, transferID: id, "previous_hash is not the hash of the transfer before it")
            }
            let fields = HashedFields(
                sequence: sequence, id: id, debit: debit.id, credit: credit.id, amount: amount, code: code,
                linkedGroup: try columns["linked_group"].decode(String?.self),
                details: TransferDetails(
                    trackID: try columns["track_id"].decode(String?.self), playID: try columns["play_id"].decode(String?.self),
                    pricingVersion: try columns["pricing_version"].decode(Int32?.self).map(Int.init),
                    reference: try columns["reference"].decode(String?.self), actor: try columns["actor"].decode(String?.self),
                    note: try columns["note"].decode(String?.self)),
                timestampMilliseconds: try columns["created_at_ms"].decode(Int64.self))
            if TransferHash.compute(previous: storedPrevious, fields) != storedHash {
                report.fail(.hashChain, sequence: sequence, transferID: id, "hash does not match the transfer's contents (altered after booking)")
            }
            if let anchored = anchors[sequence], anchored != Hex.encode(storedHash) {
                report.fail(.anchor, sequence: sequence, transferID: id, "hash \(Hex.encode(storedHash)) differs from the anchor \(anchored)")
            }
            previousHash = storedHash
            report.headSequence = sequence
            report.headHash = Hex.encode(storedHash)

            let total = report.totalAmount.addingReportingOverflow(amount)
            let debits = debit.debits.addingReportingOverflow(amount)
            let credits = credit.credits.addingReportingOverflow(amount)
            guard !total.overflow, !debits.overflow, !credits.overflow else {
                report.fail(.totals, sequence: sequence, transferID: id, "totals overflow Int64")
                continue
            }
            report.totalAmount = total.partialValue
            accounts[debitRowID]?.debits = debits.partialValue
            accounts[creditRowID]?.credits = credits.partialValue
            if debit.flagged, debits.partialValue > debit.credits {
                report.fail(.negativeBalance, sequence: sequence, transferID: id, "takes \(debit.id) to \(debit.credits - debits.partialValue), below zero")
            }
        }
        for (sequence, _) in anchors.sorted(by: { $0.key < $1.key }) where sequence > report.headSequence {
            report.fail(.anchor, "anchored transfer #\(sequence) is missing (the ledger ends at #\(report.headSequence))")
        }
    }

    private mutating func checkAccounts() {
        var storedDebits: Int64 = 0
        var storedCredits: Int64 = 0
        for (_, account) in accounts.sorted(by: { $0.key < $1.key }) {
            if account.storedDebits != account.debits || account.storedCredits != account.credits {
                report.fail(.accountTotals, account: account.id,
                            "stored debits \(account.storedDebits) and credits \(account.storedCredits), but its transfers sum to debits \(account.debits) and credits \(account.credits)")
            }
            if account.flagged, account.storedDebits > account.storedCredits {
                report.fail(.negativeBalance, account: account.id, "stored balance is below zero")
            }
            storedDebits &+= account.storedDebits
            storedCredits &+= account.storedCredits
        }
        if storedDebits != storedCredits {
            report.fail(.totals, "accounts' stored debits sum to \(storedDebits) but their credits to \(storedCredits)")
        } else if storedDebits != report.totalAmount {
            report.fail(.totals, "accounts' stored debits and credits sum to \(storedDebits) but the transfers move \(report.totalAmount)")
        }
    }
}
