import Foundation
import GRDB
@testable import Ledger
import Testing
import TuttiTestSupport

/// One group commit's plays are decided by reading before anything is written, with no
/// savepoint each; a play that fails once written sends the whole batch back through a
/// savepoint per play. These tests drive one batch directly, as the writer does.
@Suite("A group commit's batch of plays", .ownThreads)
struct PlayBatchTests {
    typealias Outcome = PlayChargeQueue.Outcome

    /// Listener "olga" owns track "owned"; "lena" has 10,000 units; "max" has no wallet.
    static func prepared(_ label: String = #function) async throws -> LedgerFixture {
        let fixture = try LedgerFixture(label)
        try fixture.ledger.topUp(transferID: "pay-olga", user: "olga", amount: Pricing.resonate.priceToOwn)
        for n in 1...9 { _ = try await fixture.ledger.chargePlay(fixture.play("olga-\(n)", listener: "olga", track: "owned")) }
        try fixture.ledger.topUp(transferID: "pay-lena", user: "lena", amount: 10_000)
        fixture.clock.advance(seconds: 60)
        return fixture
    }

    /// Every kind of outcome, in one batch, in an order where each depends on the ones before.
    static func mixedBatch(_ fixture: LedgerFixture) -> [PlayChargeRequest] {
        [
            fixture.play("a", listener: "lena", track: "song"),                  // play 1: 2,000 (8,000 left)
            fixture.play("a", listener: "lena", track: "song"),                  // the same session again: the same charge
            fixture.play("b", listener: "lena", track: "song"),                  // play 2: 4,000 (4,000 left)
            fixture.play("c", listener: "lena", artist: "artist-2", track: "tune"),  // play 1 of another track: 2,000
            fixture.play("d", listener: "lena", track: "song"),                  // play 3: 8,000 > 2,000: refused
            fixture.play("a", listener: "lena", track: "other"),                 // session "a" for another track: conflict
            fixture.play("e", listener: "ari", artist: "ari", track: "mine"),    // own track: free
            fixture.play("f", listener: "max", track: "song"),                   // no wallet: refused
            fixture.play("olga-10", listener: "olga", track: "owned"),           // owned: free
            fixture.play("olga-3", listener: "olga", track: "owned"),            // a retry of a recorded play
            fixture.play("g", listener: "lena", artist: "artist-2", track: "tune"),  // play 2: 4,000 > 2,000: refused
            fixture.play("b", listener: "lena", track: "song"),                  // a retry within the batch
        ]
    }

    static func expectMixedOutcomes(_ outcomes: [Outcome]) throws {
        #expect(outcomes.count == 12)
        let charges = outcomes.map { try? $0.get().charge }
        #expect(charges.map { $0?.playNumber } == [1, 1, 2, 1, nil, nil, nil, nil, nil, 3, nil, 2])
        #expect(charges[0] == charges[1])
        #expect(charges[2] == charges[11])
        #expect(charges[3]?.walletBalanceAfter == 2_000)
        #expect(outcomes[4] == .failure(.insufficientFunds(account: .listenerWallet("lena"), needed: 8_000, available: 2_000)))
        #expect(outcomes[5] == .failure(.conflictingPlay(playID: "a")))
        #expect(outcomes[6] == .success(.free(reason: .ownTrack)))
        #expect(outcomes[7] == .failure(.insufficientFunds(account: .listenerWallet("max"), needed: 2_000, available: 0)))
        #expect(outcomes[8] == .success(.free(reason: .owned)))
        #expect(outcomes[10] == .failure(.insufficientFunds(account: .listenerWallet("lena"), needed: 4_000, available: 2_000)))
    }

    /// What a batch left in the database: plays, transfers with their hashes, account totals.
    static func contents(_ fixture: LedgerFixture) throws -> [[DatabaseValue]] {
        try fixture.pool.read { db in
            try ["SELECT * FROM ledger_plays ORDER BY sequence", "SELECT * FROM ledger_transfers ORDER BY sequence",
                 "SELECT * FROM ledger_accounts ORDER BY id"].flatMap { sql in
                try Row.fetchAll(db, sql: sql).map { Array($0.databaseValues) }
            }
        }
    }

