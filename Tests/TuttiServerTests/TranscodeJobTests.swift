import Foundation
import Testing
import TuttiServer
import TuttiTestSupport

/// Writes an executable shell script standing in for `tutti transcode`.
func transcoderScript(_ body: String) throws -> String {
    let url = Fixtures.scratch("script").appendingPathComponent("transcoder.sh")
    try "#!/bin/sh\n\(body)\n".write(to: url, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
    return url.path
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
        let script = try transcoderScript("sleep 601")
        let service = TestService(transcoder: script) { $0.jobTimeLimit = 1.5 }
        try await service.run { api in
            let artist = try await api.account("ada", role: "artist")
            let started = ContinuousClock.now
            let id = try await api.upload(Fixtures.media("sine-1000-48000-mono.wav"), title: "Hang", by: artist)
            let track = try await api.waitUntilProcessed(id, token: artist.token)
            #expect(track["status"] as? String == "failed")
            #expect((track["failureReason"] as? String)?.contains("took longer than the limit") == true, "\(track)")
            #expect(ContinuousClock.now - started < .seconds(30))
            // The sleeping child is gone, not orphaned.
            let children = try await ThirdPartyTools.run("pgrep", ["-f", "sleep 601"])
            #expect(children.stdout.isEmpty)
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
        let stalling = try transcoderScript("sleep 602")
        var service = TestService(transcoder: stalling)
        let (artist, id) = try await service.run { api in
            let artist = try await api.account("ada", role: "artist")
            let id = try await api.upload(Fixtures.media("sine-440-44100-stereo.mp3"), title: "Later", by: artist)
            // Wait until the job has started.
            for _ in 0..<100 {
                let metrics = String(buffer: try await api.request(.get, "/metrics").body)
                if metrics.contains("tutti_jobs_running 1") { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            return (artist, id)
        }
        // Stopping the server killed the stalled child rather than leaving it behind.
        // (The kill is delivered at once; the process may take a moment to be gone.)
        var leftBehind = true
        for _ in 0..<50 where leftBehind {
            leftBehind = !(try await ThirdPartyTools.run("pgrep", ["-f", "sleep 602"]).stdout.isEmpty)
            if leftBehind { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(!leftBehind)
        // Second run on the same data folder with the real transcoder.
        service.configuration.transcoderExecutable = Fixtures.tuttiExecutable
        try await service.run { api in
            let track = try await api.waitUntilProcessed(id, token: artist.token)
            #expect(track["status"] as? String == "ready", "\(track)")
            #expect(track["durationSeconds"] as? Double == 2)
        }
    }
}
