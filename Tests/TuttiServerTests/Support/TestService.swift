import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ledger
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing
@testable import TuttiServer
import TuttiTestSupport

/// A Tutti service on a fresh data folder, for one test.
///
/// Many of these run at once in one process on two cores, so each keeps to what one server
/// has in production: its own pool of threads for blocking work (bcrypt, ledger commits)
/// rather than the process-wide one, and one transcode at a time (tests that are about
/// transcoding say so). Tests reach its database and ledger through the server's own
/// (``TestAPI/services``), never by opening the file a second time.
struct TestService {
    var configuration: ServerConfiguration
    var logger: Logger
    /// A transcode's wall-clock limit, in seconds: a limit for a child that hangs, far beyond
    /// what a transcode takes even when the suite's many transcodes share two busy cores.
    static let jobTimeLimit = Double(Deadline.long.components.seconds)

    /// The services of the server while ``run(_:)`` runs it (nil before and after).
    let running = RunningServer()

    init(transcoder: String = Fixtures.tuttiExecutable, configure: (inout ServerConfiguration) -> Void = { _ in }) {
        let folder = Fixtures.scratch("service")
        configuration = ServerConfiguration(
            dataDirectory: folder.path, host: "127.0.0.1", port: 0, uploadLimit: 64 << 20,
            jobTimeLimit: Self.jobTimeLimit, jobConcurrency: 1, transcoderExecutable: transcoder, bcryptCost: 4)
        configure(&configuration)
        logger = Logger(label: "tutti-test")
        logger.logLevel = ProcessInfo.processInfo.environment["TUTTI_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .critical
    }

    /// Runs the service over live HTTP on loopback for the length of `body`. When it returns,
    /// the server has stopped and every request it was handling has finished.
    func run<Value: Sendable>(_ body: @Sendable (TestAPI) async throws -> Value) async throws -> Value {
        PoolWatchdog.ensureRunning()
        let threadPool = NIOThreadPool(numberOfThreads: 2)
        threadPool.start()
        do {
            let value = try await run(threadPool: threadPool, body)
            try await threadPool.shutdownGracefully()
            return value
        } catch {
            try? await threadPool.shutdownGracefully()
            throw error
        }
    }

    private func run<Value: Sendable>(threadPool: NIOThreadPool, _ body: @Sendable (TestAPI) async throws -> Value) async throws -> Value {
        let (app, services) = try TuttiApplication.assemble(configuration: configuration, logger: logger, threadPool: threadPool)
        running.services.withLock { $0 = services }
        defer { running.services.withLock { $0 = nil } }
        let configuration = self.configuration
        return try await app.test(.live) { framework in
            // HummingbirdTesting's own client gives every request 20 s; this one waits as long
            // as the rest of the suite does and names the request that got no answer.
            let client = TestClient(host: "localhost", port: framework.port!, configuration: .init(timeout: TestAPI.requestTimeout))
            client.connect()
            do {
                let value = try await body(TestAPI(client: client, port: framework.port!, configuration: configuration, services: services))
                try await client.shutdown()
                return value
            } catch {
                try? await client.shutdown()
                throw error
            }
        }
    }
}

/// The services of a running test server, shared by the copies of a ``TestService``.
final class RunningServer: Sendable {
    let services = Mutex<AppServices?>(nil)
}

/// A response as the test client received it.
struct TestResponse: Sendable {
    let head: HTTPResponse
    var status: HTTPResponse.Status { head.status }
    var headers: HTTPFields { head.headerFields }
    let body: ByteBuffer
}

/// JSON helpers over a live HTTP client, and the server's own services.
struct TestAPI: Sendable {
    let client: TestClient
    let port: Int
    let configuration: ServerConfiguration
    /// The running server's database, ledger and thread pool.
    let services: AppServices

    /// How long a request may go unanswered before the test fails, naming it.
    static let requestTimeout = Deadline.standard

    var baseURL: String { "http://127.0.0.1:\(port)" }

    struct Account: Sendable {
        var id: String
        var username: String
        var token: String
        var headers: HTTPFields { [.authorization: "Bearer \(token)"] }
    }

    @discardableResult
    func request(_ method: HTTPRequest.Method, _ uri: String, token: String? = nil, headers: HTTPFields = [:], json: Any? = nil, body: ByteBuffer? = nil) async throws -> TestResponse {
        var headers = headers
        if let token { headers[.authorization] = "Bearer \(token)" }
        headers[.connection] = "keep-alive"
        var body = body
        if let json {
            body = ByteBuffer(data: try JSONSerialization.data(withJSONObject: json))
            headers[.contentType] = "application/json"
        }
        do {
            let response = try await client.execute(TestClient.Request(uri, method: method, authority: "localhost", headers: headers, body: body))
            return TestResponse(head: response.head, body: response.body ?? ByteBuffer())
        } catch TestClient.Error.readTimeout {
            throw DidNotHappen(what: "an answer to \(method) \(uri)", timeout: Self.requestTimeout)
        }
    }

