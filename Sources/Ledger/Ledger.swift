import Foundation
import GRDB

/// Tutti's append-only royalty ledger: accounts, balanced transfers chained by SHA-256,
/// stream-to-own play charges, pricing versions, payouts and verification.
///
/// It lives in tables prefixed `ledger_` of a database it shares with other modules: open
/// the file with ``configuration()``, add ``registerMigrations(_:)`` to the migrator, then
/// make one `Ledger` over the `DatabasePool`. Every change happens inside one SQLite write
/// transaction that also checks the invariants it could break, committed with
/// `synchronous = FULL`: when a call returns, its effect is on disk.
///
/// Most calls are synchronous (they block the calling thread while SQLite commits).
/// ``chargePlay(_:)`` is `async` and commits concurrent plays together: many plays, one
/// transaction, one sync.
public final class Ledger: Sendable {
    /// The database, shared with the rest of the service.
    public let database: any DatabaseWriter
    /// The time of bookings; tests pass a clock they control.
    let clock: @Sendable () -> Date
    let playQueue: PlayChargeQueue
    /// Checkpoints the log off the writer (nil unless the database is a file in WAL mode).
    let checkpointer: WALCheckpointer?

    /// A ledger over `database`, whose schema must include ``registerMigrations(_:)``.
    ///
    /// Sets `PRAGMA synchronous = FULL` on the writer connection and checks it took effect:
    /// GRDB's `DatabasePool` sets `NORMAL` on its writer after the configuration's
    /// `prepareDatabase` runs, which would let the last commits vanish on power loss. Also
    /// sets `temp_store = MEMORY` there (see ``configureWriter(_:)``), and hands the writer's
    /// checkpoints to a background connection (see ``WALCheckpointer``).
    ///
    /// - Parameters:
    ///   - clock: The time stamped on transfers (booking time).
    ///   - maximumPlaysPerCommit: The most play charges one group commit takes.
    public init(
        database: any DatabaseWriter, clock: @escaping @Sendable () -> Date = { Date() },
        maximumPlaysPerCommit: Int = 2_048
    ) throws(LedgerError) {
        precondition(maximumPlaysPerCommit >= 1, "a commit takes at least one play")
        self.database = database
        self.clock = clock
        self.playQueue = PlayChargeQueue(maximumBatch: maximumPlaysPerCommit)
        do {
            self.checkpointer = try database.writeWithoutTransaction { db in
                try Self.configureWriter(db)
                guard try db.tableExists("ledger_transfers") else {
                    throw LedgerError.database("the ledger tables are missing: add Ledger.registerMigrations to the migrator")
                }
                return try WALCheckpointer.install(on: db)
            }
        } catch {
            throw LedgerError(wrapping: error)
        }
    }

    /// Opens (creating if needed) a database holding only the ledger: a `DatabasePool` in WAL
    /// mode with ``configuration()``, migrated. For the command line and tests; the server
    /// opens its shared pool itself.
    public static func openDatabase(path: String) throws(LedgerError) -> DatabasePool {
        do {
            let pool = try DatabasePool(path: path, configuration: configuration())
            var migrator = DatabaseMigrator()
            registerMigrations(&migrator)
            try migrator.migrate(pool)
            try pool.writeWithoutTransaction { try configureWriter($0) }
            return pool
        } catch {
            throw LedgerError(wrapping: error)
        }
    }

    /// The checkpoints run so far by the log checkpointer this `Ledger` installed (nil if the
    /// database is not a file in WAL mode).
    public func checkpointStatistics() -> CheckpointStatistics? {
        checkpointer?.statistics
    }

    /// The transfer time of a booking now, in milliseconds.
    func now() throws(LedgerError) -> Int64 {
        try Timestamp.milliseconds(clock())
    }

    /// Runs `body` in one write transaction (blocking until it is committed and synced).
    func write<T>(_ body: (LedgerTransaction) throws -> T) throws(LedgerError) -> T {
        let now = try now()
        do {
            return try database.write { db in
                let transaction = LedgerTransaction(db, now: now)
                let result = try body(transaction)
                try transaction.finish()
                return result
            }
        } catch {
            throw LedgerError(wrapping: error)
        }
    }

    /// Runs `body` on a consistent snapshot of the database.
    func read<T>(_ body: (Database) throws -> T) throws(LedgerError) -> T {
        do {
            return try database.read(body)
        } catch {
            throw LedgerError(wrapping: error)
        }
    }
}
