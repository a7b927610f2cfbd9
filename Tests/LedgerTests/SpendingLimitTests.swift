import Foundation
import GRDB
import Ledger
import Testing
import TuttiTestSupport

@Suite("Monthly spending limits, enforced in the charge's transaction", .ownThreads)
struct SpendingLimitTests {
    /// 2027-01-31T22:30:00Z: 23:30 in Berlin (UTC+1), still January in both.
    static let lateJanuary = Date(timeIntervalSince1970: 1_801_434_600)

    @Test("a play past the limit is refused with its own reason though the wallet could pay; nothing is recorded")
    func refusesPastLimit() async throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay-1", user: "lena", amount: 1_000_000)
        let limit = try ledger.setSpendingLimit(listener: "lena", monthlyLimit: 10_000, timeZone: "UTC")
        #expect(limit.spent == 0 && limit.remaining == 10_000)
        #expect(try await ledger.chargePlay(fixture.play("p1", listener: "lena", track: "a")).charge?.price == 2_000)
        #expect(try await ledger.chargePlay(fixture.play("p2", listener: "lena", track: "a")).charge?.price == 4_000)
        await #expect(throws: LedgerError.self) { try await ledger.chargePlay(fixture.play("p3", listener: "lena", track: "a")) }
        do {
            _ = try await ledger.chargePlay(fixture.play("p3", listener: "lena", track: "a"))
        } catch {
            guard case .spendingLimitReached(let listener, let monthly, let spent, let needed, _) = error else {
                Issue.record("expected the spending limit, got \(error)")
                return
            }
            #expect(listener == "lena" && monthly == 10_000 && spent == 6_000 && needed == 8_000)
        }
        #expect(try ledger.balance(of: .listenerWallet("lena")).balance == 994_000)
        #expect(try fixture.count("SELECT count(*) FROM ledger_plays") == 2)
        #expect(try ledger.spendingLimit(listener: "lena")?.spent == 6_000)
        // A retry of a play charged before the limit was reached still returns its charge.
        #expect(try await ledger.chargePlay(fixture.play("p2", listener: "lena", track: "a")).charge?.playNumber == 2)
        // Another listener is not limited; removing the limit lets the play through.
        try ledger.topUp(transferID: "pay-2", user: "max", amount: 100_000)
        #expect(try await ledger.chargePlay(fixture.play("m1", listener: "max", track: "a")).charge != nil)
        #expect(try ledger.removeSpendingLimit(listener: "lena"))
        #expect(try await ledger.chargePlay(fixture.play("p3", listener: "lena", track: "a")).charge?.price == 8_000)
        #expect(try ledger.verify().isIntact)
    }

    @Test("the month starts at midnight in the listener's time zone")
    func monthInTimeZone() async throws {
        let clock = TestClock(Self.lateJanuary)
        let fixture = try LedgerFixture(clock: clock)
        let ledger = fixture.ledger
        for listener in ["berlin", "utc"] {
            try ledger.topUp(transferID: "pay-\(listener)", user: listener, amount: 1_000_000)
        }
        let berlin = try ledger.setSpendingLimit(listener: "berlin", monthlyLimit: 10_000, timeZone: "Europe/Berlin")
        #expect(berlin.monthStart == Date(timeIntervalSince1970: 1_798_758_000))  // 2026-12-31T23:00Z = 1 January in Berlin
        #expect(berlin.monthEnd == Date(timeIntervalSince1970: 1_801_436_400))  // 2027-01-31T23:00Z = 1 February in Berlin
        try ledger.setSpendingLimit(listener: "utc", monthlyLimit: 10_000, timeZone: "UTC")
        for listener in ["berlin", "utc"] {
            for n in 1...2 { _ = try await ledger.chargePlay(fixture.play("\(listener)-\(n)", listener: listener, track: "a")) }
            await #expect(throws: LedgerError.self) { try await ledger.chargePlay(fixture.play("\(listener)-3", listener: listener, track: "a")) }
        }
        // 23:30 UTC: 00:30 on 1 February in Berlin, a new month there; still January in UTC.
        clock.advance(seconds: 3_600)
        #expect(try await ledger.chargePlay(fixture.play("berlin-3", listener: "berlin", track: "a")).charge?.price == 8_000)
        await #expect(throws: LedgerError.self) { try await ledger.chargePlay(fixture.play("utc-3", listener: "utc", track: "a")) }
        clock.advance(seconds: 3_600)  // 1 February in UTC too
        #expect(try ledger.spendingLimit(listener: "utc")?.spent == 0)
        #expect(try ledger.verify().isIntact)
    }

    @Test("setting a limit counts what was already spent this month")
    func countsEarlierSpending() async throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay-1", user: "lena", amount: 1_000_000)
        for n in 1...3 { _ = try await ledger.chargePlay(fixture.play("p\(n)", listener: "lena", track: "a")) }
        let limit = try ledger.setSpendingLimit(listener: "lena", monthlyLimit: 20_000, timeZone: "UTC")
        #expect(limit.spent == 14_000 && limit.remaining == 6_000)
        await #expect(throws: LedgerError.self) { try await ledger.chargePlay(fixture.play("p4", listener: "lena", track: "a")) }
        #expect(try await ledger.chargePlay(fixture.play("b1", listener: "lena", track: "b")).charge?.price == 2_000)
        #expect(throws: LedgerError.invalidRequest("unknown time zone 'Mars/Olympus'")) {
            try ledger.setSpendingLimit(listener: "lena", monthlyLimit: 1, timeZone: "Mars/Olympus")
        }
    }

    @Test("concurrent plays in one group commit never pass the limit together")
    func groupCommit() async throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay-1", user: "lena", amount: 1_000_000)
        try ledger.setSpendingLimit(listener: "lena", monthlyLimit: 7_000, timeZone: "UTC")
        let results = await withTaskGroup(of: Bool.self) { group in
            for n in 0..<8 {
                group.addTask { (try? await ledger.chargePlay(fixture.play("p\(n)", listener: "lena", track: "t\(n)"))) != nil }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.filter { $0 }.count == 3)
        #expect(try ledger.spendingLimit(listener: "lena")?.spent == 6_000)
        #expect(try ledger.balance(of: .listenerWallet("lena")).balance == 994_000)
        #expect(try ledger.verify().isIntact)
    }
}
