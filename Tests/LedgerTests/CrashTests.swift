import Foundation
import GRDB
import Ledger
import Testing
import TuttiTestSupport

@Suite("Crash: SIGKILL mid-run loses nothing committed and leaves nothing half-applied", .ownThreads)
struct CrashTests {
    @Test("kill `tutti ledger bench` while it charges plays, reopen: verify passes and every play has its two transfers")
    func killedMidRun() async throws {
        let path = Fixtures.scratch().appendingPathComponent("ledger.sqlite").path
        let process = try Spawned(
            Fixtures.tuttiExecutable,
            ["ledger", "bench", "--database", path, "--plays", "5000000", "--listeners", "200", "--mode", "group", "--concurrency", "64"],
            environment: ["TUTTI_PARENT_PID": String(getpid())])

        // Wait until plays are being committed, then kill without warning.
        var observed = 0
        let deadline = Date() + 300  // a wait limit so a broken build fails instead of hanging; not a measurement
        while observed < 2_000, process.isRunning, Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
            observed = Self.playRows(path) ?? 0
        }
        let wasRunning = process.isRunning
        kill(process.processIdentifier, SIGKILL)
        await process.exit()
        #expect(wasRunning, "the bench ended before it could be killed")
        #expect(process.termination == .signalled(SIGKILL))
        #expect(observed >= 2_000)

        let pool = try Ledger.openDatabase(path: path)
        let report = try Ledger.verify(pool)
        #expect(report.isIntact, "\(report)")
        let (plays, playTransfers) = try await pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM ledger_plays") ?? -1,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM ledger_transfers WHERE play_id IS NOT NULL") ?? -1)
        }
        #expect(plays >= observed)  // everything seen committed before the kill survived it
        #expect(plays * 2 == playTransfers)
        #expect(plays < 5_000_000)
        // The ledger goes on from where it stopped.
        let ledger = try Ledger(database: pool)
        try ledger.topUp(transferID: "after-crash", user: "someone", amount: 2_000)
        _ = try await ledger.chargePlay(PlayChargeRequest(playID: "after-crash", listenerID: "someone", artistID: "ari", trackID: "t", at: Date()))
        #expect(try ledger.verify().isIntact)
    }

    @Test("kill the bench while it charges plays divided by four-party split sheets: verify passes, each play has its four parts once, a replay pays nobody again")
    func killedMidSplitRun() async throws {
        let path = Fixtures.scratch().appendingPathComponent("ledger.sqlite").path
        let process = try Spawned(
            Fixtures.tuttiExecutable,
            ["ledger", "bench", "--database", path, "--plays", "5000000", "--listeners", "200", "--mode", "group",
                             "--concurrency", "64", "--split-parties", "4"],
            environment: ["TUTTI_PARENT_PID": String(getpid())])

        var observed = 0
        let deadline = Date() + 300  // a wait limit so a broken build fails instead of hanging; not a measurement
        while observed < 2_000, process.isRunning, Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
            observed = Self.playRows(path) ?? 0
        }
        let wasRunning = process.isRunning
        kill(process.processIdentifier, SIGKILL)
        await process.exit()
        #expect(wasRunning, "the bench ended before it could be killed")
        #expect(process.termination == .signalled(SIGKILL))
        #expect(observed >= 2_000)

        let pool = try Ledger.openDatabase(path: path)
        let report = try Ledger.verify(pool)
        #expect(report.isIntact, "\(report)")
        let (plays, divided, artistTransfers, legs, cooperativeTransfers) = try await pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM ledger_plays") ?? -1,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM ledger_plays WHERE split_sheet_id IS NOT NULL") ?? -1,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM ledger_transfers WHERE code = 'play_artist_share'") ?? -1,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM ledger_transfer_legs") ?? -1,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM ledger_transfers WHERE code = 'play_cooperative_share'") ?? -1)
        }
        #expect(plays >= observed)
        #expect(divided == plays, "every play was divided by its track's sheet")
        #expect(artistTransfers == plays, "one artist part per play, to the splits account")
        #expect(legs == plays * 4, "its four parties' legs")
        #expect(cooperativeTransfers == plays)

        // Charging a recorded play again after the restart pays no party a second time.
        let ledger = try Ledger(database: pool)
        let row = try #require(try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT play_id, listener_id, artist_id, track_id, played_at_ms FROM ledger_plays ORDER BY sequence DESC LIMIT 1")
        })
        let replay = PlayChargeRequest(playID: row["play_id"], listenerID: row["listener_id"], artistID: row["artist_id"], trackID: row["track_id"],
                                       at: Date(timeIntervalSince1970: Double(row["played_at_ms"] as Int64) / 1_000))
        let totalsBefore = try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT sum(credits_posted) FROM ledger_accounts") }
        let replayed = try await ledger.chargePlay(replay)
        guard case .charged(let charge) = replayed else { Issue.record("the replay was not the recorded charge: \(replayed)"); return }
        #expect(charge.split?.parts.count == 4)
        #expect(charge.split?.parts.reduce(0) { $0 + $1.amount } == charge.artistPart)
        #expect(try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT sum(credits_posted) FROM ledger_accounts") } == totalsBefore)
        #expect(try ledger.verify().isIntact)
    }

    /// Play rows committed so far, read by a separate connection (nil until the schema exists).
    static func playRows(_ path: String) -> Int? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        guard let queue = try? DatabaseQueue(path: path, configuration: configuration) else { return nil }
        return try? queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM ledger_plays") }
    }
}