    /// The server's metrics (`GET /metrics`): each sample by its name and labels, and the
    /// whole text.
    func metrics() async throws -> (values: [String: Double], text: String) {
        let text = String(buffer: try await request(.get, "/metrics").body)
        let values = Dictionary(text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line -> (String, Double)? in
            let parts = line.split(separator: " ")
            return parts.count == 2 ? (String(parts[0]), Double(parts[1]) ?? -1) : nil
        }, uniquingKeysWith: { first, _ in first })
        return (values, text)
    }

    /// One sample of the server's metrics (e.g. `tutti_jobs_running`); fails the test if it is missing.
    func metric(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Double {
        try #require(try await metrics().values[name], "metric \(name)", sourceLocation: sourceLocation)
    }

    /// Registers and logs in a new account.
    func account(_ username: String, role: String = "listener", password: String = "correct horse battery") async throws -> Account {
        let created = try await request(.post, "/api/v1/users", json: ["username": username, "password": password, "role": role])
        #expect(created.status == .created, "register \(username): \(String(buffer: created.body))")
        let session = try await request(.post, "/api/v1/sessions", json: ["username": username, "password": password])
        #expect(session.status == .created)
        let object = try session.json()
        let user = object["user"] as! [String: Any]
        return Account(id: user["id"] as! String, username: username, token: object["token"] as! String)
    }

    /// Creates an admin the way operators do (straight in the database, here the server's
    /// own connection to it) and logs in.
    func adminAccount(_ username: String, password: String = "correct horse battery") async throws -> Account {
        _ = try await services.accounts.createUser(
            username: username, displayName: nil, role: .admin, passwordHash: try await services.hashPassword(password))
        let session = try await request(.post, "/api/v1/sessions", json: ["username": username, "password": password])
        let object = try session.json()
        let user = object["user"] as! [String: Any]
        return Account(id: user["id"] as! String, username: username, token: object["token"] as! String)
    }

    /// Uploads a file as the raw body; returns the track id.
    func upload(_ path: String, title: String, by artist: Account) async throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let response = try await request(.post, "/api/v1/tracks?title=\(title.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)", token: artist.token, body: ByteBuffer(data: data))
        #expect(response.status == .accepted, "upload: \(String(buffer: response.body))")
        return try response.json()["id"] as! String
    }

    /// Waits until a track has left `processing`; returns its JSON.
    /// - Throws: ``DidNotHappen`` if it is still processing after `timeout`.
    /// (The default outlasts the job's time limit, so that a job that runs into it shows as failed, with its reason.)
    func waitUntilProcessed(_ id: String, token: String, timeout: Duration = Deadline.long * 2) async throws -> [String: Any] {
        var last = ""
        return try await waitFor("track \(id) to be transcoded (last seen: \(last))", timeout: timeout, every: .milliseconds(100)) {
            let response = try await request(.get, "/api/v1/tracks/\(id)", token: token)
            last = "\(response.status.code) \(String(buffer: response.body))"
            let object = try response.json()
            return object["status"] as? String == "processing" ? nil : object
        }
    }

    /// Uploads, waits until ready, and publishes; returns the track id. A free track streams
    /// from its plain URL to anyone; a paid one needs a play session.
    func publishedTrack(_ path: String, title: String, by artist: Account, free: Bool = false) async throws -> String {
        let id = try await upload(path, title: title, by: artist)
        let track = try await waitUntilProcessed(id, token: artist.token)
        #expect(track["status"] as? String == "ready", "\(track)")
        let published = try await request(.patch, "/api/v1/tracks/\(id)", token: artist.token, json: ["published": true, "free": free])
        #expect(published.status == .ok)
        return id
    }
}

extension TestResponse {
    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] else {
            throw DecodeFailure(message: "not a JSON object: \(String(buffer: body))")
        }
        return object
    }

    /// The RFC 9457 problem document of an error response, checked for its shape.
    func problem(sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        #expect(headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
        let object = try json()
        #expect(object["status"] as? Int == Int(status.code), sourceLocation: sourceLocation)
        #expect((object["title"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
        #expect((object["detail"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
        return object
    }
}
