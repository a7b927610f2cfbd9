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
    package let database: any DatabaseWriter
    /// The time of bookings; tests pass a clock they control.
    let clock: @Sendable () -> Date
    let playQueue: PlayChargeQueue
    /// What play commits learned that later ones may use again (see ``WriterMemory``).
    let writerMemory = WriterMemory()
    /// Checkpoints the log off the writer (nil unless the database is a file in WAL mode).
    let checkpointer: WALCheckpointer?
    /// Syncs group commits of plays off the writer (nil unless the database is a file in WAL
    /// mode; plays then commit with the writer's own `synchronous`).
    let logSync: LogSync?

    /// A ledger over `database`, whose schema must include ``registerMigrations(_:)``.
    ///
    /// Sets `PRAGMA synchronous = FULL` on the writer connection and checks it took effect:
    /// GRDB's `DatabasePool` sets `NORMAL` on its writer after the configuration's
    /// `prepareDatabase` runs, which would let the last commits vanish on power loss. Also
    /// sets `temp_store = MEMORY` there (see ``configureWriter(_:)``), and hands the writer's
    /// checkpoints to a background connection (see ``WALCheckpointer``) and the log syncs of
    /// group commits of plays to a thread of their own (see ``LogSync``).
    ///
    /// - Parameters:
    ///   - clock: The time stamped on transfers (booking time).
    ///   - maximumPlaysPerCommit: The most play charges one group commit takes.
    ///   - syncsPlaysOffWriter: Whether group commits of plays have their log synced off the
    ///     writer (``LogSync``). Off by default: measured, it gained nothing here (0.71x the
    ///     ceiling either way, BENCHMARKS.md), and while a sync is pending other readers see
    ///     plays that a crash could still take back. `tutti ledger bench` measures both.
    ///   - logPagesBeforeRestart: The log size (pages) from which the writer checkpoints the
    ///     log itself so that it starts again; the log stays under about twice this (see
    ///     ``WALCheckpointer``).
    ///   - backgroundCheckpointPages: New log pages that wake a checkpoint off the writer (see
    ///     ``WALCheckpointer``), below `logPagesBeforeRestart`; nil for 1,000 (3,072 measured
    ///     within the noise on the bench and lets the log grow larger, so it is not the default).
    ///     Fewer, larger checkpoints copy a page rewritten by several commits into the database
    ///     file once instead of once per checkpoint, and sync twice per checkpoint less often.
    package convenience init(
        database: any DatabaseWriter, clock: @escaping @Sendable () -> Date = { Date() },
        maximumPlaysPerCommit: Int = 2_048, syncsPlaysOffWriter: Bool = false,
        logPagesBeforeRestart: Int = 4_096, backgroundCheckpointPages: Int? = nil
    ) throws(LedgerError) {
        try self.init(
            database: database, clock: clock, maximumPlaysPerCommit: maximumPlaysPerCommit,
            logPagesBeforeRestart: logPagesBeforeRestart,
            backgroundCheckpointPages: backgroundCheckpointPages ?? 1_000,
            logSync: { db in syncsPlaysOffWriter ? try LogSync.make(for: db) : nil })
    }

    /// The designated initialiser: `logSync` makes the log sync for the writer connection
    /// (tests hold its syncs back).
    init(
        database: any DatabaseWriter, clock: @escaping @Sendable () -> Date, maximumPlaysPerCommit: Int,
        logPagesBeforeRestart: Int, backgroundCheckpointPages: Int? = nil, logSync makeLogSync: (Database) throws -> LogSync?
    ) throws(LedgerError) {
        precondition(maximumPlaysPerCommit >= 1, "a commit takes at least one play")
        precondition((2_000...1_000_000).contains(logPagesBeforeRestart), "the log restarts from 2,000 to 1,000,000 pages")
        let backgroundCheckpointPages = backgroundCheckpointPages ?? 1_000
        precondition((1..<logPagesBeforeRestart).contains(backgroundCheckpointPages), "background checkpoints wake before the log restarts")
        self.database = database
        self.clock = clock
        self.playQueue = PlayChargeQueue(maximumBatch: maximumPlaysPerCommit)
        do {
            (self.checkpointer, self.logSync) = try database.writeWithoutTransaction { db in
                try Self.configureWriter(db)
                guard try db.tableExists("ledger_transfers") else {
                    throw LedgerError.database("the ledger tables are missing: add Ledger.registerMigrations to the migrator")
                }
                return (try WALCheckpointer.install(
                    on: db, backgroundPages: Int32(backgroundCheckpointPages), writerPages: Int32(logPagesBeforeRestart)), try makeLogSync(db))
            }
        } catch {
            throw LedgerError(wrapping: error)
        }
    }

    /// Opens (creating if needed) a database holding only the ledger: a `DatabasePool` in WAL
    /// mode with ``configuration()``, migrated. For the command line and tests; the server
    /// opens its shared pool itself.
    package static func openDatabase(path: String) throws(LedgerError) -> DatabasePool {
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

    /// How many log syncs have made how many group commits of plays durable so far (nil if
    /// plays commit with the writer's own syncs: see ``LogSync``).
    public func logSyncStatistics() -> LogSyncStatistics? {
        logSync.map { let (syncs, batches) = $0.statistics; return LogSyncStatistics(syncs: syncs, commits: batches) }
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
