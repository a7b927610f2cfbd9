import Foundation
import GRDB
import Ledger
import Testing
import TuttiTestSupport

@Suite("Own it now: what is left to own, in one charge", .ownThreads)
struct PurchaseTests {
    func buy(_ fixture: LedgerFixture, _ id: String, listener: String = "lena", track: String = "song") throws -> Purchase {
        try fixture.ledger.buyRemainingPlays(PurchaseRequest(requestID: id, listenerID: listener, artistID: "ari", trackID: track, at: fixture.clock.now))
    }

    @Test("after three plays, buying costs the six remaining prices; the track is then owned as if the ninth play had counted")
    func buysTheRest() async throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay-1", user: "lena", amount: 2_000_000)
        for n in 1...3 { _ = try await ledger.chargePlay(fixture.play("s\(n)", listener: "lena", artist: "ari", track: "song")) }
        #expect(try ledger.priceLeftToOwn(listener: "lena", track: "song") == 1_008_000)
        let purchase = try buy(fixture, "buy-1")
        #expect(purchase.plays == 4...9)
        #expect(purchase.price == 1_022_000 - 14_000)
        #expect(purchase.artistPart + purchase.cooperativePart == purchase.price)
        // Each play split as a counted play is: 70 % rounded down, the rest to the cooperative.
        #expect(purchase.artistPart == [16_000, 32_000, 64_000, 128_000, 256_000, 512_000].map { $0 * 7 / 10 }.reduce(0, +))
        #expect(purchase.walletBalanceAfter == 2_000_000 - 1_022_000)
        #expect(try ledger.balance(of: .listenerWallet("lena")).balance == 978_000)
        #expect(try ledger.balance(of: .artistEarnings("ari")).balance == 715_400)
        #expect(try ledger.balance(of: .treasury).balance == 306_600)
        let status = try ledger.trackStatus(listener: "lena", track: "song")
        #expect(status.owned && status.countedPlays == 9 && status.nextPrice == 0)
        #expect(try await ledger.chargePlay(fixture.play("s10", listener: "lena", artist: "ari", track: "song")) == .free(reason: .owned))
        #expect(try ledger.priceLeftToOwn(listener: "lena", track: "song") == 0)
        let report = try ledger.verify()
        #expect(report.isIntact, "\(report)")
    }

    @Test("idempotent per request id; a used id for another track, or a track owned already, is refused")
    func idempotent() async throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay-1", user: "lena", amount: 3_000_000)
        let first = try buy(fixture, "buy-1")
        fixture.clock.advance(seconds: 60)
        #expect(try buy(fixture, "buy-1") == first)
        #expect(try ledger.balance(of: .listenerWallet("lena")).balance == 3_000_000 - 1_022_000)
        #expect(throws: LedgerError.conflictingRetry(transferID: "buy-1")) { try buy(fixture, "buy-1", track: "other") }
        #expect(throws: LedgerError.alreadyOwned(listener: "lena", track: "song")) { try buy(fixture, "buy-2") }
        #expect(throws: LedgerError.self) { try buy(fixture, "bad id!") }
        #expect(try fixture.count("SELECT count(*) FROM ledger_purchases") == 1)
        #expect(try fixture.count("SELECT count(*) FROM ledger_plays") == 9)
        #expect(try ledger.verify().isIntact)
    }

    @Test("refused whole when the wallet or the monthly limit cannot cover it: nothing is recorded")
    func refusals() async throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay-1", user: "lena", amount: 1_021_999)
        #expect(throws: LedgerError.insufficientFunds(account: .listenerWallet("lena"), needed: 1_022_000, available: 1_021_999)) {
            try buy(fixture, "buy-1")
        }
        try ledger.topUp(transferID: "pay-2", user: "lena", amount: 1)
        try ledger.setSpendingLimit(listener: "lena", monthlyLimit: 1_000_000, timeZone: "UTC")
        do {
            _ = try buy(fixture, "buy-2")
            Issue.record("the limit should refuse it")
        } catch let error as LedgerError {
            guard case .spendingLimitReached(_, 1_000_000, 0, 1_022_000, _) = error else { Issue.record("got \(error)"); return }
        }
        #expect(try fixture.count("SELECT count(*) FROM ledger_plays") == 0)
        #expect(try fixture.count("SELECT count(*) FROM ledger_transfers") == 2)
        try ledger.setSpendingLimit(listener: "lena", monthlyLimit: 1_022_000, timeZone: "UTC")
        #expect(try buy(fixture, "buy-3").price == 1_022_000)
        #expect(try ledger.spendingLimit(listener: "lena")?.remaining == 0)
        #expect(try ledger.verify().isIntact)
    }

    @Test("priced by the pricing version in force when bought")
    func pricingInForce() async throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay-1", user: "lena", amount: 1_000_000)
        _ = try await ledger.chargePlay(fixture.play("s1", listener: "lena", artist: "ari", track: "song"))
        fixture.clock.advance(seconds: 10)
        let cheaper = Pricing(previewSeconds: 45, basePrice: 1_000, multiplier: 2, playsToOwn: 5, artistShareBasisPoints: 8_000)
        let version = try ledger.addPricingVersion(cheaper, effectiveFrom: fixture.clock.now)
        fixture.clock.advance(seconds: 10)
        let purchase = try buy(fixture, "buy-1")
        #expect(purchase.pricingVersion == version.version)
        #expect(purchase.plays == 2...5)
        #expect(purchase.price == 2_000 + 4_000 + 8_000 + 16_000)
        #expect(purchase.artistPart == 24_000)
        #expect(try ledger.verify().isIntact)
    }
}
