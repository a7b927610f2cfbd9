import Foundation
import Testing
import TuttiServer
import TuttiTestSupport

/// `Expect: 100-continue` over a raw connection: the server asks for a body only when it
/// will read it, and never reads to its end a body it has refused.
@Suite("Expect: 100-continue and refused bodies")
struct ExpectContinueTests {
    /// A declared length far over the upload cap: 1 GiB.
    static let gibibyte = 1 << 30

    /// The first response head on `connection` (a 100 included), and everything read so far.
    static func firstHead(_ connection: RawConnection) async throws -> (status: Int?, head: String, data: Data) {
        let data = try await RawConnection.onThread {
            connection.read { $0.firstRange(of: Data("\r\n\r\n".utf8)) != nil }
        }
        guard let end = data.firstRange(of: Data("\r\n\r\n".utf8)) else { return (nil, "", data) }
        let head = String(decoding: data[..<end.lowerBound], as: UTF8.self)
        let parts = head.split(separator: "\r\n").first?.split(separator: " ") ?? []
        return (parts.count >= 2 ? Int(parts[1]) : nil, head, data)
    }

    /// Sends a request head that expects 100-continue.
    static func sendHead(_ connection: RawConnection, _ target: String, length: Int, token: String?, extra: String = "") {
        var head = "POST \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: \(length)\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        connection.send(head + extra + "\r\n")
    }

    /// The connection closes after the answer (the client is told so in the answer).
    static func expectClosed(_ connection: RawConnection, head: String, _ label: String) async throws {
        #expect(head.lowercased().contains("\r\nconnection: close"), "\(label): \(head)")
        // Throws, naming it, if the server keeps the connection open waiting for a body it refused.
        _ = try await RawConnection.onThread { try connection.readUntilClosed() }
    }

    /// Keeps sending a refused body: the server must stop reading long before 256 MiB have
    /// gone, and close (a send stalled for a minute fails too, and the close is checked).
    static func expectCutOff(_ connection: RawConnection) async throws {
        connection.setSendTimeout(seconds: RawConnection.idleTimeout)
        let limit = 256 << 20
        let sent = try await RawConnection.onThread { () -> Int in
            let chunk = Data(repeating: 0x41, count: 1 << 20)
            var sent = 0
            while sent < limit, connection.send(chunk) { sent += chunk.count }
            return sent
        }
        #expect(sent < limit, "the server read \(sent >> 20) MiB of a body it had refused")
        // Throws, naming it, if the server stopped reading but kept the connection open.
        _ = try await RawConnection.onThread { try connection.readUntilClosed() }
    }

    @Test("a request refused before its body (no token, bad token, not an artist, too large) gets its refusal, never 100 Continue")
    func refusedWithoutContinue() async throws {
        try await TestService { $0.uploadLimit = 1 << 20 }.run { api in
            let artist = try await api.account("ada", role: "artist")
            let listener = try await api.account("lena")
            let cases: [(String, String?, Int, Int)] = [
                ("no token", nil, Self.gibibyte, 401),
                ("unknown token", "not-a-real-token", Self.gibibyte, 401),
                ("listener", listener.token, 4_096, 403),
                ("declared over the cap", artist.token, Self.gibibyte, 413),
            ]
            for (label, token, length, status) in cases {
                let connection = try RawConnection(port: api.port)
                Self.sendHead(connection, "/api/v1/tracks?title=Big", length: length, token: token)
                let (got, head, _) = try await Self.firstHead(connection)
                #expect(got == status, "\(label): \(head)")
                try await Self.expectClosed(connection, head: head, label)
            }
            // Nothing was stored and the service goes on answering.
            #expect(try await api.request(.get, "/api/v1/tracks", token: artist.token).json()["total"] as? Int == 0)
            #expect(try await api.request(.get, "/health").status == .ok)
        }
    }

    @Test("an upload the server will read gets 100 Continue, then its answer; the connection stays open")
    func continuedUpload() async throws {
        try await TestService().run { api in
            let artist = try await api.account("ada", role: "artist")
            let wav = try Data(contentsOf: URL(fileURLWithPath: Fixtures.media("sine-1000-48000-mono.wav")))
            let connection = try RawConnection(port: api.port)
            Self.sendHead(connection, "/api/v1/tracks?title=Tone", length: wav.count, token: artist.token)
            let (status, head, data) = try await Self.firstHead(connection)
            #expect(status == 100, "\(head)")
            #expect(data.count == head.utf8.count + 4, "nothing follows the 100 before the body is sent")
            connection.send(wav)
            let answer = try await RawConnection.onThread { connection.readResponse() }
            #expect(answer.hasPrefix("HTTP/1.1 202"), "\(answer.prefix(300))")
            // The same connection goes on: keep-alive after an upload that was read whole.
            connection.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let health = try await RawConnection.onThread { connection.readResponse() }
            #expect(health.hasPrefix("HTTP/1.1 200"), "\(health.prefix(200))")
            // A JSON body read by the handler gets its 100 Continue too.
            let json = Data(#"{"username":"ada","password":"correct horse battery"}"#.utf8)
            let login = try RawConnection(port: api.port)
            Self.sendHead(login, "/api/v1/sessions", length: json.count, token: nil, extra: "Content-Type: application/json\r\n")
            let (continued, loginHead, _) = try await Self.firstHead(login)
            #expect(continued == 100, "\(loginHead)")
            login.send(json)
            let session = try await RawConnection.onThread { login.readResponse() }
            #expect(session.hasPrefix("HTTP/1.1 201"), "\(session.prefix(300))")
        }
    }

    @Test("a client refused while waiting for 100 Continue that sends its body anyway is cut off")
    func refusedExpectationIgnored() async throws {
        try await TestService().run { api in
            let connection = try RawConnection(port: api.port)
            Self.sendHead(connection, "/api/v1/tracks?title=Big", length: Self.gibibyte, token: nil)
            let (status, head, _) = try await Self.firstHead(connection)
            #expect(status == 401, "\(head)")
            try await Self.expectCutOff(connection)
        }
    }

    @Test("a client that sends a refused body anyway is cut off: the server does not read it to its end")
    func refusedBodyNotDrained() async throws {
        try await TestService().run { api in
            // A small refused body is read and dropped: the connection goes on.
            let small = try RawConnection(port: api.port)
            small.send("POST /api/v1/tracks?title=Small HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(2 << 20)\r\n\r\n")
            let (refused, smallHead, _) = try await Self.firstHead(small)
            #expect(refused == 401, "\(smallHead)")
            small.send(Data(repeating: 0x41, count: 2 << 20))
            small.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let health = try await RawConnection.onThread {
                String(decoding: small.read { $0.firstRange(of: Data("HTTP/1.1 200".utf8)) != nil }, as: UTF8.self)
            }
            #expect(health.contains("HTTP/1.1 200"), "\(health.prefix(400))")

            // With no Expect at all: the refusal comes at once and the body is not wanted.
            let connection = try RawConnection(port: api.port)
            connection.send("POST /api/v1/tracks?title=Big HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(Self.gibibyte)\r\n\r\n")
            let (status, head, _) = try await Self.firstHead(connection)
            #expect(status == 401, "\(head)")
            try await Self.expectCutOff(connection)
            #expect(try await api.request(.get, "/health").status == .ok)
        }
    }
}
