import Foundation
import Ledger
import Testing
import TuttiTestSupport

@Suite("Read models: track status, wallet history, statements, payouts", .ownThreads)
struct ReadModelTests {
    @Test("track status tells the counted plays, the next price and the plays left to own")
    func trackStatus() async throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay-1", user: "lena", amount: 1_000_000)
        #expect(try ledger.trackStatus(listener: "lena", track: "song") == ListenerTrackStatus(
            listenerID: "lena", trackID: "song", countedPlays: 0, owned: false, nextPrice: 2_000, playsRemainingToOwn: 9, pricingVersion: 1))
        for n in 0..<3 { _ = try await ledger.chargePlay(fixture.play("p\(n)", listener: "lena", track: "song")) }
        _ = try await ledger.chargePlay(fixture.play("q", listener: "lena", track: "other"))
        #expect(try ledger.trackStatus(listener: "lena", track: "song") == ListenerTrackStatus(
            listenerID: "lena", trackID: "song", countedPlays: 3, owned: false, nextPrice: 16_000, playsRemainingToOwn: 6, pricingVersion: 1))
        #expect(try ledger.trackStatuses(listener: "lena").map { [$0.trackID: $0.countedPlays] } == [["song": 3], ["other": 1]])
    }

    @Test("wallet history lists money in and out, newest first, page by page")
    func walletHistory() async throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay-1", user: "lena", amount: 100_000)
        try ledger.topUp(transferID: "pay-other", user: "milo", amount: 100_000)
        for n in 0..<3 {
            _ = try await ledger.chargePlay(fixture.play("p\(n)", listener: "lena", artist: "ari", track: "song"))
            _ = try await ledger.chargePlay(fixture.play("m\(n)", listener: "milo", artist: "ari", track: "song"))
        }
        var pages: [[WalletEntry]] = []
        var cursor: Int64?
        repeat {
            let page = try ledger.walletHistory(listener: "lena", limit: 3, before: cursor)
            pages.append(page.entries)
            cursor = page.nextCursor
        } while cursor != nil
        let entries = pages.flatMap { $0 }
        #expect(pages.map(\.count) == [3, 3, 1])
        #expect(entries.map(\.transfer.sequence) == entries.map(\.transfer.sequence).sorted(by: >))
        #expect(entries.map(\.change) == [-2_400, -5_600, -1_200, -2_800, -600, -1_400, 100_000])
        #expect(entries.allSatisfy { $0.transfer.debit == .listenerWallet("lena") || $0.transfer.credit == .listenerWallet("lena") })
        #expect(entries.reduce(0) { $0 + $1.change } == (try ledger.balance(of: .listenerWallet("lena")).balance))
        #expect(try ledger.walletHistory(listener: "nobody").entries.isEmpty)
    }

    @Test("an artist's statement lists every counted play with totals, and renders as RFC 4180 CSV")
    func statement() async throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay-1", user: "lena", amount: 1_000_000)
        _ = try await ledger.chargePlay(fixture.play("p1", listener: "lena", artist: "ari", track: "t,1"))
        fixture.clock.advance(seconds: 1.5)
        _ = try await ledger.chargePlay(fixture.play("p\"2", listener: "lena", artist: "ari", track: "t,1"))
        _ = try await ledger.chargePlay(fixture.play("p3", listener: "lena", artist: "bea", track: "x"))
        let statement = try ledger.statement(artist: "ari")
        #expect(statement.rows.map(\.playID) == ["p1", "p\"2"])
        #expect(statement.totalPrice == 6_000)
        #expect(statement.totalArtistPart == 4_200)
        #expect(statement.totalCooperativePart == 1_800)
        let start = fixture.clock.now - 1.5
        let csv = statement.csv()
        #expect(csv == """
            play_id,track_id,played_at,price_units,artist_part_units,cooperative_part_units,pricing_version,price_credits,artist_part_credits\r
            p1,"t,1",2027-01-15T08:00:00.000Z,2000,1400,600,1,0.002000,0.001400\r
            "p""2","t,1",2027-01-15T08:00:01.500Z,4000,2800,1200,1,0.004000,0.002800\r
            total,,,6000,4200,1800,,0.006000,0.004200\r

            """)
        #expect(try ledger.statement(artist: "ari", from: start + 1).rows.map(\.playID) == ["p\"2"])
        #expect(try ledger.statement(artist: "ari", until: start + 1).rows.map(\.playID) == ["p1"])
    }

    @Test("payouts: artists at or above the threshold are due; paying books earnings → payouts, never more than earned")
    func payouts() async throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay-1", user: "lena", amount: 50_000_000)
        for track in 0..<15 {
            for n in 0..<9 {
                _ = try await ledger.chargePlay(fixture.play("a\(track)-\(n)", listener: "lena", artist: track < 14 ? "ari" : "bea", track: "t\(track)"))
            }
        }
        // ari: 14 tracks owned = 14 × 715_400 = 10_015_600; bea: 715_400.
        #expect(try ledger.payoutsDue() == [PayoutDue(artistID: "ari", balance: 10_015_600)])
        #expect(try ledger.payoutsDue(threshold: 1) == [PayoutDue(artistID: "ari", balance: 10_015_600), PayoutDue(artistID: "bea", balance: 715_400)])
        #expect(Ledger.payoutsCSV(try ledger.payoutsDue()) == "artist_id,balance_units,balance_credits\r\nari,10015600,10.015600\r\n")
        #expect(throws: LedgerError.insufficientFunds(account: .artistEarnings("ari"), needed: 10_015_601, available: 10_015_600)) {
            try ledger.markPaid(transferID: "payout-1", artist: "ari", amount: 10_015_601, actor: "treasurer")
        }
        let payout = try ledger.markPaid(transferID: "payout-1", artist: "ari", amount: 10_000_000, actor: "treasurer", reference: "SEPA-77")
        #expect(payout.details.actor == "treasurer")
        #expect(payout.code == .payout)
        #expect(try ledger.markPaid(transferID: "payout-1", artist: "ari", amount: 10_000_000, actor: "treasurer", reference: "SEPA-77") == payout)
        #expect(try ledger.payoutsDue().isEmpty)
        #expect(try ledger.balance(of: .payouts).balance == 10_000_000)
        #expect(try ledger.verify().isIntact)
    }

    @Test("an admin credit records who and why; both are required")
    func adminCredit() throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        let credit = try ledger.adminCredit(transferID: "bank-1", user: "lena", amount: 3_000_000, actor: "admin-7", reason: "bank transfer, ref 42")
        #expect(credit.details.actor == "admin-7")
        #expect(credit.details.note == "bank transfer, ref 42")
        #expect(credit.debit == .paymentsClearing)
        #expect(throws: LedgerError.invalidRequest("an admin credit needs a reason")) {
            try ledger.adminCredit(transferID: "bank-2", user: "lena", amount: 1, actor: "admin-7", reason: "")
        }
        #expect(throws: LedgerError.invalidRequest("actor is empty")) {
            try ledger.adminCredit(transferID: "bank-2", user: "lena", amount: 1, actor: "", reason: "x")
        }
    }
}
