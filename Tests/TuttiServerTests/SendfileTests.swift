import Foundation
import HTTPTypes
import Testing
import TuttiServer
import TuttiTestSupport

/// The audio requests answered below the router with `sendfile` (SendfileHandler) must be
/// answered exactly as the controllers answer them, in order with everything else on the
/// same connection. A request is sent down the controllers' path by a condition that does
/// not change its answer (`If-Range` with the current entity tag), so both answers can be
/// compared; the `tutti_sendfile_responses_total` metric tells which path answered.
@Suite("Audio sent with sendfile")
struct SendfileTests {
    /// Status, headers (but Date, sorted) and body of a response.
    struct Answer: Equatable, CustomStringConvertible {
        var status: Int
        var headers: [String]
        var body: Data

        var description: String { "\(status) \(headers) (\(body.count) bytes)" }
    }

    private func get(_ api: TestAPI, _ path: String, headers: HTTPFields = [:]) async throws -> Answer {
        let response = try await api.request(.get, path, headers: headers)
        let fields = response.headers.filter { $0.name != .date }.map { "\($0.name.canonicalName): \($0.value)" }.sorted()
        return Answer(status: Int(response.status.code), headers: fields, body: Data(buffer: response.body))
    }

    /// A free published track's standard rendition: its plain URL and bytes (fetched once,
    /// so the rendition is in memory for sendfile from then on).
    private func freeRendition(_ api: TestAPI) async throws -> (path: String, file: Data) {
        let artist = try await api.account("artist", role: "artist")
        let id = try await api.publishedTrack(Fixtures.demo("river-song.ogg"), title: "River", by: artist, free: true)
        let path = "/api/v1/tracks/\(id)/audio/standard"
        return (path, Data(buffer: try await api.request(.get, path).body))
    }

    private func sendfileCount(_ api: TestAPI) async throws -> Int {
        Int(try await api.metric("tutti_sendfile_responses_total"))
    }

