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

/// Money across a crash of the whole server process.
@Suite("Metering across a SIGKILL")
struct MeteringCrashTests {
    private struct Job: Sendable {
        var listener: Int
        var trackID: String
        var seek: String
    }

    private struct Attempt: Sendable {
        var listener: Int
        var trackID: String
        var sessionID: String
        /// The seek past the preview: 206 (served, so charged), 402, or nil (no answer: the server died).
        var status: Int?
    }

    private static func json(_ data: Data) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    @Test("SIGKILL while plays are charged: after a restart, verify passes, every play served was charged, none twice")
    func killedWhileCharging() async throws {
        let demo = Fixtures.repository.appendingPathComponent("media/demo").path
        let server = try await ServerProcess.start(arguments: ["--demo", demo])
        let tracks = try await server.publishedTracks(count: 3)
        // The paid demo tracks, and a seek range past each one's preview (75 % in, before the tail).
        let paid = try await server.paidDemoTracks(tracks)

        // Listeners with three credits each: enough to own both tracks (1.022 credits apiece).
        let port = server.port
        let fans = try await server.signUpListeners(5)
        let tokens = fans.map(\.token)
        let ids = fans.map(\.id)
        let databasePath = server.data.appendingPathComponent("tutti.sqlite").path
        // Topped up as an operator's tool would, beside the server process (off the shared threads:
        // the writes wait for the server's commits).
        let listeners = ids
        try await onOwnThread {
            let ledger = try Ledger(database: TuttiDatabase.open(path: databasePath, others: [Ledger.registerMigrations]))
            for id in listeners { _ = try ledger.topUp(transferID: "crash-test-\(id)", user: id, amount: 3_000_000, reference: "test") }
        }

        // Every play each listener can buy, from eight clients at once; the server is killed
        // once a third of them have been answered.
        var jobs: [Job] = []
        for listener in ids.indices {
            for track in paid { jobs += Array(repeating: Job(listener: listener, trackID: track.id, seek: track.seek), count: 9) }
        }
        jobs.shuffle()
        let work = jobs
        let bearer = tokens
        let attempts = Mutex<[Attempt]>([])
        let answered = Atomic<Int>(0)
        let killAt = jobs.count / 3
        let pid = server.process.processIdentifier
        let clients = 8
        try await onOwnThreads(clients) { client in
            for job in stride(from: client, to: work.count, by: clients).map({ work[$0] }) {
                let opened = RawConnection.exchange(
                    port: port, "POST", "/api/v1/tracks/\(job.trackID)/plays", headers: ["Authorization": "Bearer \(bearer[job.listener])"])
                guard opened.status == 201, let session = Self.json(opened.body),
                      let url = (session["audio"] as? [String: Any])?["standard"] as? String else { continue }
                let seek = RawConnection.exchange(port: port, "GET", url, headers: ["Range": job.seek])
                attempts.withLock { $0.append(Attempt(listener: job.listener, trackID: job.trackID, sessionID: session["id"] as! String, status: seek.status)) }
                if answered.add(1, ordering: .relaxed).newValue == killAt { kill(pid, SIGKILL) }
            }
        }
        try await server.waitForExit()
        #expect(server.process.termination == .signalled(SIGKILL))
        let beforeRestart = attempts.withLock { $0 }
        let served = beforeRestart.filter { $0.status == 206 }
        #expect(served.count >= killAt - clients, "plays were being charged when the server died")

        // Restart on the same data folder: every session the server answered with audio was
        // charged; sessions cut off by the kill are charged at most once when retried.
        let restarted = try await ServerProcess.start(data: server.data)
        let seeks = Dictionary(uniqueKeysWithValues: paid.map { ($0.id, $0.seek) })
        let (restartedPort, bearers) = (restarted.port, tokens)
        let retried = try await onOwnThread {
            beforeRestart.filter { $0.status == nil || $0.status == 206 }.map { attempt -> (attempt: Attempt, counted: Bool?, retry: Int?) in
                let token = bearers[attempt.listener]
                let session = RawConnection.exchange(port: restartedPort, "GET", "/api/v1/plays/\(attempt.sessionID)", headers: ["Authorization": "Bearer \(token)"])
                let url = "/api/v1/plays/\(attempt.sessionID)/audio/standard?" + Self.signedQuery(of: attempt, port: restartedPort, token: token)
                let retry = RawConnection.exchange(port: restartedPort, "GET", url, headers: ["Range": seeks[attempt.trackID] ?? "bytes=0-0"])
                return (attempt, Self.json(session.body)?["counted"] as? Bool, retry.status)
            }
        }
        for (attempt, counted, retry) in retried {
            #expect(counted != nil, "the state of session \(attempt.sessionID) after the restart")
            if attempt.status == 206 {
                #expect(counted == true, "a play served before the kill is counted")
            }
            #expect(retry == 206 || retry == 402 || retry == 403)
        }
        try await restarted.stop()

        let database = try TuttiDatabase.open(path: databasePath, others: [Ledger.registerMigrations])
        let ledger = try Ledger(database: database)
        let report = try ledger.verify()
        #expect(report.isIntact, "\(report)")
        let plays = try database.read { db in
            try Row.fetchAll(db, sql: "SELECT play_id, listener_id, track_id, play_number, price FROM ledger_plays ORDER BY listener_id, track_id, play_number")
        }
        let charged = Set(plays.map { $0["play_id"] as String })
        if ProcessInfo.processInfo.environment["TUTTI_TEST_VERBOSE"] != nil {
            print("crash test: \(jobs.count) plays tried, \(beforeRestart.count) sessions opened, \(served.count) served before the kill, "
                + "\(beforeRestart.filter { $0.status == nil }.count) cut off, \(plays.count) charged in the end")
        }
        for attempt in served { #expect(charged.contains(attempt.sessionID), "served play \(attempt.sessionID) was charged") }
        // Per listener and track: plays 1, 2, 3... at 2,000 × 2^(n−1), none missing, none twice;
        // and each wallet holds exactly what it was given minus what its plays cost.
        for (index, id) in ids.enumerated() {
            var spent: Int64 = 0
            for track in paid {
                let mine = plays.filter { $0["listener_id"] as String == id && $0["track_id"] as String == track.id }
                #expect(mine.map { $0["play_number"] as Int } == Array(1...max(1, mine.count)).prefix(mine.count).map { $0 })
                for row in mine {
                    #expect(row["price"] as Int64 == 2_000 << Int64((row["play_number"] as Int) - 1))
                    spent += row["price"] as Int64
                }
            }
            #expect(try ledger.balance(of: .listenerWallet(id)).balance == 3_000_000 - spent, "listener \(index)")
        }
    }

    /// The signed query of a session's URLs, as the server returns it.
    private static func signedQuery(of attempt: Attempt, port: Int, token: String) -> String {
        let state = RawConnection.exchange(port: port, "GET", "/api/v1/plays/\(attempt.sessionID)", headers: ["Authorization": "Bearer \(token)"])
        let url = ((json(state.body)?["audio"] as? [String: Any])?["standard"] as? String) ?? ""
        return String(url.split(separator: "?").last ?? "")
    }
}
