import Foundation
import Ledger
import PostgresStorage
import Testing
import TuttiTestSupport

/// The backends every storage contract runs against.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    /// Runs `body` with a ledger store on an empty database of this backend (for PostgreSQL, a
    /// new database on the suite's server), closed afterwards.
    func withLedgerStore<T>(clock: @escaping @Sendable () -> Date = { Date() }, _ body: (any LedgerStore) async throws -> T) async throws -> T {
        switch self {
        case .sqlite:
            let path = Fixtures.scratch("ledger-contract").appendingPathComponent("ledger.sqlite").path
            let ledger = try Ledger(database: try Ledger.openDatabase(path: path), clock: clock)
            return try await body(ledger)
        case .postgres:
            let server = try #require(PostgresServer.current, "the suite starts a PostgreSQL server (@Suite(.postgres()))")
            let name = try await server.createDatabase("ledger")
            let database = PostgresDatabase(unixSocketPath: server.socketPath, user: server.user, database: name)
            do {
                let store = PostgresLedgerStore(client: database.client, clock: clock)
                try await store.migrate()
                let value = try await body(store)
                await database.close()
                return value
            } catch {
                await database.close()
                throw error
            }
        }
    }
}

/// A fixed clock that moves by one millisecond per reading: hashes cover the booking time, so
/// two backends given the same transfers and this clock build the same chain.
final class SteppingClock: @unchecked Sendable {
    private let lock = NSLock()
    private var milliseconds: Int64

    init(startingAt milliseconds: Int64 = 1_800_000_000_000) {
        self.milliseconds = milliseconds
    }

    var now: @Sendable () -> Date {
        { [self] in
            lock.lock()
            defer { lock.unlock() }
            milliseconds += 1
            return Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        }
    }
}
