import Dispatch
import GRDB
import GRDBSQLite
import Synchronization

/// Checkpoints the write-ahead log on a connection and a thread of its own, so that the
/// writer does not stop between group commits to copy pages into the database file and
/// sync it.
///
/// SQLite's automatic checkpoint runs on the connection that commits, right after the
/// commit that takes the log past 1,000 pages: every few commits the writer spends several
/// milliseconds copying, and every play waiting for the next commit waits that long too. In
/// its place this installs a WAL hook on the writer that only wakes a background queue once
/// the log passes ``backgroundPages``; there a passive checkpoint copies what the log holds
/// while the writer goes on committing (a passive checkpoint takes no lock the writer or a
/// reader waits for).
///
/// A passive checkpoint cannot restart the log while the writer keeps appending to it, so
/// the log can grow while commits follow each other without a pause. Once it passes
/// ``writerPages`` the background runs back to back, and the writer checkpoints itself as
/// soon as no more than ``writerTail`` frames are left to copy (or, whatever is left, once
/// the log reaches twice ``writerPages``); the next commit then starts the log again from
/// its beginning. So the log holds at most about twice ``writerPages`` pages plus one commit
/// (with the default 4,096-page limit and 4 KiB pages: 8,192 pages, 33 MiB), unless a reader
/// keeps an old snapshot open, which stops any checkpoint from restarting the log; and
/// `journal_size_limit` truncates the file back to that bound after it has been restarted
/// (SQLite otherwise keeps the file at the largest size it ever reached). Nothing about durability changes: a commit is synced to the log before it
/// returns either way, and a checkpoint only moves synced pages into the database file.
final class WALCheckpointer: Sendable {
    /// Log size (pages) at which a commit wakes the background checkpoint; SQLite's own
    /// automatic checkpoint uses the same.
    let backgroundPages: Int32
    /// Log size (pages) from which the writer checkpoints itself.
    let writerPages: Int32
    /// The most frames the writer's own checkpoint leaves to copy, unless the log has grown
    /// to twice ``writerPages``: the writer waits until the background checkpoint has just
    /// copied the rest, so that its own costs two syncs and little copying.
    let writerTail: Int32
    private let path: String
    private let queue = DispatchQueue(label: "tutti.ledger.wal-checkpoint")
    /// True from waking the background checkpoint until it has finished.
    private let scheduled = Atomic<Bool>(false)
    /// How many frames of the log the last checkpoint had copied: the next background one
    /// waits for ``backgroundPages`` new frames beyond them, not for every commit (each
    /// checkpoint syncs twice, which slows the writer's own syncs).
    private let copiedFrames = Atomic<Int32>(0)
    /// The log's size after the last commit; only the writer reads and writes it.
    private let logPages = Atomic<Int32>(0)
    private let counts = Mutex(CheckpointStatistics())

    /// The log size (pages) from which the writer checkpoints itself, unless told otherwise.
    static let defaultWriterPages: Int32 = 4_096

    init(path: String, backgroundPages: Int32 = 1_000, writerPages: Int32 = defaultWriterPages, writerTail: Int32 = 256) {
        precondition(backgroundPages >= 1 && writerPages > backgroundPages && writerTail >= 1)
        self.path = path
        self.backgroundPages = backgroundPages
        self.writerPages = writerPages
        self.writerTail = writerTail
    }

    /// Installs a checkpointer on `db`, the writer connection, in place of SQLite's
    /// automatic checkpoint, if the database is a file in WAL mode; otherwise leaves it
    /// unchanged and returns nil. A checkpointer installed before on the same connection
    /// (by another `Ledger` over the same pool) is replaced. Sets the connection's
    /// `journal_size_limit` to the log's bound (twice `writerPages` and one large commit).
    static func install(
        on db: Database, backgroundPages: Int32 = 1_000, writerPages: Int32 = defaultWriterPages, writerTail: Int32 = 256
    ) throws -> WALCheckpointer? {
        guard let connection = db.sqliteConnection,
              try String.fetchOne(db, sql: "PRAGMA journal_mode")?.lowercased() == "wal",
              let file = sqlite3_db_filename(connection, "main"), file.pointee != 0
        else { return nil }
        let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4_096
        // A log frame is a page and a 24-byte header; the log file has a 32-byte header.
        let bound = (2 * Int(writerPages) + 1_024) * (pageSize + 24) + 32
        try db.execute(sql: "PRAGMA journal_size_limit = \(bound)")
        let checkpointer = WALCheckpointer(
            path: String(cString: file), backgroundPages: backgroundPages, writerPages: writerPages, writerTail: writerTail)
        let context = Unmanaged.passRetained(checkpointer).toOpaque()
        // The hook holds the checkpointer for as long as the connection has it installed.
        installed.withLock { _ = $0.insert(UInt(bitPattern: context)) }
        let previous = sqlite3_wal_hook(connection, walHook, context)
        if let previous, installed.withLock({ $0.remove(UInt(bitPattern: previous)) != nil }) {
            Unmanaged<WALCheckpointer>.fromOpaque(previous).release()
        }
        return checkpointer
    }

