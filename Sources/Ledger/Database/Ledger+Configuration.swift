import GRDB

extension Ledger {
    /// Adds the ledger's migrations (named `ledger-...`, tables `ledger_...`) to `migrator`.
    /// Migration 1 creates the cooperative's accounts and pricing version 1 (the defaults).
    package static func registerMigrations(_ migrator: inout DatabaseMigrator) {
        LedgerSchema.register(&migrator)
        LedgerSchema.registerSplits(&migrator)
    }

    /// A configuration for the database the ledger lives in: see ``prepare(_:)``.
    package static func configuration() -> Configuration {
        var configuration = Configuration()
        prepare(&configuration)
        return configuration
    }

    /// Makes `configuration` fit for money: foreign keys on, a 10 s busy timeout (other
    /// processes, e.g. `tutti ledger verify`, may hold the file briefly), and on every
    /// connection `PRAGMA synchronous = FULL`, so every commit is on disk before it returns
    /// (throughput comes from committing many plays per transaction, not from weaker syncs),
    /// and `temp_store = MEMORY` (see ``configureWriter(_:)``).
    ///
    /// A `DatabasePool` resets its writer to `synchronous = NORMAL` after this runs; the
    /// `Ledger` initialiser sets `FULL` again on the writer and checks it.
    package static func prepare(_ configuration: inout Configuration) {
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
    }

    /// Sets the writer connection up for the ledger, whoever configured it:
    /// - `synchronous = FULL` (2) unless already FULL or EXTRA (3), checked afterwards;
    /// - `temp_store = MEMORY`: a savepoint's undo journal (one per play in a group commit)
    ///   stays in memory instead of spilling to a temporary file once it passes 64 KiB,
    ///   which cost ~20 page writes per play. It only ever undoes a savepoint inside an open
    ///   transaction; crash recovery uses the WAL, so durability is unchanged.
    static func configureWriter(_ db: Database) throws {
        let current = try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? 0
        if current < 2 {
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let level = try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? 0
        guard level >= 2 else { throw LedgerError.database("PRAGMA synchronous is \(level), the ledger needs FULL (2)") }
        try db.execute(sql: "PRAGMA temp_store = MEMORY")
    }

    /// The durability settings of the writer connection, as SQLite reports them.
    public func durabilitySettings() throws(LedgerError) -> [String: String] {
        do {
            return try database.writeWithoutTransaction { db in
                var settings: [String: String] = [:]
                for pragma in ["journal_mode", "synchronous", "wal_autocheckpoint", "busy_timeout", "foreign_keys", "temp_store"] {
                    switch try DatabaseValue.fetchOne(db, sql: "PRAGMA \(pragma)")?.storage {
                    case .int64(let value): settings[pragma] = String(value)
                    case .string(let value): settings[pragma] = value
                    default: settings[pragma] = "?"
                    }
                }
                return settings
            }
        } catch {
            throw LedgerError(wrapping: error)
        }
    }
}
