import Catalog
import Foundation
import GRDB
import Synchronization
import Testing
import TuttiTestSupport

/// `tutti serve` as a real process, the way `make run` starts it. Everything that waits for
/// it (its start, its answers, its exit) runs off the threads the in-process tests share.
final class ServerProcess: @unchecked Sendable {
    let process: Spawned
    let data: URL
    private(set) var port = 0

    /// Starts `tutti serve` on `data` (default: a new scratch folder) on a free port, and
    /// waits until it listens.
    static func start(data: URL? = nil, arguments: [String] = []) async throws -> ServerProcess {
        let data = data ?? Fixtures.scratch("serve")
        let server = try ServerProcess(
            executable: Fixtures.tuttiExecutable, arguments: ["serve", "--data", data.path, "--port", "0"] + arguments, data: data)
        try await server.waitUntilListening()
        return server
    }

    /// Starts `executable` (which must end up running `tutti serve` with `data`, in this
    /// process: a script that `exec`s it will do) without waiting for it. Its standard
    /// output and error are collected together (``text``).
    init(executable: String, arguments: [String], data: URL, currentDirectory: URL? = nil, environment: [String: String]? = nil) throws {
        self.data = data
        // TUTTI_PARENT_PID: the server ends if this test process does (a crashed run left six
        // servers running otherwise).
        process = try Spawned(executable, arguments, environment: ["TUTTI_PARENT_PID": String(getpid())].merging(environment ?? [:]) { $1 },
                              currentDirectory: currentDirectory?.path, standardOutput: .collect)
    }

    /// Waits until the server says where it listens, and learns its port.
    func waitUntilListening() async throws {
        port = try await waitFor("tutti serve to listen; it printed: \(text)") {
            guard process.isRunning || text.contains("listening on 127.0.0.1:") else {
                throw DecodeFailure(message: "tutti serve exited before it listened: \(text)")
            }
            guard let line = text.split(separator: "\n").first(where: { $0.contains("listening on 127.0.0.1:") }) else { return nil }
            return Int(line.split(separator: ":").last!.trimmingCharacters(in: .whitespaces))
        }
    }

    var text: String { String(decoding: process.output, as: UTF8.self) }
    var url: String { "http://127.0.0.1:\(port)" }

    func get(_ path: String) async throws -> (Int, Data) {
        let run = try await ThirdPartyTools.run("curl", ["-s", "-o", "-", "-w", "\n%{http_code}", url + path])
        let lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, Data(lines.dropLast().joined(separator: "\n").utf8))
    }

    /// The published tracks, once there are `count` of them (the demo catalog publishes its
    /// tracks as their transcodes finish).
    func publishedTracks(count: Int) async throws -> [[String: Any]] {
        try await waitFor("\(count) published tracks; the server printed: \(text)", timeout: Deadline.long, every: .milliseconds(200)) {
            let (status, body) = try await get("/api/v1/tracks")
            guard status == 200, let page = try JSONSerialization.jsonObject(with: body) as? [String: Any],
                  let tracks = page["items"] as? [[String: Any]], tracks.count == count else { return nil }
            return tracks
        }
    }

    /// Sends SIGTERM and waits for the process to exit.
    func stop() async throws {
        process.send(SIGTERM)
        try await waitForExit()
    }

    /// Waits for the process to exit (after a signal sent to it).
    func waitForExit() async throws {
        await process.exit()
    }

    deinit {
        process.send(SIGINT)
    }
}

@Suite("tutti serve as a process")
struct ServeCommandTests {
    @Test("a server started with TUTTI_PARENT_PID ends when that process is killed (a crashed test run leaves no server behind)")
    func endsWithItsParent() async throws {
        let data = Fixtures.scratch("orphan-\(UUID().uuidString.prefix(8))").path
        // A shell starts the server in the background, as its parent, and waits; the path is
        // passed in the environment so that only the server's command line names it.
        let shell = try Spawned(
            "/bin/sh", ["-c", "TUTTI_PARENT_PID=$$ \"$TUTTI\" serve --data \"$DATA\" --port 0 & wait"],
            environment: ["TUTTI": Fixtures.tuttiExecutable, "DATA": data])
        let servers = try await Processes.waitForAny(data, "the server to start")
        #expect(servers.count == 1)
        shell.send(SIGKILL)
        await shell.exit()
        try await Processes.waitUntilNone(data, "the server to end once its parent was killed", timeout: Deadline.long)
    }

