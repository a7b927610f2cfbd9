import Logging
import PostgresNIO

/// Versioned schema changes on PostgreSQL: each named migration runs once, in its own
/// transaction, recorded in `tutti_migrations`. Nodes that start together take turns on a
/// transaction-level advisory lock, so a migration never runs twice.
///
/// Names follow the SQLite migrations' (`ledger-1-...`) so both backends say which version
/// of each module's schema they hold in the same words.
public struct PostgresMigrator: Sendable {
    public struct Migration: Sendable {
        public let name: String
        /// Statements run in order (one statement per element: PostgreSQL's extended
        /// protocol takes one at a time).
        public let statements: [String]
    }

    /// The advisory lock key held while migrating ("tutti-migrate" in ASCII, truncated).
    static let lockKey: Int64 = 0x7475_7474_692d_6d69

    public private(set) var migrations: [Migration] = []

    public init() {}

    public mutating func register(_ name: String, _ statements: [String]) {
        precondition(!migrations.contains { $0.name == name }, "migration \(name) registered twice")
        migrations.append(Migration(name: name, statements: statements))
    }

    /// Applies the migrations not yet applied, in order; returns the names it applied.
    /// - Throws: ``PostgresStorageError`` naming the migration and what PostgreSQL said.
    @discardableResult
    public func migrate(_ client: PostgresClient, logger: Logger) async throws -> [String] {
        var applied: [String] = []
        for migration in migrations {
            do {
                let ran = try await client.withTransaction(logger: logger) { connection -> Bool in
                    // Under the lock, the record table too: two nodes creating it at once
                    // would collide in PostgreSQL's catalog.
                    try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger)
                    try await connection.query("""
                        CREATE TABLE IF NOT EXISTS tutti_migrations (
                            name TEXT PRIMARY KEY,
                            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                        )
                        """, logger: logger)
                    let done = try await connection.query("SELECT 1 FROM tutti_migrations WHERE name = \(migration.name)", logger: logger)
                    for try await _ in done { return false }
                    for statement in migration.statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query("INSERT INTO tutti_migrations (name) VALUES (\(migration.name))", logger: logger)
                    return true
                }
                if ran { applied.append(migration.name) }
            } catch {
                throw PostgresStorageError(description: "migration \(migration.name) failed: \(PostgresStorageError.describe(error))")
            }
        }
        return applied
    }
}

/// A failure of the PostgreSQL backend outside a module's own errors (migrations, set-up).
public struct PostgresStorageError: Error, CustomStringConvertible {
    public let description: String

    /// What a database error says, with the server's message when it sent one
    /// (postgres-nio's own description hides it).
    static func describe(_ error: any Error) -> String {
        if let error = error as? PostgresTransactionError {
            return describe(error.closureError ?? error.commitError ?? error.beginError ?? error.rollbackError ?? error)
        }
        if let error = error as? PSQLError {
            let message = error.serverInfo?[.message] ?? "\(error.code)"
            let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return "PostgreSQL: \(message)\(state)"
        }
        return String(describing: error)
    }
}
