import Foundation
import Synchronization
import Testing
import TuttiTestSupport

/// `tutti serve` as a real process, the way `make run` starts it.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let data: URL
    private let output = Pipe()
    private(set) var port = 0
    private var log = Data()
    private let lock = NSLock()

    /// Starts `tutti serve` on `data` (default: a new scratch folder).
    init(data: URL? = nil, arguments: [String] = []) throws {
        self.data = data ?? Fixtures.scratch("serve")
        process.executableURL = URL(fileURLWithPath: Fixtures.tuttiExecutable)
        process.arguments = ["serve", "--data", self.data.path, "--port", "0"] + arguments
        process.standardOutput = output
        process.standardError = output
        output.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let chunk = handle.availableData
            guard let self else { return }
            self.lock.withLock { self.log.append(chunk) }
        }
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let line = text.split(separator: "\n").first(where: { $0.contains("listening on 127.0.0.1:") }),
               let port = Int(line.split(separator: ":").last!.trimmingCharacters(in: .whitespaces)) {
                self.port = port
                return
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.terminate()
        throw DecodeFailure(message: "tutti serve did not start: \(text)")
    }

    var text: String { lock.withLock { String(decoding: log, as: UTF8.self) } }
    var url: String { "http://127.0.0.1:\(port)" }

    func get(_ path: String) throws -> (Int, Data) {
        let run = try ThirdPartyTools.run("curl", ["-s", "-o", "-", "-w", "\n%{http_code}", url + path])
        let lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, Data(lines.dropLast().joined(separator: "\n").utf8))
    }

    /// Waits (up to 60 s) until `count` tracks are published, and returns them.
    func publishedTracks(count: Int) throws -> [[String: Any]] {
        var tracks: [[String: Any]] = []
        for _ in 0..<600 {
            let (status, body) = try get("/api/v1/tracks")
            if status == 200, let page = try JSONSerialization.jsonObject(with: body) as? [String: Any] {
                tracks = page["items"] as? [[String: Any]] ?? []
                if tracks.count == count { break }
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return tracks
    }

    deinit {
        if process.isRunning { process.interrupt() }
    }
}

@Suite("tutti serve as a process")
struct ServeCommandTests {
    @Test("the demo catalog comes up with accounts printed, its free track downloads whole, and SIGTERM stops the server cleanly")
    func demoCatalog() throws {
        let server = try ServerProcess(arguments: ["--demo", Fixtures.repository.appendingPathComponent("media/demo").path])
        let tracks = try server.publishedTracks(count: 3)
        #expect(tracks.count == 3)
        #expect(server.text.contains("Demo accounts"))
        #expect(server.text.contains("password: demo-lena-password"))
        // The demo's free track streams from its plain URL; the others need a play session.
        let id = try #require(tracks.first { $0["free"] as? Bool == true }?["id"] as? String)
        let file = server.data.appendingPathComponent("download.opus").path
        #expect(try ThirdPartyTools.run("curl", ["-sf", "-o", file, server.url + "/api/v1/tracks/\(id)/audio/standard"]).status == 0)
        try ThirdPartyTools.expectValid(file)
        server.process.terminate()  // SIGTERM
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus == 0, "\(server.text)")
    }

    /// What the slow client's thread has received, shared with the test.
    final class Download: Sendable {
        let progress = Atomic<Int>(0)
        let response = Mutex(Data())
    }

    @Test("SIGTERM lets a slow client's download finish though most of it was still unsent, beyond the kernel's socket buffers (sent with sendfile)")
    func gracefulShutdownWaitsForSendfile() throws {
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
        let made = try ThirdPartyTools.run("ffmpeg", [
            "-v", "error", "-y", "-filter_complex",
            "anoisesrc=d=\(seconds):c=white:a=0.5:r=48000:seed=1[a];anoisesrc=d=\(seconds):c=pink:a=0.5:r=48000:seed=2[b];[a][b]amerge=inputs=2",
            "-metadata", "artist=Ada Demo", "-metadata", "title=Long Noise", "-c:a", "libvorbis", "-q:a", "-1", source,
        ])
        #expect(made.status == 0, "\(made.stderr)")
        let server = try ServerProcess(arguments: ["--demo", folder.path])
        let tracks = try server.publishedTracks(count: 1)
        let id = try #require(tracks.first { $0["free"] as? Bool == true }?["id"] as? String)
        let path = "/api/v1/tracks/\(id)/audio/standard"
        // A first request through the router puts the rendition in memory, so that the
        // download below is sent with sendfile (SendfileHandler), below the router.
        #expect(try ThirdPartyTools.run("curl", ["-sf", "-o", "/dev/null", "-r", "0-99", server.url + path]).status == 0)

        // A slow client with a small receive buffer (about 3 MB/s), told to stop a moment
        // after its download began.
        let client = try RawConnection(port: server.port, receiveBuffer: 16_384)
        client.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")  // keep-alive: sendfile's case
        let download = Download()
        let reader = DispatchGroup()
        DispatchQueue.global().async(group: reader) {
            // Until the whole response has arrived, or the server closes the connection.
            let data = client.read(chunk: 16_384, pause: 0.005) { data in
                download.progress.store(data.count, ordering: .relaxed)
                return HTTPMessage.isComplete(data)
            }
            download.response.withLock { $0 = data }
        }
        let deadline = Date().addingTimeInterval(30)
        while download.progress.load(ordering: .relaxed) < 100_000, Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        let (_, metrics) = try server.get("/metrics")
        #expect(String(decoding: metrics, as: UTF8.self).contains("tutti_sendfile_responses_total 1\n"),
                "the download is being sent with sendfile")
        let receivedAtStop = download.progress.load(ordering: .relaxed)
        server.process.terminate()  // SIGTERM
        reader.wait()
        server.process.waitUntilExit()

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
        try ThirdPartyTools.expectValid(file.path)
        #expect(server.process.terminationStatus == 0, "\(server.text)")
    }
}

