import Logging
import PostgresNIO

/// A role that one node plays at a time (the proposal closer, the media sweeper): held as a
/// session-level advisory lock on a connection of its own, outside the pool. When the node dies,
/// PostgreSQL ends its session and with it the lock, and another node's next ``tryAcquire()``
/// takes the role. A node that loses its connection loses the role (``isHeld``) and must stop
/// acting on it.
///
/// A node cut off by the network keeps its session until TCP notices; on a Unix socket or a
/// local network a dead process is noticed at once.
public actor PostgresSingleton {
    public let name: String
    /// The advisory lock key: a 64-bit FNV-1a hash of the name (stable across nodes and runs).
    public let key: Int64
    private let database: PostgresDatabase
    private let logger: Logger
    private var connection: PostgresConnection?

    public init(_ name: String, database: PostgresDatabase, logger: Logger = Logger(label: "tutti.singleton")) {
        self.name = name
        key = Self.key(name)
        self.database = database
        self.logger = logger
    }

    /// Takes the role if no node holds it; true if this node holds it afterwards.
    public func tryAcquire() async throws -> Bool {
        if isHeld { return true }
        connection = nil
        let connection = try await database.connectAlone(logger: logger)
        do {
            let rows = try await connection.query("SELECT pg_try_advisory_lock(\(key))", logger: logger)
            for try await taken in rows.decode(Bool.self) where taken {
                self.connection = connection
                return true
            }
        } catch {
            try? await connection.close()
            throw PostgresStorageError(description: "taking the role \(name): \(PostgresStorageError.describe(error))")
        }
        try? await connection.close()
        return false
    }

    /// Whether this node holds the role: its session is alive.
    public var isHeld: Bool {
        guard let connection else { return false }
        return !connection.isClosed
    }

    /// Gives the role up (closing the session releases the lock).
    public func release() async {
        guard let connection else { return }
        self.connection = nil
        try? await connection.close()
    }

    static func key(_ name: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }
}
