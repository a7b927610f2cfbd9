import Catalog
import Governance
import Hummingbird
import HummingbirdAuth
import Ledger
import Logging
import MediaStore
import NIOPosix
import ServiceLifecycle
import UnixSignals
import TuttiStorage

#if canImport(Glibc)
import Glibc
#endif

/// Builds Tutti's HTTP application and the services that run beside it.
public enum TuttiApplication {
    /// Prepares the data folder, opens and migrates the database, and returns the
    /// application (with the transcode runner as a service), ready to `runService()`.
    /// - Parameter demoDirectory: with a folder of audio files, an empty service is filled with
    ///   demo accounts and those files as published tracks.
    public static func build(configuration: ServerConfiguration, logger: Logger, demoDirectory: String? = nil) throws -> some ApplicationProtocol {
        try assemble(configuration: configuration, logger: logger, demoDirectory: demoDirectory).application
    }

    /// ``build(configuration:logger:demoDirectory:)``, and the services behind the application:
    /// tests reach the server's own database and ledger through them.
    /// - Parameter threadPool: runs blocking work (bcrypt, ledger commits, file opens). Tests,
    ///   which run many servers in one process, give each its own.
    static func assemble(
        configuration: ServerConfiguration, logger: Logger, demoDirectory: String? = nil, threadPool: NIOThreadPool = .singleton
    ) throws -> (application: some ApplicationProtocol, services: AppServices) {
        let (services, router) = try prepare(configuration: configuration, threadPool: threadPool)
        var app = Application(
            router: router,
            // Per connection: common audio requests answered with sendfile; Expect: 100-continue
            // answered once a handler reads the body, and unwanted bodies not read to their end;
            // the client leaving watched (metering).
            server: TuttiHTTP1Channel.builder(SendfileRoutes(services: services)),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Tutti", backlog: 4_096),
            logger: logger)
        // First, so that it stops last: it closes the store's connections once nothing uses them.
        app.addServices(MediaStoreService(services: services, logger: logger))
        if configuration.role.transcodes {
            app.addServices(TranscodeRunner(services: services, logger: logger))
        }
        app.addServices(ProposalCloser(services: services, logger: logger))
        if let demoDirectory {
            app.addServices(DemoCatalog(services: services, sourceDirectory: demoDirectory, logger: logger))
        }
        return (app, services)
    }

    /// Runs a node of role ``ServerRole/worker``: the transcode queue alone, on the shared
    /// database and media store, with no HTTP server and no scheduled work (media sweeps and
    /// the proposal closer belong to the HTTP nodes). SIGTERM or SIGINT stop it gracefully:
    /// running jobs go back to the queue. Workers hold their jobs by leases (``JobQueue``), so
    /// any number may run.
    public static func runWorker(configuration: ServerConfiguration, logger: Logger) async throws {
        var configuration = configuration
        configuration.role = .worker
        configuration.mediaSweepInterval = 0
        let (services, _) = try prepare(configuration: configuration)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [
                // First, so that it stops last: it closes the store once the transcoder is done.
                .init(service: MediaStoreService(services: services, logger: logger)),
                .init(service: TranscodeRunner(services: services, logger: logger)),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        logger.info("worker: taking transcode jobs", metadata: [
            "data": "\(configuration.dataDirectory)", "jobs": "\(configuration.jobConcurrency)",
        ])
        try await group.run()
    }

    /// The router alone (and the services behind it), for tests and the OpenAPI check.
    static func prepare(configuration: ServerConfiguration, threadPool: NIOThreadPool = .singleton) throws -> (AppServices, Router<TuttiRequestContext>) {
        try createDirectories(configuration)
        let storage = try Storage.openSQLite(
            path: configuration.databasePath, now: configuration.now,
            governanceRules: GovernanceRules(
                quorumBasisPoints: configuration.governanceQuorumBasisPoints,
                minimumVotingPeriod: configuration.governanceMinimumVotingPeriod))
        let store = try configuration.mediaLocation.makeStore(environment: configuration.mediaEnvironment)
        let services = try AppServices(configuration: configuration, storage: storage, metrics: TuttiMetrics(), store: store, threadPool: threadPool)
        return (services, router(services))
    }

    static func router(_ services: AppServices) -> Router<TuttiRequestContext> {
        // HEAD wherever there is GET (RFC 9110 §9.1: a general-purpose server supports both).
        let router = Router(context: TuttiRequestContext.self, options: .autoGenerateHeadEndpoints)
        // Outermost first: every response, errors included, gets the security headers and is
        // counted; errors become problem+json before that.
        router.addMiddleware {
            SecurityHeadersMiddleware()
            RequestMetricsMiddleware(metrics: services.metrics)
            ProblemMiddleware()
            BearerAuthenticator(accounts: services.accounts)
            ExpectContinueMiddleware()
        }
        let api = router.group("api/v1")
        let signedIn = api.group(context: SignedInContext.self)
        ServiceController(services: services).addRoutes(root: router, api: api)
        AccountsController(services: services).addRoutes(public: api, signedIn: signedIn)
        TracksController(services: services).addRoutes(public: api, signedIn: signedIn)
        ArtistsController(services: services).addRoutes(public: api, signedIn: signedIn)
        ReleasesController(services: services).addRoutes(public: api, signedIn: signedIn)
        StreamController(services: services).addRoutes(to: api)
        PlaysController(services: services).addRoutes(public: api, signedIn: signedIn)
        addMoneyRoutes(services, api: api, signedIn: signedIn)
        SplitsController(services: services).addRoutes(signedIn: signedIn)
        GovernanceController(services: services).addRoutes(public: api, signedIn: signedIn)
        ImagesController(services: services).addRoutes(public: api, signedIn: signedIn)
        ReleaseUploadController(services: services).addRoutes(public: api, signedIn: signedIn)
        DownloadsController(services: services).addRoutes(signedIn: signedIn)
        addLibraryRoutes(services, api: api, signedIn: signedIn)
        addSharingRoutes(services, root: router, api: api)
        // The OpenSubsonic API for listeners' apps (issue 18), and the app passwords they sign in with.
        AppPasswordsController(services: services).addRoutes(signedIn: signedIn)
        SubsonicController(services: services).addRoutes(root: router)
        WebController().addRoutes(root: router)
        // Last, once every route is known: they answer only what no route matched.
        router.add(middleware: MethodNotAllowedMiddleware(allowed: AllowedMethods(router.routes)))
        // Inside it: a known path asked with another method is a 405 with Allow; an unknown
        // path under /rest/ gets the Subsonic envelope's error 70.
        router.add(middleware: SubsonicFallbackMiddleware(controller: SubsonicController(services: services)))
        return router
    }

    /// Creates the data folder and its subfolders if they are missing.
    public static func createDirectories(_ configuration: ServerConfiguration) throws {
        for directory in [configuration.dataDirectory, configuration.uploadsDirectory, configuration.originalsDirectory,
                          configuration.mediaDirectory, configuration.workDirectory] {
            if mkdir(directory, 0o755) != 0 && errno != EEXIST {
                throw ChildProcessError.call("mkdir \(directory)", errno)
            }
        }
        // Partial uploads from before a crash are never going to complete.
        TranscodeRunner.removeFiles(in: configuration.uploadsDirectory)
    }
}