    @Test("the demo catalog comes up with accounts printed, its free track downloads whole, and SIGTERM stops the server cleanly")
    func demoCatalog() async throws {
        let server = try await ServerProcess.start(arguments: ["--demo", Fixtures.repository.appendingPathComponent("media/demo").path])
        let tracks = try await server.publishedTracks(count: 3)
        #expect(tracks.count == 3)
        #expect(server.text.contains("Demo accounts"))
        #expect(server.text.contains("password: demo-lena-password"))
        // The demo's free track streams from its plain URL; the others need a play session.
        let id = try #require(tracks.first { $0["free"] as? Bool == true }?["id"] as? String)
        let file = server.data.appendingPathComponent("download.opus").path
        #expect(try await ThirdPartyTools.run("curl", ["-sf", "-o", file, server.url + "/api/v1/tracks/\(id)/audio/standard"]).status == 0)
        try await ThirdPartyTools.expectValid(file)
        try await server.stop()  // SIGTERM
        #expect(server.process.termination == .exited(0), "\(server.text)")
    }

    /// What the slow client's thread has received, shared with the test.
    final class Download: Sendable {
        let progress = Atomic<Int>(0)
        let response = Mutex(Data())
    }

    @Test("SIGTERM lets a slow client's download finish though most of it was still unsent, beyond the kernel's socket buffers (sent with sendfile)")
    func gracefulShutdownWaitsForSendfile() async throws {
        // A rendition larger than any send buffer the kernel may give the server's socket
        // (net.ipv4.tcp_wmem's maximum, 4 MiB on Debian) plus the client's receive buffer: a
        // demo folder with one long track, 3 MB more than that limit at the standard bitrate
        // (8.5 minutes, about 7.5 MB, on Debian). Its channels are different noises,
        // which Opus codes at about 117 kb/s of the 128 it may use.
        let sendBufferLimit = try #require(Int(String(contentsOfFile: "/proc/sys/net/ipv4/tcp_wmem", encoding: .utf8)
            .split(whereSeparator: \.isWhitespace).last ?? ""))
        let seconds = (sendBufferLimit + 3_000_000) / 14_000  // about 14 kB a second
        let folder = Fixtures.scratch("long-demo")
        let source = folder.appendingPathComponent("long-noise.ogg").path
        let made = try await ThirdPartyTools.run("ffmpeg", [
            "-v", "error", "-y", "-filter_complex",
            "anoisesrc=d=\(seconds):c=white:a=0.5:r=48000:seed=1[a];anoisesrc=d=\(seconds):c=pink:a=0.5:r=48000:seed=2[b];[a][b]amerge=inputs=2",
            "-metadata", "artist=Ada Demo", "-metadata", "title=Long Noise", "-c:a", "libvorbis", "-q:a", "-1", source,
        ])
        #expect(made.status == 0, "\(made.stderr)")
        let server = try await ServerProcess.start(arguments: ["--demo", folder.path])
        let tracks = try await server.publishedTracks(count: 1)
        let id = try #require(tracks.first { $0["free"] as? Bool == true }?["id"] as? String)
        let path = "/api/v1/tracks/\(id)/audio/standard"
        // A first request through the router puts the rendition in memory, so that the
        // download below is sent with sendfile (SendfileHandler), below the router.
        #expect(try await ThirdPartyTools.run("curl", ["-sf", "-o", "/dev/null", "-r", "0-99", server.url + path]).status == 0)

        // A slow client with a small receive buffer (about 3 MB/s), which holds still from
        // its first 100 kB until the server has been told to stop (so that what it had
        // received then does not depend on how busy the machine is), then reads on.
        let client = try RawConnection(port: server.port, receiveBuffer: 16_384)
        client.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")  // keep-alive: sendfile's case
        let download = Download()
        let stopSent = DispatchSemaphore(value: 0)
        let reader = DispatchGroup()
        reader.enter()
        Thread.detachNewThread {  // not a Dispatch worker: those are the shared threads' too
            defer { reader.leave() }
            var held = false
            // Until the whole response has arrived, or the server closes the connection.
            let data = client.read(chunk: 16_384, pause: 0.005) { data in
                download.progress.store(data.count, ordering: .relaxed)
                if !held && data.count >= 100_000 {
                    held = true
                    stopSent.wait()
                }
                return HTTPMessage.isComplete(data)
            }
            download.response.withLock { $0 = data }
        }
        try await waitUntil("the slow client to receive its first 100 kB", every: .milliseconds(5)) {
            download.progress.load(ordering: .relaxed) >= 100_000
        }
        let (_, metrics) = try await server.get("/metrics")
        #expect(String(decoding: metrics, as: UTF8.self).contains("tutti_sendfile_responses_total 1\n"),
                "the download is being sent with sendfile")
        let receivedAtStop = download.progress.load(ordering: .relaxed)
        server.process.send(SIGTERM)
        stopSent.signal()
        try await onOwnThread { reader.wait() }
        try await server.waitForExit()

        let response = download.response.withLock { $0 }
        let (head, length, body) = try #require(HTTPMessage.parse(response))
        #expect(head.hasPrefix("HTTP/1.1 200"), "\(head)")
        // More than the kernel could have held for the client when the signal came: the rest
        // was still in the file, to be sent by a server that waits for it.
        #expect(length - receivedAtStop > sendBufferLimit + 1_000_000,
                "\(length) bytes, \(receivedAtStop) received at SIGTERM, send buffers up to \(sendBufferLimit)")
        #expect(body.count == length, "the whole file arrived after SIGTERM")
        let file = server.data.appendingPathComponent("download.opus")
        try body.write(to: file)
        try await ThirdPartyTools.expectValid(file.path)
        #expect(server.process.termination == .exited(0), "\(server.text)")
    }
}

