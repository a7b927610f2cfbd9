import Foundation
import GRDB
@testable import Ledger
import Testing
import TuttiTestSupport

@Suite("Checkpoints off the writer", .ownThreads)
struct CheckpointTests {
    /// Charges `count` counted plays from 32 concurrent callers (group commit), each listener
    /// funded for them.
    static func chargePlays(_ fixture: LedgerFixture, count: Int, prefix: String) async throws {
        let listeners = (0..<32).map { "\(prefix)-listener-\($0)" }
        for listener in listeners {
            try fixture.ledger.topUp(transferID: "\(prefix)-topup-\(listener)", user: listener, amount: 1_000_000)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, listener) in listeners.enumerated() {
                group.addTask {
                    // Play 1 of many tracks: each costs the base price, none is ever owned.
                    for play in stride(from: index, to: count, by: listeners.count) {
                        let result = try await fixture.ledger.chargePlay(
                            fixture.play("\(prefix)-play-\(play)", listener: listener, track: "\(prefix)-track-\(play)"))
                        #expect(result.charge != nil)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    static func fileSize(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? -1
    }

    @Test("the log is copied into the database file off the writer, and the writer does not checkpoint")
    func background() async throws {
        let fixture = try LedgerFixture()
        let checkpointer = try #require(try await fixture.pool.writeWithoutTransaction {
            try WALCheckpointer.install(on: $0, backgroundPages: 40, writerPages: 1_000_000)
        })
        let fileBefore = try Self.fileSize(fixture.path)
        var rounds = 0
        while checkpointer.statistics.background == 0, rounds < 50 {
            try await Self.chargePlays(fixture, count: 64, prefix: "round\(rounds)")
            rounds += 1
        }
        // Counted once finished. Only a checkpoint writes to the database file in WAL mode.
        #expect(checkpointer.statistics.background >= 1)
        #expect(try Self.fileSize(fixture.path) > fileBefore, "the background checkpoint copied pages into the database file")
        #expect(checkpointer.statistics.writer == 0)
        #expect(try fixture.ledger.verify().isIntact)
    }

    @Test("a commit that takes the log past twice the writer's limit is checkpointed by the writer at once; the log starts again")
    func writerCheckpoint() async throws {
        let fixture = try LedgerFixture()
        #expect(fixture.ledger.checkpointStatistics() == CheckpointStatistics())
        let checkpointer = try #require(try await fixture.pool.writeWithoutTransaction {
            try WALCheckpointer.install(on: $0, backgroundPages: 150, writerPages: 200, writerTail: 1)
        })
        // SQLite's own checkpoint on commit is off: the hook replaced it.
        #expect(try await fixture.pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA wal_autocheckpoint") } == 0)

        // One commit of about 700 pages: past 2 × 200, so the writer copies the log itself
        // right after it, whatever the background does.
        try fixture.sql("CREATE TABLE filler (data BLOB)")
        try await fixture.pool.write { db in
            for _ in 0..<700 { try db.execute(sql: "INSERT INTO filler VALUES (randomblob(4000))") }
        }
        var statistics = checkpointer.statistics
        #expect(statistics.writer == 1)
        #expect(statistics.largestLog >= 700)
        #expect(statistics.logRestarts == 0)

        // Everything was copied, so the next write starts the log from its beginning.
        try await Self.chargePlays(fixture, count: 32, prefix: "after")
        statistics = checkpointer.statistics
        #expect(statistics.logRestarts >= 1)
        #expect(statistics.failed == 0)
        // The ledger replaced by this test's checkpointer no longer counts anything.
        #expect(fixture.ledger.checkpointStatistics() == CheckpointStatistics())

        var reopened = fixture
        try reopened.restart()
        #expect(try reopened.ledger.verify().isIntact)
        #expect(try reopened.count("SELECT count(*) FROM ledger_plays") == 32)
        #expect(try reopened.count("SELECT count(*) FROM filler") == 700)
    }

    @Test("a second ledger over the same pool takes over the checkpoints")
    func secondLedger() async throws {
        let fixture = try LedgerFixture()
        let second = try Ledger(database: fixture.pool)
        var rounds = 0
        while second.checkpointStatistics()?.background == 0, rounds < 50 {
            try await Self.chargePlays(fixture, count: 256, prefix: "round\(rounds)")
            rounds += 1
        }
        #expect((second.checkpointStatistics()?.background ?? 0) >= 1)
        #expect(fixture.ledger.checkpointStatistics() == CheckpointStatistics())
        #expect(try fixture.ledger.verify().isIntact)
    }

    @Test("without WAL (a rollback journal or memory) the ledger keeps SQLite's own checkpointing and works")
    func withoutWAL() async throws {
        let path = Fixtures.scratch().appendingPathComponent("rollback.sqlite").path
        for queue in [try DatabaseQueue(path: path, configuration: Ledger.configuration()),
                      try DatabaseQueue(configuration: Ledger.configuration())] {
            var migrator = DatabaseMigrator()
            Ledger.registerMigrations(&migrator)
            try migrator.migrate(queue)
            let ledger = try Ledger(database: queue)
            #expect(ledger.checkpointStatistics() == nil)
            try ledger.topUp(transferID: "t", user: "listener", amount: 10_000)
            let result = try await ledger.chargePlay(
                PlayChargeRequest(playID: "p", listenerID: "listener", artistID: "artist", trackID: "track", at: Date()))
            #expect(result.charge?.price == Pricing.resonate.basePrice)
            #expect(try ledger.verify().isIntact)
        }
    }
}
