import Catalog
import Foundation
import GRDB
import Governance
import Ledger

/// Every module's storage, opened once at start-up: what the server and the CLI hold instead
/// of a database connection.
///
/// Today one SQLite file (WAL, one GRDB `DatabasePool`) holds the catalog, the ledger and
/// governance, so one transaction can span them. The server and the CLI do not link GRDB:
/// they see the modules' own types through this, and the choice of backend is made here.
public struct Storage: Sendable {
    public let accounts: Accounts
    public let tracks: Tracks
    public let releases: Releases
    public let profiles: ArtistProfiles
    public let search: CatalogSearch
    public let jobs: JobQueue
    /// The royalty ledger (tables `ledger_...`).
    public let ledger: Ledger
    /// Members, proposals, votes and tallies (tables `governance_...`).
    public let governance: Governance
    public let playSessions: PlaySessions
    public let images: Images
    public let trackReplacement: TrackReplacement
    public let releaseUploads: ReleaseUploads
    public let browse: CatalogBrowse
    /// Listeners' favourites, follows and settings (time zone).
    public let library: Library
    public let playlists: Playlists
    public let history: ListeningHistory
    let now: @Sendable () -> Date
    /// The SQLite database behind them, for tests that look at its tables.
    package let sqlite: DatabasePool

    /// Opens (creating and migrating if needed) the SQLite database at `path`: the catalog's
    /// migrations, then the ledger's and governance's.
    /// - Parameter prepare: More set-up for every connection (tests trace statements with it).
    public static func openSQLite(
        path: String, now: @escaping @Sendable () -> Date = { Date() }, governanceRules: GovernanceRules = .standard,
        prepare: (@Sendable (Database) throws -> Void)? = nil
    ) throws -> Storage {
        let pool = try TuttiDatabase.open(path: path, others: [Ledger.registerMigrations, Governance.registerMigrations], prepare: prepare)
        return try Storage(sqlite: pool, now: now, governanceRules: governanceRules)
    }

    private init(sqlite pool: DatabasePool, now: @escaping @Sendable () -> Date, governanceRules: GovernanceRules) throws {
        sqlite = pool
        self.now = now
        accounts = Accounts(database: pool, now: now)
        tracks = Tracks(database: pool, now: now)
        releases = Releases(database: pool, now: now)
        profiles = ArtistProfiles(database: pool, now: now)
        search = CatalogSearch(database: pool)
        jobs = JobQueue(database: pool, now: now)
        ledger = try Ledger(database: pool, clock: now)
        governance = try Governance(ledger: ledger, rules: governanceRules, clock: now)
        playSessions = PlaySessions(database: pool, now: now)
        images = Images(database: pool, now: now)
        trackReplacement = TrackReplacement(database: pool, now: now)
        releaseUploads = ReleaseUploads(database: pool, now: now)
        browse = CatalogBrowse(database: pool)
        library = Library(database: pool, now: now)
        playlists = Playlists(database: pool, now: now)
        history = ListeningHistory(database: pool)
    }

    /// The listeners' app passwords, sealed with `sealer` (its key lives beside the database).
    public func appPasswords(sealer: AppPasswordSealer) -> AppPasswords {
        AppPasswords(database: sqlite, sealer: sealer, now: now)
    }

    /// Every media file the database names (originals, renditions, images), sorted by key.
    public func storedFiles() async throws -> [StoredFile] {
        try await Self.storedFiles(tracks, images)
    }

    private static func storedFiles(_ tracks: Tracks, _ images: Images) async throws -> [StoredFile] {
        (try await tracks.storedFiles() + (try await images.storedFiles())).sorted { $0.key < $1.key }
    }

    /// Answers once the database answers a read (the health check's question).
    public func checkReachable() async throws {
        try await sqlite.read { db in try db.execute(sql: "SELECT 1") }
    }

    /// Whether `error` says the disk under the database is full: the write was refused whole
    /// and the service answers 507 until space is freed.
    public static func isFull(_ error: any Error) -> Bool {
        if let error = error as? DatabaseError { return error.resultCode == .SQLITE_FULL }
        return false
    }
}

// MARK: Files that are not a running service's

extension Storage {
    /// Verifies the ledger in the database file at `path` without writing to it.
    public static func verifyLedger(atPath path: String, anchors: [ChainAnchor] = []) throws -> VerificationReport {
        var configuration = Ledger.configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        return try Ledger.verify(queue, anchors: anchors)
    }

    /// Every media file the database at `path` names (originals, renditions, images), read
    /// without writing to it, sorted by key.
    public static func storedFiles(atPath path: String) async throws -> [StoredFile] {
        var configuration = TuttiDatabase.configuration()
        configuration.readonly = true
        let pool = try DatabasePool(path: path, configuration: configuration)
        defer { try? pool.close() }
        return try await storedFiles(Tracks(database: pool, now: { Date() }), Images(database: pool, now: { Date() }))
    }

    /// Migrates the database at `path` to this version's schema (creating it if needed) and
    /// closes it: what a restored backup of an older version needs before it is verified.
    public static func migrateSQLite(path: String) throws {
        try TuttiDatabase.open(path: path, others: [Ledger.registerMigrations, Governance.registerMigrations]).close()
    }

    /// Copies the database at `source` (live or stopped) into a new file at `destination`:
    /// one consistent snapshot (see ``TuttiDatabase/backup(from:to:)``).
    public static func backup(from source: String, to destination: String) throws {
        try TuttiDatabase.backup(from: source, to: destination)
    }
}
