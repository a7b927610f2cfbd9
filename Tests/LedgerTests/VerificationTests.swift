import Foundation
import GRDB
@testable import Ledger
import Testing
import TuttiTestSupport

@Suite("verify: catches any edit to history", .ownThreads)
struct VerificationTests {
    /// A small ledger: two listeners, plays of two artists, a payout.
    static func populated(_ label: String = #function) async throws -> LedgerFixture {
        let fixture = try LedgerFixture(label)
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay-lena", user: "lena", amount: 2_000_000, reference: "psp-1")
        try ledger.adminCredit(transferID: "bank-milo", user: "milo", amount: 1_000_000, actor: "admin-1", reason: "bank transfer 2026-11-02")
        for n in 0..<12 {
            _ = try await ledger.chargePlay(fixture.play("lena-\(n)", listener: "lena", artist: "ari", track: "t\(n / 9)"))
            _ = try await ledger.chargePlay(fixture.play("milo-\(n)", listener: "milo", artist: "bea", track: "u\(n % 2)"))
            fixture.clock.advance(seconds: 30)
        }
        try ledger.markPaid(transferID: "payout-ari-1", artist: "ari", amount: 500_000, actor: "treasurer")
        return fixture
    }

    /// Recomputes every transfer's hash and link in order, as someone with the file and this
    /// source code could after editing history (the append-only trigger must be dropped first).
    static func rehashChain(_ db: Database) throws {
        var previous = TransferHash.genesis
        for row in try Row.fetchAll(db, sql: TransferRow.select + " ORDER BY t.sequence") {
            let transfer = try TransferRow.decode(row)
            let hash = TransferHash.compute(previous: previous, HashedFields(
                sequence: transfer.sequence, id: transfer.id, debit: transfer.debit, credit: transfer.credit,
                amount: transfer.amount, code: transfer.code.rawValue, linkedGroup: transfer.linkedGroup,
                details: transfer.details, timestampMilliseconds: try Timestamp.milliseconds(transfer.timestamp)))
            try db.execute(sql: "UPDATE ledger_transfers SET previous_hash = ?, hash = ? WHERE sequence = ?",
                           arguments: [Data(previous), Data(hash), transfer.sequence])
            previous = hash
        }
    }

    @Test("an untouched ledger is intact and the report counts it")
    func intact() async throws {
        let fixture = try await Self.populated()
        let report = try fixture.ledger.verify()
        #expect(report.isIntact, "\(report)")
        #expect(report.transfers == 2 + 24 * 2 + 1)
        #expect(report.plays == 24)
        #expect(report.accounts == 3 + 2 + 2)
        #expect(report.headSequence == 51)
        let spentOnPlays = try await fixture.pool.read { try Int64.fetchOne($0, sql: "SELECT sum(price) FROM ledger_plays") ?? 0 }
        #expect(report.totalAmount == 3_000_000 + spentOnPlays + 500_000)
        // A stopped database, opened afresh, verifies the same.
        try fixture.pool.close()
        let reopened = try DatabaseQueue(path: fixture.path)
        #expect(try Ledger.verify(reopened) == report)
    }

    @Test("plays renumbered out of their charges' order are caught (a wallet's history relies on that order)")
    func chargeOrder() async throws {
        let fixture = try await Self.populated()
        try fixture.sql("DROP TRIGGER ledger_plays_no_update")
        // Swap the row sequences of the first two plays.
        try fixture.sql("UPDATE ledger_plays SET sequence = -1 WHERE sequence = 1")
        try fixture.sql("UPDATE ledger_plays SET sequence = 1 WHERE sequence = 2")
        try fixture.sql("UPDATE ledger_plays SET sequence = 2 WHERE sequence = -1")
        // Their charges' ids, made from the play sequences, no longer match either.
        let report = try fixture.ledger.verify()
        #expect(report.failures.allSatisfy { $0.check == .plays })
        #expect(report.failures.contains { $0.detail.contains("out of their plays' order") }, "\(report)")
    }

    @Test("a transfer that names a play or looks like a play id, without being its charge, is no play charge")
    func namesAPlay() async throws {
        let fixture = try await Self.populated()
        _ = try fixture.ledger.submit([
            TransferRequest(id: "refund-lena-3", debit: .treasury, credit: .listenerWallet("lena"), amount: 300, code: .adjustment,
                            details: TransferDetails(playID: "lena-3", note: "charged twice")),
            TransferRequest(id: "Play:bonus", debit: .treasury, credit: .listenerWallet("milo"), amount: 100, code: .adjustment),
        ])
        let report = try fixture.ledger.verify()
        #expect(report.isIntact, "\(report)")
        // A real play charge taken out of its play is still caught.
        try fixture.sql("DROP TRIGGER ledger_plays_no_delete")
        try fixture.sql("DELETE FROM ledger_plays WHERE play_id = 'milo-11'")
        #expect(try fixture.ledger.verify().failures.contains { $0.detail.contains("play transfers for plays that call for") })
    }

