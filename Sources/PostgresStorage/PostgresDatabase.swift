import Logging
import PostgresNIO

/// A pooled connection to one PostgreSQL database (postgres-nio's `PostgresClient`), running
/// from its creation until ``close()``.
public final class PostgresDatabase: Sendable {
    public let client: PostgresClient
    private let running: Task<Void, Never>

    /// Connects through a Unix socket (`/path/.s.PGSQL.5432`), without a password (trust or
    /// peer authentication).
    public init(unixSocketPath: String, user: String, database: String, maximumConnections: Int = 20) {
        var configuration = PostgresClient.Configuration(unixSocketPath: unixSocketPath, username: user, password: nil, database: database)
        configuration.options.maximumConnections = maximumConnections
        let client = PostgresClient(configuration: configuration)
        self.client = client
        running = Task { await client.run() }
    }

    /// Closes every connection; nothing may use the client afterwards.
    public func close() async {
        running.cancel()
        await running.value
    }
}
