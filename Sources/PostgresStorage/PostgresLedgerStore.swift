import Foundation
import Ledger
import Logging
import NIOCore
import PostgresNIO

/// The ledger on PostgreSQL, for several Tutti nodes sharing one database.
///
/// One chain, several writers: every writing transaction first takes a transaction-level
/// advisory lock (``chainLockKey``), so the nodes append to the chain one transaction at a
/// time and each reads the head the previous one committed. The database refuses what the lock
/// is there to prevent anyway: a transfer that does not follow the head (its trigger), a
/// second transfer at one sequence (the primary key), an id booked twice (a unique key), an
/// account below zero (a CHECK), any UPDATE, DELETE or TRUNCATE of transfers (triggers).
public final class PostgresLedgerStore: LedgerStore {
    let client: PostgresClient
    let clock: @Sendable () -> Date
    let logger: Logger
    /// Plays waiting for the next group commit.
    let plays: PlayChargeQueue

    /// The advisory lock key of the chain's writer ("tutti-ledger" in ASCII, truncated).
    static let chainLockKey: Int64 = 0x7475_7474_692d_6c65

    /// A store over `client`, which must be running (`client.run()`) and whose database has
    /// the ledger's tables (``migrate()``).
    /// - Parameter maximumPlaysPerCommit: The most play charges one group commit takes.
    public init(
        client: PostgresClient, clock: @escaping @Sendable () -> Date = { Date() }, maximumPlaysPerCommit: Int = 2_048,
        logger: Logger = Logger(label: "tutti.ledger.postgres")
    ) {
        self.client = client
        self.clock = clock
        self.logger = logger
        plays = PlayChargeQueue(maximumBatch: maximumPlaysPerCommit)
    }

    /// The ledger's migrations, for a migrator that runs every module's.
    public static func registerMigrations(_ migrator: inout PostgresMigrator) {
        PostgresLedgerSchema.register(&migrator)
    }

    /// Creates or updates the ledger's tables.
    public func migrate() async throws {
        var migrator = PostgresMigrator()
        Self.registerMigrations(&migrator)
        try await migrator.migrate(client, logger: logger)
    }

    // MARK: Writing

    @discardableResult
    public func submit(_ transfers: [TransferRequest]) async throws(LedgerError) -> [Transfer] {
        guard !transfers.isEmpty else { throw .invalidRequest("no transfers to submit") }
        for transfer in transfers { try transfer.validate() }
        guard Set(transfers.map(\.id)).count == transfers.count else {
            throw .invalidRequest("a linked set uses the same transfer id twice")
        }
        let now = try Timestamp.milliseconds(clock())
        return try await writing { connection in try await self.book(transfers, now: now, connection) }
    }