    @Test("an amount changed after dropping the append-only trigger is caught at that transfer")
    func amountTampered() async throws {
        let fixture = try await Self.populated()
        let target = try fixture.pool.read { try Row.fetchOne($0, sql: "SELECT sequence, id FROM ledger_transfers WHERE play_id = 'lena-3' ORDER BY sequence LIMIT 1")! }
        try fixture.sql("DROP TRIGGER ledger_transfers_no_update")
        try fixture.sql("UPDATE ledger_transfers SET amount = 1 WHERE sequence = ?", [target["sequence"]])
        let report = try fixture.ledger.verify()
        #expect(!report.isIntact)
        let first = try #require(report.firstFailure)
        #expect(first.check == .hashChain)
        #expect(first.sequence == target["sequence"])
        #expect(first.transferID == target["id"])
        // The accounts no longer match their transfers either, and the play its transfers.
        #expect(report.failures.contains { $0.check == .accountTotals && $0.account == .artistEarnings("ari") })
        #expect(report.failures.contains { $0.check == .plays && $0.playID == "lena-3" })
    }

    @Test("a balance column edited by hand is caught on that account")
    func balanceTampered() async throws {
        let fixture = try await Self.populated()
        // Totals may only grow, so the trigger lets this through; verify must not.
        try fixture.sql("UPDATE ledger_accounts SET credits_posted = credits_posted + 1000000 WHERE kind = 'listener_wallet' AND owner = 'milo'")
        let report = try fixture.ledger.verify()
        #expect(!report.isIntact)
        let first = try #require(report.firstFailure)
        #expect(first.check == .accountTotals)
        #expect(first.account == .listenerWallet("milo"))
        #expect(first.sequence == nil)
        #expect(report.failures.contains { $0.check == .totals })
    }

    @Test("a broken hash is caught at its transfer and at the link after it")
    func hashTampered() async throws {
        let fixture = try await Self.populated()
        try fixture.sql("DROP TRIGGER ledger_transfers_no_update")
        try fixture.sql("UPDATE ledger_transfers SET hash = randomblob(32) WHERE sequence = 20")
        let report = try fixture.ledger.verify()
        let first = try #require(report.firstFailure)
        #expect(first.check == .hashChain)
        #expect(first.sequence == 20)
        #expect(report.failures.contains { $0.check == .hashChain && $0.sequence == 21 && $0.detail.contains("previous_hash") })
    }

    @Test("a deleted transfer is caught as a gap in the sequence")
    func transferDeleted() async throws {
        let fixture = try await Self.populated()
        try fixture.sql("DROP TRIGGER ledger_transfers_no_delete")
        try fixture.sql("DELETE FROM ledger_transfers WHERE sequence = 30")
        let report = try fixture.ledger.verify()
        let first = try #require(report.firstFailure)
        #expect(first.sequence == 31)
        #expect(report.failures.contains { $0.check == .sequence && $0.sequence == 31 })
    }

    @Test("a play row edited by hand is caught against its transfers and the pricing")
    func playTampered() async throws {
        let fixture = try await Self.populated()
        try fixture.sql("DROP TRIGGER ledger_plays_no_update")
        try fixture.sql("UPDATE ledger_plays SET price = 1000, artist_part = 700, cooperative_part = 300 WHERE play_id = 'milo-5'")
        let report = try fixture.ledger.verify()
        #expect(report.failures.map(\.playID).contains("milo-5"))
        #expect(report.failures.allSatisfy { $0.check == .plays })
    }

    @Test("history rewritten with recomputed hashes passes the chain alone; a published anchor catches it")
    func anchorCatchesRewrite() async throws {
        let fixture = try await Self.populated()
        let anchor = try fixture.ledger.verify()
        let published = ChainAnchor(sequence: anchor.headSequence, hash: try #require(anchor.headHash))
        // An attacker with the file and this source code: move 0.5 credit more into milo's wallet
        // at the start and fix the account totals and every later hash so all sums agree.
        try await fixture.pool.write { db in
            for trigger in ["ledger_transfers_no_update", "ledger_accounts_totals_grow"] {
                try db.execute(sql: "DROP TRIGGER \(trigger)")
            }
            try db.execute(sql: "UPDATE ledger_transfers SET amount = amount + 500000 WHERE id = 'bank-milo'")
            try db.execute(sql: "UPDATE ledger_accounts SET credits_posted = credits_posted + 500000 WHERE kind = 'listener_wallet' AND owner = 'milo'")
            try db.execute(sql: "UPDATE ledger_accounts SET debits_posted = debits_posted + 500000 WHERE kind = 'payments_clearing'")
            try Self.rehashChain(db)
        }
        // The chain has no secret: a consistent rewrite is undetectable from the file alone...
        #expect(try fixture.ledger.verify().isIntact)
        // ...which is what anchors kept elsewhere are for.
        let anchored = try fixture.ledger.verify(anchors: [published])
        #expect(anchored.failures.map(\.check) == [.anchor])
        #expect(anchored.firstFailure?.sequence == published.sequence)
    }
}
