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
            throw .database(PostgresStorageError.describe(error))
        }
    }
}

/// One verification pass over PostgreSQL's tables, through the replay every backend shares
/// (`ChainReplay`). PostgreSQL's column types already refuse a wrongly typed value, so unlike
/// SQLite's pass this one reads values as their types.
struct PostgresVerifier {
    var report = VerificationReport()
    private var replay: ChainReplay

    init(anchors: [ChainAnchor]) {
        replay = ChainReplay(anchors: anchors)
    }

    mutating func run(_ connection: PostgresConnection, logger: Logger) async throws {
        let accounts = try await connection.query("""
            SELECT id, kind, owner, debits_must_not_exceed_credits, debits_posted, credits_posted FROM ledger_accounts ORDER BY id
            """, logger: logger)
        for try await (rowID, kind, owner, flag, debits, credits) in accounts.decode((Int64, String, String, Bool, Int64, Int64).self) {
            guard let account = AccountID(kind: kind, owner: owner) else {
                report.accounts += 1
                report.fail(.records, "account row \(rowID) has an unknown kind or a malformed owner")
                continue
            }
            replay.account(rowID: rowID, account, flag: flag, flagText: flag ? "1" : "0", debits: debits, credits: credits, &report)
        }
        let transfers = try await connection.query("""
            SELECT sequence, id, debit_account_id, credit_account_id, amount, code, linked_group, track_id, play_id,
                   pricing_version, reference, actor, note, created_at_ms, previous_hash, hash
            FROM ledger_transfers ORDER BY sequence
            """, logger: logger)
        for try await row in transfers {
            let columns = row.makeRandomAccess()
            let sequence = try columns["sequence"].decode(Int64.self)
            let id = try columns["id"].decode(String.self)
            replay.sequence(sequence, id: id, &report)
            replay.transfer(
                sequence: sequence, id: id, debitRowID: try columns["debit_account_id"].decode(Int64.self),
                creditRowID: try columns["credit_account_id"].decode(Int64.self), amount: try columns["amount"].decode(Int64.self),
                code: try columns["code"].decode(String.self), linkedGroup: try columns["linked_group"].decode(String?.self),
                details: TransferDetails(
                    trackID: try columns["track_id"].decode(String?.self), playID: try columns["play_id"].decode(String?.self),
                    pricingVersion: try columns["pricing_version"].decode(Int32?.self).map(Int.init),
                    reference: try columns["reference"].decode(String?.self), actor: try columns["actor"].decode(String?.self),
                    note: try columns["note"].decode(String?.self)),
                createdAt: try columns["created_at_ms"].decode(Int64.self),
                previousHash: Array(try columns["previous_hash"].decode(ByteBuffer.self).readableBytesView),
                hash: Array(try columns["hash"].decode(ByteBuffer.self).readableBytesView), &report)
        }
        replay.finish(&report)
    }
}