@Suite("tutti serve --role: HTTP nodes and a transcoding worker on one data folder")
struct ServeRoleTests {
    @Test("an api node queues uploads and transcodes nothing; a worker on the same data folder transcodes them and listens on no port")
    func apiAndWorker() async throws {
        let data = Fixtures.scratch("roles-\(UUID().uuidString.prefix(8))")
        // The demo catalog queues three uploads and publishes each once it is ready.
        let api = try await ServerProcess.start(
            data: data, arguments: ["--role", "api", "--demo", Fixtures.repository.appendingPathComponent("media/demo").path])
        try await waitFor("the api node to queue the demo's uploads; it printed: \(api.text)", timeout: Deadline.long) {
            api.text.contains("Demo accounts") ? true : nil
        }
        // No worker yet: no transcoder runs, nothing is published, every job waits in the queue.
        #expect(Processes.matching("tutti transcode \(data.path)/").isEmpty)
        let (status, body) = try await api.get("/api/v1/tracks")
        #expect(status == 200)
        let page = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        #expect((page["items"] as? [Any])?.isEmpty == true, "\(page)")
        #expect(!api.text.contains("transcode finished"), "\(api.text)")

        let worker = try ServerProcess(
            executable: Fixtures.tuttiExecutable, arguments: ["serve", "--data", data.path, "--role", "worker", "--port", "0"], data: data)
        let tracks = try await api.publishedTracks(count: 3)
        #expect(tracks.count == 3)
        #expect(worker.text.components(separatedBy: "transcode finished").count - 1 == 3, "\(worker.text)")
        #expect(!api.text.contains("transcode finished"), "\(api.text)")
        #expect(worker.text.contains("worker: taking transcode jobs"), "\(worker.text)")
        #expect(!worker.text.contains("listening on"), "a worker serves no HTTP: \(worker.text)")
        // Streams come from the api node, from what the worker made.
        let id = try #require(tracks.first { $0["free"] as? Bool == true }?["id"] as? String)
        let file = data.appendingPathComponent("download.opus").path
        #expect(try await ThirdPartyTools.run("curl", ["-sf", "-o", file, api.url + "/api/v1/tracks/\(id)/audio/standard"]).status == 0)
        try await ThirdPartyTools.expectValid(file)

        try await worker.stop()
        try await api.stop()
        #expect(worker.process.termination == .exited(0), "\(worker.text)")
        #expect(api.process.termination == .exited(0), "\(api.text)")
    }

