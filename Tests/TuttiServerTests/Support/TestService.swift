import Catalog
import Foundation
import HTTPTypes
import HummingbirdBcrypt
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
import TuttiServer
import TuttiTestSupport

/// A Tutti service on a fresh data folder, for one test.
struct TestService {
    var configuration: ServerConfiguration
    var logger: Logger

    init(transcoder: String = Fixtures.tuttiExecutable, configure: (inout ServerConfiguration) -> Void = { _ in }) {
        let folder = Fixtures.scratch("service")
        configuration = ServerConfiguration(
            dataDirectory: folder.path, host: "127.0.0.1", port: 0, uploadLimit: 64 << 20,
            jobTimeLimit: 60, jobConcurrency: 2, transcoderExecutable: transcoder, bcryptCost: 4)
        configure(&configuration)
        logger = Logger(label: "tutti-test")
        logger.logLevel = ProcessInfo.processInfo.environment["TUTTI_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .critical
    }

    /// Runs the service over live HTTP on loopback for the length of `body`.
    func run<Value: Sendable>(_ body: @Sendable (TestAPI) async throws -> Value) async throws -> Value {
        let app = try TuttiApplication.build(configuration: configuration, logger: logger)
        return try await app.test(.live) { client in try await body(TestAPI(client: client, configuration: configuration)) }
    }
}

/// JSON helpers over the live test client.
struct TestAPI: Sendable {
    let client: any TestClientProtocol
    let configuration: ServerConfiguration

    var port: Int { client.port! }
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
        var body = body
        if let json {
            body = ByteBuffer(data: try JSONSerialization.data(withJSONObject: json))
            headers[.contentType] = "application/json"
        }
        return try await client.executeRequest(uri: uri, method: method, headers: headers, body: body)
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

    /// Creates an admin the way operators do (straight in the database) and logs in.
    func adminAccount(_ username: String, password: String = "correct horse battery") async throws -> Account {
        let database = try TuttiDatabase.open(path: configuration.databasePath)
        let accounts = Accounts(database: database, now: configuration.now)
        _ = try await accounts.createUser(username: username, displayName: nil, role: .admin, passwordHash: Bcrypt.hash(password, cost: 4))
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

    /// Polls a track until it leaves `processing`; returns its JSON.
    func waitUntilProcessed(_ id: String, token: String, timeout: Duration = .seconds(60)) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let response = try await request(.get, "/api/v1/tracks/\(id)", token: token)
            let object = try response.json()
            if object["status"] as? String != "processing" { return object }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("track \(id) still processing after \(timeout)")
        return [:]
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