    /// The contexts of the hooks installed by ``install(on:)`` and not yet replaced. Any
    /// other context (SQLite's automatic checkpoint passes its page count) is not ours to
    /// release.
    private static let installed = Mutex<Set<UInt>>([])

    /// Called by SQLite on the writer after each commit, with the log's size in pages.
    fileprivate func committed(_ connection: OpaquePointer, database: UnsafePointer<CChar>?, pages: Int32) -> Int32 {
        let before = logPages.exchange(pages, ordering: .relaxed)
        counts.withLock {
            if pages < before { $0.logRestarts += 1 }
            $0.largestLog = max($0.largestLog, Int(pages))
        }
        let copied = copiedFrames.load(ordering: .relaxed)
        // Fewer pages than copied: the log has started again from its beginning.
        let fresh = pages >= copied ? pages - copied : pages
        if pages >= writerPages, fresh <= writerTail || pages >= 2 * writerPages {
            var copied: Int32 = 0
            let code = sqlite3_wal_checkpoint_v2(connection, database, SQLITE_CHECKPOINT_PASSIVE, nil, &copied)
            if code == SQLITE_OK { copiedFrames.store(max(copied, 0), ordering: .relaxed) }
            // Busy: the background checkpoint is running; the next commit tries again.
            counts.withLock { code == SQLITE_OK ? ($0.writer += 1) : (code == SQLITE_BUSY ? () : ($0.failed += 1)) }
        } else if fresh >= backgroundPages || pages >= writerPages,
                  !scheduled.exchange(true, ordering: .acquiringAndReleasing) {
            // Past the writer's limit the background runs again as soon as it has finished,
            // so that soon after one of its runs little is left for the writer to copy.
            queue.async { self.checkpointInBackground() }
        }
        // A failed checkpoint does not fail the commit that woke it: the commit is durable.
        return SQLITE_OK
    }

    /// A passive checkpoint on a connection opened for it and closed afterwards.
    private func checkpointInBackground() {
        defer { scheduled.store(false, ordering: .releasing) }
        var connection: OpaquePointer?
        defer { sqlite3_close_v2(connection) }
        // A new connection syncs the log before copying and the database file after, at any
        // `synchronous` but OFF (which it does not have); setting it would load the schema.
        var code = sqlite3_open_v2(path, &connection, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil)
        if code == SQLITE_OK {
            // A connection learns that the database is in WAL mode when it first reads it; until
            // then a checkpoint does nothing. This reads the header only, not the schema.
            code = sqlite3_exec(connection, "PRAGMA schema_version", nil, nil, nil)
        }
        var copied: Int32 = 0
        if code == SQLITE_OK {
            code = sqlite3_wal_checkpoint_v2(connection, "main", SQLITE_CHECKPOINT_PASSIVE, nil, &copied)
        }
        if code == SQLITE_OK { copiedFrames.store(max(copied, 0), ordering: .relaxed) }
        counts.withLock { code == SQLITE_OK ? ($0.background += 1) : (code == SQLITE_BUSY ? () : ($0.failed += 1)) }
    }

    var statistics: CheckpointStatistics { counts.withLock { $0 } }
}

/// What a ledger's ``WALCheckpointer`` has done so far.
public struct CheckpointStatistics: Sendable, Equatable, Encodable {
    /// Checkpoints run off the writer.
    public var background = 0
    /// Checkpoints the writer ran itself because the log grew past its limit.
    public var writer = 0
    /// Checkpoints that failed (with an error other than busy); the log keeps its pages and
    /// a later checkpoint copies them.
    public var failed = 0
    /// Times the log started again from its beginning.
    public var logRestarts = 0
    /// The most pages the log held after a commit.
    public var largestLog = 0

    /// Nothing done yet.
    public init() {}
}

/// SQLite's WAL hook: the context is the retained ``WALCheckpointer`` of ``WALCheckpointer/install(on:)``.
private let walHook: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32 = {
    context, connection, database, pages in
    guard let context, let connection else { return SQLITE_OK }
    return Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue()
        .committed(connection, database: database, pages: pages)
}