    @Test("a worker SIGKILLed mid-transcode: another worker takes its job once the lease passes, and the track becomes ready")
    func workerTakesOverDeadWorkersJob() async throws {
        let data = Fixtures.scratch("takeover-\(UUID().uuidString.prefix(8))")
        let api = try await ServerProcess.start(data: data, arguments: ["--role", "api"])
        let port = api.port
        let credentials = try JSONSerialization.data(withJSONObject: ["username": "ada", "password": "correct horse battery", "role": "artist"])
        let (token, upload) = try await onOwnThread { () throws -> (String?, Data) in
            // Three minutes of 96 kHz stereo: long enough to be caught mid-transcode.
            let wav = TestWAV.sine(frequency: 440, dBFS: -6, seconds: 180, sampleRate: 96_000, channels: 2).bytes()
            _ = RawConnection.exchange(port: port, "POST", "/api/v1/users", headers: ["Content-Type": "application/json"], body: credentials)
            let login = RawConnection.exchange(port: port, "POST", "/api/v1/sessions", headers: ["Content-Type": "application/json"], body: credentials)
            let token = (try JSONSerialization.jsonObject(with: login.body) as? [String: Any])?["token"] as? String
            let upload = RawConnection.exchange(port: port, "POST", "/api/v1/tracks?title=Long", headers: ["Authorization": "Bearer \(token ?? "")"], body: wav)
            return (token, upload.body)
        }
        let bearer = try #require(token, "log-in failed")
        let trackID = try #require((try JSONSerialization.jsonObject(with: upload) as? [String: Any])?["id"] as? String, "\(String(decoding: upload, as: UTF8.self))")

        let lease = ["--job-lease-seconds", "2"]
        let first = try ServerProcess(
            executable: Fixtures.tuttiExecutable, arguments: ["serve", "--data", data.path, "--role", "worker"] + lease, data: data)
        let transcoder = "tutti transcode \(data.path)/"
        _ = try await Processes.waitForAny(transcoder, "the first worker to start the transcode; it printed: \(first.text)", timeout: Deadline.long)
        kill(first.process.processIdentifier, SIGKILL)
        try await first.waitForExit()
        try await Processes.waitUntilNone(transcoder, "the dead worker's transcoder to die with it")

        let second = try ServerProcess(
            executable: Fixtures.tuttiExecutable, arguments: ["serve", "--data", data.path, "--role", "worker"] + lease, data: data)
        let status = try await waitFor("the track to be made ready by the second worker; it printed: \(second.text)", timeout: Deadline.long, every: .milliseconds(200)) {
            () async throws -> String? in
            let (status, body) = try await onOwnThread {
                RawConnection.exchange(port: port, "GET", "/api/v1/tracks/\(trackID)", headers: ["Authorization": "Bearer \(bearer)"])
            }
            guard status == 200, let track = try JSONSerialization.jsonObject(with: body) as? [String: Any],
                  let state = track["status"] as? String, state != "processing" else { return nil }
            return state
        }
        #expect(status == "ready", "\(second.text)")
        #expect(second.text.contains("transcode finished"), "\(second.text)")
        // The job ran twice (the dead worker's attempt and the second's), and finished once.
        let database = try TuttiDatabase.open(path: data.appendingPathComponent("tutti.sqlite").path)
        let job = try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT state, attempts, leaseExpiresAt FROM transcodeJobs WHERE trackID = ?", arguments: [trackID])
        }
        #expect(job?["state"] as String? == "done")
        #expect(job?["attempts"] as Int? == 2)
        #expect((job?["leaseExpiresAt"] as DatabaseValue?)?.isNull == true)
        try await second.stop()
        try await api.stop()
    }

    @Test("a worker refuses --demo, and any node a lease under a second or an unknown role, with a message")
    func refusedOptions() async throws {
        for (arguments, message) in [
            (["--role", "worker", "--demo", "media/demo"], "--demo needs an HTTP node"),
            (["--role", "worker", "--job-lease-seconds", "0.5"], "--job-lease-seconds must be at least 1"),
            (["--role", "gateway"], "--role"),
        ] {
            let run = try await ThirdPartyTools.run(Fixtures.tuttiExecutable, ["serve"] + arguments)
            #expect(run.status != 0, "\(arguments)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
    }
}

@Suite("tutti serve killed outright")
struct ServeKilledTests {
    @Test("a transcode running when the server is SIGKILLed dies with it (it would write into the work folder of the job the restart runs again)")
    func jobDiesWithServer() async throws {
        let server = try await ServerProcess.start()
        let port = server.port
        let credentials = try JSONSerialization.data(withJSONObject: ["username": "ada", "password": "correct horse battery", "role": "artist"])
        let (registered, token, upload) = try await onOwnThread { () throws -> (Int?, String?, Int?) in
            // Three minutes of 96 kHz stereo: long enough to be caught mid-transcode.
            let wav = TestWAV.sine(frequency: 440, dBFS: -6, seconds: 180, sampleRate: 96_000, channels: 2).bytes()
            let registered = RawConnection.exchange(port: port, "POST", "/api/v1/users", headers: ["Content-Type": "application/json"], body: credentials).status
            let login = RawConnection.exchange(port: port, "POST", "/api/v1/sessions", headers: ["Content-Type": "application/json"], body: credentials)
            let token = (try JSONSerialization.jsonObject(with: login.body) as? [String: Any])?["token"] as? String
            let upload = RawConnection.exchange(port: port, "POST", "/api/v1/tracks?title=Long", headers: ["Authorization": "Bearer \(token ?? "")"], body: wav)
            return (registered, token, upload.status)
        }
        #expect(registered == 201)
        try #require(token != nil, "log-in failed")
        #expect(upload == 202)
        // The transcoder's command line names the upload in the server's data folder.
        let transcoder = "tutti transcode \(server.data.path)/"
        let running = try await Processes.waitForAny(
            transcoder, "the transcode to start; the server printed: \(server.text)", timeout: Deadline.long)
        kill(server.process.processIdentifier, SIGKILL)
        try await server.waitForExit()
        try await Processes.waitUntilNone(transcoder, "the transcoder processes \(running) to die with the killed server")
    }
}
