import Catalog
import Foundation
import GRDB
import Testing
import TuttiTestSupport

@Suite("The database file", .ownThreads)
struct DatabaseTests {
    @Test("the writer commits with synchronous=FULL in WAL mode, foreign keys on")
    func durability() throws {
        let pool = try TuttiDatabase.open(path: Fixtures.scratch().appendingPathComponent("t.sqlite").path)
        let (synchronous, journal, foreignKeys) = try pool.writeWithoutTransaction { db in
            (try Int.fetchOne(db, sql: "PRAGMA synchronous"), try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA foreign_keys"))
        }
        #expect(synchronous == 2)
        #expect(journal == "wal")
        #expect(foreignKeys == 1)
    }
}