    /// Answers `path` once below the router and once through the controllers, and requires
    /// the same answer.
    private func bothPaths(_ api: TestAPI, _ path: String, range: String?, etag: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Answer {
        var headers: HTTPFields = [:]
        if let range { headers[.range] = range }
        let before = try await sendfileCount(api)
        let fast = try await get(api, path, headers: headers)
        #expect(try await sendfileCount(api) == before + 1, "answered with sendfile", sourceLocation: sourceLocation)
        headers[.ifRange] = etag
        let slow = try await get(api, path, headers: headers)
        #expect(try await sendfileCount(api) == before + 1, "answered by the controllers", sourceLocation: sourceLocation)
        #expect(fast == slow, sourceLocation: sourceLocation)
        return fast
    }

    @Test("plain and session URLs: sendfile answers byte for byte what the controllers answer; everything else goes to them")
    func sameAnswers() async throws {
        let metered = MeteredService()
        try await metered.service.run { api in
            let (track, listener) = try await metered.trackAndListener(api)
            let freeID = try await api.publishedTrack(Fixtures.demo("river-song.ogg"), title: "Free River", by: track.artist, free: true)
            let plain = "/api/v1/tracks/\(freeID)/audio/standard"

            // The first request of a rendition goes through the controllers (nothing is in memory yet).
            let first = try await get(api, plain)
            #expect(first.status == 200)
            let size = first.body.count
            let etag = try #require(first.headers.first { $0.hasPrefix("etag: ") }).dropFirst(6)
            let whole = try await bothPaths(api, plain, range: nil, etag: String(etag))
            #expect(whole.status == 200 && whole.body == first.body)
            let ranged = try await bothPaths(api, plain, range: "bytes=100-65635", etag: String(etag))
            #expect(ranged.status == 206 && ranged.body == first.body[100...65635])
            #expect(ranged.headers.contains("content-range: bytes 100-65635/\(size)"))
            #expect(ranged.headers.contains("content-length: 65536"))
            let suffix = try await bothPaths(api, plain, range: "bytes=-500", etag: String(etag))
            #expect(suffix.body == first.body.suffix(500))
            let open = try await bothPaths(api, plain, range: "bytes=\(size - 10)-", etag: String(etag))
            #expect(open.body == first.body.suffix(10))

            // What sendfile leaves to the controllers, and their answers.
            let before = try await sendfileCount(api)
            #expect(try await api.request(.head, plain).status == .ok)
            #expect(try await api.request(.get, plain, headers: [.ifNoneMatch: String(etag)]).status == .notModified)
            let unsatisfiable = try await api.request(.get, plain, headers: [.range: "bytes=\(size)-"])
            #expect(unsatisfiable.status == .rangeNotSatisfiable)
            #expect(unsatisfiable.headers[.contentRange] == "bytes */\(size)")
            #expect(try await api.request(.get, plain, headers: [.authorization: "Bearer forged"]).status == .unauthorized)
            #expect(try await api.request(.get, plain + "?x=1", headers: [.range: "bytes=0-9"]).status == .partialContent)
            #expect(try await api.request(.get, "/api/v1/tracks/\(track.id)/audio/standard").status == .forbidden, "a paid track's plain URL")
            let port = api.port
            let closing = try await RawConnection.onThread { RawConnection.exchange(port: port, "GET", plain, headers: ["Range": "bytes=0-9"]) }
            #expect(closing.status == 206, "Connection: close")
            #expect(try await sendfileCount(api) == before)

            // A counted session's URL (counted by a seek past the preview).
            let session = try await api.openPlay(track.id, as: listener)
            let seek = try await api.request(.get, session.standardURL, headers: [.range: "bytes=\(track.freeEnd + 10_000)-\(track.freeEnd + 10_999)"])
            #expect(seek.status == .partialContent)
            #expect(try await api.playStatus(session.id, as: listener)["counted"] as? Bool == true)
            let paidTag = try #require(try await api.request(.head, session.standardURL).headers[.eTag])
            let counted = try await bothPaths(api, session.standardURL, range: "bytes=2000-70000", etag: paidTag)
            #expect(counted.body == track.standard[2000...70000])
            #expect(try await bothPaths(api, session.standardURL, range: nil, etag: paidTag).body == track.standard)

            // An uncounted session: its preview and duration probes need nothing of the
            // controllers once its first audio is recorded; past the preview they decide.
            let fresh = try await api.openPlay(track.id, as: listener)
            #expect(try await get(api, fresh.standardURL, headers: [.range: "bytes=0-9999"]).body == track.standard.prefix(10_000))
            let preview = try await bothPaths(api, fresh.standardURL, range: "bytes=10000-19999", etag: paidTag)
            #expect(preview.body == track.standard[10_000...19_999])
            let probe = try await bothPaths(api, fresh.standardURL, range: "bytes=-4096", etag: paidTag)
            #expect(probe.body == track.standard.suffix(4_096))
            let beforeSeek = try await sendfileCount(api)
            let paidSeek = try await api.request(.get, fresh.standardURL, headers: [.range: "bytes=\(track.freeEnd + 1)-\(track.freeEnd + 100)"])
            #expect(paidSeek.status == .partialContent)
            #expect(try await sendfileCount(api) == beforeSeek, "a seek past the preview is the controllers' to count")
            #expect(try await api.playStatus(fresh.id, as: listener)["counted"] as? Bool == true)

            // Forged and expired links are refused (by the controllers).
            let forged = session.standardURL.replacingOccurrences(of: "signature=", with: "signature=0")
            #expect(try await api.request(.get, forged).status == .forbidden)
            metered.clock.advance(by: api.configuration.playSessionLifetime + 1)
            let expired = try await api.request(.get, session.standardURL, headers: [.range: "bytes=0-9"])
            #expect(expired.status == .forbidden)
            #expect(try await sendfileCount(api) == beforeSeek)
        }
    }

    /// Splits pipelined responses; `bodyless[i]` says response i has no body (HEAD, 304).
    private func responses(_ data: Data, bodyless: [Bool]) -> [PartialResponse]? {
        var rest = data[...]
        var answers: [PartialResponse] = []
        for hasNoBody in bodyless {
            guard let end = rest.firstRange(of: Data("\r\n\r\n".utf8)),
                  var response = PartialResponse(Data(rest[..<end.upperBound])) else { return nil }
            let length = hasNoBody ? 0 : Int(response.headers["content-length"] ?? "0") ?? 0
            guard rest.count - (end.upperBound - rest.startIndex) >= length else { return nil }
            response.body = Data(rest[end.upperBound..<(end.upperBound + length)])
            answers.append(response)
            rest = rest[(end.upperBound + length)...]
        }
        return rest.isEmpty ? answers : nil
    }

    @Test("pipelined requests are answered in order, sendfile's and the controllers' mixed")
    func pipelined() async throws {
        let service = TestService()
        try await service.run { api in
            let (path, file) = try await freeRendition(api)
            func request(_ extra: String, method: String = "GET") -> String {
                "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(extra)\r\n"
            }
            let etag = try #require(try await api.request(.head, path).headers[.eTag])
            let before = try await sendfileCount(api)
            let sent = [
                request("Range: bytes=0-99\r\n"),
                request("", method: "HEAD"),
                request("Range: bytes=100-199\r\n"),
                request("If-None-Match: \(etag)\r\n"),
                request("Range: bytes=200-299\r\n"),
                request("Range: bytes=300-399\r\nIf-Range: \(etag)\r\n"),
                request("Range: bytes=400-499\r\n"),
            ]
            let bodyless = [false, true, false, true, false, false, false]
            let connection = try RawConnection(port: api.port)
            #expect(connection.send(sent.joined()))
            let data = try await RawConnection.onThread {
                connection.read { data in self.responses(data, bodyless: bodyless) != nil }
            }
            let answers = try #require(responses(data, bodyless: bodyless), "\(data.count) bytes: \(String(decoding: data.prefix(2_000), as: UTF8.self))")
            #expect(answers.map(\.status) == [206, 200, 206, 304, 206, 206, 206])
            for (index, first) in [(0, 0), (2, 100), (4, 200), (5, 300), (6, 400)] {
                #expect(answers[index].body == file[first..<(first + 100)], "response \(index)")
            }
            // The second request waits for the HEAD's answer, so at least the first is sendfile's.
            #expect(try await sendfileCount(api) > before)
        }
    }

    @Test("a client that asks without reading is served in order once it reads; others are served meanwhile")
    func clientThatDoesNotRead() async throws {
        let service = TestService()
        try await service.run { api in
            let (path, file) = try await freeRendition(api)
            let count = 400, length = 65_536
            let offsets = (0..<count).map { ($0 * 7_919) % (file.count - length) }
            let pipelined = offsets.map { "GET \(path) HTTP/1.1\r\nHost: x\r\nRange: bytes=\($0)-\($0 + length - 1)\r\n\r\n" }.joined()
            let before = try await sendfileCount(api)
            let greedy = try RawConnection(port: api.port)
            #expect(greedy.send(pipelined))
            try await waitUntil("the server to start answering the client that does not read") { try await sendfileCount(api) > before }
            // 25 MiB of answers, more than the sockets' buffers can hold, are waiting for a
            // client that reads nothing; another listener is served meanwhile.
            let other = try await api.request(.get, path, headers: [.range: "bytes=0-9"])
            #expect(other.status == .partialContent)
            #expect(greedy.pendingBytes < count * length, "the answers were still waiting when the other listener was served")
            let data = try await RawConnection.onThread {
                greedy.read { data in
                    data.count >= count * length && self.responses(data, bodyless: Array(repeating: false, count: count)) != nil
                }
            }
            let answers = try #require(responses(data, bodyless: Array(repeating: false, count: count)), "got \(data.count) bytes")
            for (answer, offset) in zip(answers, offsets) where answer.body != file[offset..<(offset + length)] {
                Issue.record("wrong bytes for the range at \(offset)")
                break
            }
        }
    }

    @Test("many connections streaming one file at once, on every event loop, all get their bytes")
    func concurrentConnections() async throws {
        let service = TestService()
        try await service.run { api in
            let (path, file) = try await freeRendition(api)
            let before = try await sendfileCount(api)
            let (connections, requests, length) = (16, 60, 16_384)
            let port = api.port
            let failures = try await withThrowingTaskGroup(of: [String].self) { group in
                for connection in 0..<connections {
                    group.addTask {
                        try await RawConnection.onThread {
                            let raw = try RawConnection(port: port)
                            var failures: [String] = []
                            for request in 0..<requests {
                                let offset = (connection * 7_919 + request * 104_729) % (file.count - length)
                                guard raw.send("GET \(path) HTTP/1.1\r\nHost: x\r\nRange: bytes=\(offset)-\(offset + length - 1)\r\n\r\n") else {
                                    failures.append("connection \(connection): send failed at request \(request)")
                                    break
                                }
                                let data = raw.read { data in (PartialResponse(data)?.body.count ?? 0) >= length }
                                guard let response = PartialResponse(data), response.status == 206,
                                      response.body == file[offset..<(offset + length)] else {
                                    failures.append("connection \(connection): request \(request) got \(data.count) bytes")
                                    break
                                }
                            }
                            return failures
                        }
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(failures.isEmpty, "\(failures)")
            #expect(try await sendfileCount(api) - before == connections * requests)
        }
    }
}
