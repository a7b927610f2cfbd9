import Foundation
import GRDB
import GRDBSQLite
@testable import Ledger
import Testing
import TuttiTestSupport

@Suite("Wallet history without play charges in the account indexes", .ownThreads)
struct WalletHistoryTests {
    /// Every transfer into or out of `listener`'s wallet, newest first, by a full scan.
    private func model(_ fixture: LedgerFixture, listener: String) throws -> [Int64] {
        try fixture.pool.read { db in
            try Int64.fetchAll(db, sql: """
                SELECT t.sequence FROM ledger_transfers t NOT INDEXED, ledger_accounts a
                WHERE a.kind = 'listener_wallet' AND a.owner = ? AND a.id IN (t.debit_account_id, t.credit_account_id)
                ORDER BY t.sequence DESC
                """, arguments: [listener])
        }
    }

    private func allPages(_ ledger: Ledger, listener: String, limit: Int) throws -> [WalletEntry] {
        var entries: [WalletEntry] = []
        var cursor: Int64?
        repeat {
            let page = try ledger.walletHistory(listener: listener, limit: limit, before: cursor)
            #expect(page.entries.count == limit || page.nextCursor == nil)
            entries += page.entries
            cursor = page.nextCursor
        } while cursor != nil
        return entries
    }

    /// Top-ups, admin credits, an adjustment naming a play, plays of two parts, of one part
    /// (artist share 100%) and of price zero, up to ownership, interleaved with another
    /// listener's plays.
    private func mixedHistory(_ fixture: LedgerFixture) async throws {
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay-1", user: "lena", amount: 2_000_000)
        try ledger.topUp(transferID: "pay-2", user: "milo", amount: 2_000_000)
        for n in 0..<9 {
            _ = try await ledger.chargePlay(fixture.play("a\(n)", listener: "lena", artist: "ari", track: "song"))
            _ = try await ledger.chargePlay(fixture.play("m\(n)", listener: "milo", artist: "ari", track: "song"))
            if n == 4 { try ledger.adminCredit(transferID: "credit-1", user: "lena", amount: 5_000, actor: "root", reason: "goodwill") }
        }
        _ = try ledger.submit([TransferRequest(
            id: "fix-1", debit: .listenerWallet("lena"), credit: .treasury, amount: 700, code: .adjustment,
            details: TransferDetails(playID: "a3", note: "double charge"))])
        try Self.newPricing(fixture, basePrice: 1_000, artistShareBasisPoints: 10_000)
        for n in 0..<3 { _ = try await ledger.chargePlay(fixture.play("b\(n)", listener: "lena", artist: "bea", track: "tune")) }
        try Self.newPricing(fixture, basePrice: 0, artistShareBasisPoints: 7_000)
        for n in 0..<5 { _ = try await ledger.chargePlay(fixture.play("z\(n)", listener: "lena", artist: "bea", track: "free-\(n % 2)")) }
        try ledger.topUp(transferID: "pay-3", user: "lena", amount: 1_000)
    }

    /// A pricing version in force from a moment after the plays so far.
    static func newPricing(_ fixture: LedgerFixture, basePrice: Int64, artistShareBasisPoints: Int) throws {
        fixture.clock.advance(seconds: 10)
        _ = try fixture.ledger.addPricingVersion(
            Pricing(previewSeconds: 45, basePrice: basePrice, multiplier: 2, playsToOwn: 9, artistShareBasisPoints: artistShareBasisPoints),
            effectiveFrom: fixture.clock.now)
        fixture.clock.advance(seconds: 1)
    }

