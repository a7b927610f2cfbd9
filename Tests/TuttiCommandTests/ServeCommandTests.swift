import Foundation
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

    deinit {
        if process.isRunning { process.interrupt() }
    }
}

@Suite("tutti serve as a process")
struct ServeCommandTests {
    @Test("the demo catalog comes up with accounts printed; SIGTERM lets an in-flight download finish (sent with sendfile)")
    func demoAndGracefulShutdown() throws {
        let server = try ServerProcess(arguments: ["--demo", Fixtures.repository.appendingPathComponent("media/demo").path])
        // The demo tracks are transcoded and published.
        var tracks: [[String: Any]] = []
        for _ in 0..<300 {
            let (status, body) = try server.get("/api/v1/tracks")
            if status == 200, let page = try JSONSerialization.jsonObject(with: body) as? [String: Any] {
                tracks = page["items"] as? [[String: Any]] ?? []
                if tracks.count == 3 { break }
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(tracks.count == 3)
        #expect(server.text.contains("Demo accounts"))
        #expect(server.text.contains("password: demo-lena-password"))
        // The demo's free track streams from its plain URL; the others need a play session.
        let id = try #require(tracks.first { $0["free"] as? Bool == true }?["id"] as? String)
        // A first request through the router puts the rendition in memory, so that the
        // download below is sent with sendfile (SendfileHandler), below the router. The file
        // (about 1.2 MB) fits in loopback's socket buffers, so this shows that the answer
        // survives SIGTERM, not that the server waits for a send still in progress: it
        // passes with SendfileHandler's hold on graceful shutdown taken out.
        let audio = server.url + "/api/v1/tracks/\(id)/audio/standard"
        #expect(try ThirdPartyTools.run("curl", ["-sf", "-o", "/dev/null", "-r", "0-99", audio]).status == 0)
        // A slow client (about 4 s for the file) is mid-download when the server is told to stop.
        let file = server.data.appendingPathComponent("download.opus").path
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-sf", "--limit-rate", "300k", "-o", file, "-w", "%{size_download}", server.url + "/api/v1/tracks/\(id)/audio/standard"]
        let curlOutput = Pipe()
        curl.standardOutput = curlOutput
        try curl.run()
        Thread.sleep(forTimeInterval: 1)
        let (_, metrics) = try server.get("/metrics")
        #expect(String(decoding: metrics, as: UTF8.self).contains("tutti_sendfile_responses_total 1\n"),
                "the download is being sent with sendfile")
        server.process.terminate()  // SIGTERM
        curl.waitUntilExit()
        server.process.waitUntilExit()
        #expect(curl.terminationStatus == 0)
        let downloaded = try Data(contentsOf: URL(fileURLWithPath: file))
        #expect(downloaded.count > 1_000_000)
        #expect(downloaded.prefix(4) == Data("OggS".utf8))
        try ThirdPartyTools.expectValid(file)
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
