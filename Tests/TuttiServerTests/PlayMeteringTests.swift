import Foundation
import HTTPTypes
import Ledger
import Testing
import TuttiServer
import TuttiTestSupport

/// The fairness rules of PRODUCT.md ("What counts as a play") over live HTTP, with a clock
/// the test moves by hand. The track is about 67 s long; its preview is the first 45 s.
@Suite("Metering: what counts as a play")
struct PlayMeteringTests {
    /// Reads a raw response until its body holds `count` bytes.
    /// (Blocking socket reads run on a thread of their own, never on the test's executor.)
    private func readBody(_ connection: RawConnection, atLeast count: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws -> PartialResponse {
        let (data, end) = try await RawConnection.onThread {
            connection.receive { data in (PartialResponse(data)?.body.count ?? 0) >= count }
        }
        try #require(end == .done, "a response with \(count) body bytes; the read ended (\(end)) after \(data.count) bytes", sourceLocation: sourceLocation)
        return try #require(PartialResponse(data), "no HTTP response in \(data.count) bytes", sourceLocation: sourceLocation)
    }

    @Test("a listener who stops at 30 s pays nothing, whether the player held the connection or asked only for the preview")
    func stopsAtThirtySeconds() async throws {
        let metered = MeteredService()
        let listener = try await metered.service.run { api in
            let (track, listener) = try await metered.trackAndListener(api)
            let clock = metered.clock

            // A player streaming from the start gets the preview at once, then the server holds
            // it until 45 s after the first audio.
            let session = try await api.openPlay(track.id, as: listener)
            #expect(session.access == "metered")
            #expect(session.nextPrice == 2_000)
            let connection = try api.rawGet(session.standardURL, range: "bytes=0-")
            let response = try await readBody(connection, atLeast: track.freeEnd)
            #expect(response.status == 206)
            #expect(response.body == track.standard.prefix(track.freeEnd))
            #expect(try await clock.waitForSleepers(1), "the stream waits at the end of the preview")
            #expect(clock.sleeperDates == [clock.now.addingTimeInterval(45)], "held until 45 s after the first audio")
            #expect(connection.pendingBytes == 0, "nothing past the preview meanwhile")
            clock.advance(by: 30)
            connection.abort()
            // The server notices the listener left and stops waiting: its wait is cancelled,
            // never woken by the clock, so the gate to the rest stays shut...
            try await clock.waitForNoSleepers("the server to stop holding the stream of the listener who left")
            #expect(clock.wokenCount == 0)
            #expect(clock.cancelledCount == 1)
            // ...and when the preview's time has passed, nothing is waiting to charge.
            clock.advance(by: 60)
            #expect(clock.wokenCount == 0)
            #expect(try await api.playStatus(session.id, as: listener)["counted"] as? Bool == false)

            // A client that closes its side right after asking (before the server has even
            // started to answer) is seen to have left: nothing past the preview, no charge. The
            // server closing the connection is its last word on the request.
            let hasty = try await api.openPlay(track.id, as: listener)
            let closing = try api.rawGet(hasty.standardURL, range: "bytes=0-")
            closing.closeSending()
            let received = try await RawConnection.onThread { try closing.readUntilClosed() }
            #expect(received.count < track.freeEnd + 1_000, "at most the preview's bytes and the headers")
            #expect(clock.sleeperCount == 0)
            clock.advance(by: 60)
            #expect(clock.wokenCount == 0, "no stream was waiting for the clock to charge it")
            #expect(try await api.playStatus(hasty.id, as: listener)["counted"] as? Bool == false)

            // A player that asks for the preview's bytes only and leaves.
            let second = try await api.openPlay(track.id, as: listener)
            let preview = try await api.request(.get, second.standardURL, headers: [.range: "bytes=0-\(track.freeEnd - 1)"])
            #expect(preview.status == .partialContent)
            #expect(Data(buffer: preview.body) == track.standard.prefix(track.freeEnd))
            clock.advance(by: 30)
            #expect(try await api.playStatus(second.id, as: listener)["counted"] as? Bool == false)

            #expect(try metered.balance(listener) == 1_000_000)
            #expect(try metered.ledger().verify().isIntact)
            return listener
        }
        // The server has stopped, and every request it was handling has finished: a charge
        // made late, after any of the checks above, would be in the ledger now.
        let report = try metered.ledger().verify()
        #expect(report.isIntact)
        #expect(report.plays == 0)
        #expect(try metered.balance(listener) == 1_000_000)
    }

    @Test("a player that buffers ahead is not charged before 45 s of listening; listening through pays exactly once, reconnects included")
    func listensThrough() async throws {
        let metered = MeteredService()
        try await metered.service.run { api in
            let (track, listener) = try await metered.trackAndListener(api)
            let session = try await api.openPlay(track.id, as: listener)

            // Like a browser <audio>: one open-ended request, read as fast as the server sends.
            let streamedBefore = try await api.metric("tutti_streamed_bytes_total")
            let partsBefore = try await api.metric("tutti_sendfile_parts_total")
            let connection = try api.rawGet(session.standardURL, range: "bytes=0-")
            let start = try await readBody(connection, atLeast: track.freeEnd)
            #expect(start.body.count == track.freeEnd, "nothing past the preview before it has been heard")
            #expect(try await metered.clock.waitForSleepers(1))
            // Held at the preview's end until 45 s after the first audio, having handed the
            // connection exactly the preview.
            #expect(metered.clock.sleeperDates == [metered.clock.now.addingTimeInterval(45)])
            #expect(try await api.metric("tutti_streamed_bytes_total") - streamedBefore == Double(track.freeEnd))
            metered.clock.advance(by: 44)
            #expect(metered.clock.wokenCount == 0, "44 s in, the stream still waits")
            #expect(connection.pendingBytes == 0)
            #expect(try await api.playStatus(session.id, as: listener)["counted"] as? Bool == false)
            #expect(try metered.balance(listener) == 1_000_000)

            // At 45 s of listening the play counts and the rest follows on the same response.
            metered.clock.advance(by: 1)
            let remaining = track.standard.count - start.body.count
            let rest = try await RawConnection.onThread { connection.read { $0.count >= remaining } }
            #expect(start.body + rest == track.standard)
            // Both parts of the held stream left by sendfile, through the router's response:
            // nothing of them was copied into the server's memory.
            #expect(try await api.metric("tutti_sendfile_parts_total") - partsBefore == 2, "the preview and the rest, each sent from the file")
            let status = try await api.playStatus(session.id, as: listener)
            #expect(status["counted"] as? Bool == true)
            #expect(status["price"] as? Int == 2_000)
            #expect(status["pricingVersion"] as? Int == 1)
            #expect(try metered.balance(listener) == 998_000)

            // Reconnecting, seeking and fetching the whole file again in the same session: no second charge.
            let again = try await api.request(.get, session.standardURL)
            #expect(again.status == .ok)
            #expect(Data(buffer: again.body) == track.standard)
            let seek = try await api.request(.get, session.standardURL, headers: [.range: "bytes=\(track.freeEnd + 10_000)-"])
            #expect(seek.status == .partialContent)
            #expect(try metered.balance(listener) == 998_000)
            // The artist earned 70 %, the cooperative the rest.
            let earnings = try metered.ledger().balance(of: .artistEarnings(track.artist.id)).balance
            #expect(earnings == 1_400)
            #expect(try metered.ledger().balance(of: .treasury).balance == 600)
            #expect(try metered.ledger().verify().isIntact)
            // Operators see it in /metrics: one play counted, bytes streamed, transcodes timed, requests by route.
            let (values, metrics) = try await api.metrics()
            #expect(values["tutti_plays_counted_total"] == 1)
            #expect(values["tutti_plays_waiting"] == 0)
            #expect(values["tutti_streamed_bytes_total"] ?? 0 >= Double(2 * track.standard.count))
            #expect(values["tutti_transcode_seconds_count"] == 1)
            #expect(metrics.contains("tutti_http_requests_total{"))
            // The database log: its checkpoints, by who ran them, and its size.
            #expect(values["tutti_wal_checkpoints_total{by=\"background\"}"] != nil)
            #expect(values["tutti_wal_checkpoints_total{by=\"writer\"}"] != nil)
            #expect(values["tutti_wal_checkpoints_failed_total"] == 0)
            #expect(values["tutti_wal_largest_pages"] ?? 0 > 0)
        }
    }

    @Test("a seek past the preview counts the play at once; a duration probe of the file's tail does not")
    func seekCounts() async throws {
        let metered = MeteredService()
        try await metered.service.run { api in
            let (track, listener) = try await metered.trackAndListener(api)
            let session = try await api.openPlay(track.id, as: listener)

            // ffmpeg and browsers read the last 64 KiB to learn the duration before playing.
            let probe = try await api.request(.get, session.standardURL, headers: [.range: "bytes=\(track.tailStart)-"])
            #expect(probe.status == .partialContent)
            #expect(Data(buffer: probe.body) == track.standard[track.tailStart...])
            #expect(try await api.playStatus(session.id, as: listener)["counted"] as? Bool == false)

            let middle = track.freeEnd + 20_000
            let seek = try await api.request(.get, session.standardURL, headers: [.range: "bytes=\(middle)-\(middle + 65_535)"])
            #expect(seek.status == .partialContent)
            #expect(Data(buffer: seek.body) == track.standard[middle..<(middle + 65_536)])
            #expect(try await api.playStatus(session.id, as: listener)["counted"] as? Bool == true)
            #expect(try metered.balance(listener) == 998_000)
        }
    }

    @Test("without funds, parallel range requests past the preview get nothing beyond it: 402 with the price and the balance")
    func noFunds() async throws {
        let metered = MeteredService()
        try await metered.service.run { api in
            let (track, listener) = try await metered.trackAndListener(api, funds: 1_500)
            let session = try await api.openPlay(track.id, as: listener)
            let url = session.standardURL
            let starts = stride(from: track.freeEnd + 1, to: track.tailStart, by: (track.tailStart - track.freeEnd) / 12).map { $0 }
            let statuses = try await withThrowingTaskGroup(of: (Int, Int?, Int?).self) { group in
                for start in starts {
                    group.addTask {
                        let response = try await api.request(.get, url, headers: [.range: "bytes=\(start)-\(start + 65_535)"])
                        let problem = try response.problem()
                        return (Int(response.status.code), problem["price"] as? Int, problem["balance"] as? Int)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.count == starts.count)
            for (status, price, balance) in statuses {
                #expect(status == 402)
                #expect(price == 2_000)
                #expect(balance == 1_500)
            }
            // A range from the start gets the preview's bytes only (a shorter 206), at once.
            let partial = try await api.request(.get, url, headers: [.range: "bytes=0-"])
            #expect(partial.status == .partialContent)
            #expect(partial.headers[.contentRange] == "bytes 0-\(track.freeEnd - 1)/\(track.standard.count)")
            #expect(Data(buffer: partial.body) == track.standard.prefix(track.freeEnd))
            // Asking for the rest, from the preview's end, is refused at once: nothing to wait for.
            let rest = try await api.request(.get, url, headers: [.range: "bytes=\(track.freeEnd)-"])
            #expect(rest.status.code == 402)
            #expect(try rest.problem()["price"] as? Int == 2_000)
            // A plain GET (a 200 must carry the whole file) ends at the preview: the server
            // cannot charge, so it closes the connection rather than send a byte more.
            let connection = try api.rawGet(url)
            _ = try await readBody(connection, atLeast: track.freeEnd)
            #expect(try await metered.clock.waitForSleepers(1))
            metered.clock.advance(by: 45)
            // The server closes the connection without sending anything more.
            let more = try await RawConnection.onThread { try connection.readUntilClosed() }
            #expect(more.isEmpty)
            #expect(try metered.balance(listener) == 1_500)
            #expect(try await api.playStatus(session.id, as: listener)["counted"] as? Bool == false)

            // Anonymous listeners hear the preview and are asked to sign in past it.
            let anonymous = try await api.openPlay(track.id, as: nil)
            #expect(anonymous.balance == nil)
            let preview = try await api.request(.get, anonymous.standardURL, headers: [.range: "bytes=0-\(track.freeEnd - 1)"])
            #expect(preview.status == .partialContent)
            let beyond = try await api.request(.get, anonymous.standardURL, headers: [.range: "bytes=\(track.freeEnd + 1)-"])
            #expect(beyond.status.code == 402)
            #expect(try metered.ledger().verify().isIntact)
        }
    }

    @Test("ten sessions opened in parallel give ten previews, never the full track")
    func parallelSessions() async throws {
        let metered = MeteredService()
        try await metered.service.run { api in
            let (track, listener) = try await metered.trackAndListener(api, funds: 0)
            let sessions = try await withThrowingTaskGroup(of: OpenedPlay.self) { group in
                for _ in 0..<10 { group.addTask { try await api.openPlay(track.id, as: listener) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(sessions.map(\.id)).count == 10)
            var beyondPreview = 0
            for session in sessions {
                let whole = try await api.request(.get, session.standardURL, headers: [.range: "bytes=0-\(track.freeEnd - 1)"])
                #expect(Data(buffer: whole.body) == track.standard.prefix(track.freeEnd))
                let rest = try await api.request(.get, session.standardURL, headers: [.range: "bytes=\(track.freeEnd + 100)-\(track.tailStart - 1)"])
                #expect(rest.status.code == 402)
                if rest.status == .partialContent { beyondPreview += rest.body.readableBytes }
            }
            #expect(beyondPreview == 0)
        }
    }

    @Test("a server restart mid-session, or a crash between the charge and the session's record, never charges twice")
    func restartNeverChargesTwice() async throws {
        let metered = MeteredService()
        let (track, listener, session, crashed) = try await metered.service.run { api in
            let (track, listener) = try await metered.trackAndListener(api)
            let session = try await api.openPlay(track.id, as: listener)
            let seek = try await api.request(.get, session.standardURL, headers: [.range: "bytes=\(track.freeEnd + 1)-"])
            #expect(seek.status == .partialContent)
            // Another session whose charge reached the ledger but whose server died before it
            // recorded the session as counted: the ledger has the play, the session does not.
            let crashed = try await api.openPlay(track.id, as: listener)
            let charged = try await metered.ledger().chargePlay(PlayChargeRequest(
                playID: crashed.id, listenerID: listener.id, artistID: track.artist.id, trackID: track.id, at: metered.clock.now))
            guard case .charged(let charge) = charged else { Issue.record("expected a charge"); return (track, listener, session, crashed) }
            #expect(charge.price == 4_000)
            return (track, listener, session, crashed)
        }
        #expect(try metered.balance(listener) == 1_000_000 - 2_000 - 4_000)
        // The same data folder, a new server process: the signed URLs still work.
        try await metered.service.run { api in
            for url in [session.standardURL, crashed.standardURL] {
                let resumed = try await api.request(.get, url, headers: [.range: "bytes=\(track.freeEnd + 5_000)-"])
                #expect(resumed.status == .partialContent)
                #expect(Data(buffer: resumed.body) == track.standard[(track.freeEnd + 5_000)...])
            }
            #expect(try await api.playStatus(crashed.id, as: listener)["price"] as? Int == 4_000)
        }
        #expect(try metered.balance(listener) == 1_000_000 - 2_000 - 4_000)
        let report = try metered.ledger().verify()
        #expect(report.isIntact)
        #expect(report.plays == 2)
    }

    @Test("the 9th counted play makes the listener the owner: the 10th is free and the original can be downloaded")
    func owning() async throws {
        let metered = MeteredService()
        try await metered.service.run { api in
            let (track, listener) = try await metered.trackAndListener(api, funds: 1_100_000)
            let early = try await api.request(.get, "/api/v1/tracks/\(track.id)/original", token: listener.token)
            #expect(early.status == .forbidden)
            _ = try early.problem()
            var prices: [Int] = []
            for _ in 1...9 {
                let session = try await api.openPlay(track.id, as: listener)
                #expect(session.access == "metered")
                _ = try await api.request(.get, session.standardURL, headers: [.range: "bytes=\(track.freeEnd + 1)-\(track.freeEnd + 1_000)"])
                prices.append(try await api.playStatus(session.id, as: listener)["price"] as? Int ?? -1)
            }
            #expect(prices == [2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 512_000])
            #expect(try metered.balance(listener) == 1_100_000 - 1_022_000)

            let tenth = try await api.openPlay(track.id, as: listener)
            #expect(tenth.access == "owned")
            let whole = try await api.request(.get, tenth.standardURL)
            #expect(Data(buffer: whole.body) == track.standard)
            #expect(try metered.balance(listener) == 78_000)
            // An owner streams from the plain URL too, and downloads the untouched upload.
            let plain = try await api.request(.get, "/api/v1/tracks/\(track.id)/audio/low", token: listener.token)
            #expect(plain.status == .ok)
            let original = try await api.request(.get, "/api/v1/tracks/\(track.id)/original", token: listener.token)
            #expect(original.status == .ok)
            #expect(Data(buffer: original.body) == (try Data(contentsOf: URL(fileURLWithPath: Fixtures.demo("river-song.ogg")))))
            #expect(original.headers[.contentDisposition]?.hasPrefix("attachment;") == true)
            #expect(try metered.ledger().verify().isIntact)
        }
    }

    @Test("an artist playing their own track pays nothing and is never counted")
    func ownTrack() async throws {
        let metered = MeteredService()
        try await metered.service.run { api in
            let track = try await MeteredTrack.make(api)
            let session = try await api.openPlay(track.id, as: track.artist)
            #expect(session.access == "own")
            let whole = try await api.request(.get, session.standardURL)
            #expect(Data(buffer: whole.body) == track.standard)
            #expect(try metered.ledger().balance(of: .listenerWallet(track.artist.id)).balance == 0)
            #expect(try metered.ledger().verify().plays == 0)
        }
    }

    @Test("stream URLs cannot be forged or used after they expire; a paid track's plain URL needs a session")
    func signedURLs() async throws {
        let metered = MeteredService()
        try await metered.service.run { api in
            let (track, listener) = try await metered.trackAndListener(api, funds: 0)
            let session = try await api.openPlay(track.id, as: listener)
            let url = session.standardURL
            let forged = url.replacingOccurrences(of: "signature=", with: "signature=0")
            #expect(try await api.request(.get, String(forged.dropLast())).status == .forbidden)
            let later = url.replacingOccurrences(of: "expires=", with: "expires=9")
            #expect(try await api.request(.get, later).status == .forbidden)
            let plain = try await api.request(.get, "/api/v1/tracks/\(track.id)/audio/standard", token: listener.token)
            #expect(plain.status == .forbidden)
            #expect(try plain.problem()["playSessions"] as? String == "/api/v1/tracks/\(track.id)/plays")
            #expect(try await api.request(.head, url).status == .ok)
            metered.clock.advance(by: 7 * 3600)
            let expired = try await api.request(.get, url, headers: [.range: "bytes=0-99"])
            #expect(expired.status == .forbidden)
            #expect(try expired.problem()["title"] as? String == "Stream link expired")
        }
    }

    @Test("ffprobe reads a session's duration without counting a play; ffmpeg plays it to the end, held at the preview, and the play counts once")
    func realClients() async throws {
        let metered = MeteredService()
        try await metered.service.run { api in
            let (track, listener) = try await metered.trackAndListener(api)
            let session = try await api.openPlay(track.id, as: listener)
            let url = api.baseURL + session.standardURL

            let probe = try await ThirdPartyTools.run("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", url])
            let duration = try #require(Double(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "ffprobe: \(probe.stderr)")
            let detail = try await api.request(.get, "/api/v1/tracks/\(track.id)").json()
            let seconds = try #require(detail["durationSeconds"] as? Double)
            #expect(abs(duration - seconds) < 0.05)
            #expect(try await api.playStatus(session.id, as: listener)["counted"] as? Bool == false)

            async let frames = ThirdPartyTools.ffmpegFrames(url, channels: 2)
            #expect(try await metered.clock.waitForSleepers(1), "ffmpeg reaches the end of the preview and waits")
            #expect(try await api.playStatus(session.id, as: listener)["counted"] as? Bool == false)
            metered.clock.advance(by: 45)
            #expect(try await frames == Int((seconds * 48_000).rounded()))
            #expect(try await api.playStatus(session.id, as: listener)["price"] as? Int == 2_000)
            #expect(try metered.balance(listener) == 998_000)
        }
    }

    @Test("play sessions are opened at a bounded rate per listener: the next gets 429 with Retry-After")
    func sessionRate() async throws {
        let metered = MeteredService { $0.playSessionsPerMinute = 3 }
        try await metered.service.run { api in
            let (track, listener) = try await metered.trackAndListener(api, funds: 0)
            for _ in 0..<3 { _ = try await api.openPlay(track.id, as: listener) }
            let refused = try await api.request(.post, "/api/v1/tracks/\(track.id)/plays", token: listener.token)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.retryAfter] == "60")
            _ = try refused.problem()
            // Another listener is not held back; a minute later the first may go on.
            let other = try await api.account("other")
            _ = try await api.openPlay(track.id, as: other)
            metered.clock.advance(by: 60)
            _ = try await api.openPlay(track.id, as: listener)
        }
    }
}
