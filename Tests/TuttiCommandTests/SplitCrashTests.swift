import Catalog
import Foundation
import GRDB
import Ledger
import Synchronization
import Testing
import TuttiTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Royalty splits across a crash of the whole server process: the charge and its parts are
/// one transaction, so a SIGKILL between a play's charge and the session's record of it
/// leaves every play divided once, and a retry after the restart pays nobody again.
@Suite("Royalty splits across a SIGKILL")
struct SplitCrashTests {
    private static func json(_ data: Data) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    @Test("SIGKILL while plays under a three-party sheet are charged: after a restart and retries, verify passes, every play is divided once, each party holds exactly its parts")
    func killedWhileChargingSplits() async throws {
        let demo = Fixtures.repository.appendingPathComponent("media/demo").path
        let server = try await ServerProcess.start(arguments: ["--demo", demo])
        let tracks = try await server.publishedTracks(count: 3)
        let paid = try await server.paidDemoTracks(tracks)
        let port = server.port
        let fans = try await server.signUpListeners(4)
        let tokens = fans.map(\.token)
        let ids = fans.map(\.id)
        // Fans 1 and 2 are on each release's sheet (with its artist: 50/30/20), and fan 1 also
        // listens (paying partly into their own earnings). Set up as an operator's tool would,
        // beside the server process.
        let databasePath = server.data.appendingPathComponent("tutti.sqlite").path
        let (listeners, releases) = (ids, paid)
        try await onOwnThread {
            let ledger = try Ledger(database: TuttiDatabase.open(path: databasePath, others: [Ledger.registerMigrations]))
            for id in listeners { _ = try ledger.topUp(transferID: "split-crash-\(id)", user: id, amount: 3_000_000, reference: "test") }
            for release in Set(releases.map(\.release)) {
                let artist = releases.first { $0.release == release }!.artist
                let sheet = try ledger.proposeSplitSheet(scope: .release(release), proposer: artist, parties: [
                    SplitParty(userID: artist, shareBasisPoints: 5_000, role: "songwriter"),
                    SplitParty(userID: listeners[1], shareBasisPoints: 3_000, role: "guitar"),
                    SplitParty(userID: listeners[2], shareBasisPoints: 2_000, role: "producer"),
                ])
                try ledger.answerSplitSheet(sheet.id, party: listeners[1], decision: .accepted)
                try ledger.answerSplitSheet(sheet.id, party: listeners[2], decision: .accepted)
            }
        }

        // Every play each of fans 0, 1 and 3 can buy, from six clients; killed at a third.
        var jobs: [(listener: Int, track: Int)] = []
        for listener in [0, 1, 3] {
            for track in paid.indices { jobs += Array(repeating: (listener, track), count: 9) }
        }
        jobs.shuffle()
        let work = jobs
        let (bearer, seeks, trackIDs) = (tokens, paid.map(\.seek), paid.map(\.id))
        let attempts = Mutex<[(listener: Int, track: Int, session: String, status: Int?)]>([])
        let answered = Atomic<Int>(0)
        let killAt = jobs.count / 3
        let pid = server.process.processIdentifier
        let clients = 6
        try await onOwnThreads(clients) { client in
            for job in stride(from: client, to: work.count, by: clients).map({ work[$0] }) {
                let opened = RawConnection.exchange(
                    port: port, "POST", "/api/v1/tracks/\(trackIDs[job.track])/plays", headers: ["Authorization": "Bearer \(bearer[job.listener])"])
                guard opened.status == 201, let session = Self.json(opened.body),
                      let url = (session["audio"] as? [String: Any])?["standard"] as? String else { continue }
                let seek = RawConnection.exchange(port: port, "GET", url, headers: ["Range": seeks[job.track]])
                attempts.withLock { $0.append((job.listener, job.track, session["id"] as! String, seek.status)) }
                if answered.add(1, ordering: .relaxed).newValue == killAt { kill(pid, SIGKILL) }
            }
        }
        try await server.waitForExit()
        #expect(server.process.termination == .signalled(SIGKILL))
        let beforeRestart = attempts.withLock { $0 }
        let served = beforeRestart.filter { $0.status == 206 }
        #expect(served.count >= killAt - clients)

        // Restart; every session answered with audio, or cut off by the kill, is retried.
        let restarted = try await ServerProcess.start(data: server.data)
        let restartedPort = restarted.port
        try await onOwnThread {
            for attempt in beforeRestart where attempt.status == nil || attempt.status == 206 {
                let token = bearer[attempt.listener]
                let state = RawConnection.exchange(port: restartedPort, "GET", "/api/v1/plays/\(attempt.session)", headers: ["Authorization": "Bearer \(token)"])
                guard let url = (Self.json(state.body)?["audio"] as? [String: Any])?["standard"] as? String else { continue }
                _ = RawConnection.exchange(port: restartedPort, "GET", url, headers: ["Range": seeks[attempt.track]])
            }
        }
        try await restarted.stop()

        let database = try TuttiDatabase.open(path: databasePath, others: [Ledger.registerMigrations])
        let ledger = try Ledger(database: database)
        let report = try ledger.verify()
        #expect(report.isIntact, "\(report)")
        let (plays, divided, artistTransfers, legs) = try await database.read { db in
            (try Row.fetchAll(db, sql: "SELECT play_id, artist_id, artist_part FROM ledger_plays"),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM ledger_plays WHERE split_sheet_id IS NOT NULL") ?? -1,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM ledger_transfers WHERE code = 'play_artist_share'") ?? -1,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM ledger_transfer_legs") ?? -1)
        }
        let charged = Set(plays.map { $0["play_id"] as String })
        for attempt in served { #expect(charged.contains(attempt.session), "served play \(attempt.session) was charged") }
        #expect(plays.count >= served.count)
        #expect(divided == plays.count, "every play was divided by its release's sheet")
        #expect(artistTransfers == plays.count, "one artist part per play, none twice")
        let parts = plays.map { SplitRule.divide($0["artist_part"], by: [5_000, 3_000, 2_000]).filter { $0 > 0 }.count }
        #expect(legs == parts.reduce(0, +), "a leg per party with a part, none twice")
        // Each party holds exactly the rule's parts of the plays recorded: nobody paid twice.
        var expected: [String: Int64] = [:]
        for play in plays {
            let parts = SplitRule.divide(play["artist_part"], by: [5_000, 3_000, 2_000])
            for (party, part) in zip([play["artist_id"] as String, ids[1], ids[2]], parts) { expected[party, default: 0] += part }
        }
        for (party, amount) in expected {
            #expect(try ledger.balance(of: .artistEarnings(party)).balance == amount, "earnings of \(party)")
        }
    }
}
