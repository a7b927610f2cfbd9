import Foundation
import HTTPTypes
import NIOCore
import Synchronization
import Testing
import TuttiServer
import TuttiTestSupport

@Suite("Hostile requests: clear errors, nothing lost, the service keeps answering")
struct HostileRequestTests {
    /// Files left in the uploads folder (partial uploads in flight).
    static func partialUploads(_ api: TestAPI) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: api.configuration.uploadsDirectory)) ?? []
    }

    static func waitForNoPartialUploads(_ api: TestAPI) async throws {
        try await waitUntil("the partial uploads to be removed; left behind: \(partialUploads(api))") { partialUploads(api).isEmpty }
    }

    @Test("uploads over the size cap get 413, with or without a declared length")
    func overCap() async throws {
        try await TestService { $0.uploadLimit = 256 * 1024 }.run { api in
            let artist = try await api.account("ada", role: "artist")
            let big = ByteBuffer(data: try Data(contentsOf: URL(fileURLWithPath: Fixtures.media("surround-51-48000.wav"))))
            let declared = try await api.request(.post, "/api/v1/tracks?title=Big", token: artist.token, body: big)
            #expect(declared.status == .contentTooLarge)
            #expect(try declared.problem()["limitBytes"] as? Int == 256 * 1024)
            // Chunked: no length up front, so the cap is enforced as the bytes arrive.
            let connection = try RawConnection(port: api.port)
            let response = try await RawConnection.onThread { () -> String in
                connection.send("POST /api/v1/tracks?title=Big HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(artist.token)\r\nTransfer-Encoding: chunked\r\n\r\n")
                let chunk = Data(repeating: 0x52, count: 64 * 1024)
                for _ in 0..<8 {
                    guard connection.send("10000\r\n") && connection.send(chunk) && connection.send("\r\n") else { break }
                }
                connection.send("0\r\n\r\n")
                return connection.readResponse()
            }
            #expect(response.hasPrefix("HTTP/1.1 413") || response.hasPrefix("HTTP/1.1 415"), "\(response.prefix(200))")
            try await Self.waitForNoPartialUploads(api)
            #expect(try await api.request(.get, "/api/v1/tracks", token: artist.token).json()["total"] as? Int == 0)
        }
    }

    @Test("bytes that are not audio get 415 with the reason, early for a large body")
    func notAudio() async throws {
        try await TestService().run { api in
            let artist = try await api.account("ada", role: "artist")
            var generator = SplitMix(seed: 11)
            for (name, data) in [("random", generator.bytes(3 << 20)), ("text", Data("just some words\n".utf8)),
                                 ("m4a", Data([0, 0, 0, 0x20] + Array("ftypM4A ".utf8) + Array(repeating: 0, count: 2_000)))] {
                let response = try await api.request(.post, "/api/v1/tracks?title=\(name)", token: artist.token, body: ByteBuffer(data: data))
                #expect(response.status == .unsupportedMediaType, "\(name)")
                let detail = try response.problem()["detail"] as! String
                #expect(detail.contains(name == "m4a" ? "MPEG-4 audio" : "not an audio file"), "\(detail)")
            }
            let empty = try await api.request(.post, "/api/v1/tracks?title=empty", token: artist.token, body: ByteBuffer())
            #expect(empty.status == .unprocessableContent)
            let untitled = try await api.request(.post, "/api/v1/tracks", token: artist.token,
                                                 body: ByteBuffer(data: try Data(contentsOf: URL(fileURLWithPath: Fixtures.media("sine-1000-48000-mono.wav")))))
            #expect(untitled.status == .unprocessableContent)
            #expect(try untitled.problem()["title"] as? String == "Title missing")
            try await Self.waitForNoPartialUploads(api)
            #expect(try await api.request(.get, "/api/v1/tracks", token: artist.token).json()["total"] as? Int == 0)
        }
    }

    /// Raised by one thread, seen by another.
    final class Flag: Sendable {
        let value = Atomic<Bool>(false)
    }

    @Test("a slow upload does not stall others; an aborted one leaves nothing behind")
    func slowAndAborted() async throws {
        try await TestService().run { api in
            let artist = try await api.account("ada", role: "artist")
            let connection = try RawConnection(port: api.port)
            let othersDone = DispatchSemaphore(value: 0)
            let halfSent = Flag()
            let slow = Task {
                try await RawConnection.onThread {
                    connection.send("POST /api/v1/tracks?title=Slow HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(artist.token)\r\nContent-Length: 1000000\r\n\r\n")
                    let wav = TestWAV.sine(frequency: 440, dBFS: -6, seconds: 1, sampleRate: 48_000, channels: 1).bytes()
                    for index in 0..<10 {
                        connection.send(wav[(index * 500)..<((index + 1) * 500)])
                        Thread.sleep(forTimeInterval: 0.05)
                    }
                    // The upload stalls half way until the others have been answered.
                    halfSent.value.store(true, ordering: .releasing)
                    othersDone.wait()
                    connection.abort()
                }
            }
            // While it is stalled mid-body (its first bytes on the server's disk), the service answers others.
            do {
                try await waitUntil("the slow upload to stall half way, received in part by the server") {
                    halfSent.value.load(ordering: .acquiring) && !Self.partialUploads(api).isEmpty
                }
                for _ in 0..<5 {
                    #expect(try await api.request(.get, "/health").status == .ok)
                    #expect(try await api.request(.get, "/api/v1/tracks", token: artist.token).status == .ok)
                }
            } catch {
                othersDone.signal()
                throw error
            }
            othersDone.signal()
            try await slow.value
            try await Self.waitForNoPartialUploads(api)
            #expect(try await api.request(.get, "/api/v1/tracks", token: artist.token).json()["total"] as? Int == 0)
            #expect(try await api.request(.get, "/health").status == .ok)
        }
    }

    @Test("huge headers and garbage requests are refused; the service keeps answering")
    func hugeHeadersAndGarbage() async throws {
        try await TestService().run { api in
            let huge = try RawConnection(port: api.port)
            let answer = try await RawConnection.onThread { () -> String in
                huge.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Filler: \(String(repeating: "a", count: 200_000))\r\n\r\n")
                return huge.readResponse()
            }
            #expect(!answer.hasPrefix("HTTP/1.1 200"), "\(answer.prefix(100))")
            let garbage = try RawConnection(port: api.port)
            _ = try await RawConnection.onThread { () -> String in
                garbage.send(Data((0..<4_096).map { UInt8(truncatingIfNeeded: $0 &* 7919) }))
                return garbage.readResponse()
            }
            #expect(try await api.request(.get, "/health").status == .ok)
        }
    }

    @Test("a part whose header name is not ASCII is a 400, on both upload routes, and the service keeps answering")
    func nonASCIIHeaderName() async throws {
        // Found by the contract check: MultipartKit 4.7.1 traps on such a byte (an index past
        // its 128-entry table), which ended the whole server. Split across two chunks too.
        try await TestService().run { api in
            let artist = try await api.account("ada", role: "artist")
            let boundary = "7fdd65a350c832d2c92180162fe1fb95"
            let bodies = [
                "--\(boundary)\r\nपन्ह पन्ह त्र إلا بسم الله--\(boundary)--\r\n",
                "--\(boundary)\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.flac\"\r\nX-é: 1\r\n\r\nfLaC\r\n--\(boundary)--\r\n",
            ]
            for path in ["/api/v1/tracks", "/api/v1/release-uploads"] {
                for body in bodies {
                    let response = try await api.request(.post, path, token: artist.token,
                                                         headers: [.contentType: "multipart/form-data; boundary=\(boundary)"], body: ByteBuffer(string: body))
                    #expect(response.status == .badRequest, "\(path): \(body)")
                    #expect(try response.problem()["title"] as? String == "Malformed multipart body")
                }
            }
            #expect(try await api.request(.get, "/health").status == .ok)
        }
    }

    @Test("path-like titles, file names and ids never reach the file system")
    func pathLikeNames() async throws {
        try await TestService().run { api in
            let artist = try await api.account("ada", role: "artist")
            let title = "../../etc/passwd\u{0}; rm -rf /"
            let boundary = "b0undary"
            var form = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n\(title)\r\n".utf8)
            form += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../../../tmp/evil.wav\"\r\n\r\n".utf8)
            form += try Data(contentsOf: URL(fileURLWithPath: Fixtures.media("sine-1000-48000-mono.wav")))
            form += Data("\r\n--\(boundary)--\r\n".utf8)
            let response = try await api.request(.post, "/api/v1/tracks", token: artist.token,
                                                 headers: [.contentType: "multipart/form-data; boundary=\(boundary)"], body: ByteBuffer(data: form))
            #expect(response.status == .accepted)
            let id = try response.json()["id"] as! String
            let track = try await api.waitUntilProcessed(id, token: artist.token)
            #expect(track["status"] as? String == "ready")
            #expect(track["title"] as? String == "../../etc/passwd; rm -rf /")
            #expect(!FileManager.default.fileExists(atPath: "/tmp/evil.wav"))
            let originals = try FileManager.default.contentsOfDirectory(atPath: api.configuration.originalsDirectory)
            #expect(originals == ["\(id).wav"])
            let audio = try await api.request(.head, "/api/v1/tracks/\(id)/audio/standard", token: artist.token)
            let disposition = audio.headers[.contentDisposition] ?? ""
            #expect(disposition.hasPrefix("inline; filename=\".._.._etc_passwd_ rm -rf _ (standard).opus\""), "\(disposition)")
            for uri in ["/api/v1/tracks/..%2F..%2Fetc%2Fpasswd", "/api/v1/tracks/%00", "/api/v1/tracks/\(id)/audio/..%2F..%2Ftutti.sqlite",
                        "/api/v1/tracks/\(String(repeating: "a", count: 5_000))"] {
                let hostile = try await api.request(.get, uri, token: artist.token)
                #expect(hostile.status == .notFound, "\(uri)")
                _ = try hostile.problem()
            }
        }
    }

    @Test("Range abuse over HTTP: malformed headers get the whole file, unsatisfiable ones 416 with the size")
    func rangeAbuse() async throws {
        try await TestService().run { api in
            let artist = try await api.account("ada", role: "artist")
            let id = try await api.publishedTrack(Fixtures.media("sine-1000-48000-mono.wav"), title: "Tone", by: artist, free: true)
            let url = "/api/v1/tracks/\(id)/audio/standard"
            let whole = try await api.request(.get, url)
            let size = whole.body.readableBytes
            for header in ["bytes=5-1", "bytes=abc", "chunks=0-1", "bytes=" + String(repeating: "0-1,", count: 200) + "0-1", "bytes=-", "bytes=0-0,-"] {
                let response = try await api.request(.get, url, headers: [.range: header])
                #expect(response.status == .ok, "\(header)")
                #expect(response.body.readableBytes == size)
            }
            for header in ["bytes=\(size)-", "bytes=\(size + 100)-\(size + 200)", "bytes=-0"] {
                let response = try await api.request(.get, url, headers: [.range: header])
                #expect(response.status == .rangeNotSatisfiable, "\(header)")
                #expect(response.headers[.contentRange] == "bytes */\(size)")
                _ = try response.problem()
            }
            // If-Range with a stale validator sends the whole file instead of a part.
            let stale = try await api.request(.get, url, headers: [.range: "bytes=0-9", .ifRange: "\"stale\""])
            #expect(stale.status == .ok)
            let fresh = try await api.request(.get, url, headers: [.range: "bytes=0-9", .ifRange: whole.headers[.eTag]!])
            #expect(fresh.status == .partialContent)
            // HEAD: same headers, no body.
            let head = try await api.request(.head, url, headers: [.range: "bytes=10-19"])
            #expect(head.status == .partialContent)
            #expect(head.headers[.contentLength] == "10")
            #expect(head.body.readableBytes == 0)
            let unknown = try await api.request(.get, "/api/v1/tracks/\(id)/audio/lossless")
            #expect(unknown.status == .notFound)
        }
    }
}