    /// Runs `body` in a transaction that holds the chain's lock; LedgerErrors it throws come
    /// out as they are, the database's as ``LedgerError/database(_:)``.
    func writing<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws(LedgerError) -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.chainLockKey))", logger: self.logger)
                return try await body(connection)
            }
        } catch let error as PostgresTransactionError {
            if let ledgerError = error.closureError as? LedgerError { throw ledgerError }
            throw .database(PostgresStorageError.describe(error))
        } catch {
            throw .database(PostgresStorageError.describe(error))
        }
    }

    /// Books a linked set; the chain's lock is held. Mirrors the SQLite ledger's
    /// `LedgerTransaction.book`: a set whose every id is stored with the same fields returns
    /// the stored transfers, any other reuse of an id is a conflict, and the whole set is
    /// applied to the accounts in memory before anything is written.
    private func book(_ requests: [TransferRequest], now: Int64, _ connection: PostgresConnection) async throws -> [Transfer] {
        let group = requests.count > 1 ? requests[0].id : nil
        var stored: [String: Transfer] = [:]
        for transfer in try await transfers(where: "t.id = ANY($1)", [requests.map(\.id)], connection) {
            stored[transfer.id] = transfer
        }
        if let first = requests.firstIndex(where: { stored[$0.id] != nil }) {
            for request in requests {
                guard let existing = stored[request.id], existing.matches(request, linkedGroup: group) else {
                    throw LedgerError.conflictingRetry(transferID: stored[request.id] == nil ? requests[first].id : request.id)
                }
            }
            return requests.compactMap { stored[$0.id] }
        }

        var states: [AccountID: AccountState] = [:]
        for request in requests {
            for account in [request.debit, request.credit] where states[account] == nil {
                states[account] = try await self.account(account, now: now, connection)
            }
        }
        var totals = states.mapValues { PostedTotals(debits: $0.debits, credits: $0.credits) }
        try TransferRequest.apply(requests, to: &totals)
        var postings: [Int64: (debits: Int64, credits: Int64)] = [:]
        for request in requests {
            guard let debit = states[request.debit], let credit = states[request.credit] else { preconditionFailure("accounts were loaded above") }
            postings[debit.rowID, default: (0, 0)].debits += request.amount
            postings[credit.rowID, default: (0, 0)].credits += request.amount
        }

        var head = try await chainHead(connection)
        var booked: [Transfer] = []
        for request in requests {
            guard let debit = states[request.debit], let credit = states[request.credit] else { preconditionFailure("accounts were loaded above") }
            let sequence = head.sequence + 1
            let hash = TransferHash.compute(previous: head.hash, HashedFields(
                sequence: sequence, id: request.id, debit: request.debit, credit: request.credit, amount: request.amount,
                code: request.code.rawValue, linkedGroup: group, details: request.details, timestampMilliseconds: now))
            let details = request.details
            try await connection.query("""
                INSERT INTO ledger_transfers (sequence, id, debit_account_id, credit_account_id, amount, code, linked_group,
                    track_id, play_id, pricing_version, reference, actor, note, created_at_ms, previous_hash, hash)
                VALUES (\(sequence), \(request.id), \(debit.rowID), \(credit.rowID), \(request.amount), \(request.code.rawValue), \(group),
                    \(details.trackID), \(details.playID), \(details.pricingVersion.map(Int32.init)), \(details.reference), \(details.actor),
                    \(details.note), \(now), \(ByteBuffer(bytes: head.hash)), \(ByteBuffer(bytes: hash)))
                """, logger: logger)
            booked.append(Transfer(
                sequence: sequence, id: request.id, debit: request.debit, credit: request.credit, amount: request.amount,
                code: request.code, linkedGroup: group, details: details, timestamp: Timestamp.date(now),
                previousHash: head.hash, hash: hash))
            head = (sequence, hash)
        }
        for (rowID, posting) in postings.sorted(by: { $0.key < $1.key }) {
            try await connection.query("""
                UPDATE ledger_accounts SET debits_posted = debits_posted + \(posting.debits), credits_posted = credits_posted + \(posting.credits)
                WHERE id = \(rowID)
                """, logger: logger)
        }
        return booked
    }

    struct AccountState {
        let rowID: Int64
        var debits: Int64
        var credits: Int64
    }

    /// The account's row and totals, creating it (with zero totals) if missing.
    private func account(_ account: AccountID, now: Int64, _ connection: PostgresConnection) async throws -> AccountState {
        let (kind, owner) = (account.kind.rawValue, account.owner)
        try await connection.query("""
            INSERT INTO ledger_accounts (kind, owner, debits_must_not_exceed_credits, created_at_ms)
            VALUES (\(kind), \(owner), \(account.kind.debitsMustNotExceedCredits), \(now))
            ON CONFLICT (kind, owner) DO NOTHING
            """, logger: logger)
        let rows = try await connection.query(
            "SELECT id, debits_posted, credits_posted FROM ledger_accounts WHERE kind = \(kind) AND owner = \(owner)", logger: logger)
        for try await (rowID, debits, credits) in rows.decode((Int64, Int64, Int64).self) {
            return AccountState(rowID: rowID, debits: debits, credits: credits)
        }
        throw LedgerError.database("ledger account \(account) is missing after it was created")
    }

    /// The chain's head: the last transfer's sequence and hash (none: the genesis).
    static let chainHeadSQL = "SELECT sequence, hash FROM ledger_transfers ORDER BY sequence DESC LIMIT 1"

    private func chainHead(_ connection: PostgresConnection) async throws -> (sequence: Int64, hash: [UInt8]) {
        let rows = try await connection.query(PostgresQuery(unsafeSQL: Self.chainHeadSQL), logger: logger)
        for try await (sequence, hash) in rows.decode((Int64, ByteBuffer).self) {
            return (sequence, Array(hash.readableBytesView))
        }
        return (0, TransferHash.genesis)
    }

    // MARK: Reading

    public func balance(of account: AccountID) async throws(LedgerError) -> AccountBalance {
        try account.validate()
        return try await reading {
            let rows = try await self.client.query(
                "SELECT debits_posted, credits_posted FROM ledger_accounts WHERE kind = \(account.kind.rawValue) AND owner = \(account.owner)",
                logger: self.logger)
            for try await (debits, credits) in rows.decode((Int64, Int64).self) {
                return AccountBalance(account: account, debitsPosted: debits, creditsPosted: credits)
            }
            return AccountBalance(account: account, debitsPosted: 0, creditsPosted: 0)
        }
    }

    public func transfer(id: String) async throws(LedgerError) -> Transfer? {
        try await reading {
            try await self.client.withConnection { connection in
                try await self.transfers(where: "t.id = $1", [id], connection).first
            }
        }
    }

    func reading<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws(LedgerError) -> T {
        do {
            return try await body()
        } catch let error as LedgerError {
            throw error
        } catch {
            throw .database(PostgresStorageError.describe(error))
        }
    }

    /// Stored transfers matching `condition` (with `$1`... bound to `values`), in sequence order.
    func transfers(where condition: String, _ values: [any PostgresEncodable & Sendable], _ connection: PostgresConnection) async throws -> [Transfer] {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values { try bindings.append(value) }
        let query = PostgresQuery(unsafeSQL: TransferRow.select + " WHERE \(condition) ORDER BY t.sequence", binds: bindings)
        var found: [Transfer] = []
        for try await row in try await connection.query(query, logger: logger) {
            found.append(try Self.decodeTransfer(row))
        }
        return found
    }

    static func decodeTransfer(_ row: PostgresRow) throws -> Transfer {
        let columns = row.makeRandomAccess()
        let id = try columns["id"].decode(String.self)
        guard let debit = AccountID(kind: try columns["debit_kind"].decode(String.self), owner: try columns["debit_owner"].decode(String.self)),
              let credit = AccountID(kind: try columns["credit_kind"].decode(String.self), owner: try columns["credit_owner"].decode(String.self)),
              let code = TransferCode(rawValue: try columns["code"].decode(String.self))
        else { throw LedgerError.database("transfer '\(id)' has an unknown account kind or code") }
        return Transfer(
            sequence: try columns["sequence"].decode(Int64.self), id: id, debit: debit, credit: credit,
            amount: try columns["amount"].decode(Int64.self), code: code,
            linkedGroup: try columns["linked_group"].decode(String?.self),
            details: TransferDetails(
                trackID: try columns["track_id"].decode(String?.self), playID: try columns["play_id"].decode(String?.self),
                pricingVersion: try columns["pricing_version"].decode(Int32?.self).map(Int.init),
                reference: try columns["reference"].decode(String?.self), actor: try columns["actor"].decode(String?.self),
                note: try columns["note"].decode(String?.self)),
            timestamp: Timestamp.date(try columns["created_at_ms"].decode(Int64.self)),
            previousHash: Array(try columns["previous_hash"].decode(ByteBuffer.self).readableBytesView),
            hash: Array(try columns["hash"].decode(ByteBuffer.self).readableBytesView))
    }
}
