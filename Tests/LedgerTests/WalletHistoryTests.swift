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

    @Test("verify reports a play that does not name its listener's previous play, and a wallet that does not name the newest")
    func verifyChecksChains() async throws {
        let fixture = try LedgerFixture()
        try await mixedHistory(fixture)
        #expect(try fixture.ledger.verify().isIntact)
        let a4 = try fixture.count("SELECT sequence FROM ledger_plays WHERE play_id = 'a4'")
        #expect(try fixture.count("SELECT listener_previous FROM ledger_plays WHERE play_id = 'a5'") == a4)
        try fixture.sql("DROP TRIGGER ledger_plays_no_update")
        try fixture.sql("UPDATE ledger_plays SET listener_previous = NULL WHERE play_id = 'a5'")
        let unchained = try fixture.ledger.verify()
        #expect(unchained.failures.map { "\($0.check) \($0.playID ?? "")" } == ["plays a5"], "\(unchained)")
        try fixture.sql("UPDATE ledger_plays SET listener_previous = ? WHERE play_id = 'a5'", [a4 - 1])
        #expect(try fixture.ledger.verify().failures.map { "\($0.check) \($0.playID ?? "")" } == ["plays a5"])
        try fixture.sql("UPDATE ledger_plays SET listener_previous = ? WHERE play_id = 'a5'", [a4])
        #expect(try fixture.ledger.verify().isIntact)
        try fixture.sql("UPDATE ledger_accounts SET last_play = ? WHERE kind = 'listener_wallet' AND owner = 'lena'", [a4])
        let stale = try fixture.ledger.verify()
        #expect(stale.failures.map(\.account) == [.listenerWallet("lena")], "\(stale)")
    }

    /// Turns the ledger file at `path` (fully migrated, no connection open) back into the
    /// schema a ledger had after `migration` (ledger-1 or ledger-3), as the code of that time
    /// left it, rows included: the later migrations' columns, tables and indexes undone and
    /// their names taken out of GRDB's record, so that opening the file migrates it again.
    static func downgrade(_ path: String, to migration: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            try db.inTransaction {
                try db.execute(sql: """
                    DROP TABLE ledger_wallet_play_marks;
                    ALTER TABLE ledger_plays DROP COLUMN listener_previous;
                    ALTER TABLE ledger_accounts DROP COLUMN last_play;
                    CREATE INDEX ledger_plays_listener ON ledger_plays (listener_id, sequence);
                    DELETE FROM grdb_migrations WHERE identifier = 'ledger-4-plays-chained-by-listener';
                    """)
                if migration == "ledger-1-accounts-transfers-pricing-plays" {
                    try db.execute(sql: """
                        DROP INDEX ledger_plays_listener;
                        DROP INDEX ledger_transfers_debit;
                        DROP INDEX ledger_transfers_credit;
                        CREATE INDEX ledger_transfers_debit ON ledger_transfers (debit_account_id, sequence);
                        CREATE INDEX ledger_transfers_credit ON ledger_transfers (credit_account_id, sequence);
                        DELETE FROM grdb_migrations WHERE identifier IN ('ledger-2-play-charges-out-of-account-indexes', 'ledger-3-plays-by-listener');
                        """)
                } else {
                    precondition(migration == "ledger-3-plays-by-listener", "no downgrade to \(migration)")
                }
                return .commit
            }
            try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
        try queue.close()
    }

    @Test("a database made before play charges left the account indexes is migrated and reads the same")
    func migrationFromFirstSchema() async throws {
        let fixture = try LedgerFixture()
        try await mixedHistory(fixture)
        let expected = try model(fixture, listener: "lena")

        // The same history on a file at the first migration, then migrated.
        let oldPath = fixture.path + ".old.sqlite"
        let old = try LedgerFixture(reopening: oldPath, pool: try Ledger.openDatabase(path: oldPath), clock: TestClock())
        try await mixedHistory(old)
        try old.pool.close()
        try Self.downgrade(oldPath, to: "ledger-1-accounts-transfers-pricing-plays")
        let oldQueue = try DatabaseQueue(path: oldPath)
        let partialBefore = try await oldQueue.read { try String.fetchOne($0, sql: "SELECT sql FROM sqlite_master WHERE name = 'ledger_transfers_debit'") }
        try oldQueue.close()
        #expect(partialBefore?.contains("WHERE") == false)

        let migrated = try LedgerFixture(reopening: oldPath, pool: try Ledger.openDatabase(path: oldPath), clock: TestClock())
        let indexes = try await migrated.pool.read {
            try String.fetchAll($0, sql: "SELECT sql FROM sqlite_master WHERE name IN ('ledger_transfers_debit', 'ledger_transfers_credit')")
        }
        #expect(indexes.count == 2 && indexes.allSatisfy { $0.contains("WHERE code <> 'play_artist_share'") })
        #expect(try allPages(migrated.ledger, listener: "lena", limit: 4).map(\.transfer.sequence) == expected)
        let report = try migrated.ledger.verify()
        #expect(report.isIntact, "\(report)")
    }

    @Test("a database with the plays' listener index (before plays were chained by listener) is migrated: chain, heads and marks filled in, pages read the same")
    func migrationFromListenerIndex() async throws {
        let fixture = try LedgerFixture()
        try await mixedHistory(fixture)
        let chain = try await fixture.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT sequence, listener_previous FROM ledger_plays ORDER BY sequence")
                .map { [$0["sequence"] as Int64, $0["listener_previous"] as Int64? ?? 0] }
        }
        let marks = try await fixture.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT transfer_sequence, wallet_account_id, last_play FROM ledger_wallet_play_marks ORDER BY 1, 2")
                .map { [$0[0] as Int64, $0[1] as Int64, $0[2] as Int64? ?? 0] }
        }
        let heads = try await fixture.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, last_play FROM ledger_accounts ORDER BY id").map { [$0[0] as Int64, $0[1] as Int64? ?? 0] }
        }
        // pay-1, pay-2, credit-1, fix-1 and pay-3 touch a wallet; every play of lena and milo has one.
        #expect(marks.count == 5)
        #expect(chain.filter { $0[1] != 0 }.count == chain.count - 2)
        try fixture.pool.close()
        try Self.downgrade(fixture.path, to: "ledger-3-plays-by-listener")
        let before = try DatabaseQueue(path: fixture.path)
        let columnsBefore = try await before.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM pragma_table_info('ledger_plays') WHERE name = 'listener_previous'") }
        #expect(columnsBefore == 0)
        try before.close()

        var migrated = try LedgerFixture(reopening: fixture.path, pool: try Ledger.openDatabase(path: fixture.path), clock: fixture.clock)
        // The migration fills in what the ledger's writes had written: the same chain, heads and marks.
        #expect(try await migrated.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT sequence, listener_previous FROM ledger_plays ORDER BY sequence")
                .map { [$0["sequence"] as Int64, $0["listener_previous"] as Int64? ?? 0] }
        } == chain)
        // A mark names the wallet's newest play charged before its transfer; the writer names its
        // newest play of any price (pay-3 follows plays of price zero): either starts a page
        // where it must, since plays of price zero have no charge to list.
        let migratedMarks = try await migrated.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT transfer_sequence, wallet_account_id, last_play FROM ledger_wallet_play_marks ORDER BY 1, 2")
                .map { [$0[0] as Int64, $0[1] as Int64, $0[2] as Int64? ?? 0] }
        }
        #expect(migratedMarks.map { $0.prefix(2) } == marks.map { $0.prefix(2) })
        for (filled, written) in zip(migratedMarks, marks) {
            let between = try migrated.count("SELECT count(*) FROM ledger_plays WHERE sequence > \(filled[2]) AND sequence <= \(written[2]) AND price > 0")
            #expect(filled[2] <= written[2] && between == 0, "mark \(filled) against \(written)")
        }
        #expect(migratedMarks.filter { $0[2] != 0 }.count == 3)  // pay-1 and pay-2 come before any play
        #expect(try await migrated.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, last_play FROM ledger_accounts ORDER BY id").map { [$0[0] as Int64, $0[1] as Int64? ?? 0] }
        } == heads)
        #expect(try migrated.count("SELECT count(*) FROM sqlite_master WHERE name = 'ledger_plays_listener'") == 0)
        let expected = try model(migrated, listener: "lena")
        for limit in [1, 3, 4, 1_000] {
            #expect(try allPages(migrated.ledger, listener: "lena", limit: limit).map(\.transfer.sequence) == expected, "limit \(limit)")
        }
        #expect(try migrated.ledger.verify().isIntact)
        // New plays and top-ups continue the chains; the file opens again without migrating.
        try migrated.restart()
        try migrated.ledger.topUp(transferID: "pay-4", user: "milo", amount: 100_000)
        for n in 0..<3 {
            _ = try await migrated.ledger.chargePlay(migrated.play("after-\(n)", listener: "milo", artist: "bea", track: "new"))
            _ = try await migrated.ledger.chargePlay(migrated.play("after-lena-\(n)", listener: "lena", artist: "bea", track: "new"))
        }
        for listener in ["lena", "milo"] {
            #expect(try allPages(migrated.ledger, listener: listener, limit: 3).map(\.transfer.sequence) == (try model(migrated, listener: listener)))
        }
        #expect(try migrated.ledger.verify().isIntact)
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
            try [WalletHistoryQuery.otherTransfersSQL, WalletHistoryQuery.boundarySQL, WalletHistoryQuery.cursorSQL].map { sql in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: StatementArguments(
                    ["account": 4, "cursor": 10, "limit": 3]))
                    .map { $0["detail"] as String }.joined(separator: "\n")
            } + [Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + WalletHistoryQuery.playSQL, arguments: [10])
                    .map { $0["detail"] as String }.joined(separator: "\n")]
        }
        for plan in plans {
            #expect(!plan.split(separator: "\n").contains { $0.hasPrefix("SCAN") && !$0.contains("subquery") }, "\(plan)")
        }
        // Only the merge of the wallet's debits and credits (a page at most) is sorted.
        for plan in plans.dropFirst() { #expect(!plan.contains("TEMP B-TREE"), "\(plan)") }
        #expect(plans[0].contains("USING INDEX ledger_transfers_debit") && plans[0].contains("USING INDEX ledger_transfers_credit"))
        #expect(plans[1].contains("INTEGER PRIMARY KEY"))
        // The transfer at the cursor, its play and the wallet's mark: three lookups by key.
        #expect(plans[2].contains("SEARCH t USING INTEGER PRIMARY KEY (rowid=?)"), "\(plans[2])")
        #expect(plans[2].contains("SEARCH m USING PRIMARY KEY (transfer_sequence=? AND wallet_account_id=?)"), "\(plans[2])")
        // A step down the listener's chain: one row by its sequence.
        #expect(plans[3] == "SEARCH ledger_plays USING INTEGER PRIMARY KEY (rowid=?)", "\(plans[3])")
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
    static func seedPlays(_ fixture: LedgerFixture, listener: String, from first: Int = 0, count: Int, chunk: Int = 10_000) throws {
        let ledger = fixture.ledger
        let playsToOwn = Pricing.resonate.playsToOwn
        for start in stride(from: first, to: first + count, by: chunk) {
            let requests = (start..<min(start + chunk, first + count)).map { i in
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
        try ledger.topUp(transferID: "pay-other", user: "other", amount: perTrack)
        // "light": 10 plays (two tracks); "heavy": 100,000 plays after them. Halfway through
        // each, another listener's play and a top-up of the listener's wallet, so that a page
        // can start at a top-up or at a play charged after another listener's.
        for n in 0..<5 { _ = try await ledger.chargePlay(fixture.play("light-\(n)", listener: "light", track: "lt-\(n % 2)")) }
        _ = try await ledger.chargePlay(fixture.play("other-0", listener: "other", track: "ot"))
        try ledger.topUp(transferID: "pay-light-2", user: "light", amount: 1)
        for n in 5..<10 { _ = try await ledger.chargePlay(fixture.play("light-\(n)", listener: "light", track: "lt-\(n % 2)")) }
        try Self.seedPlays(fixture, listener: "heavy", count: heavyPlays / 2)
        _ = try await ledger.chargePlay(fixture.play("other-1", listener: "other", track: "ot"))
        try ledger.topUp(transferID: "pay-heavy-2", user: "heavy", amount: 1)
        try Self.seedPlays(fixture, listener: "heavy", from: heavyPlays / 2, count: heavyPlays / 2)
        #expect(try fixture.count("SELECT count(*) FROM ledger_plays WHERE listener_id = 'heavy'") == heavyPlays)
        #expect(try fixture.count("SELECT count(*) FROM ledger_transfers") == 5 + 2 * (10 + heavyPlays + 2))

        // One connection, so that every instruction of a page is counted on it.
        let queue = try DatabaseQueue(path: fixture.path, configuration: Ledger.configuration())
        let reader = try Ledger(database: queue)
        func page(_ listener: String, before cursor: Int64? = nil) throws -> (WalletHistoryPage, Int) {
            try Self.instructions(queue) { try reader.walletHistory(listener: listener, limit: 4, before: cursor) }
        }
        func sequence(ofTransfer id: String) throws -> Int64 {
            Int64(try fixture.count("SELECT sequence FROM ledger_transfers WHERE id = '\(id)'"))
        }
        func artistCharge(of playID: String) throws -> Int64 {
            Int64(try fixture.count("""
                SELECT sequence FROM ledger_transfers WHERE id = 'play:#' || printf('%019d', (SELECT sequence FROM ledger_plays WHERE play_id = '\(playID)')) || ':artist'
                """))
        }
        // Four entries a page: every page below reads the charges of two or three plays (and
        // the wallet's other transfers), so the work is the same and only the listener's
        // history differs.
        let (lightPage, light) = try page("light")
        let (heavyPage, heavy) = try page("heavy")
        let middleCursor = try artistCharge(of: "heavy-70000")
        let (middlePage, middle) = try page("heavy", before: middleCursor)
        let (lightOlderPage, lightOlder) = try page("light", before: lightPage.nextCursor)
        // A page whose cursor is a top-up made after another listener's play: its start in the
        // listener's plays is the wallet's mark at that top-up.
        let (lightMarkPage, lightMark) = try page("light", before: try sequence(ofTransfer: "pay-light-2"))
        let (heavyMarkPage, heavyMark) = try page("heavy", before: try sequence(ofTransfer: "pay-heavy-2"))
        // A page whose cursor is the first charge of a play that came after another listener's.
        let (lightAfterPage, lightAfter) = try page("light", before: try artistCharge(of: "light-5"))
        let (heavyAfterPage, heavyAfter) = try page("heavy", before: try artistCharge(of: "heavy-50000"))
        for page in [lightPage, heavyPage, middlePage, lightOlderPage, lightMarkPage, heavyMarkPage, lightAfterPage, heavyAfterPage] {
            #expect(page.entries.count == 4 && page.nextCursor != nil)
        }
        #expect(middlePage.entries.allSatisfy { $0.transfer.sequence < middleCursor && $0.transfer.details.playID?.hasPrefix("heavy-6999") == true })
        #expect(heavyPage.entries.allSatisfy { $0.transfer.details.playID?.hasPrefix("heavy-9999") == true })
        #expect(lightMarkPage.entries.map { $0.transfer.details.playID } == ["light-4", "light-4", "light-3", "light-3"])
        #expect(heavyMarkPage.entries.map { $0.transfer.details.playID } == ["heavy-49999", "heavy-49999", "heavy-49998", "heavy-49998"])
        #expect(lightAfterPage.entries.map { $0.transfer.id == "pay-light-2" ? "pay" : $0.transfer.details.playID } == ["pay", "light-4", "light-4", "light-3"])
        #expect(heavyAfterPage.entries.map { $0.transfer.id == "pay-heavy-2" ? "pay" : $0.transfer.details.playID } == ["pay", "heavy-49999", "heavy-49999", "heavy-49998"])
        // The same reads and lookups for every page of a kind: the counts differ by a few at
        // most; none of the work grows with the listener's plays, where a page that sorted or
        // walked the listener's plays would count at least one per play, 100,000 here.
        #expect(light > 0 && lightMark > 0 && lightAfter > 0)
        let bound = 10
        for (name, count) in [("100,000 plays, newest page", heavy), ("100,000 plays, middle page", middle), ("10 plays, older page", lightOlder)] {
            #expect(abs(count - light) <= bound, "instructions: 10 plays, newest page \(light); \(name) \(count)")
        }
        #expect(abs(heavyMark - lightMark) <= bound, "instructions from a top-up: 10 plays \(lightMark); 100,000 plays \(heavyMark)")
        #expect(abs(heavyAfter - lightAfter) <= bound, "instructions from a play after another's: 10 plays \(lightAfter); 100,000 plays \(heavyAfter)")
        try queue.close()
    }
}
