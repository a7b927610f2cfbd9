import Foundation
import Ledger
import Testing
@testable import TuttiServer
import TuttiTestSupport

/// tools/bench/listeners.py, issue 21's load generator ("Listeners at real pace"), run
/// briefly against a server of the suite, so that it cannot rot: 20 players at ten times
/// real pace (the server's clock runs ten times faster too, so the preview's hold lasts as
/// long in the players' time), on a paid and a free track, leaving, seeking and playing on.
/// The generator itself checks every charge in the database against its model of what each
/// listener heard, and the wallets against their top-ups; it exits 1 on a mismatch or on any
/// error a listener saw. No timing is asserted (underruns and time to first audio depend on
/// the machine): the benchmark, tools/bench/listeners.sh, reports those.
@Suite("Listeners load generator")
struct ListenersGeneratorTests {
    static let speed = 10.0
    static let topUp: Int64 = 100_000_000

    @Test("20 listeners at 10x pace: play sessions, the hold, leaves and seeks; every charge matches what each listener heard")
    func briefRun() async throws {
        let start = Date()
        let speed = Self.speed
        let scaled: @Sendable () -> Date = { start.addingTimeInterval(Date().timeIntervalSince(start) * speed) }
        let service = TestService { configuration in
            configuration.now = scaled
            configuration.waitUntil = { date in
                while true {
                    let remaining = date.timeIntervalSince(scaled())
                    guard remaining > 0 else { return }
                    try await Task.sleep(for: .milliseconds(max(1, Int64((remaining / speed * 1000).rounded(.up)))))
                }
            }
            // Twenty players open a session per track (a few seconds each at this pace).
            configuration.playSessionsPerMinute = 100_000
        }
        let folder = Fixtures.scratch("listeners")
        try await service.run { api in
            let artist = try await api.account("artist", role: "artist")
            var tracks: [[String: Any]] = []
            for (title, file, free) in [("River", "river-song.ogg", false), ("Night", "night-walk.ogg", true)] {
                let id = try await api.publishedTrack(Fixtures.demo(file), title: title, by: artist, free: free)
                // The rendition as served, for the generator's model of the preview (its own Ogg pages).
                let whole = try await api.request(.get, "/api/v1/tracks/\(id)/audio/standard", token: artist.token)
                try #require(whole.status == .ok)
                let path = folder.appendingPathComponent("\(id).opus")
                try Data(buffer: whole.body).write(to: path)
                tracks.append(["id": id, "file": path.path, "paid": !free])
            }
            var listeners: [[String: Any]] = []
            for n in 0..<4 {
                let account = try await api.account("listener\(n)")
                let (user, amount) = (account.id, Self.topUp)
                _ = try await api.services.inLedger { ledger throws(LedgerError) in
                    try ledger.topUp(transferID: "test-topup-\(user)", user: user, amount: amount, reference: "test")
                }
                listeners.append(["token": account.token, "user": account.id, "topUp": amount])
            }
            let plan: [String: Any] = [
                "base": api.baseURL, "mode": "tutti", "previewSeconds": 45, "basePrice": 2000, "multiplier": 2, "playsToOwn": 9,
                "tracks": tracks, "listeners": listeners,
            ]
            let planPath = folder.appendingPathComponent("plan.json").path
            try JSONSerialization.data(withJSONObject: plan).write(to: URL(fileURLWithPath: planPath))
            let report = folder.appendingPathComponent("report.json").path
            let script = Fixtures.repository.appendingPathComponent("tools/bench/listeners.py").path
            let run = try await ThirdPartyTools.run("python3", [
                script, planPath, "--steps", "20", "--step-seconds", "10", "--ramp-seconds", "1", "--settle-seconds", "5",
                "--speed", String(speed), "--seed", "21", "--db", api.configuration.databasePath, "--json", report,
            ])
            #expect(run.status == 0, "listeners.py: \(run.stdout)\n\(run.stderr)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])
            let step = try #require((json["steps"] as? [[String: Any]])?.first)
            let charges = try #require(json["charges"] as? [String: Any])
            #expect(json["errorCount"] as? Int == 0, "\(json["errors"] ?? "")")
            #expect((step["starts"] as? Int ?? 0) > 0, "players started: \(step)")
            #expect((charges["meteredSessions"] as? Int ?? 0) > 0, "\(charges)")
            #expect((charges["heardPastPreview"] as? Int ?? 0) > 0, "some listener went on past the preview: \(charges)")
            #expect((charges["chargesChecked"] as? Int ?? 0) > 0, "\(charges)")
            #expect(charges["problems"] as? Int == 0, "\(json["chargeProblems"] ?? "")")
            // The ledger is consistent after the run (the charges the model checked are in it).
            let verified = try await api.services.inLedger { ledger throws(LedgerError) in try ledger.verify() }
            #expect(verified.isIntact, "\(verified)")
        }
    }
}
