import Foundation
import GRDB

extension TuttiDatabase {
    /// Copies the database at `source` (live or stopped) into a new file at `destination`
    /// with SQLite's online backup API: one consistent snapshot, taken in a single read
    /// transaction, so a service that keeps committing meanwhile is neither stopped nor
    /// slowed beyond the copy's reads, and the copy holds every commit up to one moment and
    /// nothing after it. The source is opened read-only and never migrated.
    ///
    /// The copy is written with a rollback journal, synced, and left without a `-wal` file:
    /// one self-contained file. `destination` must not exist.
    package static func backup(from source: String, to destination: String) throws {
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw CocoaError(.fileWriteFileExists, userInfo: [NSFilePathErrorKey: destination])
        }
        var configuration = Self.configuration()
        configuration.readonly = true
        let reader = try DatabasePool(path: source, configuration: configuration)
        var copyConfiguration = Configuration()
        copyConfiguration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let copy = try DatabaseQueue(path: destination, configuration: copyConfiguration)
        try reader.backup(to: copy)
        try copy.writeWithoutTransaction { db in
            // The snapshot's pages carry the source's WAL mode; the copy is one file.
            try db.execute(sql: "PRAGMA journal_mode = DELETE")
        }
        try copy.close()
        try reader.close()
    }
}
