import Foundation
import GRDB
@testable import Ledger
import Testing
import TuttiTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Holds log syncs back until the test lets them go; counts them.
final class SyncGate: @unchecked Sendable {
    private let lock = NSLock()
    private var held = true
    private var entered = 0
    private let released = DispatchSemaphore(value: 0)
    /// How many syncs, from the first, fail (-1 with `errno` EIO).
    let failing: Int

    init(failing: Int = 0) { self.failing = failing }

    /// The sync function: waits while the gate is held, then syncs for real.
    func sync(_ descriptor: Int32) -> Int32 {
        let (wait, number) = lock.withLock { () -> (Bool, Int) in
            entered += 1
            return (held, entered)
        }
        if wait { released.wait() }
        if number <= failing {
            errno = EIO
            return -1
        }
        return fdatasync(descriptor)
    }

    var syncsEntered: Int { lock.withLock { entered } }

    /// Lets the waiting sync (if any) and every later one through.
    func open() {
        let wasHeld = lock.withLock { () -> Bool in
            defer { held = false }
            return held
        }
        if wasHeld { released.signal() }
    }
}

/// A flag set from another task.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

@Suite("Group commits of plays synced off the writer", .ownThreads)
struct LogSyncTests {
    /// A ledger over `fixture`'s file whose log syncs go through `gate`.
    static func ledger(_ fixture: LedgerFixture, gate: SyncGate) throws -> Ledger {
        try Ledger(
            database: fixture.pool, clock: { [clock = fixture.clock] in clock.now }, maximumPlaysPerCommit: 2_048,
            logPagesBeforeRestart: 4_096, logSync: { db in try LogSync.make(for: db, syncFile: { gate.sync($0) }) })
    }

    @Test("a play is reported charged only once a log sync that began after its commit has returned; other writes keep FULL")
    func reportedAfterSync() async throws {
        let fixture = try LedgerFixture()
        let gate = SyncGate()
        let ledger = try Self.ledger(fixture, gate: gate)
        try ledger.topUp(transferID: "pay", user: "lena", amount: 10_000)
        let returned = Flag()
        let charge = Task {
            defer { returned.set() }
            return try await ledger.chargePlay(fixture.play("p1", listener: "lena", track: "song"))
        }
        try await waitUntil("the play's commit reached the log sync") { gate.syncsEntered == 1 }
        // Committed (a reader sees it), not yet reported: the sync has not returned.
        #expect(try fixture.count("SELECT count(*) FROM ledger_plays WHERE play_id = 'p1'") == 1)
        #expect(!returned.isSet)
        // The writer is back at FULL for everything else it commits.
        #expect(try await fixture.pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 2)
        gate.open()
        let result = try await charge.value
        #expect(result.charge?.price == Pricing.resonate.basePrice)
        #expect(ledger.logSyncStatistics() == LogSyncStatistics(syncs: 1, commits: 1))
        #expect(try ledger.verify().isIntact)
    }

    @Test("the writer commits the next batches while a sync is in flight, and one sync then serves them all")
    func writerGoesOnWhileSyncing() async throws {
        let fixture = try LedgerFixture()
        let gate = SyncGate()
        let ledger = try Self.ledger(fixture, gate: gate)
        for n in 0..<8 { try ledger.topUp(transferID: "pay-\(n)", user: "l\(n)", amount: 10_000) }
        let first = Task { try await ledger.chargePlay(fixture.play("first", listener: "l0", track: "a")) }
        try await waitUntil("the first batch's sync started") { gate.syncsEntered == 1 }
        // Seven more plays, one after the other: each is committed while the first sync is held.
        let more = Task {
            try await withThrowingTaskGroup(of: PlayChargeResult.self) { group in
                for n in 1..<8 { group.addTask { try await ledger.chargePlay(fixture.play("more-\(n)", listener: "l\(n)", track: "a")) } }
                return try await group.reduce(into: [PlayChargeResult]()) { $0.append($1) }
            }
        }
        try await waitUntil("the writer committed the later plays while the first sync was held") {
            try fixture.count("SELECT count(*) FROM ledger_plays") == 8
        }
        // A batch is visible once committed, and handed to the log sync after, in the same
        // writer job: a write queued behind that job returns once every hand-off is done (on a
        // busy machine the last one could otherwise come after the next sync took its batches).
        try await fixture.pool.writeWithoutTransaction { _ in }
        #expect(gate.syncsEntered == 1)
        gate.open()
        #expect(try await first.value.charge != nil)
        #expect(try await more.value.allSatisfy { $0.charge != nil })
        let statistics = try #require(ledger.logSyncStatistics())
        #expect(statistics.commits >= 2)
        #expect(statistics.syncs == 2, "the held sync, then one for every batch committed meanwhile: \(statistics)")
        #expect(try ledger.verify().isIntact)
    }

    @Test("a failed log sync fails its plays and every later one; the ledger stays intact")
    func failedSync() async throws {
        let fixture = try LedgerFixture()
        let gate = SyncGate(failing: 1)
        gate.open()
        let ledger = try Self.ledger(fixture, gate: gate)
        try ledger.topUp(transferID: "pay", user: "lena", amount: 100_000)
        // The first sync fails; the second would succeed, but the log's state is unknown since.
        for id in ["p1", "p2"] {
            do {
                _ = try await ledger.chargePlay(fixture.play(id, listener: "lena", track: "song"))
                Issue.record("play \(id) was reported charged after a failed log sync")
            } catch {
                guard case .database(let message) = error else { Issue.record("unexpected \(error)"); continue }
                #expect(message.contains("syncing the database log") && message.contains("-wal"), "\(message)")
            }
        }
        #expect(gate.syncsEntered == 1, "no sync after the failed one")
        #expect(try fixture.ledger.verify().isIntact)
    }
}
