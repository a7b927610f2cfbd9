import FoundationEssentials

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
    /// The clock everything dated reads; tests inject their own.
    public var now: @Sendable () -> Date

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
        now: @escaping @Sendable () -> Date = { Date() }
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
        self.now = now
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

    /// Absolute path of a file stored relative to the data folder.
    public func absolute(_ relative: String) -> String { dataDirectory + "/" + relative }
}

#if canImport(Glibc)
import Glibc
#endif