    @Test("pages of any size list exactly the wallet's transfers, newest first, play charges included")
    func pagesMatchFullScan() async throws {
        let fixture = try LedgerFixture()
        try await mixedHistory(fixture)
        let expected = try model(fixture, listener: "lena")
        // pay-1, 9 plays of two charges, credit-1, fix-1, 3 plays of one charge, pay-3; the
        // plays of price zero book nothing.
        let count = 25
        #expect(expected.count == count)
        for limit in [1, 2, 3, 4, 7, 50, 1_000] {
            let entries = try allPages(fixture.ledger, listener: "lena", limit: limit)
            #expect(entries.map(\.transfer.sequence) == expected, "limit \(limit)")
        }
        let entries = try allPages(fixture.ledger, listener: "lena", limit: 5)
        #expect(entries.reduce(0) { $0 + $1.change } == (try fixture.ledger.balance(of: .listenerWallet("lena")).balance))
        #expect(entries.contains { $0.transfer.id == "fix-1" && $0.change == -700 })
        #expect(try allPages(fixture.ledger, listener: "milo", limit: 4).map(\.transfer.sequence) == (try model(fixture, listener: "milo")))
    }

    @Test("a cursor anywhere, even between a play's two charges or past the end, gives the older entries")
    func arbitraryCursor() async throws {
        let fixture = try LedgerFixture()
        try await mixedHistory(fixture)
        let expected = try model(fixture, listener: "lena")
        let last = try fixture.count("SELECT max(sequence) FROM ledger_transfers")
        for cursor in Int64(0)...Int64(last + 2) {
            let page = try fixture.ledger.walletHistory(listener: "lena", limit: 3, before: cursor)
            #expect(page.entries.map(\.transfer.sequence) == Array(expected.filter { $0 < cursor }.prefix(3)), "cursor \(cursor)")
        }
    }

    @Test("a database made before play charges left the account indexes is migrated and reads the same")
    func migrationFromFirstSchema() async throws {
        let fixture = try LedgerFixture()
        try await mixedHistory(fixture)
        let expected = try model(fixture, listener: "lena")

        // The same history on a file at the first migration, then migrated.
        let oldPath = fixture.path + ".old.sqlite"
        let old = try DatabasePool(path: oldPath, configuration: Ledger.configuration())
        var first = DatabaseMigrator()
        LedgerSchema.register(&first)
        try first.migrate(old, upTo: "ledger-1-accounts-transfers-pricing-plays")
        let oldFixture = try LedgerFixture(reopening: oldPath, pool: old, clock: TestClock())
        try await mixedHistory(oldFixture)
        let partialBefore = try await old.read { try String.fetchOne($0, sql: "SELECT sql FROM sqlite_master WHERE name = 'ledger_transfers_debit'") }
        #expect(partialBefore?.contains("WHERE") == false)
        try old.close()

        let migrated = try LedgerFixture(reopening: oldPath, pool: try Ledger.openDatabase(path: oldPath), clock: TestClock())
        let indexes = try await migrated.pool.read {
            try String.fetchAll($0, sql: "SELECT sql FROM sqlite_master WHERE name IN ('ledger_transfers_debit', 'ledger_transfers_credit')")
        }
        #expect(indexes.count == 2 && indexes.allSatisfy { $0.contains("WHERE code <> 'play_artist_share'") })
        #expect(try allPages(migrated.ledger, listener: "lena", limit: 4).map(\.transfer.sequence) == expected)
        let report = try migrated.ledger.verify()
        #expect(report.isIntact, "\(report)")
    }

