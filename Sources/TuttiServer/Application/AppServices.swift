import Catalog
import Crypto
import FoundationEssentials
import Governance
import HummingbirdBcrypt
import Ledger
import MediaStore
import NIOPosix
import TuttiStorage

/// The parts every controller shares: storage, domain services, metrics.
struct AppServices: Sendable {
    let configuration: ServerConfiguration
    /// Every module's storage (``TuttiStorage/Storage``); the fields below are its parts.
    let storage: Storage
    let accounts: Accounts
    let tracks: Tracks
    let releases: Releases
    let profiles: ArtistProfiles
    let search: CatalogSearch
    let jobs: JobQueue
    /// The royalty ledger, in the same database file (tables `ledger_...`).
    let ledger: Ledger
    /// Members, proposals, votes and tallies (tables `governance_...`); passed proposals
    /// become the ledger's pricing versions.
    let governance: Governance
    /// Wakes the proposal closer when a proposal opens (its closing time may be the next).
    let governanceSignal: JobSignal
    let playSessions: PlaySessions
    /// Signs play sessions' stream URLs.
    let urlSigner: PlayURLSigner
    let metrics: TuttiMetrics
    /// The stored files (originals, renditions) and how streaming reads them.
    let media: MediaFiles
    /// Where the files live: the data folder or a bucket (``ServerConfiguration/media``).
    var store: any MediaStore { media.store }
    let streamCatalog: StreamCatalog
    let loginLimiter: RateLimiter
    /// Play sessions opened per listener (or, anonymous, per address) and minute: each is a row.
    let playLimiter: RateLimiter
    /// Wakes the transcode runner when an upload queues a job.
    let jobSignal: JobSignal
    /// Runs CPU-heavy or blocking work (bcrypt, hashing) off the event loops.
    let threadPool: NIOThreadPool
    /// Covers and avatars: which pictures exist and which is current.
    let images: Images
    /// Renders pictures in a child process and stores their files (`images/` in the media store,
    /// local or S3).
    let imageService: ImageService
    /// New audio for a track whose processing failed.
    let trackReplacement: TrackReplacement
    /// Whole releases uploaded in one request, recorded in one transaction.
    let releaseUploads: ReleaseUploads
    /// Passwords listeners make for their Subsonic apps (secrets sealed with a key in the data folder).
    let appPasswords: AppPasswords
    /// Read-only views of the published catalog for the Subsonic API.
    let browse: CatalogBrowse
    /// Listeners' favourites, follows and settings (time zone).
    let library: Library
    let playlists: Playlists
    let history: ListeningHistory

    init(
        configuration: ServerConfiguration, storage: Storage, metrics: TuttiMetrics, store: any MediaStore,
        threadPool: NIOThreadPool = .singleton
    ) throws {
        self.configuration = configuration
        self.storage = storage
        accounts = storage.accounts
        tracks = storage.tracks
        releases = storage.releases
        profiles = storage.profiles
        search = storage.search
        jobs = storage.jobs
        ledger = storage.ledger
        governance = storage.governance
        governanceSignal = JobSignal()
        playSessions = storage.playSessions
        urlSigner = try PlayURLSigner(keyPath: configuration.urlSigningKeyPath)
        self.metrics = metrics
        media = MediaFiles(store: store, threadPool: threadPool)
        streamCatalog = StreamCatalog(tracks: tracks)
        loginLimiter = RateLimiter(attempts: configuration.loginAttempts, window: configuration.loginWindow, now: configuration.now)
        playLimiter = RateLimiter(attempts: configuration.playSessionsPerMinute, window: 60, now: configuration.now)
        jobSignal = JobSignal()
        self.threadPool = threadPool
        images = storage.images
        trackReplacement = storage.trackReplacement
        releaseUploads = storage.releaseUploads
        imageService = ImageService(configuration: configuration, store: store, images: images, metrics: metrics)
        appPasswords = storage.appPasswords(sealer: AppPasswordSealer(keyBytes: try KeyFile.loadOrCreate(configuration.appPasswordKeyPath)))
        browse = storage.browse
        library = storage.library
        playlists = storage.playlists
        history = storage.history
    }

    /// bcrypt-hashes a password on the thread pool.
    func hashPassword(_ password: String) async throws -> String {
        let cost = configuration.bcryptCost
        return try await threadPool.runIfActive { Bcrypt.hash(Self.bcryptInput(password), cost: cost) }
    }

    /// Checks a password against a bcrypt hash on the thread pool.
    func verifyPassword(_ password: String, hash: String) async throws -> Bool {
        try await threadPool.runIfActive { Bcrypt.verify(Self.bcryptInput(password), hash: hash) }
    }

    /// What bcrypt is given for a password. bcrypt reads 72 bytes at most, and passwords
    /// are up to 72 characters (code points, as the API document's maxLength counts them),
    /// which can take up to 288 bytes in UTF-8: a longer encoding is first hashed with
    /// SHA-256 (base64, 44 bytes), as passlib's bcrypt_sha256 does, so no part of it is
    /// ignored. Passwords of 72 bytes or fewer go to bcrypt as they are, as they always did,
    /// so existing hashes still verify.
    static func bcryptInput(_ password: String) -> String {
        guard password.utf8.count > 72 else { return password }
        return Data(SHA256.hash(data: Array(password.utf8))).base64EncodedString()
    }

    /// Runs a blocking ledger call (it waits for SQLite to commit and sync) on the thread pool,
    /// never on an event loop.
    func inLedger<T: Sendable>(_ body: @escaping @Sendable (Ledger) throws(LedgerError) -> T) async throws -> T {
        let ledger = self.ledger
        return try await threadPool.runIfActive { () throws -> T in try body(ledger) }
    }

    /// Absolute path of a file stored relative to the data folder.
    func path(_ relative: String) -> String { configuration.absolute(relative) }
}
