import Catalog
import Foundation
import GRDB
import Ledger

/// The database `tutti ledger bench` charges plays into: the ledger's tables alone, or with the
/// catalog's when plays go through play sessions as the server's do.
public struct LedgerBenchDatabase: Sendable {
    public let ledger: Ledger
    let database: any DatabaseWriter

    /// Opens (creating and migrating) the database at `path`; the ledger's options are
    /// ``Ledger/init(database:clock:maximumPlaysPerCommit:syncsPlaysOffWriter:logPagesBeforeRestart:backgroundCheckpointPages:)``'s.
    public static func open(
        path: String, withCatalog: Bool, syncsPlaysOffWriter: Bool, logPagesBeforeRestart: Int, backgroundCheckpointPages: Int?
    ) throws -> LedgerBenchDatabase {
        let database: any DatabaseWriter = withCatalog
            ? try TuttiDatabase.open(path: path, others: [Ledger.registerMigrations]) : try Ledger.openDatabase(path: path)
        let ledger = try Ledger(
            database: database, syncsPlaysOffWriter: syncsPlaysOffWriter, logPagesBeforeRestart: logPagesBeforeRestart,
            backgroundCheckpointPages: backgroundCheckpointPages)
        return LedgerBenchDatabase(ledger: ledger, database: database)
    }

    /// Installs SQLite's own checkpoints (`wal_autocheckpoint = 1000`) on the writer in place of
    /// the ledger's.
    public func useSQLiteCheckpoints() async throws {
        try await database.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_autocheckpoint = 1000") }
    }

    /// Users and tracks for the plays' sessions to refer to, written directly (no passwords
    /// to hash, no audio to transcode): the bench measures the sessions' writes, not sign-up.
    /// Needs the catalog's tables (`withCatalog`).
    public func sessionCatalog(listeners: [String], artists: [String], tracks: [String]) async throws -> PlaySessions {
        try await database.write { db in
            let now = Date()
            for (role, ids) in [("listener", listeners), ("artist", artists)] {
                for id in ids {
                    try db.execute(
                        sql: "INSERT INTO users (id, username, displayName, passwordHash, role, createdAt) VALUES (?, ?, ?, '-', ?, ?)",
                        arguments: [id, "bench-\(id)", "bench", role, now])
                }
            }
            for (index, id) in tracks.enumerated() {
                let track = Track.record(id: id, artistID: artists[index % artists.count], title: "bench", status: .ready,
                                         published: true, originalPath: "-", at: now)
                _ = try Tracks.insert(track, placement: .single, now: now, db)
            }
        }
        return PlaySessions(database: database, now: { Date() })
    }

    /// The version of SQLite the database runs on.
    public func sqliteVersion() async throws -> String {
        try await database.read { db in try String.fetchOne(db, sql: "SELECT sqlite_version()") } ?? "?"
    }
}