    @Test("without savepoints, a mixed batch gets the outcomes and leaves the ledger, hash for hash, of a savepoint per play")
    func sameAsSavepoints() async throws {
        let fast = try await Self.prepared("sameAsSavepoints-fast")
        let careful = try await Self.prepared("sameAsSavepoints-careful")
        let fastOutcomes = try await fast.pool.writeWithoutTransaction { db in
            fast.ledger.commitPlays(Self.mixedBatch(fast), in: db)
        }
        let now = try Timestamp.milliseconds(careful.clock.now)
        let carefulOutcomes = try await careful.pool.write { db in
            try LedgerTransaction(db, now: now).chargePlaysInSavepoints(Self.mixedBatch(careful))
        }
        try Self.expectMixedOutcomes(fastOutcomes)
        #expect(fastOutcomes == carefulOutcomes)
        #expect(try Self.contents(fast) == Self.contents(careful))
        #expect(try fast.ledger.balance(of: .listenerWallet("lena")).balance == 2_000)
        #expect(try fast.ledger.verify().isIntact)

        // Retried later, in a batch of their own, every session gets its first result again.
        fast.clock.advance(seconds: 3_600)
        let retries = try await fast.pool.writeWithoutTransaction { db in
            fast.ledger.commitPlays(Self.mixedBatch(fast), in: db)
        }
        #expect(retries.map { try? $0.get().charge } == fastOutcomes.map { try? $0.get().charge })
        #expect(try fast.count("SELECT count(*) FROM ledger_plays") == 9 + 3)
    }

    @Test("a play that fails once written is refused alone: the batch is charged again with a savepoint per play")
    func failureWhileWriting() async throws {
        let fixture = try await Self.prepared()
        // Something the reading cannot foresee refuses the transfers of session "b", after its play row is written.
        try fixture.sql("""
            CREATE TRIGGER test_refuse BEFORE INSERT ON ledger_transfers WHEN NEW.play_id = 'b'
            BEGIN SELECT RAISE(ABORT, 'refused by the test'); END
            """)
        let outcomes = try await fixture.pool.writeWithoutTransaction { db in
            fixture.ledger.commitPlays(Self.mixedBatch(fixture), in: db)
        }
        let charges = outcomes.map { try? $0.get().charge }
        // Without "b", "d" is play 2 of the song (4,000 of the 6,000 left); "b" again is then play 3.
        #expect(charges.map { $0?.playNumber } == [1, 1, nil, 1, 2, nil, nil, nil, nil, 3, nil, nil])
        guard case .failure(.database(let message)) = outcomes[2] else {
            Issue.record("b: \(outcomes[2])")
            return
        }
        #expect(message.contains("refused by the test"))
        #expect(outcomes[11] == .failure(.insufficientFunds(account: .listenerWallet("lena"), needed: 8_000, available: 2_000)))
        #expect(outcomes[5] == .failure(.conflictingPlay(playID: "a")))
        #expect(try fixture.count("SELECT count(*) FROM ledger_plays WHERE play_id = 'b'") == 0)
        #expect(try fixture.count("SELECT count(*) FROM ledger_plays") == 9 + 3)
        #expect(try fixture.ledger.balance(of: .listenerWallet("lena")).balance == 10_000 - 2_000 - 2_000 - 4_000)
        try fixture.sql("DROP TRIGGER test_refuse")
        #expect(try fixture.ledger.verify().isIntact)
    }

    @Test("concurrent callers: a play failing once written does not fail the others of its commit")
    func failureWhileWritingConcurrently() async throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay-1", user: "lena", amount: 10 * 2_000)
        try fixture.sql("""
            CREATE TRIGGER test_refuse BEFORE INSERT ON ledger_plays WHEN NEW.play_id = 'p3'
            BEGIN SELECT RAISE(ABORT, 'refused by the test'); END
            """)
        let outcomes = await withTaskGroup(of: (Int, Outcome).self) { group in
            for track in 0..<10 {
                group.addTask {
                    do throws(LedgerError) {
                        return (track, .success(try await ledger.chargePlay(fixture.play("p\(track)", listener: "lena", track: "t\(track)"))))
                    } catch { return (track, .failure(error)) }
                }
            }
            return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        for track in 0..<10 where track != 3 { #expect((try? outcomes[track]?.get())?.charge?.price == 2_000) }
        guard case .failure(.database(let message)) = outcomes[3] else {
            Issue.record("p3: \(String(describing: outcomes[3]))")
            return
        }
        #expect(message.contains("refused by the test"))
        #expect(try ledger.balance(of: .listenerWallet("lena")).balance == 2_000)
        #expect(try fixture.count("SELECT count(*) FROM ledger_plays") == 9)
        try fixture.sql("DROP TRIGGER test_refuse")
        #expect(try ledger.verify().isIntact)
    }
}
