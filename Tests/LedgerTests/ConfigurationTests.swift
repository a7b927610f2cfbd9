import Foundation
import GRDB
import Ledger
import Testing
import TuttiTestSupport

@Suite("Durability settings", .ownThreads)
struct ConfigurationTests {
    @Test("a DatabasePool resets its writer to synchronous=NORMAL after prepareDatabase; Ledger.init makes it FULL again")
    func synchronousFull() throws {
        let path = Fixtures.scratch().appendingPathComponent("shared.sqlite").path
        let pool = try DatabasePool(path: path, configuration: Ledger.configuration())
        var migrator = DatabaseMigrator()
        Ledger.registerMigrations(&migrator)
        try migrator.migrate(pool)
        // What GRDB 7 does: `PRAGMA synchronous = NORMAL` when it switches the pool to WAL,
        // after the configuration's prepareDatabase ran. Any pool, the server's included.
        #expect(try pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 1)
        let ledger = try Ledger(database: pool)
        #expect(try pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 2)
        let settings = try ledger.durabilitySettings()
        #expect(settings["synchronous"] == "2")
        #expect(settings["journal_mode"] == "wal")
        #expect(settings["foreign_keys"] == "1")
        #expect(settings["temp_store"] == "2")
    }

    @Test("a database without the ledger's migrations is refused")
    func missingMigrations() throws {
        let path = Fixtures.scratch().appendingPathComponent("empty.sqlite").path
        let pool = try DatabasePool(path: path, configuration: Ledger.configuration())
        #expect {
            try Ledger(database: pool)
        } throws: { error in
            guard case .database(let detail) = error as? LedgerError else { return false }
            return detail.contains("registerMigrations")
        }
    }

    @Test("the ledger lives beside other modules' tables: only ledger- migrations and ledger_ tables")
    func namespaced() throws {
        let fixture = try LedgerFixture()
        let (tables, migrations) = try fixture.pool.read { db in
            (try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'grdb_migrations'"),
             try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations"))
        }
        #expect(!tables.isEmpty && tables.allSatisfy { $0.hasPrefix("ledger_") })
        #expect(!migrations.isEmpty && migrations.allSatisfy { $0.hasPrefix("ledger-") })
    }
}
