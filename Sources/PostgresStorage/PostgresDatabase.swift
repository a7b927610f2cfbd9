import Foundation
import Logging
import PostgresNIO

/// A pooled connection to one PostgreSQL database (postgres-nio's `PostgresClient`), running
/// from its creation until ``close()``.
public final class PostgresDatabase: Sendable {
    public let client: PostgresClient
    private let running: Task<Void, Never>
    /// One connection's settings, for ``checkReachable()``.
    private let single: PostgresConnection.Configuration

    /// Connects through a Unix socket (`/path/.s.PGSQL.5432`), without a password (trust or
    /// peer authentication).
    public convenience init(unixSocketPath: String, user: String, database: String, maximumConnections: Int = 20) {
        var configuration = PostgresClient.Configuration(unixSocketPath: unixSocketPath, username: user, password: nil, database: database)
        configuration.options.maximumConnections = maximumConnections
        self.init(configuration: configuration, single: .init(unixSocketPath: unixSocketPath, username: user, password: nil, database: database))
    }

    /// Connects to the database a `postgres://` URL names:
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE` over TCP (no TLS), or
    /// `postgres://USER@/DATABASE?host=/socket/folder` through the Unix socket in that folder
    /// (libpq's form; `.s.PGSQL.PORT` inside it, port 5432 unless given).
    /// - Throws: ``PostgresStorageError`` for a URL that names no database or user.
    public convenience init(url text: String, maximumConnections: Int = 20) throws {
        let location = try PostgresLocation(url: text)
        var configuration: PostgresClient.Configuration
        let single: PostgresConnection.Configuration
        if let socket = location.socketPath {
            configuration = PostgresClient.Configuration(unixSocketPath: socket, username: location.user, password: location.password, database: location.database)
            single = .init(unixSocketPath: socket, username: location.user, password: location.password, database: location.database)
        } else {
            let host = location.host ?? "localhost"
            configuration = PostgresClient.Configuration(
                host: host, port: location.port, username: location.user, password: location.password, database: location.database, tls: .disable)
            single = .init(host: host, port: location.port, username: location.user, password: location.password, database: location.database, tls: .disable)
        }
        configuration.options.maximumConnections = maximumConnections
        self.init(configuration: configuration, single: single)
    }

    init(configuration: PostgresClient.Configuration, single: PostgresConnection.Configuration) {
        let client = PostgresClient(configuration: configuration)
        self.client = client
        self.single = single
        running = Task { await client.run() }
    }

    /// A connection of its own, outside the pool (for a session-level lock: see
    /// ``PostgresSingleton``).
    func connectAlone(logger: Logger) async throws -> PostgresConnection {
        try await PostgresConnection.connect(configuration: single, id: Int.random(in: 1...Int.max), logger: logger)
    }

    /// Opens one connection and closes it: the server's own refusal (no such database, a wrong
    /// password, nothing listening) at once, where the pool would retry for a minute and then
    /// report only that it gave up.
    /// - Throws: ``PostgresStorageError`` with what the server or the socket said.
    public func checkReachable(logger: Logger = Logger(label: "tutti.postgres")) async throws {
        do {
            let connection = try await PostgresConnection.connect(configuration: single, id: 0, logger: logger)
            try await connection.close()
        } catch {
            throw PostgresStorageError(description: "cannot connect to PostgreSQL: \(PostgresStorageError.describe(error))")
        }
    }

    /// The server's values of the settings `names` (`SHOW`), by name.
    public func settings(_ names: [String]) async throws -> [String: String] {
        var values: [String: String] = [:]
        for name in names where name.allSatisfy({ $0.isLetter || $0 == "_" }) {
            for try await value in try await client.query(PostgresQuery(unsafeSQL: "SHOW \(name)")).decode(String.self) { values[name] = value }
        }
        return values
    }

    /// Closes every connection; nothing may use the client afterwards.
    public func close() async {
        running.cancel()
        await running.value
    }
}

/// Where a `postgres://` URL says the database is.
public struct PostgresLocation: Sendable, Equatable {
    public var user: String
    public var password: String?
    public var host: String?
    public var port: Int
    public var database: String
    /// The Unix socket (`FOLDER/.s.PGSQL.PORT`) when the URL's `host` parameter names a folder.
    public var socketPath: String?

    /// Whether `text` is a `postgres://` (or `postgresql://`) URL rather than a file's path.
    public static func isURL(_ text: String) -> Bool {
        let lowered = text.lowercased()
        return lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://")
    }

    public init(url text: String) throws {
        guard let url = URL(string: text), ["postgres", "postgresql"].contains(url.scheme?.lowercased() ?? "") else {
            throw PostgresStorageError(description: "not a postgres:// URL: \(text)")
        }
        guard let user = url.user, !user.isEmpty else {
            throw PostgresStorageError(description: "the URL names no user (postgres://USER@HOST/DATABASE): \(text)")
        }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        guard !database.isEmpty, !database.contains("/") else {
            throw PostgresStorageError(description: "the URL names no database (postgres://USER@HOST/DATABASE): \(text)")
        }
        self.user = user.removingPercentEncoding ?? user
        password = url.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database
        port = url.port ?? 5432
        let hostParameter = URLComponents(string: text)?.queryItems?.first { $0.name == "host" }?.value
        if let folder = hostParameter, folder.hasPrefix("/") {
            socketPath = "\(folder)/.s.PGSQL.\(port)"
            host = nil
        } else {
            socketPath = nil
            host = (url.host?.isEmpty == false ? url.host : nil) ?? hostParameter
        }
    }
}
