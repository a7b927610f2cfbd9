import ArgumentParser
import Logging
import TuttiServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the Tutti service: HTTP API, streaming and the transcode queue.",
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

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard uploadLimitMib > 0 else { throw ValidationError("--upload-limit-mib must be positive") }
        guard jobTimeLimit > 0 else { throw ValidationError("--job-time-limit must be positive") }
        guard jobMemoryLimitMib >= 64 else { throw ValidationError("--job-memory-limit-mib must be at least 64") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    func run() async throws {
        var logger = Logger(label: "tutti")
        logger.logLevel = logLevel
        let configuration = ServerConfiguration(
            dataDirectory: data, host: host, port: port, uploadLimit: Int64(uploadLimitMib) << 20,
            jobTimeLimit: jobTimeLimit, jobMemoryLimit: Int64(jobMemoryLimitMib) << 20,
            jobConcurrency: jobs ?? ServerConfiguration.processorCount)
        let app = try TuttiApplication.build(configuration: configuration, logger: logger, demoDirectory: demo)
        try await app.runService()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
