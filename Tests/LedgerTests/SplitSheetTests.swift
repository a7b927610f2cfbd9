import Foundation
import GRDB
import Ledger
import Testing
import TuttiTestSupport

@Suite("Split sheets: proposals, consents, and the charges they divide", .ownThreads)
struct SplitSheetTests {
    static let band = [
        SplitParty(userID: "ari", shareBasisPoints: 5_000, role: "vocals"),
        SplitParty(userID: "bo", shareBasisPoints: 3_000, role: "guitar"),
        SplitParty(userID: "cy", shareBasisPoints: 2_000, role: "producer"),
    ]

    /// The band's 50/30/20 sheet on the release "album", proposed by ari and accepted by the
    /// other two: in force from now.
    static func bandSheetInForce(_ ledger: Ledger) throws -> SplitSheet {
        let sheet = try ledger.proposeSplitSheet(scope: .release("album"), proposer: "ari", parties: band)
        try ledger.answerSplitSheet(sheet.id, party: "bo", decision: .accepted)
        return try ledger.answerSplitSheet(sheet.id, party: "cy", decision: .accepted)
    }

    func play(_ fixture: LedgerFixture, _ id: String, listener: String = "lena", track: String = "song") -> PlayChargeRequest {
        PlayChargeRequest(playID: id, listenerID: listener, artistID: "ari", trackID: track, at: fixture.clock.now, releaseID: "album")
    }

    @Test("50/30/20: plays before the last acceptance pay the owner alone, plays after pay all three by the rule")
    func takesEffectAtLastAcceptance() async throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay", user: "lena", amount: 10_000_000)
        let proposed = try ledger.proposeSplitSheet(scope: .release("album"), proposer: "ari", parties: Self.band)
        #expect(proposed.status == .pending)
        #expect(proposed.version == 1)
        #expect(proposed.consents.map(\.userID) == ["ari"])  // proposing is the proposer's acceptance

        fixture.clock.advance(seconds: 60)
        let before = try #require(try await ledger.chargePlay(play(fixture, "p1")).charge)
        #expect(before.split == nil)
        #expect(try ledger.answerSplitSheet(proposed.id, party: "bo", decision: .accepted).status == .pending)
        fixture.clock.advance(seconds: 60)
        let stillBefore = try #require(try await ledger.chargePlay(play(fixture, "p2")).charge)
        #expect(stillBefore.split == nil)
        fixture.clock.advance(seconds: 60)
        let inForce = try ledger.answerSplitSheet(proposed.id, party: "cy", decision: .accepted)
        #expect(inForce.status == .inForce)
        #expect(inForce.effectiveFrom == fixture.clock.now)

        // Play 3 costs 8,000: artist part 5,600, divided 2,800 / 1,680 / 1,120.
        let after = try #require(try await ledger.chargePlay(play(fixture, "p3")).charge)
        let split = try #require(after.split)
        #expect(split.version == 1)
        #expect(split.parts.map { $0.amount } == [2_800, 1_680, 1_120])
        #expect(try await ledger.chargePlay(play(fixture, "p3")) == .charged(after))  // a retry pays nobody again
        #expect(try ledger.balance(of: .artistEarnings("ari")).balance == 1_400 + 2_800 + 2_800)
        #expect(try ledger.balance(of: .artistEarnings("bo")).balance == 1_680)
        #expect(try ledger.balance(of: .artistEarnings("cy")).balance == 1_120)
        #expect(try ledger.balance(of: .treasury).balance == 600 + 1_200 + 2_400)

