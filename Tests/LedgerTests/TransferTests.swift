import Foundation
import GRDB
import Ledger
import Testing
import TuttiTestSupport

@Suite("Transfers: idempotent, linked, never below zero, append-only", .ownThreads)
struct TransferTests {
    @Test("a retry with the same id and fields returns the stored transfer and changes nothing")
    func idempotentRetry() throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        let first = try ledger.topUp(transferID: "pay-1", user: "alice", amount: 5_000_000, reference: "psp-123")
        fixture.clock.advance(seconds: 60)
        let retry = try ledger.topUp(transferID: "pay-1", user: "alice", amount: 5_000_000, reference: "psp-123")
        #expect(retry == first)
        #expect(try ledger.balance(of: .listenerWallet("alice")).balance == 5_000_000)
        #expect(try ledger.balance(of: .paymentsClearing).balance == -5_000_000)
        #expect(try fixture.count("SELECT count(*) FROM ledger_transfers") == 1)
    }

    @Test("the same id with different fields is a conflicting retry", arguments: [
        TransferRequest(id: "pay-1", debit: .paymentsClearing, credit: .listenerWallet("alice"), amount: 5_000_001, code: .topUp),
        TransferRequest(id: "pay-1", debit: .paymentsClearing, credit: .listenerWallet("bob"), amount: 5_000_000, code: .topUp),
        TransferRequest(id: "pay-1", debit: .paymentsClearing, credit: .listenerWallet("alice"), amount: 5_000_000, code: .adminCredit),
        TransferRequest(id: "pay-1", debit: .paymentsClearing, credit: .listenerWallet("alice"), amount: 5_000_000, code: .topUp,
                        details: TransferDetails(reference: "psp-other")),
    ])
    func conflictingRetry(retry: TransferRequest) throws {
        let fixture = try LedgerFixture()
        try fixture.ledger.topUp(transferID: "pay-1", user: "alice", amount: 5_000_000)
        #expect(throws: LedgerError.conflictingRetry(transferID: "pay-1")) { try fixture.ledger.submit([retry]) }
        #expect(try fixture.ledger.balance(of: .listenerWallet("alice")).balance == 5_000_000)
        #expect(try fixture.count("SELECT count(*) FROM ledger_transfers") == 1)
    }

    @Test("a linked set commits all or nothing; a retry of the set returns it; reusing part of it conflicts")
    func linkedAllOrNothing() throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay-1", user: "alice", amount: 1_000)
        let set = [
            TransferRequest(id: "fix-1", debit: .listenerWallet("alice"), credit: .treasury, amount: 600, code: .adjustment),
            TransferRequest(id: "fix-2", debit: .listenerWallet("alice"), credit: .artistEarnings("bea"), amount: 500, code: .adjustment),
        ]
        // The second transfer overdraws the wallet after the first: neither is applied.
        #expect(throws: LedgerError.insufficientFunds(account: .listenerWallet("alice"), needed: 500, available: 400)) {
            try ledger.submit(set)
        }
        #expect(try ledger.balance(of: .listenerWallet("alice")).balance == 1_000)
        #expect(try ledger.balance(of: .treasury).balance == 0)
        #expect(try fixture.count("SELECT count(*) FROM ledger_transfers") == 1)

        var affordable = set
        affordable[1].amount = 400
        let booked = try ledger.submit(affordable)
        #expect(booked.map(\.sequence) == [2, 3])
        #expect(booked.allSatisfy { $0.linkedGroup == "fix-1" })
        #expect(try ledger.balance(of: .listenerWallet("alice")).balance == 0)
        #expect(try ledger.submit(affordable) == booked)
        #expect(throws: LedgerError.conflictingRetry(transferID: "fix-2")) { try ledger.submit([affordable[1]]) }
        #expect(throws: LedgerError.conflictingRetry(transferID: "fix-1")) {
            try ledger.submit(affordable + [TransferRequest(id: "fix-3", debit: .treasury, credit: .payouts, amount: 1, code: .adjustment)])
        }
        #expect(try fixture.count("SELECT count(*) FROM ledger_transfers") == 3)
        #expect(try ledger.verify().isIntact)
    }

    @Test("malformed requests are refused before anything is written", arguments: [
        TransferRequest(id: "", debit: .paymentsClearing, credit: .listenerWallet("alice"), amount: 1, code: .topUp),
        TransferRequest(id: "t", debit: .paymentsClearing, credit: .listenerWallet("alice"), amount: 0, code: .topUp),
        TransferRequest(id: "t", debit: .paymentsClearing, credit: .listenerWallet("alice"), amount: -5, code: .topUp),
        TransferRequest(id: "t", debit: .treasury, credit: .treasury, amount: 1, code: .adjustment),
        TransferRequest(id: "t", debit: .paymentsClearing, credit: .listenerWallet(""), amount: 1, code: .topUp),
        TransferRequest(id: "play:x:artist", debit: .paymentsClearing, credit: .listenerWallet("alice"), amount: 1, code: .topUp),
        TransferRequest(id: "t", debit: .listenerWallet("alice"), credit: .treasury, amount: 1, code: .playCooperativeShare),
    ])
    func malformed(request: TransferRequest) throws {
        let fixture = try LedgerFixture()
        #expect {
            try fixture.ledger.submit([request])
        } throws: { error in
            guard case .invalidRequest = error as? LedgerError else { return false }
            return true
        }
        #expect(try fixture.count("SELECT count(*) FROM ledger_transfers") == 0)
    }

    @Test("a wallet never goes below zero: the ledger refuses, and so does the database itself")
    func walletNeverNegative() throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay-1", user: "alice", amount: 1_000)
        #expect(throws: LedgerError.insufficientFunds(account: .listenerWallet("alice"), needed: 1_001, available: 1_000)) {
            try ledger.submit([TransferRequest(id: "spend", debit: .listenerWallet("alice"), credit: .treasury, amount: 1_001, code: .adjustment)])
        }
        // Straight SQL, bypassing the ledger: the CHECK constraint on the account refuses.
        #expect(throws: DatabaseError.self) {
            try fixture.sql("UPDATE ledger_accounts SET debits_posted = credits_posted + 1 WHERE kind = 'listener_wallet'")
        }
        #expect(try ledger.balance(of: .listenerWallet("alice")).balance == 1_000)
        #expect(try ledger.verify().isIntact)
        // A raw transfer row that overdraws without touching the totals gets in, but not past verify.
        try fixture.pool.write { db in
            let head = try Row.fetchOne(db, sql: "SELECT sequence, hash FROM ledger_transfers ORDER BY sequence DESC LIMIT 1")!
            let wallet = try Int64.fetchOne(db, sql: "SELECT id FROM ledger_accounts WHERE kind = 'listener_wallet'")!
            try db.execute(sql: """
                INSERT INTO ledger_transfers (sequence, id, debit_account_id, credit_account_id, amount, code, created_at_ms, previous_hash, hash)
                VALUES (?, 'raw', ?, 1, 5000, 'adjustment', 0, ?, zeroblob(32))
                """, arguments: [(head["sequence"] as Int64) + 1, wallet, head["hash"] as Data])
        }
        let report = try ledger.verify()
        #expect(report.failures.contains { $0.check == .negativeBalance && $0.transferID == "raw" })
        #expect(report.failures.contains { $0.check == .accountTotals && $0.account == .listenerWallet("alice") })
    }

    @Test("transfers are append-only: the database refuses UPDATE and DELETE", arguments: [
        "UPDATE ledger_transfers SET amount = 1", "DELETE FROM ledger_transfers",
        "UPDATE ledger_plays SET price = 0", "DELETE FROM ledger_plays",
        "UPDATE ledger_pricing_versions SET base_price = 1", "DELETE FROM ledger_pricing_versions",
        "DELETE FROM ledger_accounts", "UPDATE ledger_accounts SET owner = 'mallory' WHERE kind = 'listener_wallet'",
        "UPDATE ledger_accounts SET credits_posted = 0",
    ])
    func appendOnly(statement: String) async throws {
        let fixture = try LedgerFixture()
        try fixture.ledger.topUp(transferID: "pay-1", user: "alice", amount: 1_000_000)
        _ = try #require(try await fixture.ledger.chargePlay(fixture.play("p1", listener: "alice", track: "t1")).charge)
        let before = try fixture.ledger.verify()
        #expect {
            try fixture.sql(statement)
        } throws: { error in
            (error as? DatabaseError)?.message?.contains("ledger") == true
        }
        let after = try fixture.ledger.verify()
        #expect(after.isIntact)
        #expect(after == before)
    }

    @Test("a used sequence or transfer id is refused by the database", arguments: [
        "(1, 'other', 2, 1, 5, 'adjustment', 0, zeroblob(32), zeroblob(32))",
        "(2, 'pay-1', 2, 1, 5, 'adjustment', 0, zeroblob(32), zeroblob(32))",
    ])
    func sequenceAndIDUnique(row: String) throws {
        let fixture = try LedgerFixture()
        try fixture.ledger.topUp(transferID: "pay-1", user: "alice", amount: 1_000)
        #expect {
            try fixture.sql("""
                INSERT INTO ledger_transfers (sequence, id, debit_account_id, credit_account_id, amount, code, created_at_ms, previous_hash, hash)
                VALUES \(row)
                """)
        } throws: { error in
            (error as? DatabaseError)?.resultCode == .SQLITE_CONSTRAINT
        }
    }
}