    @Test("play charges with ids made from the play id (before ids came from the play's sequence) verify and list the same")
    func legacyPlayTransferIDs() async throws {
        let fixture = try LedgerFixture()
        try await mixedHistory(fixture)
        let expected = try model(fixture, listener: "lena")
        #expect(try fixture.count("SELECT count(*) FROM ledger_transfers WHERE id LIKE 'play:#%'") == 2 * 9 * 2 + 3)
        // Rewrite every play charge's id (and linked group) to the legacy form, with the
        // hashes recomputed, as a ledger written by the earlier code would hold them.
        try await fixture.pool.write { db in
            try db.execute(sql: "DROP TRIGGER ledger_transfers_no_update")
            try db.execute(sql: """
                UPDATE ledger_transfers SET
                    id = 'play:' || play_id || substr(id, 26),
                    linked_group = CASE WHEN linked_group IS NULL THEN NULL ELSE 'play:' || play_id || ':artist' END
                WHERE id LIKE 'play:#%'
                """)
            try VerificationTests.rehashChain(db)
        }
        #expect(try fixture.count("SELECT count(*) FROM ledger_transfers WHERE id LIKE 'play:#%'") == 0)
        #expect(try fixture.count("SELECT count(*) FROM ledger_transfers WHERE id = 'play:a3:cooperative'") == 1)
        let report = try fixture.ledger.verify()
        #expect(report.isIntact, "\(report)")
        for limit in [1, 3, 1_000] {
            #expect(try allPages(fixture.ledger, listener: "lena", limit: limit).map(\.transfer.sequence) == expected)
        }
        // New plays get the current ids beside the legacy ones; both verify.
        try Self.newPricing(fixture, basePrice: Pricing.resonate.basePrice, artistShareBasisPoints: Pricing.resonate.artistShareBasisPoints)
        _ = try await fixture.ledger.chargePlay(fixture.play("after", listener: "milo", artist: "bea", track: "new"))
        #expect(try fixture.count("SELECT count(*) FROM ledger_transfers WHERE id LIKE 'play:#%'") == 2)
        #expect(try fixture.ledger.verify().isIntact)
    }

