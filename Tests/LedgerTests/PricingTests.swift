import Foundation
import Ledger
import Testing

@Suite("Stream-to-own pricing")
struct PricingTests {
    @Test("play n costs base × multiplier^(n−1) until owned, then nothing", arguments: [
        (play: 1, price: Int64(2_000)), (play: 2, price: 4_000), (play: 3, price: 8_000), (play: 8, price: 256_000),
        (play: 9, price: 512_000), (play: 10, price: 0), (play: 1_000, price: 0),
    ])
    func streamToOwnPrice(play: Int, price: Int64) {
        #expect(Pricing.resonate.price(ofPlay: play) == price)
    }

    @Test("owning a track costs 1.022 credit under the defaults")
    func priceToOwn() {
        #expect(Pricing.resonate.priceToOwn == 1_022_000)
        #expect((1...9).reduce(Int64(0)) { $0 + Pricing.resonate.price(ofPlay: $1) } == 1_022_000)
    }

    @Test("the artist's part is rounded down, the cooperative gets the rest, they sum to the price", arguments: [
        (price: Int64(2_000), shareBP: 7_000, artist: Int64(1_400), cooperative: Int64(600)),
        (price: 512_000, shareBP: 7_000, artist: 358_400, cooperative: 153_600),
        (price: 1, shareBP: 7_000, artist: 0, cooperative: 1),
        (price: 3, shareBP: 3_333, artist: 0, cooperative: 3),
        (price: 10_001, shareBP: 5_000, artist: 5_000, cooperative: 5_001),
        (price: 999, shareBP: 10_000, artist: 999, cooperative: 0),
        (price: 999, shareBP: 0, artist: 0, cooperative: 999),
        (price: Int64.max, shareBP: 9_999, artist: 9_222_449_699_651_090_329, cooperative: 922_337_203_685_478),
    ])
    func split(price: Int64, shareBP: Int, artist: Int64, cooperative: Int64) {
        var pricing = Pricing.resonate
        pricing.artistShareBasisPoints = shareBP
        let parts = pricing.split(price)
        #expect(parts.artist == artist)
        #expect(parts.cooperative == cooperative)
        #expect(parts.artist + parts.cooperative == price)
    }

    @Test("values the ledger cannot charge with are refused", arguments: [
        (Pricing(previewSeconds: 45, basePrice: 2_000, multiplier: 2, playsToOwn: 0, artistShareBasisPoints: 7_000), "plays to own"),
        (Pricing(previewSeconds: 45, basePrice: 2_000, multiplier: 0, playsToOwn: 9, artistShareBasisPoints: 7_000), "multiplier"),
        (Pricing(previewSeconds: 45, basePrice: -1, multiplier: 2, playsToOwn: 9, artistShareBasisPoints: 7_000), "base price"),
        (Pricing(previewSeconds: -1, basePrice: 2_000, multiplier: 2, playsToOwn: 9, artistShareBasisPoints: 7_000), "preview"),
        (Pricing(previewSeconds: 45, basePrice: 2_000, multiplier: 2, playsToOwn: 9, artistShareBasisPoints: 10_001), "artist share"),
        (Pricing(previewSeconds: 45, basePrice: 2_000, multiplier: 2, playsToOwn: 9, artistShareBasisPoints: -1), "artist share"),
        // Play 2 would cost 10^19 units: beyond Int64 (≈ 9.22e18).
        (Pricing(previewSeconds: 45, basePrice: 5_000_000_000_000_000_000, multiplier: 2, playsToOwn: 2, artistShareBasisPoints: 7_000), "play 2"),
        // Play 53 costs 2_000 × 2^52 ≈ 9.007e18, which fits, but the 53 plays together do not.
        (Pricing(previewSeconds: 45, basePrice: 2_000, multiplier: 2, playsToOwn: 53, artistShareBasisPoints: 7_000), "more than Int64"),
        (Pricing(previewSeconds: 45, basePrice: Int64.max / 2, multiplier: 1, playsToOwn: 3, artistShareBasisPoints: 7_000), "overflow"),
    ])
    func invalidPricing(pricing: Pricing, mentions: String) {
        #expect {
            try pricing.validate()
        } throws: { error in
            guard case .invalidPricing(let reason) = error as? LedgerError else { return false }
            return reason.contains(mentions)
        }
    }

    @Test("edge values that fit are accepted")
    func validEdges() throws {
        try Pricing(previewSeconds: 0, basePrice: 0, multiplier: 1, playsToOwn: 1, artistShareBasisPoints: 0).validate()
        try Pricing(previewSeconds: 45, basePrice: 2_000, multiplier: 2, playsToOwn: 52, artistShareBasisPoints: 10_000).validate()
        try Pricing(previewSeconds: 45, basePrice: 1, multiplier: 1, playsToOwn: 1_000_000, artistShareBasisPoints: 7_000).validate()
    }

    @Test("version 1 holds the defaults, in force since the distant past")
    func defaultVersion() throws {
        let fixture = try LedgerFixture()
        let versions = try fixture.ledger.pricingVersions()
        #expect(versions.count == 1)
        #expect(versions[0].version == 1)
        #expect(versions[0].pricing == .resonate)
        #expect(versions[0].effectiveFrom == Date.distantPast)
        #expect(versions[0].proposalID == nil)
        #expect(try fixture.ledger.pricing(at: Date(timeIntervalSince1970: 0)).version == 1)
    }

    @Test("new versions need valid values and strictly later effective times; a proposal creates one version")
    func addingVersions() throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        let t0 = fixture.clock.now
        let cheaper = Pricing(previewSeconds: 30, basePrice: 1_000, multiplier: 3, playsToOwn: 5, artistShareBasisPoints: 8_000)
        let v2 = try ledger.addPricingVersion(cheaper, effectiveFrom: t0 + 100, proposalID: "proposal-a")
        #expect(v2.version == 2)
        // The same proposal again returns the version it made; other values conflict.
        #expect(try ledger.addPricingVersion(cheaper, effectiveFrom: t0 + 100, proposalID: "proposal-a") == v2)
        #expect(throws: LedgerError.conflictingPricingProposal(proposalID: "proposal-a")) {
            try ledger.addPricingVersion(.resonate, effectiveFrom: t0 + 200, proposalID: "proposal-a")
        }
        for effective in [t0 + 100, t0 + 50] {
            #expect {
                try ledger.addPricingVersion(.resonate, effectiveFrom: effective, proposalID: "proposal-b")
            } throws: { error in
                guard case .invalidPricing = error as? LedgerError else { return false }
                return true
            }
        }
        let v3 = try ledger.addPricingVersion(.resonate, effectiveFrom: t0 + 200, proposalID: "proposal-b")
        #expect(v3.version == 3)
        #expect(try ledger.pricing(at: t0 + 99.999).version == 1)
        #expect(try ledger.pricing(at: t0 + 100).version == 2)
        #expect(try ledger.pricing(at: t0 + 199).version == 2)
        #expect(try ledger.pricing(at: t0 + 10_000).version == 3)
        #expect(try ledger.pricingVersions().map(\.version) == [1, 2, 3])
    }
}