        // Each party's statement shows its part of each play; the old statement keeps the
        // owner's default-sheet plays.
        let ari = try ledger.earningsStatement(of: "ari")
        #expect(ari.rows.map(\.playID) == ["p1", "p2", "p3"])
        #expect(ari.rows.map(\.part) == [1_400, 2_800, 2_800])
        #expect(ari.rows.map(\.sheetVersion) == [0, 0, 1])
        #expect(ari.rows.map(\.shareBasisPoints) == [10_000, 10_000, 5_000])
        let bo = try ledger.earningsStatement(of: "bo")
        #expect(bo.rows.map(\.playID) == ["p3"])
        #expect(bo.rows.map(\.part) == [1_680])
        #expect(bo.rows.first?.role == "guitar")
        #expect(bo.csv().contains("p3,song,,,,"))
        #expect(try ledger.statement(artist: "ari").rows.map(\.playID) == ["p1", "p2"])
        #expect(try ledger.payoutsDue(threshold: 1_000).map(\.artistID) == ["ari", "bo", "cy"])
        // The listener's wallet history shows the divided play as two charges like any other:
        // its artist part to the splits account, whose legs pay each party, and the
        // cooperative's part. The splits account keeps nothing.
        let history = try ledger.walletHistory(listener: "lena", limit: 20).entries
        let p3 = history.filter { $0.transfer.details.playID == "p3" }
        #expect(p3.map(\.change).sorted() == [-5_600, -2_400])
        let divided = try #require(p3.first { $0.transfer.credit == .splits }?.transfer)
        #expect(divided.legs == [
            TransferLeg(position: 0, account: .artistEarnings("ari"), amount: 2_800),
            TransferLeg(position: 1, account: .artistEarnings("bo"), amount: 1_680),
            TransferLeg(position: 2, account: .artistEarnings("cy"), amount: 1_120),
        ])
        #expect(try ledger.transfer(id: divided.id)?.legs == divided.legs)
        #expect(try ledger.balance(of: .splits) == AccountBalance(account: .splits, debitsPosted: 0, creditsPosted: 0))
        #expect(history.count == 7)  // the top-up and three plays of two charges
        let sequences: [Int64] = history.map { $0.transfer.sequence }
        #expect(sequences == sequences.sorted(by: >))

        let report = try ledger.verify()
        #expect(report.isIntact, "\(report)")
    }

    @Test("own it now under a sheet in force: every bought play's artist part is divided by the rule, and verify checks it")
    func purchaseIsSplit() async throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay", user: "lena", amount: 10_000_000)
        _ = try Self.bandSheetInForce(ledger)
        fixture.clock.advance(seconds: 60)
        _ = try #require(try await ledger.chargePlay(play(fixture, "p1")).charge)
        let purchase = try ledger.buyRemainingPlays(PurchaseRequest(
            requestID: "buy-1", listenerID: "lena", artistID: "ari", trackID: "song", at: fixture.clock.now, releaseID: "album"))
        #expect(purchase.plays == 2...9)
        // Every play's artist part (70 % of 2,000 × 2^(n−1)) divided 50/30/20 by the rule.
        var expected: [String: Int64] = [:]
        for n in 1...9 {
            let artistPart = (Int64(2_000) << Int64(n - 1)) * 7 / 10
            let parts = SplitRule.divide(artistPart, by: Self.band.map(\.shareBasisPoints))
            for (party, part) in zip(Self.band, parts) { expected[party.userID, default: 0] += part }
        }
        for party in Self.band {
            #expect(try ledger.balance(of: .artistEarnings(party.userID)).balance == expected[party.userID], "\(party.userID)'s earnings")
            #expect(try ledger.earningsStatement(of: party.userID).rows.count == 9, "\(party.userID)'s statement shows all nine plays")
        }
        #expect(try ledger.buyRemainingPlays(PurchaseRequest(
            requestID: "buy-1", listenerID: "lena", artistID: "ari", trackID: "song", at: fixture.clock.now, releaseID: "album")) == purchase)
        #expect(try ledger.balance(of: .artistEarnings("bo")).balance == expected["bo"], "a retry divides nothing again")
        let report = try ledger.verify()
        #expect(report.isIntact, "\(report)")
    }

    @Test("a decline ends a later sheet and the sheet in force stays; a newer proposal ends a pending one")
    func declineAndSupersede() async throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay", user: "lena", amount: 10_000_000)
        let first = try Self.bandSheetInForce(ledger)
        fixture.clock.advance(seconds: 10)
        let second = try ledger.proposeSplitSheet(scope: .release("album"), proposer: "ari", parties: [
            SplitParty(userID: "ari", shareBasisPoints: 9_000, role: "vocals"),
            SplitParty(userID: "bo", shareBasisPoints: 1_000, role: "guitar"),
        ])
        #expect(second.version == 2)
        fixture.clock.advance(seconds: 10)
        #expect(try ledger.answerSplitSheet(second.id, party: "bo", decision: .declined).status == .declined)
        #expect(throws: LedgerError.splitSheetClosed(sheetID: second.id, reason: "you declined this sheet already")) {
            try ledger.answerSplitSheet(second.id, party: "bo", decision: .accepted)
        }
        let charge = try #require(try await ledger.chargePlay(play(fixture, "p1")).charge)
        #expect(charge.split?.sheetID == first.id)
        #expect(try ledger.splitSheet(id: first.id)?.status == .inForce)

        let third = try ledger.proposeSplitSheet(scope: .release("album"), proposer: "ari", parties: Self.band.reversed())
        let fourth = try ledger.proposeSplitSheet(scope: .release("album"), proposer: "ari", parties: Self.band)
        #expect(try ledger.splitSheet(id: third.id)?.status == .superseded)
        #expect(throws: LedgerError.splitSheetClosed(sheetID: third.id, reason: "a newer sheet was proposed since")) {
            try ledger.answerSplitSheet(third.id, party: "bo", decision: .accepted)
        }
        #expect(throws: LedgerError.unknownSplitSheet(sheetID: fourth.id)) {
            try ledger.answerSplitSheet(fourth.id, party: "lena", decision: .accepted)
        }
        try ledger.answerSplitSheet(fourth.id, party: "bo", decision: .accepted)
        try ledger.answerSplitSheet(fourth.id, party: "cy", decision: .accepted)
        #expect(try ledger.splitSheet(id: first.id)?.status == .replaced)
        #expect(try ledger.splitSheets(concerning: "cy").map(\.id) == [fourth.id, third.id, first.id])
        #expect(try ledger.splitSheets(concerning: "lena").isEmpty)
        let report = try ledger.verify()
        #expect(report.isIntact, "\(report)")
    }

    @Test("a track's own sheet overrides its release's; a lone proposer's sheet takes effect at once")
    func trackOverride() async throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay", user: "lena", amount: 10_000_000)
        let release = try Self.bandSheetInForce(ledger)
        let track = try ledger.proposeSplitSheet(scope: .track("song"), proposer: "ari", parties: [
            SplitParty(userID: "dee", shareBasisPoints: 2_500, role: "featured"),
            SplitParty(userID: "ari", shareBasisPoints: 7_500, role: "vocals"),
        ])
        try ledger.answerSplitSheet(track.id, party: "dee", decision: .accepted)
        let solo = try ledger.proposeSplitSheet(scope: .track("intro"), proposer: "ari", parties: [
            SplitParty(userID: "ari", shareBasisPoints: 10_000, role: "everything"),
        ])
        #expect(solo.status == .inForce)
        fixture.clock.advance(seconds: 1)
        #expect(try await ledger.chargePlay(play(fixture, "a", track: "song")).charge?.split?.sheetID == track.id)
        #expect(try await ledger.chargePlay(play(fixture, "b", track: "other")).charge?.split?.sheetID == release.id)
        #expect(try await ledger.chargePlay(play(fixture, "c", track: "intro")).charge?.split?.sheetID == solo.id)
        // Without its release, a track has only its own sheet.
        let bare = PlayChargeRequest(playID: "d", listenerID: "lena", artistID: "ari", trackID: "other", at: fixture.clock.now)
        #expect(try await ledger.chargePlay(bare).charge?.split == nil)
        #expect(try ledger.balance(of: .artistEarnings("dee")).balance == 350)  // 1,400 × 25 %
        let report = try ledger.verify()
        #expect(report.isIntact, "\(report)")
    }

    @Test("sheets that are not a whole, or name a party twice, are refused and nothing is stored")
    func invalidSheets() throws {
        let fixture = try LedgerFixture()
        for parties in [
            [SplitParty(userID: "ari", shareBasisPoints: 5_000, role: "a"), SplitParty(userID: "bo", shareBasisPoints: 4_000, role: "b")],
            [SplitParty(userID: "ari", shareBasisPoints: 5_000, role: "a"), SplitParty(userID: "ari", shareBasisPoints: 5_000, role: "b")],
            [SplitParty(userID: "ari", shareBasisPoints: 10_000, role: "")],
            [SplitParty(userID: "ari", shareBasisPoints: 0, role: "a"), SplitParty(userID: "bo", shareBasisPoints: 10_000, role: "b")],
        ] {
            #expect {
                try fixture.ledger.proposeSplitSheet(scope: .release("album"), proposer: "ari", parties: parties)
            } throws: { error in
                if case .invalidSplit = error as? LedgerError { return true }
                return false
            }
        }
        #expect(try fixture.count("SELECT count(*) FROM ledger_split_sheets") == 0)
    }

    @Test("the database refuses UPDATE and DELETE on every split table", arguments: [
        "UPDATE ledger_split_sheets SET version = 9", "DELETE FROM ledger_split_sheets",
        "UPDATE ledger_split_parties SET share_bp = 1", "DELETE FROM ledger_split_parties",
        "UPDATE ledger_split_consents SET decision = 'declined'", "DELETE FROM ledger_split_consents",
        "UPDATE ledger_split_activations SET effective_from_ms = 0", "DELETE FROM ledger_split_activations",
        "UPDATE ledger_plays SET split_sheet_id = 2", "UPDATE ledger_plays SET split_sheet_id = NULL", "DELETE FROM ledger_plays",
        "UPDATE ledger_split_sheet_artists SET artist_id = 'bo'", "DELETE FROM ledger_split_sheet_artists",
        "UPDATE ledger_transfer_legs SET amount = 1", "DELETE FROM ledger_transfer_legs",
    ])
    func appendOnly(statement: String) async throws {
        let fixture = try LedgerFixture("appendOnly-\(statement.hashValue)")
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay", user: "lena", amount: 10_000_000)
        _ = try Self.bandSheetInForce(ledger)
        _ = try await ledger.chargePlay(play(fixture, "p1"))
        #expect {
            try fixture.sql(statement)
        } throws: { error in
            (error as? DatabaseError)?.message?.contains("append-only") == true
        }
    }

    @Test("verify finds a play divided by other shares than its sheet's, and a sheet in force without every acceptance")
    func verifyFindsTampering() async throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay", user: "lena", amount: 10_000_000)
        _ = try Self.bandSheetInForce(ledger)
        _ = try await ledger.chargePlay(play(fixture, "p1"))
        #expect(try ledger.verify().isIntact)
        // Someone with the file swaps two shares of the sheet after the fact.
        try fixture.sql("""
            DROP TRIGGER ledger_split_parties_no_update;
            UPDATE ledger_split_parties SET share_bp = CASE position WHEN 0 THEN 3000 WHEN 1 THEN 5000 ELSE share_bp END;
            DROP TRIGGER ledger_split_consents_no_delete;
            DELETE FROM ledger_split_consents WHERE party_id = 'cy';
            """)
        let report = try ledger.verify()
        #expect(!report.isIntact)
        #expect(report.failures.contains { $0.check == .plays && $0.playID == "p1" }, "\(report)")
        #expect(report.failures.contains { $0.check == .splits && $0.detail.contains("without the acceptance of cy") }, "\(report)")
    }

    @Test("verify finds a divided play's legs altered: a part moved between parties, a leg removed, a leg for an account the sheet does not name")
    func verifyFindsAlteredLegs() async throws {
        let edits = [
            // Equal sums, so only the rule and the hash can tell.
            "UPDATE ledger_transfer_legs SET amount = amount + 1 WHERE position = 0; UPDATE ledger_transfer_legs SET amount = amount - 1 WHERE position = 1",
            "DELETE FROM ledger_transfer_legs WHERE position = 2",
            "UPDATE ledger_transfer_legs SET account_id = (SELECT id FROM ledger_accounts WHERE kind = 'listener_wallet') WHERE position = 1",
        ]
        for (index, edit) in edits.enumerated() {
            let fixture = try LedgerFixture("verifyFindsAlteredLegs-\(index)")
            let ledger = fixture.ledger
            try ledger.topUp(transferID: "pay", user: "lena", amount: 10_000_000)
            _ = try Self.bandSheetInForce(ledger)
            _ = try await ledger.chargePlay(play(fixture, "p1"))
            #expect(try ledger.verify().isIntact)
            try fixture.sql("DROP TRIGGER ledger_transfer_legs_no_update; DROP TRIGGER ledger_transfer_legs_no_delete; " + edit)
            let report = try ledger.verify()
            #expect(report.failures.contains { $0.check == .hashChain }, "\(edit): \(report)")
            #expect(report.failures.contains { $0.check == .plays && $0.playID == "p1" && $0.detail.contains("legs") }, "\(edit): \(report)")
        }
    }

    @Test("verify finds a divided play that no earnings statement would list: its sheet does not name its artist")
    func verifyFindsUnlistedPlay() async throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay", user: "lena", amount: 10_000_000)
        _ = try Self.bandSheetInForce(ledger)
        _ = try await ledger.chargePlay(play(fixture, "p1"))
        #expect(try fixture.count("SELECT count(*) FROM ledger_split_sheet_artists WHERE artist_id = 'ari'") == 1)
        #expect(try ledger.earningsStatement(of: "bo").rows.map(\.playID) == ["p1"])
        #expect(try ledger.verify().isIntact)
        try fixture.sql("DROP TRIGGER ledger_split_sheet_artists_no_delete; DELETE FROM ledger_split_sheet_artists")
        #expect(try ledger.earningsStatement(of: "bo").rows.isEmpty)
        let report = try ledger.verify()
        #expect(report.failures.contains { $0.check == .splits && $0.playID == "p1" && $0.detail.contains("no earnings statement") }, "\(report)")
    }

    @Test("a sheet answered by another process takes effect for the next play: the writer's remembered sheets are read again")
    func sheetFromAnotherProcess() async throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay", user: "lena", amount: 10_000_000)
        _ = try Self.bandSheetInForce(ledger)
        #expect(try await ledger.chargePlay(play(fixture, "p1")).charge?.split?.version == 1)
        fixture.clock.advance(seconds: 60)
        // Another process (e.g. `tutti` on the same file) makes version 2 of the release's sheet.
        let other = try Ledger(database: try Ledger.openDatabase(path: fixture.path), clock: { [clock = fixture.clock] in clock.now })
        let second = try other.proposeSplitSheet(scope: .release("album"), proposer: "ari", parties: [
            SplitParty(userID: "ari", shareBasisPoints: 9_000, role: "vocals"), SplitParty(userID: "bo", shareBasisPoints: 1_000, role: "guitar"),
        ])
        #expect(try other.answerSplitSheet(second.id, party: "bo", decision: .accepted).status == .inForce)
        fixture.clock.advance(seconds: 60)
        let after = try #require(try await ledger.chargePlay(play(fixture, "p2")).charge?.split)
        #expect(after.version == 2)
        #expect(after.parts.map(\.party.userID) == ["ari", "bo"])
        #expect(try ledger.verify().isIntact)
    }

    @Test("a divided play refused by a full disk leaves nothing remembered: the parties' accounts it made are made again once there is room",
          .enabled(if: getuid() == 0, "mounting a size-limited tmpfs needs root (CI runs as root)"))
    func fullDiskForgetsAccountsOfARefusedCommit() async throws {
        let disk = Fixtures.scratch().appendingPathComponent("small").path
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        let mounted = try await ThirdPartyTools.run("mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", disk])
        try #require(mounted.status == 0, "mount: \(mounted.stderr)")
        do {
            try await chargeOnAFullDisk(disk)
        } catch {
            _ = try? await ThirdPartyTools.run("umount", ["-l", disk])
            throw error
        }
        _ = try? await ThirdPartyTools.run("umount", ["-l", disk])
    }

    private func chargeOnAFullDisk(_ disk: String) async throws {
        let path = disk + "/ledger.sqlite"
        let fixture = try LedgerFixture(reopening: path, pool: try Ledger.openDatabase(path: path))
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay", user: "lena", amount: 10_000_000)
        _ = try Self.bandSheetInForce(ledger)  // bo and cy have no earnings account yet
        // Fill the file system to the last byte.
        let filler = disk + "/filler"
        let filled = try await onOwnThread { () -> Int in
            guard let handle = FileManager.default.createFile(atPath: filler, contents: nil) ? FileHandle(forWritingAtPath: filler) : nil else { return 0 }
            defer { try? handle.close() }
            var total = 0
            for size in [1 << 20, 4_096, 1] {
                let block = Data(count: size)
                while (try? handle.write(contentsOf: block)) != nil { total += size }
            }
            return total
        }
        #expect(filled > 0)
        await #expect(throws: LedgerError.self) { try await ledger.chargePlay(play(fixture, "p1")) }
        try FileManager.default.removeItem(atPath: filler)

        fixture.clock.advance(seconds: 60)
        let charged = try #require(try await ledger.chargePlay(play(fixture, "p2")).charge)
        let parts = try #require(charged.split?.parts.map(\.amount))
        #expect(try ledger.balance(of: .artistEarnings("bo")).balance == parts[1])
        #expect(try ledger.balance(of: .artistEarnings("cy")).balance == parts[2])
        #expect(try fixture.count("SELECT count(*) FROM ledger_plays WHERE play_id = 'p1'") == 0, "the refused play left no charge")
        #expect(try fixture.count("SELECT count(*) FROM ledger_plays") == 1)
        let report = try ledger.verify()
        #expect(report.isIntact, "\(report)")
    }

    /// Rewrites the file's newest divided play into the shape written before transfer legs:
    /// one transfer per party (`play:#…:party:N`, linked, the first one's id the group) and
    /// the cooperative's, hashed and chained as that code hashed them. Balances are unchanged:
    /// the parties got the same parts, and the splits account never held anything.
    static func rewriteAsTransferPerParty(_ fixture: LedgerFixture) async throws {
        try await fixture.pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            try db.inTransaction {
                try db.execute(sql: """
                    DROP TRIGGER ledger_transfers_no_delete; DROP TRIGGER ledger_transfer_legs_no_delete;
                    """)
                let divided = try #require(try Row.fetchOne(db, sql: """
                    SELECT t.sequence, t.debit_account_id, t.track_id, t.play_id, t.pricing_version, t.created_at_ms, t.previous_hash
                    FROM ledger_transfers t JOIN ledger_accounts a ON a.id = t.credit_account_id WHERE a.kind = 'splits'
                    ORDER BY t.sequence DESC LIMIT 1
                    """))
                let sequence: Int64 = divided["sequence"]
                let playSequence = try #require(try Int64.fetchOne(db, sql: "SELECT sequence FROM ledger_plays WHERE play_id = ?",
                                                                   arguments: [divided["play_id"] as String]))
                let cooperative = try #require(try Row.fetchOne(db, sql: "SELECT amount FROM ledger_transfers WHERE sequence = ?",
                                                                arguments: [sequence + 1]))
                let legs = try Row.fetchAll(db, sql: """
                    SELECT l.position, l.account_id, l.amount, a.owner FROM ledger_transfer_legs l JOIN ledger_accounts a ON a.id = l.account_id
                    WHERE l.transfer_sequence = ? ORDER BY l.position
                    """, arguments: [sequence])
                #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM ledger_transfers WHERE sequence > ?", arguments: [sequence + 1]) == 0)
                try db.execute(sql: "DELETE FROM ledger_transfer_legs WHERE transfer_sequence = ?", arguments: [sequence])
                try db.execute(sql: "DELETE FROM ledger_transfers WHERE sequence >= ?", arguments: [sequence])
                let listener = try #require(try String.fetchOne(db, sql: "SELECT owner FROM ledger_accounts WHERE id = ?",
                                                                arguments: [divided["debit_account_id"] as Int64]))
                let details = TransferDetails(trackID: divided["track_id"], playID: divided["play_id"], pricingVersion: divided["pricing_version"])
                let group = PlayTransferID.party(playSequence, position: 0)
                var parts: [(id: String, creditRowID: Int64, credit: AccountID, amount: Int64, code: TransferCode)] = legs.map { leg in
                    (PlayTransferID.party(playSequence, position: leg["position"]), leg["account_id"], .artistEarnings(leg["owner"]),
                     leg["amount"], .playArtistShare)
                }
                parts.append((PlayTransferID.cooperative(playSequence), 1, .treasury, cooperative["amount"], .playCooperativeShare))
                var previous = [UInt8](divided["previous_hash"] as Data)
                for (offset, part) in parts.enumerated() {
                    let fields = HashedFields(
                        sequence: sequence + Int64(offset), id: part.id, debit: .listenerWallet(listener), credit: part.credit,
                        amount: part.amount, code: part.code.rawValue, linkedGroup: group, details: details,
                        timestampMilliseconds: divided["created_at_ms"])
                    let hash = TransferHash.compute(previous: previous, fields)
                    try db.execute(sql: """
                        INSERT INTO ledger_transfers (sequence, id, debit_account_id, credit_account_id, amount, code, linked_group,
                            track_id, play_id, pricing_version, created_at_ms, previous_hash, hash)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [fields.sequence, part.id, divided["debit_account_id"] as Int64, part.creditRowID, part.amount,
                                         part.code.rawValue, group, details.trackID, details.playID, details.pricingVersion,
                                         fields.timestampMilliseconds, Data(previous), Data(hash)])
                    previous = hash
                }
                return .commit
            }
        }
    }

    @Test("a play divided before transfer legs (one transfer per party) still verifies, lists in wallet history, and an altered part is caught")
    func transferPerPartyStillVerifies() async throws {
        let fixture = try LedgerFixture()
        let ledger = fixture.ledger
        try ledger.topUp(transferID: "pay", user: "lena", amount: 10_000_000)
        _ = try Self.bandSheetInForce(ledger)
        let charged = try #require(try await ledger.chargePlay(play(fixture, "p1")).charge)
        try await Self.rewriteAsTransferPerParty(fixture)
        #expect(try fixture.count("SELECT count(*) FROM ledger_transfers WHERE id LIKE 'play:#%:party:%'") == 3)
        #expect(try fixture.count("SELECT count(*) FROM ledger_transfer_legs") == 0)
        let report = try ledger.verify()
        #expect(report.isIntact, "\(report)")
        let history = try ledger.walletHistory(listener: "lena", limit: 20).entries.filter { $0.transfer.details.playID == "p1" }
        let parts = try #require(charged.split?.parts.map(\.amount))
        #expect(parts == [700, 420, 280])  // play 1 costs 2,000: artist part 1,400, cooperative 600
        #expect(history.map(\.change).sorted() == [-700, -600, -420, -280])
        // A retry finds the recorded charge and pays nobody again.
        #expect(try await ledger.chargePlay(play(fixture, "p1")) == .charged(charged))
        #expect(try ledger.verify().isIntact)

        // One unit moved from the first party to the second: the chain is rehashed by hand, so
        // only the rule can tell.
        try await fixture.pool.writeWithoutTransaction { db in
            try db.execute(sql: """
                DROP TRIGGER ledger_transfers_no_update;
                UPDATE ledger_transfers SET amount = amount - 1 WHERE id LIKE 'play:#%:party:0';
                UPDATE ledger_transfers SET amount = amount + 1 WHERE id LIKE 'play:#%:party:1';
                """)
        }
        let altered = try ledger.verify()
        #expect(altered.failures.contains { $0.check == .plays && $0.playID == "p1" }, "\(altered)")
    }

    @Test("nobody books a transfer into or out of the splits account by hand")
    func splitsAccountIsTheLedgers() async throws {
        let fixture = try LedgerFixture()
        try fixture.ledger.topUp(transferID: "pay", user: "lena", amount: 10_000)
        for request in [
            TransferRequest(id: "in", debit: .listenerWallet("lena"), credit: .splits, amount: 1, code: .adjustment),
            TransferRequest(id: "out", debit: .splits, credit: .treasury, amount: 1, code: .adjustment),
        ] {
            #expect(throws: LedgerError.self) { try fixture.ledger.submit([request]) }
        }
        #expect(try fixture.ledger.verify().isIntact)
    }

    @Test("a file made before the splits account existed is migrated: its accounts kept row for row, their guards kept, split plays then booked with legs")
    func migrationAdmitsSplitsAccount() async throws {
        var fixture = try LedgerFixture()
        try fixture.ledger.topUp(transferID: "pay", user: "lena", amount: 10_000_000)
        _ = try await fixture.ledger.chargePlay(play(fixture, "p1"))
        let accounts = try await fixture.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, kind, owner, debits_posted, credits_posted, last_play FROM ledger_accounts ORDER BY id")
                .map { "\($0[0] as Int64) \($0[1] as String) \($0[2] as String) \($0[3] as Int64) \($0[4] as Int64) \($0[5] as Int64? ?? 0)" }
        }
        // Back to the schema before the transfer legs: the kind check without 'splits'.
        try await fixture.pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            try db.inTransaction {
                let table = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'ledger_accounts'") ?? ""
                let dependents = try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE tbl_name = 'ledger_accounts' AND type = 'trigger'")
                try db.execute(sql: table.replacingOccurrences(of: ", 'splits')", with: ")")
                    .replacingOccurrences(of: "CREATE TABLE ledger_accounts (", with: "CREATE TABLE old_accounts ("))
                try db.execute(sql: """
                    INSERT INTO old_accounts SELECT * FROM ledger_accounts;
                    PRAGMA legacy_alter_table = ON;
                    DROP TABLE ledger_accounts;
                    ALTER TABLE old_accounts RENAME TO ledger_accounts;
                    PRAGMA legacy_alter_table = OFF;
                    DROP TABLE ledger_transfer_legs;
                    DELETE FROM grdb_migrations WHERE identifier = 'ledger-5-transfer-legs';
                    """)
                for sql in dependents { try db.execute(sql: sql) }
                return .commit
            }
        }
        #expect(try fixture.count("SELECT count(*) FROM sqlite_master WHERE name = 'ledger_accounts' AND sql LIKE '%''splits''%'") == 0)

        try fixture.restart()
        #expect(try fixture.count("SELECT count(*) FROM sqlite_master WHERE name = 'ledger_accounts' AND sql LIKE '%''splits''%'") == 1)
        #expect(try await fixture.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, kind, owner, debits_posted, credits_posted, last_play FROM ledger_accounts ORDER BY id")
                .map { "\($0[0] as Int64) \($0[1] as String) \($0[2] as String) \($0[3] as Int64) \($0[4] as Int64) \($0[5] as Int64? ?? 0)" }
        } == accounts)
        #expect(try fixture.count("SELECT count(*) FROM sqlite_master WHERE tbl_name = 'ledger_accounts' AND type = 'trigger'") == 3)
        #expect(try fixture.ledger.verify().isIntact)
        // The guards came along: no account deleted, totals never shrink, foreign keys hold.
        #expect(throws: DatabaseError.self) { try fixture.sql("DELETE FROM ledger_accounts WHERE kind = 'artist_earnings'") }
        #expect(throws: DatabaseError.self) { try fixture.sql("UPDATE ledger_accounts SET credits_posted = 0 WHERE kind = 'treasury'") }
        #expect(throws: DatabaseError.self) {
            try fixture.sql("INSERT INTO ledger_transfer_legs (transfer_sequence, position, account_id, amount) VALUES (999, 0, 1, 1)")
        }

        _ = try Self.bandSheetInForce(fixture.ledger)
        let divided = try #require(try await fixture.ledger.chargePlay(play(fixture, "p2")).charge?.split)
        #expect(divided.parts.map(\.amount) == [1_400, 840, 560])
        #expect(try fixture.count("SELECT count(*) FROM ledger_transfer_legs") == 3)
        #expect(try fixture.ledger.balance(of: .artistEarnings("bo")).balance == 840)
        let report = try fixture.ledger.verify()
        #expect(report.isIntact, "\(report)")
    }

    @Test("a file that kept divided plays' sheets in ledger_play_splits is migrated: each sheet copied to its play's row, the table dropped, statements, retries and verify unchanged")
    func migrationMovesSheetsToPlays() async throws {
        var fixture = try LedgerFixture()
        try fixture.ledger.topUp(transferID: "pay", user: "lena", amount: 10_000_000)
        _ = try await fixture.ledger.chargePlay(play(fixture, "before"))
        _ = try Self.bandSheetInForce(fixture.ledger)
        fixture.clock.advance(seconds: 60)
        _ = try await fixture.ledger.chargePlay(play(fixture, "p1"))
        _ = try await fixture.ledger.chargePlay(play(fixture, "p2", track: "other"))
        func sheets() async throws -> [String] {
            try await fixture.pool.read { db in
                try Row.fetchAll(db, sql: "SELECT play_id, split_sheet_id FROM ledger_plays ORDER BY sequence")
                    .map { "\($0[0] as String) \($0[1] as Int64? ?? 0)" }
            }
        }
        let sheetsBefore = try await sheets()
        #expect(sheetsBefore.filter { !$0.hasSuffix(" 0") }.count == 2)
        let statementsBefore = try ["ari", "bo", "cy"].map { try fixture.ledger.earningsStatement(of: $0).csv() }
        let ownerBefore = try fixture.ledger.statement(artist: "ari").csv()

        // Back to the schema before this migration: the sheets in ledger_play_splits, the plays
        // without the column (the table made again from its stored SQL, as SQLite cannot drop a
        // column that references another table).
        try await fixture.pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            try db.inTransaction {
                let table = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'ledger_plays'") ?? ""
                let dependents = try String.fetchAll(db, sql: """
                    SELECT sql FROM sqlite_master WHERE tbl_name = 'ledger_plays' AND type IN ('trigger', 'index') AND sql IS NOT NULL
                    """).map { $0.replacingOccurrences(of: "(artist_id, played_at_ms, split_sheet_id)", with: "(artist_id, played_at_ms)") }
                let columns = "sequence, play_id, listener_id, artist_id, track_id, play_number, price, artist_part, cooperative_part, "
                    + "pricing_version, completes_ownership, wallet_balance_after, played_at_ms, recorded_at_ms, listener_previous"
                let old = table.replacingOccurrences(of: ", split_sheet_id INTEGER REFERENCES ledger_split_sheets(id)", with: "")
                #expect(old != table)
                try db.execute(sql: old.replacingOccurrences(of: "CREATE TABLE ledger_plays (", with: "CREATE TABLE old_plays ("))
                try db.execute(sql: """
                    CREATE TABLE ledger_play_splits (
                        play_sequence INTEGER PRIMARY KEY REFERENCES ledger_plays(sequence),
                        sheet_id INTEGER NOT NULL REFERENCES ledger_split_sheets(id)
                    );
                    CREATE INDEX ledger_play_splits_sheet ON ledger_play_splits (sheet_id, play_sequence);
                    CREATE TRIGGER ledger_play_splits_no_update BEFORE UPDATE ON ledger_play_splits
                        BEGIN SELECT RAISE(ABORT, 'ledger_play_splits is append-only'); END;
                    CREATE TRIGGER ledger_play_splits_no_delete BEFORE DELETE ON ledger_play_splits
                        BEGIN SELECT RAISE(ABORT, 'ledger_play_splits is append-only'); END;
                    INSERT INTO ledger_play_splits SELECT sequence, split_sheet_id FROM ledger_plays WHERE split_sheet_id IS NOT NULL;
                    INSERT INTO old_plays (\(columns)) SELECT \(columns) FROM ledger_plays;
                    PRAGMA legacy_alter_table = ON;
                    DROP TABLE ledger_plays;
                    ALTER TABLE old_plays RENAME TO ledger_plays;
                    PRAGMA legacy_alter_table = OFF;
                    DROP TABLE ledger_split_sheet_artists;
                    DELETE FROM grdb_migrations WHERE identifier = 'ledger-6-play-sheets';
                    """)
                for sql in dependents { try db.execute(sql: sql) }
                return .commit
            }
        }
        #expect(try fixture.count("SELECT count(*) FROM pragma_table_info('ledger_plays') WHERE name = 'split_sheet_id'") == 0)
        #expect(try fixture.count("SELECT count(*) FROM ledger_play_splits") == 2)

        try fixture.restart()
        #expect(try await sheets() == sheetsBefore)
        #expect(try fixture.count("SELECT count(*) FROM sqlite_master WHERE name LIKE 'ledger_play_splits%'") == 0)
        #expect(try fixture.count("SELECT count(*) FROM ledger_split_sheet_artists WHERE artist_id = 'ari'") == 1)
        #expect(try fixture.count("SELECT count(*) FROM sqlite_master WHERE name = 'ledger_plays_artist' AND sql LIKE '%split_sheet_id%'") == 1)
        #expect(try ["ari", "bo", "cy"].map { try fixture.ledger.earningsStatement(of: $0).csv() } == statementsBefore)
        #expect(try fixture.ledger.statement(artist: "ari").csv() == ownerBefore)
        let report = try fixture.ledger.verify()
        #expect(report.isIntact, "\(report)")
        // A retry finds its division on the play's row and pays nobody twice.
        let bo = try fixture.ledger.balance(of: .artistEarnings("bo")).balance
        let retried = try #require(try await fixture.ledger.chargePlay(play(fixture, "p1")).charge?.split)
        #expect(retried.parts.map(\.amount) == [1_400, 840, 560])
        #expect(try fixture.ledger.balance(of: .artistEarnings("bo")).balance == bo)
        // The plays' guards were made again: a play's sheet cannot be changed afterwards, nor a
        // play deleted.
        for statement in ["UPDATE ledger_plays SET split_sheet_id = NULL", "DELETE FROM ledger_plays"] {
            #expect {
                try fixture.sql(statement)
            } throws: { error in
                (error as? DatabaseError)?.message?.contains("append-only") == true
            }
        }
    }

    /// Random plays on tracks of random sheets (2–12 parties), with sheets replaced as the plays
    /// go, retries of earlier plays mixed in, and a restart: every party's balance is the sum of
    /// the rule's parts, a retry never pays twice, and verify passes.
    @Test("random plays under random sheets: balances are the rule's parts, retries pay nobody twice, verify passes")
    func randomizedCharges() async throws {
        let seed = UInt64(truncatingIfNeeded: Int64(Date().timeIntervalSince1970 * 1_000))
        var random = SplitMix(seed: seed)
        func below(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        var fixture = try LedgerFixture()
        let people = (0..<16).map { "person-\($0)" }
        let listeners = (0..<8).map { "listener-\($0)" }
        for listener in listeners { try fixture.ledger.topUp(transferID: "pay-\(listener)", user: listener, amount: 1_000_000_000_000) }
        var expected: [String: Int64] = [:]
        var charged: [PlayChargeRequest] = []
        for step in 0..<1_500 {
            fixture.clock.advance(seconds: 1)
            if step % 100 == 0 {
                // A new sheet for one of four releases, accepted by everyone.
                let count = 2 + below(11)
                var cuts = Set<Int>()
                while cuts.count < count - 1 { cuts.insert(1 + below(9_999)) }
                let bounds = [0] + cuts.sorted() + [10_000]
                let parties = (0..<count).map { SplitParty(userID: people[($0 + step / 100) % people.count], shareBasisPoints: bounds[$0 + 1] - bounds[$0], role: "part") }
                let sheet = try fixture.ledger.proposeSplitSheet(scope: .release("release-\(below(4))"), proposer: "owner", parties: parties)
                for party in parties { try fixture.ledger.answerSplitSheet(sheet.id, party: party.userID, decision: .accepted) }
            }
            if step == 700 { try fixture.restart() }
            let request: PlayChargeRequest
            if !charged.isEmpty, below(5) == 0 {
                request = charged[below(charged.count)]
            } else {
                let release = below(4)
                request = PlayChargeRequest(playID: "play-\(step)", listenerID: listeners[below(listeners.count)], artistID: "owner",
                                            trackID: "track-\(release)-\(below(3))", at: fixture.clock.now, releaseID: "release-\(release)")
            }
            let isRetry = charged.contains { $0.playID == request.playID }
            guard case .charged(let charge) = try await fixture.ledger.chargePlay(request) else { continue }
            if isRetry { continue }
            charged.append(request)
            if let split = charge.split {
                #expect(split.parts.reduce(0) { $0 + $1.amount } == charge.artistPart, "seed \(seed)")
                for part in split.parts { expected[part.party.userID, default: 0] += part.amount }
            } else {
                expected["owner", default: 0] += charge.artistPart
            }
        }
        for (person, amount) in expected {
            #expect(try fixture.ledger.balance(of: .artistEarnings(person)).balance == amount, "seed \(seed): \(person)")
            #expect(try fixture.ledger.earningsStatement(of: person).totalPart == amount, "seed \(seed): \(person)'s statement")
        }
        let report = try fixture.ledger.verify()
        #expect(report.isIntact, "seed \(seed): \(report)")
    }
}