@Suite("tutti serve killed outright")
struct ServeKilledTests {
    @Test("a transcode running when the server is SIGKILLed dies with it (it would write into the work folder of the job the restart runs again)")
    func jobDiesWithServer() throws {
        let server = try ServerProcess()
        let port = server.port
        let credentials = try JSONSerialization.data(withJSONObject: ["username": "ada", "password": "correct horse battery", "role": "artist"])
        #expect(RawConnection.exchange(port: port, "POST", "/api/v1/users", headers: ["Content-Type": "application/json"], body: credentials).status == 201)
        let login = RawConnection.exchange(port: port, "POST", "/api/v1/sessions", headers: ["Content-Type": "application/json"], body: credentials)
        let token = try #require((try JSONSerialization.jsonObject(with: login.body) as? [String: Any])?["token"] as? String)
        // Three minutes of 96 kHz stereo: long enough to be caught mid-transcode.
        let wav = TestWAV.sine(frequency: 440, dBFS: -6, seconds: 180, sampleRate: 96_000, channels: 2).bytes()
        let upload = RawConnection.exchange(port: port, "POST", "/api/v1/tracks?title=Long", headers: ["Authorization": "Bearer \(token)"], body: wav)
        #expect(upload.status == 202)
        func transcoders() throws -> [String] {
            try ThirdPartyTools.run("pgrep", ["-f", "tutti transcode \(server.data.path)"]).stdout.split(separator: "\n").map(String.init)
        }
        var running: [String] = []
        for _ in 0..<200 where running.isEmpty {
            running = try transcoders()
            if running.isEmpty { Thread.sleep(forTimeInterval: 0.05) }
        }
        try #require(!running.isEmpty, "the transcode did not start")
        kill(server.process.processIdentifier, SIGKILL)
        server.process.waitUntilExit()
        var left = running
        for _ in 0..<100 where !left.isEmpty {
            Thread.sleep(forTimeInterval: 0.05)
            left = try transcoders()
        }
        #expect(left.isEmpty, "transcoder processes outlived the killed server: \(left)")
    }
}
