import Dispatch
import GRDB
import GRDBSQLite
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Makes group commits of plays durable on a thread of their own, so that the writer
/// decides and writes the next batch while the previous one's log sync is in flight.
///
/// With `synchronous = FULL` in WAL mode, SQLite syncs the log inside `COMMIT`: the writer
/// waits for the disk, and the plays that arrived meanwhile wait for the writer. A play
/// batch is committed with `synchronous = NORMAL` instead (its frames written to the log,
/// not synced) and handed here; this queue calls `fdatasync` on the log file and only then
/// wakes the batch's callers. One sync that starts after a commit returned covers every
/// frame written before it, so a caller is told its play is charged only once the play is
/// on disk, as with `FULL`, and one sync serves every batch committed while the previous
/// sync ran.
///
/// Why this is as safe as `FULL` for what callers are told:
/// - WAL frames carry cumulative checksums; recovery keeps the longest valid prefix of
///   commits, so a crash can lose only a tail of commits, never one in the middle, and a
///   lost commit was never acknowledged (its sync had not returned).
/// - The log restarts from its beginning only after a checkpoint has copied every frame
///   into the database file and synced it (SQLite's checkpoints sync at `NORMAL` too), so
///   frames a restart overwrites are already durable in the database file.
/// - Plays decided after a commit that is not yet durable can only be lost together with
///   it (the prefix rule above), so no durable play depends on a lost one.
///
/// What changes: a reader may see a batch's plays up to one sync before they are durable
/// (with `FULL`, from the moment they are). Everything else the writer commits keeps
/// `FULL`: the ledger switches `synchronous` for the play transaction only, on the same
/// writer job.
///
/// If a sync fails, the log's state on disk is unknown: that batch and every later one fail
/// with ``LedgerError/database(_:)``, as a commit whose sync failed would.
final class LogSync: Sendable {
    private let path: String
    private let queue = DispatchQueue(label: "tutti.ledger.log-sync", qos: .userInitiated)
    private let state = Mutex(State())
    /// Syncs the log file; tests pass one that can be held back.
    private let syncFile: @Sendable (Int32) -> Int32

    private struct State {
        /// Callers' wake-ups of batches committed and not yet synced, oldest first.
        var pending: [@Sendable (LedgerError?) -> Void] = []
        var syncing = false
        /// The log file, opened at the first sync.
        var descriptor: Int32 = -1
        /// Set by a sync that failed: every later batch fails too.
        var failure: LedgerError?
        var syncs = 0
        var batches = 0
    }

    init(logPath: String, syncFile: @escaping @Sendable (Int32) -> Int32 = { fdatasync($0) }) {
        self.path = logPath
        self.syncFile = syncFile
    }

    deinit {
        let descriptor = state.withLock { $0.descriptor }
        if descriptor >= 0 { close(descriptor) }
    }

    /// A log sync for the writer connection `db`, if its database is a file in WAL mode;
    /// otherwise nil (plays then commit with the connection's own `synchronous`).
    static func make(
        for db: Database, syncFile: @escaping @Sendable (Int32) -> Int32 = { fdatasync($0) }
    ) throws -> LogSync? {
        guard let connection = db.sqliteConnection,
              try String.fetchOne(db, sql: "PRAGMA journal_mode")?.lowercased() == "wal",
              let file = sqlite3_db_filename(connection, "main"), file.pointee != 0
        else { return nil }
        return LogSync(logPath: String(cString: file) + "-wal", syncFile: syncFile)
    }

    /// Hands over a batch committed without a log sync: `wake` runs on this queue once a sync
    /// that started after this call has returned (with nil), or with the error that makes the
    /// batch's durability unknown.
    func committed(_ wake: @escaping @Sendable (LedgerError?) -> Void) {
        let start: Bool = state.withLock {
            $0.pending.append(wake)
            guard !$0.syncing else { return false }
            $0.syncing = true
            return true
        }
        if start { queue.async { self.syncPending() } }
    }

    /// How many syncs served how many batches so far.
    var statistics: (syncs: Int, batches: Int) { state.withLock { ($0.syncs, $0.batches) } }

    /// Syncs and wakes until nothing is pending: each round takes every batch committed so
    /// far, then syncs.
    private func syncPending() {
        while true {
            let (batch, descriptor, failure): ([@Sendable (LedgerError?) -> Void], Int32, LedgerError?) = state.withLock {
                let batch = $0.pending
                $0.pending = []
                if batch.isEmpty { $0.syncing = false }
                return (batch, $0.descriptor, $0.failure)
            }
            if batch.isEmpty { return }
            var error = failure
            if error == nil {
                error = sync(descriptor)
            }
            state.withLock {
                $0.syncs += 1
                $0.batches += batch.count
                if let error, $0.failure == nil { $0.failure = error }
            }
            for wake in batch { wake(error) }
        }
    }

    /// One `fdatasync` of the log, opening it first if needed (the log exists once a commit
    /// has written to it). A log file that was removed (every connection closed) is opened
    /// again by its path.
    private func sync(_ current: Int32) -> LedgerError? {
        var descriptor = current
        if descriptor >= 0 {
            var status = stat()
            if fstat(descriptor, &status) != 0 || status.st_nlink == 0 {
                close(descriptor)
                descriptor = -1
            }
        }
        if descriptor < 0 {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                return .database("cannot open the database log \(path) to sync it: \(String(cString: strerror(errno)))")
            }
            state.withLock { $0.descriptor = descriptor }
        }
        guard syncFile(descriptor) == 0 else {
            return .database("syncing the database log \(path) failed: \(String(cString: strerror(errno)))")
        }
        return nil
    }
}

/// What a ledger's ``LogSync`` has done so far.
public struct LogSyncStatistics: Sendable, Equatable, Encodable {
    /// `fdatasync` calls on the log.
    public let syncs: Int
    /// Group commits of plays they made durable.
    public let commits: Int
}
