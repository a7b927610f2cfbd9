import Foundation
import GRDB
import Testing
@testable import TuttiServer
import TuttiTestSupport

/// Writes an executable shell script standing in for `tutti transcode`.
func transcoderScript(_ body: String) throws -> String {
    let url = Fixtures.scratch("script").appendingPathComponent("transcoder.sh")
    try "#!/bin/sh\n\(body)\n".write(to: url, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
    return url.path
}

/// A `sleep` that outlasts any test, with a length no other test's process has, so that it
/// is found by its command line alone (other suites, or another checkout's, may run at once).
func uniqueSleep() -> String {
    "sleep \(600_000_000 + Int.random(in: 0..<100_000_000))"
}

@Suite("Transcode jobs: isolated, limited, durable")
struct TranscodeJobTests {
    @Test("a transcoder that crashes fails the track with a reason; the server stays up")
    func crash() async throws {
        let script = try transcoderScript("kill -SEGV $$")
        try await TestService(transcoder: script).run { api in
            let artist = try await api.account("ada", role: "artist")
            let id = try await api.upload(Fixtures.media("sine-1000-48000-mono.wav"), title: "Crash", by: artist)
            let track = try await api.waitUntilProcessed(id, token: artist.token)
            #expect(track["status"] as? String == "failed")
            #expect((track["failureReason"] as? String)?.contains("crashed") == true, "\(track)")
            #expect(try await api.request(.get, "/health").status == .ok)
            let metrics = String(buffer: try await api.request(.get, "/metrics").body)
            #expect(metrics.contains("tutti_jobs_failed_total 1"))
        }
    }

    @Test("a transcoder that hangs is killed at the time limit and the track fails")
    func hang() async throws {
        let sleep = uniqueSleep()
        let script = try transcoderScript(sleep)
        let service = TestService(transcoder: script) { $0.jobTimeLimit = 1.5 }
        try await service.run { api in
            let artist = try await api.account("ada", role: "artist")
            let id = try await api.upload(Fixtures.media("sine-1000-48000-mono.wav"), title: "Hang", by: artist)
            // The script sleeps for years: only the time limit can end its job.
            let track = try await api.waitUntilProcessed(id, token: artist.token)
            #expect(track["status"] as? String == "failed")
            #expect((track["failureReason"] as? String)?.contains("took longer than the limit") == true, "\(track)")
            // The sleeping grandchild is gone too, not orphaned.
            try await Processes.waitUntilNone(sleep, "the hung transcoder's child to be killed with it")
        }
    }

    @Test("a transcoder that exhausts its memory limit fails the track")
    func outOfMemory() async throws {
        // The real transcoder under a 64 MiB address-space limit cannot even map its libraries.
        let service = TestService { $0.jobMemoryLimit = 64 << 20 }
        try await service.run { api in
            let artist = try await api.account("ada", role: "artist")
            let id = try await api.upload(Fixtures.media("sine-440-44100-stereo.flac"), title: "Big", by: artist)
            let track = try await api.waitUntilProcessed(id, token: artist.token)
            #expect(track["status"] as? String == "failed", "\(track)")
            #expect(try await api.request(.get, "/health").status == .ok)
        }
    }

    @Test("a damaged upload that passes sniffing fails with the decoder's reason")
    func damagedUpload() async throws {
        let folder = Fixtures.scratch()
        let whole = TestWAV.sine(frequency: 440, dBFS: -6, seconds: 2, sampleRate: 48_000, channels: 2).bytes()
        let cut = folder.appendingPathComponent("cut.wav")
        try whole.prefix(44 + 48_000 * 4).write(to: cut)
        try await TestService().run { api in
            let artist = try await api.account("ada", role: "artist")
            let id = try await api.upload(cut.path, title: "Cut", by: artist)
            let track = try await api.waitUntilProcessed(id, token: artist.token)
            #expect(track["status"] as? String == "failed")
            #expect(track["failureReason"] as? String == "file is truncated after 1.0 s")
        }
    }

    @Test("a job interrupted by stopping the server finishes after the restart; nothing uploaded is lost")
    func resumeAfterRestart() async throws {
        // First run: the transcoder stalls, so the job is still running when the server stops.
        let started = Fixtures.scratch("started").appendingPathComponent("started")
        let sleep = uniqueSleep()
        let stalling = try transcoderScript("touch '\(started.path)'\n\(sleep)")
        var service = TestService(transcoder: stalling)
        let (artist, id) = try await service.run { api in
            let artist = try await api.account("ada", role: "artist")
            let id = try await api.upload(Fixtures.media("sine-440-44100-stereo.mp3"), title: "Later", by: artist)
            try await waitUntil("the transcode job to start its (stalling) transcoder") {
                FileManager.default.fileExists(atPath: started.path)
            }
            #expect(try await api.request(.get, "/api/v1/tracks/\(id)", token: artist.token).json()["status"] as? String == "processing")
            return (artist, id)
        }
        // Stopping the server killed the stalled child rather than leaving it behind.
        try await Processes.waitUntilNone(sleep, "the stalled transcoder to be killed when the server stopped")
        // Second run on the same data folder with the real transcoder.
        service.configuration.transcoderExecutable = Fixtures.tuttiExecutable
        try await service.run { api in
            let track = try await api.waitUntilProcessed(id, token: artist.token)
            #expect(track["status"] as? String == "ready", "\(track)")
            #expect(track["durationSeconds"] as? Double == 2)
        }
    }

    @Test("a worker whose lease is found taken over stops its transcoder and records nothing; the job's new holder decides")
    func leaseLostStopsTheTranscode() async throws {
        let started = Fixtures.scratch("started").appendingPathComponent("started")
        let sleep = uniqueSleep()
        var service = TestService(transcoder: try transcoderScript("touch '\(started.path)'\n\(sleep)"))
        service.configuration.jobLeaseSeconds = 1  // renewed every 0.25 s
        try await service.run { api in
            let artist = try await api.account("ada", role: "artist")
            let id = try await api.upload(Fixtures.media("sine-1000-48000-mono.wav"), title: "Stolen", by: artist)
            try await waitUntil("the transcode job to start its (stalling) transcoder") {
                FileManager.default.fileExists(atPath: started.path)
            }
            // Another worker takes the job over, as after this one's lease had passed, and holds
            // it for an hour (so that this node's other job slot cannot take it back meanwhile).
            try await api.services.database.write { db in
                try db.execute(sql: """
                    UPDATE transcodeJobs SET attempts = attempts + 1, worker = 'another',
                        leaseExpiresAt = strftime('%Y-%m-%d %H:%M:%f', 'now', '+1 hour')
                    WHERE trackID = ?
                    """, arguments: [id])
            }
            // At its next renewal this worker finds the job gone: it kills its transcoder...
            try await Processes.waitUntilNone(sleep, "the transcoder of the job taken over to be killed")
            try await waitUntil("the takeover to be counted") {
                String(buffer: try await api.request(.get, "/metrics").body).contains("tutti_jobs_taken_over_total 1")
            }
            // ...and records nothing: the track still waits for the job's new holder.
            #expect(try await api.request(.get, "/api/v1/tracks/\(id)", token: artist.token).json()["status"] as? String == "processing")
            let job = try await api.services.database.read { db in
                try Row.fetchOne(db, sql: "SELECT state, attempts, worker FROM transcodeJobs WHERE trackID = ?", arguments: [id])
            }
            #expect(job?["state"] as String? == "running")
            #expect(job?["worker"] as String? == "another")
        }
    }

    @Test("a worker is gone when its process on this host has ended, or it is this process id; not when it lives or is another host's")
    func workerIsGone() async throws {
        let host = ProcessInfo.processInfo.hostName
        let ended = try Spawned("/bin/true", [])
        await ended.exit()
        #expect(TranscodeRunner.workerIsGone("\(host):\(ended.processIdentifier):abc"))
        #expect(TranscodeRunner.workerIsGone("\(host):\(getpid()):abc"))
        #expect(TranscodeRunner.workerIsGone(nil))
        #expect(!TranscodeRunner.workerIsGone("\(host):\(getppid()):abc"))
        #expect(!TranscodeRunner.workerIsGone("elsewhere.example:\(ended.processIdentifier):abc"))
        #expect(!TranscodeRunner.workerIsGone("garbage"))
    }
}
