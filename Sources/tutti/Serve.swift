import ArgumentParser
import FoundationEssentials
import Hummingbird
import Logging
import MediaStore
import TuttiServer

#if canImport(Glibc)
import Glibc
#endif

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the Tutti service: HTTP API, streaming and the transcode queue (or one of them: --role).",
        discussion: "State lives in one data folder: tutti.sqlite and the media files. SIGTERM or SIGINT stop it gracefully.")

    @Option(help: "The data folder (created if missing).")
    var data = ".tutti-data"

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 8080

    @Option(help: "Largest upload accepted, in MiB.")
    var uploadLimitMib = 1024

    @Option(help: "Time limit of one transcode, in seconds.")
    var jobTimeLimit = 1800.0

    @Option(help: "Memory (address space) limit of one transcode process, in MiB.")
    var jobMemoryLimitMib = 1024

    @Option(help: "Transcodes at once (default: one per core).")
    var jobs: Int?

    @Option(help: ArgumentHelp("Fill an empty service with demo accounts and the audio files in this folder.", valueName: "folder"))
    var demo: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(help: ArgumentHelp(
        "A file holding the payment provider's webhook signing secret (default: $TUTTI_PAYMENT_WEBHOOK_SECRET; without either, the payment webhook answers 503).",
        valueName: "path"))
    var paymentWebhookSecretFile: String?

    @Option(help: "How old a payment webhook's signed timestamp may be, in seconds.")
    var paymentWebhookTolerance = 300.0

    @Option(help: "Failed log-ins allowed per account and per address in 15 minutes.")
    var loginAttempts = 10

    @Option(help: ArgumentHelp(
        "Where originals and renditions live: a folder, or s3://BUCKET[/PREFIX]?endpoint=URL&region=REGION[&credentials-file=PATH] (credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the file, never here). Default: the data folder.",
        valueName: "location"))
    var media: String?

    @Option(help: ArgumentHelp(
        "Behind nginx with an S3 store: hand audio that needs nothing more from the node to nginx with X-Accel-Redirect: PREFIX/BUCKET/KEY?presigned-query, for an internal location proxying PREFIX/ to the store's endpoint.",
        valueName: "prefix"))
    var accelRedirect: String?

    @Option(help: "Minutes between sweeps of the media store (leftovers of interrupted writes removed, missing files reported); 0 turns it off.")
    var mediaSweepMinutes = 60.0

    @Option(help: "How long a worker's hold on a running transcode lasts unrenewed, in seconds: how soon another worker takes the job of one that died.")
    var jobLeaseSeconds = 60.0

    @Option(help: ArgumentHelp(
        "What this node runs: all (one machine alone), api (HTTP, streaming and scheduled work; uploads wait for a worker) or worker (transcodes only, no HTTP). Nodes of one service share --data and --media; any number of workers may run.",
        valueName: "role"))
    var role: ServerRole = .all

    @Option(help: "Governance: the turnout a proposal needs, in basis points of the voter roll (2000 = 20 %).")
    var governanceQuorumBp = 2_000

    @Option(help: "Governance: the shortest voting period of a proposal, in hours.")
    var governanceMinimumVotingHours = 24

    func validate() throws {
        guard (0...10_000).contains(governanceQuorumBp) else { throw ValidationError("--governance-quorum-bp must be 0 to 10000") }
        guard (0...24 * 365).contains(governanceMinimumVotingHours) else {
            throw ValidationError("--governance-minimum-voting-hours must be 0 to 8760")
        }
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard uploadLimitMib > 0 else { throw ValidationError("--upload-limit-mib must be positive") }
        guard jobTimeLimit > 0 else { throw ValidationError("--job-time-limit must be positive") }
        guard jobMemoryLimitMib >= 64 else { throw ValidationError("--job-memory-limit-mib must be at least 64") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        guard jobLeaseSeconds >= 1 else { throw ValidationError("--job-lease-seconds must be at least 1") }
        guard loginAttempts >= 1 else { throw ValidationError("--login-attempts must be at least 1") }
        guard paymentWebhookTolerance > 0 else { throw ValidationError("--payment-webhook-tolerance must be positive") }
        _ = try paymentWebhookSecret()
        _ = try mediaLocation()
        if let accelRedirect {
            guard accelRedirect.hasPrefix("/"), accelRedirect.count > 1, !accelRedirect.contains("?"), !accelRedirect.contains(where: \.isWhitespace) else {
                throw ValidationError("--accel-redirect must be a path such as /_media (an internal nginx location)")
            }
            guard case .s3 = try mediaLocation() else {
                throw ValidationError("--accel-redirect needs an S3 store (--media s3://...): a local folder is sent with sendfile")
            }
        }
        guard mediaSweepMinutes >= 0 else { throw ValidationError("--media-sweep-minutes must be 0 or more") }
        if role == .worker, demo != nil { throw ValidationError("--demo needs an HTTP node (--role all or api): a worker only transcodes") }
    }

    /// The parsed --media, nil for the data folder.
    func mediaLocation() throws -> MediaStoreLocation? {
        guard let media else { return nil }
        do {
            return try MediaStoreLocation(parsing: media)
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// The webhook secret from --payment-webhook-secret-file, else the environment; nil if neither.
    func paymentWebhookSecret() throws -> String? {
        let secret: String
        if let path = paymentWebhookSecretFile {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("--payment-webhook-secret-file: cannot read \(path)")
            }
            secret = String(decoding: data, as: UTF8.self)
        } else if let value = ProcessInfo.processInfo.environment["TUTTI_PAYMENT_WEBHOOK_SECRET"] {
            secret = value
        } else {
            return nil
        }
        let trimmed = String(secret.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        guard trimmed.utf8.count >= 16 else {
            throw ValidationError("the payment webhook secret must be at least 16 characters")
        }
        return trimmed
    }

    func run() async throws {
        // A server started by the test suite ends with it, even when the suite crashes.
        Transcode.dieWithParentIfAsked()
        var logger = Logger(label: "tutti")
        logger.logLevel = logLevel
        var configuration = ServerConfiguration(
            dataDirectory: data, host: host, port: port, uploadLimit: Int64(uploadLimitMib) << 20,
            jobTimeLimit: jobTimeLimit, jobMemoryLimit: Int64(jobMemoryLimitMib) << 20,
            jobConcurrency: jobs ?? ServerConfiguration.processorCount, loginAttempts: loginAttempts,
            paymentWebhookSecret: try paymentWebhookSecret(), paymentWebhookTolerance: paymentWebhookTolerance)
        configuration.media = try mediaLocation()
        configuration.accelRedirectPrefix = accelRedirect.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        configuration.mediaSweepInterval = mediaSweepMinutes * 60
        configuration.governanceQuorumBasisPoints = governanceQuorumBp
        configuration.governanceMinimumVotingPeriod = Int64(governanceMinimumVotingHours) * 3600
        configuration.role = role
        configuration.jobLeaseSeconds = jobLeaseSeconds
        raiseOpenFileLimit(logger: logger)
        if role == .worker {
            try await TuttiApplication.runWorker(configuration: configuration, logger: logger)
            return
        }
        let app = try TuttiApplication.build(configuration: configuration, logger: logger, demoDirectory: demo)
        try await app.runService()
    }

    /// Every connection and every cached media file holds a descriptor; the usual soft limit
    /// of 1,024 is too few for a thousand listeners, so it is raised to the hard limit.
    private func raiseOpenFileLimit(logger: Logger) {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        let previous = limit.rlim_cur
        limit.rlim_cur = limit.rlim_max
        if setrlimit(RLIMIT_NOFILE_VALUE, &limit) != 0 {
            logger.warning("could not raise the open-file limit", metadata: ["limit": "\(previous)", "error": "\(String(cString: strerror(errno)))"])
        }
    }
}

/// RLIMIT_NOFILE arrives as an enum case Swift cannot pass to setrlimit directly.
private let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)

extension Logger.Level: @retroactive ExpressibleByArgument {}
extension ServerRole: ExpressibleByArgument {}
