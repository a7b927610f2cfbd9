import GRDB

/// Opens Tutti's one SQLite database (WAL, through one `DatabasePool`) and migrates it.
///
/// Every module that keeps state registers its migrations here, so one file holds the
/// catalog and the ledger and one transaction can span both.
package enum TuttiDatabase {
    /// A migration registrar of one module, e.g. `Ledger.registerMigrations`.
    package typealias Migrations = (inout DatabaseMigrator) -> Void

    /// Opens (creating if needed) the database at `path`, applying `Catalog`'s migrations and
    /// then `others` in order.
    ///
    /// Opening a database that is already migrated writes nothing: the migrator only reads
    /// which migrations ran, and no index is created or rebuilt.
    ///
    /// - Parameter prepare: More set-up for every connection, after the service's own
    ///   (tests use it to trace the statements an open runs).
    package static func open(
        path: String, others: [Migrations] = [], prepare: (@Sendable (Database) throws -> Void)? = nil
    ) throws -> DatabasePool {
        var configuration = configuration()
        if let prepare { configuration.prepareDatabase(prepare) }
        let pool = try DatabasePool(path: path, configuration: configuration)
        // DatabasePool sets synchronous=NORMAL on its writer after prepareDatabase runs;
        // money needs FULL, so set it again on the one connection that writes.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        try migrator(others: others).migrate(pool)
        return pool
    }

    /// `Catalog`'s migrations, then `others`, in order. With `catalogThrough`, the catalog's
    /// stop at that migration: the schema of an older release, for migration tests.
    package static func migrator(others: [Migrations] = [], catalogThrough last: String? = nil) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        CatalogMigrations.register(&migrator, through: last)
        for register in others { register(&migrator) }
        return migrator
    }

    /// Full durability (money lives here): every commit is on disk when it returns;
    /// throughput comes from committing many changes per transaction, not weaker syncs.
    package static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        return configuration
    }
}
