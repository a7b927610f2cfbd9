import Foundation
import GRDB
import Ledger
import TuttiTestSupport

/// A clock the test moves by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = start }

    var now: Date { lock.withLock { current } }

    func advance(seconds: TimeInterval) {
        lock.withLock { current += seconds }
    }
}

/// A ledger in a fresh SQLite file of its own, in a scratch folder.
struct LedgerFixture {
    let path: String
    let clock: TestClock
    private(set) var pool: DatabasePool
    private(set) var ledger: Ledger

    init(_ label: String = #function, clock: TestClock = TestClock()) throws {
        path = Fixtures.scratch(label).appendingPathComponent("ledger.sqlite").path
        self.clock = clock
        pool = try Ledger.openDatabase(path: path)
        ledger = try Ledger(database: pool, clock: { [clock] in clock.now })
    }

    /// A fixture over a file opened elsewhere (e.g. migrated only part of the way).
    init(reopening path: String, pool: DatabasePool, clock: TestClock = TestClock()) throws {
        self.path = path
        self.clock = clock
        self.pool = pool
        ledger = try Ledger(database: pool, clock: { [clock] in clock.now })
    }

    /// Closes the database and opens it again, as a restarted server would.
    mutating func restart() throws {
        try pool.close()
        pool = try Ledger.openDatabase(path: path)
        ledger = try Ledger(database: pool, clock: { [clock] in clock.now })
    }

    /// Runs raw SQL on the file, as anyone with access to it could.
    func sql(_ statement: String, _ arguments: StatementArguments = []) throws {
        try pool.write { try $0.execute(sql: statement, arguments: arguments) }
    }

    func count(_ sql: String) throws -> Int {
        try pool.read { try Int.fetchOne($0, sql: sql) ?? -1 }
    }

    func play(_ id: String, listener: String, artist: String = "artist-1", track: String, at: Date? = nil) -> PlayChargeRequest {
        PlayChargeRequest(playID: id, listenerID: listener, artistID: artist, trackID: track, at: at ?? clock.now)
    }
}

extension PlayChargeResult {
    /// The charge, or nil for a free play.
    var charge: PlayCharge? {
        if case .charged(let charge) = self { return charge }
        return nil
    }
}