    @Test("no read of a history page scans a table: each is an index search")
    func queryPlans() async throws {
        let fixture = try LedgerFixture()
        try await mixedHistory(fixture)
        let plans = try await fixture.pool.read { db in
            try [WalletHistoryQuery.otherTransfersSQL, WalletHistoryQuery.boundarySQL, WalletHistoryQuery.playsSQL].map { sql in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: StatementArguments(
                    ["account": 4, "cursor": 10, "limit": 3, "listener": "lena", "last": 10]))
                    .map { $0["detail"] as String }.joined(separator: "\n")
            }
        }
        for plan in plans {
            #expect(!plan.split(separator: "\n").contains { $0.hasPrefix("SCAN") && !$0.contains("subquery") }, "\(plan)")
        }
        #expect(plans[0].contains("USING INDEX ledger_transfers_debit") && plans[0].contains("USING INDEX ledger_transfers_credit"))
        #expect(plans[1].contains("INTEGER PRIMARY KEY"))
        // The listener's plays: a seek in (listener, sequence) read in order, not a sort of them all.
        #expect(plans[2].contains("SEARCH ledger_plays USING INDEX ledger_plays_listener (listener_id=? AND sequence<?)"), "\(plans[2])")
        #expect(!plans[2].contains("TEMP B-TREE"), "\(plans[2])")
    }

    /// SQLite virtual-machine instructions run by `body` on `queue`'s connection: the work a
    /// read does, counted exactly (a progress handler called at every instruction).
    static func instructions<T>(_ queue: DatabaseQueue, _ body: () throws -> T) throws -> (T, Int) {
        let counter = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        defer { counter.deallocate() }
        counter.pointee = 0
        try queue.inDatabase { db in
            sqlite3_progress_handler(db.sqliteConnection, 1, { context in
                context?.assumingMemoryBound(to: Int.self).pointee += 1
                return 0
            }, counter)
        }
        defer { try? queue.inDatabase { sqlite3_progress_handler($0.sqliteConnection, 0, nil, nil) } }
        let result = try body()
        return (result, counter.pointee)
    }

    /// Charges `count` plays of `listener` (nine plays per track, up to ownership, so every
    /// play is charged) through the ledger's own group-commit path, `chunk` plays per write
    /// transaction: the same decisions, rows, postings and hash chain as ``Ledger/chargePlay(_:)``,
    /// without a caller task per play.
    static func seedPlays(_ fixture: LedgerFixture, listener: String, count: Int, chunk: Int = 10_000) throws {
        let ledger = fixture.ledger
        let playsToOwn = Pricing.resonate.playsToOwn
        for start in stride(from: 0, to: count, by: chunk) {
            let requests = (start..<min(start + chunk, count)).map { i in
                fixture.play("\(listener)-\(i)", listener: listener, track: "\(listener)-track-\(i / playsToOwn)")
            }
            let outcomes = try fixture.pool.writeWithoutTransaction { db in ledger.commitPlays(requests, in: db) }
            let notCharged = outcomes.filter { if case .success(.charged) = $0 { false } else { true } }
            #expect(notCharged.isEmpty, "plays from \(start): \(notCharged.count) not charged, first \(String(describing: notCharged.first))")
        }
    }

    @Test("a history page costs the same for a listener with 10 plays and one with 100,000 (SQLite instructions counted)")
    func pageCostIndependentOfPlays() async throws {
        let fixture = try LedgerFixture()
        defer { try? FileManager.default.removeItem(atPath: (fixture.path as NSString).deletingLastPathComponent) }
        let ledger = fixture.ledger
        let heavyPlays = 100_000
        // Nine plays per track cost 2,000 * (2^9 - 1) at the default pricing.
        let perTrack = (1...Pricing.resonate.playsToOwn).reduce(Int64(0)) { $0 + Pricing.resonate.price(ofPlay: $1) }
        try ledger.topUp(transferID: "pay-light", user: "light", amount: perTrack * 2)
        try ledger.topUp(transferID: "pay-heavy", user: "heavy", amount: perTrack * Int64(heavyPlays / Pricing.resonate.playsToOwn + 1))
        // "light": 10 plays (two tracks); "heavy": 100,000 plays after them.
        for n in 0..<10 { _ = try await ledger.chargePlay(fixture.play("light-\(n)", listener: "light", track: "lt-\(n % 2)")) }
        try Self.seedPlays(fixture, listener: "heavy", count: heavyPlays)
        #expect(try fixture.count("SELECT count(*) FROM ledger_plays WHERE listener_id = 'heavy'") == heavyPlays)
        #expect(try fixture.count("SELECT count(*) FROM ledger_transfers") == 2 + 2 * (10 + heavyPlays))

        // One connection, so that every instruction of a page is counted on it.
        let queue = try DatabaseQueue(path: fixture.path, configuration: Ledger.configuration())
        let reader = try Ledger(database: queue)
        // Four entries a page: every page below reads five plays and their charges (the light
        // listener has ten), so the work is the same and only the listener's history differs.
        let limit = 4
        let (lightPage, light) = try Self.instructions(queue) { try reader.walletHistory(listener: "light", limit: limit) }
        let (heavyPage, heavy) = try Self.instructions(queue) { try reader.walletHistory(listener: "heavy", limit: limit) }
        let middleCursor = try fixture.count("""
            SELECT sequence FROM ledger_transfers WHERE id = 'play:#' || printf('%019d', (SELECT sequence FROM ledger_plays WHERE play_id = 'heavy-50000')) || ':artist'
            """)
        let (middlePage, middle) = try Self.instructions(queue) {
            try reader.walletHistory(listener: "heavy", limit: limit, before: Int64(middleCursor))
        }
        let (lightOlderPage, lightOlder) = try Self.instructions(queue) {
            try reader.walletHistory(listener: "light", limit: limit, before: lightPage.nextCursor)
        }
        for page in [lightPage, heavyPage, middlePage, lightOlderPage] {
            #expect(page.entries.count == limit && page.nextCursor != nil)
        }
        #expect(middlePage.entries.allSatisfy { $0.transfer.sequence < middleCursor && $0.transfer.details.playID?.hasPrefix("heavy-4999") == true })
        #expect(heavyPage.entries.allSatisfy { $0.transfer.details.playID?.hasPrefix("heavy-9999") == true })
        // The same reads and lookups for every page: the counts differ by a few at most (598 and
        // 599 when written); none of the work grows with the listener's plays, where a page that
        // sorted the listener's plays would count at least one per play, 100,000 here.
        #expect(light > 0)
        let bound = 10
        for (name, count) in [("100,000 plays, newest page", heavy), ("100,000 plays, middle page", middle), ("10 plays, older page", lightOlder)] {
            #expect(abs(count - light) <= bound, "instructions: 10 plays, newest page \(light); \(name) \(count)")
        }
        try queue.close()
    }
}
