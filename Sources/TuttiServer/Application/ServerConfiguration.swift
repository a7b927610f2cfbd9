import FoundationEssentials
import MediaStore

/// Everything `tutti serve` can be told; the defaults are the embedded set-up `make run` uses.
public struct ServerConfiguration: Sendable {
    /// Holds the database (`tutti.sqlite`) and media files named by server-generated ids.
    public var dataDirectory: String
    public var host: String
    /// 0 picks a free port (tests).
    public var port: Int
    /// Largest upload accepted, in bytes.
    public var uploadLimit: Int64
    /// Wall-clock limit of one transcode, in seconds.
    public var jobTimeLimit: Double
    /// Address-space limit of one transcoder process, in bytes.
    public var jobMemoryLimit: Int64
    /// Transcodes run at once; default one per core.
    public var jobConcurrency: Int
    /// The program run for each job with `transcode` arguments (default: this executable).
    public var transcoderExecutable: String
    /// bcrypt cost for new passwords (12 in service; tests lower it).
    public var bcryptCost: UInt8
    /// How long a bearer token lives, in seconds.
    public var tokenLifetime: Double
    /// Failed log-ins allowed per account and per address within `loginWindow` seconds.
    public var loginAttempts: Int
    public var loginWindow: Double
    /// The shared secret the payment provider signs its webhooks with (HMAC-SHA256); nil
    /// turns `POST /api/v1/payments/webhook` off (503).
    public var paymentWebhookSecret: String?
    /// How far a webhook's signed timestamp may lie from `now`, in seconds: older (or
    /// later) deliveries are refused, so a captured one cannot be replayed later.
    public var paymentWebhookTolerance: Double
    /// How long a play session's signed stream URLs stay valid, in seconds.
    public var playSessionLifetime: Double
    /// Play sessions one listener (or one address, signed out) may open per minute.
    public var playSessionsPerMinute: Int
    /// Requests that start within this many bytes of a rendition's end are served to
    /// uncounted sessions without counting: demuxers (ffmpeg, Chromium, Firefox) read the
    /// last ~64 KiB of an Ogg file to learn its duration before playing. 0 turns it off.
    /// Chromium rounds that read down to its 32 KiB cache blocks (seen in the browser tests:
    /// `bytes=1245184-` of a 1,339,947-byte file, 94,763 bytes from the end), so the default
    /// is 64 + 32 KiB; with 64 KiB every Chromium listener was charged on pressing play.
    public var tailProbeBytes: Int64
    /// The clock everything dated reads; tests inject their own.
    public var now: @Sendable () -> Date
    /// Suspends until `now()` has reached a date (or the task is cancelled): how a stream
    /// waits out the preview. Tests inject one that follows their clock.
    public var waitUntil: @Sendable (Date) async throws -> Void
    /// Where originals and renditions are kept (`--media`): nil for the data folder itself
    /// (the default: files sent with `sendfile`), or another folder, or an S3-compatible
    /// bucket (objects proxied with Range, or handed to nginx, see `accelRedirectPrefix`).
    public var media: MediaStoreLocation?
    /// The environment S3 credentials are read from (`AWS_ACCESS_KEY_ID`...) when the
    /// location names no credentials file.
    public var mediaEnvironment: [String: String] = ProcessInfo.processInfo.environment
    /// With a remote store behind nginx (`--accel-redirect PREFIX`): audio whose bytes need
    /// nothing more from the node is answered with `X-Accel-Redirect: PREFIX/BUCKET/KEY?presigned`,
    /// for an `internal` nginx location that proxies PREFIX to the store. nil: the node proxies.
    public var accelRedirectPrefix: String?
    /// Seconds between sweeps of the media store (orphaned and stale staged objects, missing
    /// ones reported); 0 turns the sweeper off.
    public var mediaSweepInterval: Double = 3_600
    /// What this node runs (``ServerRole``); `all` for one machine alone.
    public var role: ServerRole = .all
    /// How long a worker's hold on a running transcode lasts without being renewed, in
    /// seconds (it renews it every quarter of that while the job runs): the longest a job of a
    /// worker that died waits before another worker takes it.
    public var jobLeaseSeconds: Double = 60
    /// How old an object no row names must be before a sweep removes it, in seconds.
    public var mediaSweepMinimumAge: Double = 3_600
    /// Governance: the turnout a proposal needs (votes cast, abstentions included, over the
    /// roll), in basis points; 2,000 = 20 %. Recorded on each proposal when it opens.
    public var governanceQuorumBasisPoints: Int = 2_000
    /// Governance: the shortest voting period a proposal may have, in seconds (24 h).
    public var governanceMinimumVotingPeriod: Int64 = 24 * 3600

