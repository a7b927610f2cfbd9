import Catalog
import Foundation
import GRDB
import Governance
import Ledger
import Testing
import TuttiTestSupport

/// What a restarted server does to its database before serving: the same opening as
/// `TuttiApplication` (every module's migrations, then the ledger and governance over it).
@Suite("Opening an existing database at start-up", .ownThreads)
struct DatabaseStartupTests {
    /// The statements every connection ran.
    final class Recorder: @unchecked Sendable {
        private let lock = NSLock()
        private var recorded: [String] = []
        func append(_ sql: String) { lock.withLock { recorded.append(sql) } }
        var statements: [String] { lock.withLock { recorded } }
    }

    /// Opens the file as the server does, with every statement any connection runs recorded.
    static func start(_ path: String, statements: Recorder) throws -> (DatabasePool, Governance) {
        let database = try TuttiDatabase.open(path: path, others: [Ledger.registerMigrations, Governance.registerMigrations]) { db in
            db.trace(options: .statement) { event in
                if case .statement(let statement) = event { statements.append(statement.sql) }
            }
        }
        let governance = try Governance(ledger: Ledger(database: database))
        return (database, governance)
    }

    /// Frames in the log: a commit that changed anything leaves some.
    static func logFrames(_ database: DatabasePool) throws -> Int {
        try database.writeWithoutTransaction { db in
            // (busy, frames in the log, frames copied): PASSIVE copies, it never empties the log.
            try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)")?[1] ?? -1
        }
    }

    @Test("a second open of a migrated database creates, drops or rebuilds no index")
    func secondOpenBuildsNothing() async throws {
        let path = Fixtures.scratch().appendingPathComponent("tutti.sqlite").path
        let first = Recorder()
        let (database, governance) = try Self.start(path, statements: first)
        // Some content, so that an index rebuild would have rows to go through.
        try governance.ledger.topUp(transferID: "pay-1", user: "lena", amount: 10_000)
        _ = try await governance.ledger.chargePlay(
            PlayChargeRequest(playID: "p1", listenerID: "lena", artistID: "ari", trackID: "song", at: Date()))
        // The first open did create the indexes: the trace sees them.
        #expect(first.statements.contains { $0.contains("CREATE INDEX ledger_plays_listener") })
        try database.close()
        // Whatever the first run left in the log is copied and the log emptied, so that any
        // frame found after the second open is the second open's.
        let emptying = try DatabaseQueue(path: path)
        try await emptying.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try emptying.close()

        let second = Recorder()
        let (reopened, _) = try Self.start(path, statements: second)
        let building = second.statements.filter { sql in
            let words = sql.uppercased()
            // GRDB's pool creates and drops this table when it finds the log empty, so that the
            // log exists before its readers open (GRDB issue 102); it builds no index.
            if words.contains("GRDB_ISSUE_102") { return false }
            return ["CREATE INDEX", "CREATE UNIQUE INDEX", "REINDEX", "DROP INDEX", "ANALYZE", "VACUUM", "CREATE TABLE ", "ALTER TABLE"]
                .contains { words.contains($0) && !words.contains("IF NOT EXISTS") }
        }
        #expect(building.isEmpty, "statements run by the second open: \(building)")
        #expect(!second.statements.isEmpty, "the trace saw the second open's statements")
        // At most GRDB's table above: its creation and removal touch the schema page and the
        // table's root page. Rebuilding the indexes would write every page of each.
        let frames = try Self.logFrames(reopened)
        #expect(frames <= 3, "the second open committed changes (\(frames) log frames); it ran: \(second.statements)")
        try reopened.close()
    }
}
