import Foundation
import GRDB
import GRDBSQLite

/// Runs the WAL checkpoints of a `DatabasePool` on a connection of its own, so the writer
/// does not.
///
/// SQLite's automatic checkpoint runs on the connection whose commit filled the WAL past
/// `wal_autocheckpoint` pages, inside that commit: it copies those pages into the database
/// file and syncs it. On the ledger's writer this cost about a sixth of a group commit's
/// time, and the commits that ran one waited several milliseconds longer (the p99).
///
/// A WAL hook on the writer replaces the automatic checkpoint: after a commit that leaves at
/// least `pages` pages in the WAL it asks this object, which runs a PASSIVE checkpoint on
/// its own connection (its own thread) unless one is running. A passive checkpoint never
/// blocks the writer or the readers. Should the WAL still reach 8 × `pages` (checkpoints
/// not keeping up) or the checkpointer be gone, the writer checkpoints itself as before.
///
/// Durability is untouched: a commit is durable once the WAL is synced (`synchronous =
/// FULL` on the writer); a checkpoint only copies committed pages, with `synchronous =
/// FULL` on its own connection too, and is safe to interrupt at any point.
final class WALCheckpointer: @unchecked Sendable {
    /// WAL pages after a commit that ask for a checkpoint.
    let pages: Int32
    private let connection: DatabaseQueue
    /// Guards `running` and `completed`.
    private let lock = NSLock()
    private var running = false
    private var completed = 0

    private init(path: String, pages: Int32) throws {
        var configuration = Configuration()
        configuration.label = "Ledger.WALCheckpointer"
        configuration.busyMode = .timeout(1)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        self.connection = try DatabaseQueue(path: path, configuration: configuration)
        self.pages = pages
    }

    /// Checkpoints this background connection has completed.
    var checkpointsCompleted: Int { lock.withLock { completed } }

    /// Installs a checkpointer for `writer`, the writer connection of `pool`, if the pool is
    /// in WAL mode with automatic checkpoints on; it takes over their threshold. Nil (and
    /// nothing changed) otherwise.
    static func install(on writer: Database, of pool: DatabasePool) throws -> WALCheckpointer? {
        guard let connection = writer.sqliteConnection,
              try String.fetchOne(writer, sql: "PRAGMA journal_mode") == "wal",
              let pages = try Int32.fetchOne(writer, sql: "PRAGMA wal_autocheckpoint"), pages > 0
        else { return nil }
        let checkpointer = try WALCheckpointer(path: pool.path, pages: pages)
        // The hook outlives this checkpointer (as long as the connection): it holds it weakly.
        let hook = Unmanaged.passRetained(WALHook(checkpointer: checkpointer, pages: pages))
        sqlite3_wal_hook(connection, walHook, hook.toOpaque())
        return checkpointer
    }

    /// Starts a passive checkpoint on the background connection unless one is running.
    fileprivate func request() {
        let start = lock.withLock {
            guard !running else { return false }
            running = true
            return true
        }
        guard start else { return }
        connection.asyncWriteWithoutTransaction { db in
            // Busy (another checkpoint, e.g. the writer's own) or failing: the next commit asks again.
            _ = try? db.checkpoint(.passive)
            self.lock.withLock {
                self.running = false
                self.completed += 1
            }
        }
    }
}

/// What the writer's WAL hook reaches.
private final class WALHook: @unchecked Sendable {
    weak var checkpointer: WALCheckpointer?
    let pages: Int32

    init(checkpointer: WALCheckpointer, pages: Int32) {
        self.checkpointer = checkpointer
        self.pages = pages
    }
}

/// Called by SQLite on the writer after each commit, with the pages now in the WAL.
private func walHook(
    _ context: UnsafeMutableRawPointer?, _ db: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ frames: Int32
) -> Int32 {
    guard let context else { return SQLITE_OK }
    let hook = Unmanaged<WALHook>.fromOpaque(context).takeUnretainedValue()
    guard frames >= hook.pages else { return SQLITE_OK }
    if frames < hook.pages * 8, let checkpointer = hook.checkpointer {
        checkpointer.request()
    } else {
        // What SQLite's automatic checkpoint does (its result does not concern this commit).
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
    }
    return SQLITE_OK
}
