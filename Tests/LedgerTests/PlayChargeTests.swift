import Foundation
import GRDB
import Ledger
import Testing
import TuttiTestSupport

@Suite("Charging counted plays", .ownThreads)
struct PlayChargeTests {
    @Test("nine plays cost exactly 1,022,000 units, split 70/30; the tenth is free and the track owned")
    func streamToOwn() async throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay-1", user: "lena", amount: 1_022_000)
        var charges: [PlayCharge] = []
        for n in 1...9 {
            let result = try await ledger.chargePlay(fixture.play("s\(n)", listener: "lena", artist: "ari", track: "song"))
            charges.append(try #require(result.charge))
        }
        #expect(charges.map(\.playNumber) == Array(1...9))
        #expect(charges.map(\.price) == [2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 512_000])
        #expect(charges.allSatisfy { $0.artistPart == $0.price * 7 / 10 && $0.artistPart + $0.cooperativePart == $0.price })
        #expect(charges.map(\.ownsTrackNow) == Array(repeating: false, count: 8) + [true])
        #expect(charges.last?.walletBalanceAfter == 0)
        #expect(try await ledger.chargePlay(fixture.play("s10", listener: "lena", artist: "ari", track: "song")) == .free(reason: .owned))
        #expect(try ledger.balance(of: .listenerWallet("lena")).balance == 0)
        #expect(try ledger.balance(of: .artistEarnings("ari")).balance == 715_400)
        #expect(try ledger.balance(of: .treasury).balance == 306_600)
        let status = try ledger.trackStatus(listener: "lena", track: "song")
        #expect(status == ListenerTrackStatus(listenerID: "lena", trackID: "song", countedPlays: 9, owned: true, nextPrice: 0,
                                              playsRemainingToOwn: 0, pricingVersion: 1))
        #expect(try fixture.count("SELECT count(*) FROM ledger_plays") == 9)
        #expect(try ledger.verify().isIntact)
    }

    @Test("an artist's own track is free and nothing is recorded")
    func ownTrack() async throws {
        let fixture = try LedgerFixture()
        #expect(try await fixture.ledger.chargePlay(fixture.play("p", listener: "ari", artist: "ari", track: "mine")) == .free(reason: .ownTrack))
        #expect(try fixture.count("SELECT count(*) FROM ledger_plays") == 0)
        #expect(try fixture.count("SELECT count(*) FROM ledger_transfers") == 0)
    }

    @Test("a retried play id returns the first result, charges once, in both commit paths")
    func idempotentPlay() async throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay-1", user: "lena", amount: 1_000_000)
        let first = try await ledger.chargePlay(fixture.play("session-1", listener: "lena", track: "song"))
        fixture.clock.advance(seconds: 3_600)
        let later = fixture.play("session-1", listener: "lena", track: "song")
        #expect(try await ledger.chargePlay(later) == first)
        #expect(try await ledger.chargePlayAlone(later) == first)
        #expect(try ledger.balance(of: .listenerWallet("lena")).balance == 998_000)
        #expect(try fixture.count("SELECT count(*) FROM ledger_plays") == 1)
        #expect(try fixture.count("SELECT count(*) FROM ledger_transfers") == 3)
        // The same session id for another track is a bug in the caller, not a retry.
        await #expect(throws: LedgerError.conflictingPlay(playID: "session-1")) {
            try await ledger.chargePlay(fixture.play("session-1", listener: "lena", track: "other"))
        }
    }

    @Test("a wallet that cannot pay gets the price and the balance; nothing is recorded")
    func insufficientFunds() async throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay-1", user: "lena", amount: 5_000)
        _ = try await ledger.chargePlay(fixture.play("p1", listener: "lena", track: "song"))  // 2_000
        for charge in [ledger.chargePlay, ledger.chargePlayAlone] {
            await #expect(throws: LedgerError.insufficientFunds(account: .listenerWallet("lena"), needed: 4_000, available: 3_000)) {
                try await charge(fixture.play("p2", listener: "lena", track: "song"))
            }
        }
        #expect(try fixture.count("SELECT count(*) FROM ledger_plays") == 1)
        // A listener who never topped up has a balance of zero.
        await #expect(throws: LedgerError.insufficientFunds(account: .listenerWallet("nobody"), needed: 2_000, available: 0)) {
            try await ledger.chargePlay(fixture.play("p3", listener: "nobody", track: "song"))
        }
        // After a top-up the same session is charged: the refusal recorded nothing.
        try ledger.topUp(transferID: "pay-2", user: "lena", amount: 1_000)
        let charged = try #require(try await ledger.chargePlay(fixture.play("p2", listener: "lena", track: "song")).charge)
        #expect(charged.playNumber == 2)
        #expect(charged.walletBalanceAfter == 0)
        #expect(try ledger.verify().isIntact)
    }

    @Test("each charge records its pricing version; a new version applies only from its effective time")
    func pricingVersions() async throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        let start = fixture.clock.now
        try ledger.topUp(transferID: "pay-1", user: "lena", amount: 10_000_000)
        let first = try #require(try await ledger.chargePlay(fixture.play("p1", listener: "lena", artist: "ari", track: "song", at: start)).charge)
        let newPricing = Pricing(previewSeconds: 30, basePrice: 3_000, multiplier: 3, playsToOwn: 3, artistShareBasisPoints: 9_000)
        // A version may not start before a play already charged, or history would not match it.
        #expect {
            try ledger.addPricingVersion(newPricing, effectiveFrom: start, proposalID: "prop-1")
        } throws: { error in
            guard case .invalidPricing(let reason) = error as? LedgerError else { return false }
            return reason.contains("latest charged play")
        }
        try ledger.addPricingVersion(newPricing, effectiveFrom: start + 600, proposalID: "prop-1")
        // Before the effective time the defaults still apply, even if the version exists.
        let second = try #require(try await ledger.chargePlay(fixture.play("p2", listener: "lena", artist: "ari", track: "song", at: start + 599.999)).charge)
        let third = try #require(try await ledger.chargePlay(fixture.play("p3", listener: "lena", artist: "ari", track: "song", at: start + 600)).charge)
        #expect([first.pricingVersion, second.pricingVersion, third.pricingVersion] == [Int]([1, 1, 2]))
        #expect([first.price, second.price, third.price] == [2_000, 4_000, 27_000])  // third: 3_000 × 3^2
        #expect(third.artistPart == 24_300)
        #expect(third.ownsTrackNow)  // play 3 of 3 under version 2
        #expect(try await ledger.chargePlay(fixture.play("p4", listener: "lena", artist: "ari", track: "song", at: start + 700)) == .free(reason: .owned))
        let statement = try ledger.statement(artist: "ari")
        #expect(statement.rows.map(\.pricingVersion) == [1, 1, 2])
        let transfers = try await fixture.pool.read { try Int.fetchAll($0, sql: "SELECT pricing_version FROM ledger_transfers WHERE play_id IS NOT NULL ORDER BY sequence") }
        #expect(transfers == [1, 1, 1, 1, 2, 2])
        #expect(try ledger.verify().isIntact)
    }

    @Test("ownership is kept when a later version asks for more plays")
    func ownershipKept() async throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        let start = fixture.clock.now
        try ledger.topUp(transferID: "pay-1", user: "lena", amount: 10_000_000)
        try ledger.addPricingVersion(Pricing(previewSeconds: 45, basePrice: 1_000, multiplier: 1, playsToOwn: 2, artistShareBasisPoints: 7_000),
                                     effectiveFrom: start, proposalID: "two-plays")
        for n in 1...2 { _ = try await ledger.chargePlay(fixture.play("a\(n)", listener: "lena", track: "song", at: start + Double(n))) }
        try ledger.addPricingVersion(.resonate, effectiveFrom: start + 100, proposalID: "back-to-nine")
        #expect(try await ledger.chargePlay(fixture.play("a3", listener: "lena", track: "song", at: start + 200)) == .free(reason: .owned))
        #expect(try ledger.trackStatus(listener: "lena", track: "song", at: start + 200).owned)
    }

    @Test("a share of 100 % books only the artist's transfer")
    func zeroPartSkipped() async throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        try ledger.addPricingVersion(Pricing(previewSeconds: 45, basePrice: 2_000, multiplier: 2, playsToOwn: 9, artistShareBasisPoints: 10_000),
                                     effectiveFrom: fixture.clock.now)
        try ledger.topUp(transferID: "pay-1", user: "lena", amount: 2_000)
        let charge = try #require(try await ledger.chargePlay(fixture.play("p1", listener: "lena", artist: "ari", track: "song")).charge)
        #expect(charge.artistPart == 2_000 && charge.cooperativePart == 0)
        #expect(try fixture.count("SELECT count(*) FROM ledger_transfers WHERE play_id = 'p1'") == 1)
        #expect(try ledger.verify().isIntact)
    }

    @Test("500 concurrent plays (each sent twice) across 20 listeners land exactly once, in shared commits")
    func concurrentGroupCommit() async throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        let listeners = (0..<20).map { "listener-\($0)" }
        // 25 plays each: 9 + 9 + 7 over three tracks, all counted. Fund exactly that.
        let cost = 2 * Pricing.resonate.priceToOwn + (1...7).reduce(Int64(0)) { $0 + Pricing.resonate.price(ofPlay: $1) }
        try ledger.submit(listeners.map {
            TransferRequest(id: "fund-\($0)", debit: .paymentsClearing, credit: .listenerWallet($0), amount: cost, code: .topUp)
        })
        let requests = listeners.flatMap { listener in
            (0..<25).map { k in fixture.play("\(listener)-play-\(k)", listener: listener, artist: "artist-\(k % 3)", track: "track-\(k / 9)") }
        }
        let results = try await withThrowingTaskGroup(of: (String, PlayChargeResult).self) { group in
            for request in requests + requests.shuffled() {
                group.addTask { (request.playID, try await ledger.chargePlay(request)) }
            }
            var results: [String: [PlayChargeResult]] = [:]
            for try await (id, result) in group { results[id, default: []].append(result) }
            return results
        }
        #expect(results.count == 500)
        #expect(results.values.allSatisfy { $0.count == 2 && $0[0] == $0[1] && $0[0].charge != nil })
        #expect(try fixture.count("SELECT count(*) FROM ledger_plays") == 500)
        #expect(try fixture.count("SELECT count(*) FROM ledger_transfers WHERE play_id IS NOT NULL") == 1_000)
        for listener in listeners { #expect(try ledger.balance(of: .listenerWallet(listener)).balance == 0) }
        // Each listener's plays of a track are numbered 1, 2, 3... whatever order they arrived in.
        #expect(try fixture.count("SELECT count(DISTINCT listener_id || track_id || play_number) FROM ledger_plays") == 500)
        let statistics = await ledger.playCommitStatistics()
        #expect(statistics.plays == 1_000)
        // 1,000 callers started at once cannot all have waited for separate commits.
        #expect(statistics.commits < statistics.plays)
        #expect(try ledger.verify().isIntact)
    }

    @Test("a refused play does not affect the others committed with it")
    func refusalIsolated() async throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay-1", user: "lena", amount: 5 * 2_000)
        let outcomes = await withTaskGroup(of: Result<PlayChargeResult, LedgerError>.self) { group in
            for track in 0..<10 {
                group.addTask {
                    do throws(LedgerError) {
                        return .success(try await ledger.chargePlay(fixture.play("p\(track)", listener: "lena", track: "t\(track)")))
                    } catch { return .failure(error) }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let charged = outcomes.filter { (try? $0.get())?.charge != nil }.count
        let refused = outcomes.filter {
            if case .failure(.insufficientFunds(.listenerWallet("lena"), 2_000, 0)) = $0 { return true }
            return false
        }.count
        #expect(charged == 5)
        #expect(refused == 5)
        #expect(try ledger.balance(of: .listenerWallet("lena")).balance == 0)
        #expect(try fixture.count("SELECT count(*) FROM ledger_plays") == 5)
        #expect(try ledger.verify().isIntact)
    }
}