    public init(
        dataDirectory: String = ".tutti-data",
        host: String = "127.0.0.1",
        port: Int = 8080,
        uploadLimit: Int64 = 1 << 30,
        jobTimeLimit: Double = 30 * 60,
        jobMemoryLimit: Int64 = 1 << 30,
        jobConcurrency: Int = ServerConfiguration.processorCount,
        transcoderExecutable: String = ServerConfiguration.currentExecutable,
        bcryptCost: UInt8 = 12,
        tokenLifetime: Double = 30 * 24 * 3600,
        loginAttempts: Int = 10,
        loginWindow: Double = 15 * 60,
        paymentWebhookSecret: String? = nil,
        paymentWebhookTolerance: Double = 300,
        playSessionLifetime: Double = 6 * 3600,
        playSessionsPerMinute: Int = 120,
        tailProbeBytes: Int64 = 98_304,
        now: @escaping @Sendable () -> Date = { Date() },
        waitUntil: @escaping @Sendable (Date) async throws -> Void = ServerConfiguration.sleepUntil
    ) {
        self.dataDirectory = dataDirectory
        self.host = host
        self.port = port
        self.uploadLimit = uploadLimit
        self.jobTimeLimit = jobTimeLimit
        self.jobMemoryLimit = jobMemoryLimit
        self.jobConcurrency = max(1, jobConcurrency)
        self.transcoderExecutable = transcoderExecutable
        self.bcryptCost = bcryptCost
        self.tokenLifetime = tokenLifetime
        self.loginAttempts = loginAttempts
        self.loginWindow = loginWindow
        self.paymentWebhookSecret = paymentWebhookSecret
        self.paymentWebhookTolerance = paymentWebhookTolerance
        self.playSessionLifetime = playSessionLifetime
        self.playSessionsPerMinute = max(1, playSessionsPerMinute)
        self.tailProbeBytes = tailProbeBytes
        self.now = now
        self.waitUntil = waitUntil
    }

    /// Sleeps until the system clock reaches `date`.
    @Sendable public static func sleepUntil(_ date: Date) async throws {
        while true {
            let remaining = date.timeIntervalSinceNow
            guard remaining > 0 else { return }
            try await Task.sleep(for: .milliseconds(Int64((remaining * 1000).rounded(.up))))
        }
    }

    public static var processorCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// This process's executable, so the server runs its own `tutti transcode`.
    public static var currentExecutable: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return length > 0 ? String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "tutti"
    }

    /// Where things live inside `dataDirectory`.
    public var databasePath: String { dataDirectory + "/tutti.sqlite" }
    public var uploadsDirectory: String { dataDirectory + "/uploads" }
    public var originalsDirectory: String { dataDirectory + "/originals" }
    public var mediaDirectory: String { dataDirectory + "/media" }
    public var workDirectory: String { dataDirectory + "/work" }
    /// The key that signs play sessions' stream URLs (created at first start, mode 0600).
    public var urlSigningKeyPath: String { dataDirectory + "/url-signing.key" }
    /// The key that seals app passwords' secrets in the database (AES-GCM): without it, a copy
    /// of the database does not reveal them.
    public var appPasswordKeyPath: String { dataDirectory + "/app-passwords.key" }

    /// The media store's location: ``media``, or the data folder.
    public var mediaLocation: MediaStoreLocation { media ?? .local(path: dataDirectory) }

    /// Absolute path of a file stored relative to the data folder.
    public func absolute(_ relative: String) -> String { dataDirectory + "/" + relative }
}

#if canImport(Glibc)
import Glibc
#endif

/// What one node runs, when several share the database and the media store (`tutti serve
/// --role`): the HTTP nodes apart from the transcoding ones, so that a long transcode never
/// takes a core from listeners and workers can be added where the CPU is.
public enum ServerRole: String, CaseIterable, Sendable {
    /// Everything: the HTTP API and streaming, the transcode queue, and the scheduled work
    /// (the proposal closer, media sweeps). One machine alone.
    case all
    /// The HTTP API and streaming and the scheduled work, no transcodes: uploads wait in the
    /// shared queue until a worker takes them.
    case api
    /// Transcodes only: takes jobs from the shared queue; no HTTP, no scheduled work.
    case worker

    /// Whether this node takes transcode jobs.
    public var transcodes: Bool { self != .api }
    /// Whether this node answers HTTP and runs the scheduled work.
    public var servesHTTP: Bool { self != .worker }
}
