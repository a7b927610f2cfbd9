import Foundation
import HTTPTypes
import Ledger
import NIOCore
import Testing
@testable import TuttiServer
import TuttiTestSupport

/// stream and download through the Subsonic API, over live HTTP with the hand-moved clock:
/// PRODUCT.md "Other apps" (a paid track not owned plays its preview only, unless "count
/// plays in this app" is on: then the web player's rules).
@Suite("OpenSubsonic API: stream, download and metering")
struct SubsonicStreamTests {
    private func readBody(_ connection: RawConnection, atLeast count: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws -> PartialResponse {
        let (data, end) = try await RawConnection.onThread {
            connection.receive { data in (PartialResponse(data)?.body.count ?? 0) >= count }
        }
        try #require(end == .done, "a response with \(count) body bytes; the read ended (\(end)) after \(data.count) bytes", sourceLocation: sourceLocation)
        return try #require(PartialResponse(data), "no HTTP response in \(data.count) bytes", sourceLocation: sourceLocation)
    }

    static func streamPath(_ trackID: String, _ signIn: SubsonicSignIn, _ extra: [(String, String)] = []) -> String {
        "/rest/stream?" + TestAPI.formEncoded(signIn.parameters + [("v", "1.16.1"), ("c", "tests"), ("id", trackID)] + extra)
    }

    @Test("paid and not owned: the preview only, whatever the app asks and however long it waits; owned, own and free: whole, with Range; download only when owned")
    func previewOnly() async throws {
        let metered = MeteredService()
        try await metered.service.run { api in
            // Enough to own the track outright later (own it now).
            let (track, listener) = try await metered.trackAndListener(api, funds: 2_000_000)
            let app = try await api.appPassword(listener).signIn
            let song = try #require(try await api.restJSON("getSong", [("id", track.id)], as: app)["song"] as? [String: Any])
            #expect(song["size"] as? Int == track.freeEnd, "the size stream sends: the preview's")
            #expect((60...70).contains(song["duration"] as? Int ?? 0), "whole seconds of the track: \(song["duration"] ?? "none")")

            let whole = try await api.rest("stream", [("id", track.id)], as: app)
            #expect(whole.status == .ok)
            #expect(Data(buffer: whole.body) == track.standard.prefix(track.freeEnd))
            #expect(whole.headers[.contentType]?.hasPrefix("audio/ogg") == true)
            let posted = try await api.rest("stream", [("id", track.id)], as: app, post: true)
            #expect(Data(buffer: posted.body) == track.standard.prefix(track.freeEnd), "a POST with a form body streams as a GET does")
            let part = try await api.rest("stream", [("id", track.id)], as: app, headers: [.range: "bytes=1000-1999"])
            #expect(part.status == .partialContent)
            #expect(Data(buffer: part.body) == track.standard[1000..<2000])
            #expect(part.headers[.contentRange] == "bytes 1000-1999/\(track.freeEnd)")
            let past = try await api.rest("stream", [("id", track.id)], as: app, headers: [.range: "bytes=\(track.freeEnd)-"])
            #expect(past.status == .rangeNotSatisfiable, "nothing past the preview exists for this app")
            // A player that keeps its connection and waits: the preview, and the end of the answer.
            let held = try api.rawGet(Self.streamPath(track.id, app), range: "bytes=0-")
            let response = try await readBody(held, atLeast: track.freeEnd)
            #expect(response.body == track.standard.prefix(track.freeEnd))
            metered.clock.advance(by: 120)
            #expect(metered.clock.sleeperCount == 0, "nothing held, nothing waiting to charge")
            held.abort()
            #expect(try metered.balance(listener) == 2_000_000)
            #expect(try metered.ledger().verify().plays == 0)

            // Downloads are for owners: error 50 (XML) until the listener owns the track.
            let refused = try await api.rest("download", [("id", track.id)], as: app)
            #expect(refused.status == .ok)
            #expect(String(buffer: refused.body).contains("code=\"50\""))
            #expect(SubsonicSchema.check(xml: Data(buffer: refused.body)).isEmpty)
            let purchase = try await api.request(.post, "/api/v1/tracks/\(track.id)/purchase", token: listener.token, json: ["requestID": "own-it-now-1"])
            #expect(purchase.status == .created || purchase.status == .ok, "\(String(buffer: purchase.body))")
            let owned = try await api.rest("stream", [("id", track.id)], as: app)
            #expect(Data(buffer: owned.body) == track.standard, "owned: whole")
            #expect(Data(buffer: try await api.rest("stream", [("id", track.id)], as: app, post: true).body) == track.standard, "owned, by POST: whole")
            let ownedSong = try #require(try await api.restJSON("getSong", [("id", track.id)], as: app)["song"] as? [String: Any])
            #expect(ownedSong["size"] as? Int == track.standard.count)
            let download = try await api.rest("download", [("id", track.id)], as: app)
            let original = try await api.request(.get, "/api/v1/tracks/\(track.id)/original", token: listener.token)
            #expect(download.status == .ok)
            #expect(Data(buffer: download.body) == Data(buffer: original.body))
            #expect(download.body.readableBytes > 0)

            // The artist's own track, whole; maxBitRate below 128 picks the low rendition.
            let artistApp = try await api.appPassword(track.artist).signIn
            let low = try await api.request(.get, "/api/v1/tracks/\(track.id)/audio/low", token: track.artist.token)
            let lowStream = try await api.rest("stream", [("id", track.id), ("maxBitRate", "64")], as: artistApp)
            #expect(Data(buffer: lowStream.body) == Data(buffer: low.body))
            #expect(Data(buffer: try await api.rest("stream", [("id", track.id), ("maxBitRate", "320")], as: artistApp).body) == track.standard)
            let missing = try await api.rest("stream", [("id", "no-such-track")], as: artistApp)
            #expect(String(buffer: missing.body).contains("code=\"70\""))
            // A failure of a method that answers with bytes is XML even when the app asks for JSON.
            for method in ["stream", "download", "getCoverArt"] {
                let failed = try await api.rest(method, [("id", "no-such-track")], as: artistApp, json: true)
                #expect(failed.headers[.contentType]?.hasPrefix("text/xml") == true, "\(method): \(failed.headers[.contentType] ?? "none")")
                #expect(String(buffer: failed.body).contains("code=\"70\""), "\(method): \(String(buffer: failed.body))")
            }
            // Other methods answer in the format asked for.
            let json = try await api.rest("getSong", [("id", "no-such-track")], as: artistApp, json: true)
            #expect(json.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(try metered.ledger().verify().isIntact)
        }
    }

    @Test("count plays in this app: held at the preview's end until 45 s after the first audio, then charged once; leaving pays nothing; switched off, nothing is ever charged")
    func countedPlays() async throws {
        let metered = MeteredService()
        try await metered.service.run { api in
            let (track, listener) = try await metered.trackAndListener(api)
            let made = try await api.appPassword(listener, name: "Counting app", countPlays: true)
            let app = made.signIn
            let song = try #require(try await api.restJSON("getSong", [("id", track.id)], as: app)["song"] as? [String: Any])
            #expect(song["size"] as? Int == track.standard.count, "counted plays stream the whole track")

            // Leaves at 30 s while held: nothing charged.
            let left = try api.rawGet(Self.streamPath(track.id, app), range: "bytes=0-")
            let start = try await readBody(left, atLeast: track.freeEnd)
            #expect(start.body == track.standard.prefix(track.freeEnd))
            #expect(try await metered.clock.waitForSleepers(1), "held at the preview's end")
            #expect(metered.clock.sleeperDates == [metered.clock.now.addingTimeInterval(45)])
            #expect(left.pendingBytes == 0)
            metered.clock.advance(by: 30)
            left.abort()
            try await metered.clock.waitForNoSleepers("the server to stop holding the stream of the app that left")
            metered.clock.advance(by: 60)
            #expect(try metered.balance(listener) == 1_000_000)

            // Listens through: charged once at 45 s, then the rest follows.
            let through = try api.rawGet(Self.streamPath(track.id, app), range: "bytes=0-")
            let first = try await readBody(through, atLeast: track.freeEnd)
            #expect(try await metered.clock.waitForSleepers(1))
            metered.clock.advance(by: 44)
            #expect(through.pendingBytes == 0)
            #expect(try metered.balance(listener) == 1_000_000, "44 s in: nothing charged yet")
            metered.clock.advance(by: 1)
            let remaining = track.standard.count - first.body.count
            let rest = try await RawConnection.onThread { through.read { $0.count >= remaining } }
            #expect(first.body + rest == track.standard)
            try await waitUntil("the play to be charged") { try metered.balance(listener) == 998_000 }
            through.abort()

            // Switched off: a preview again, whatever is asked, and no charge.
            #expect(try await api.request(.patch, "/api/v1/me/app-passwords/\(made.id)", token: listener.token, json: ["countPlays": false]).status == .ok)
            let preview = try await api.rest("stream", [("id", track.id)], as: app)
            #expect(Data(buffer: preview.body) == track.standard.prefix(track.freeEnd))
            let seek = try await api.rest("stream", [("id", track.id)], as: app, headers: [.range: "bytes=\(track.tailStart)-"])
            #expect(seek.status == .rangeNotSatisfiable)
            metered.clock.advance(by: 600)
            #expect(try metered.balance(listener) == 998_000)
            let report = try metered.ledger().verify()
            #expect(report.isIntact)
            #expect(report.plays == 1)
        }
    }

    @Test("count plays with an empty wallet: the stream stops at the preview's end and nothing is charged")
    func refusedCharge() async throws {
        let metered = MeteredService()
        try await metered.service.run { api in
            let (track, listener) = try await metered.trackAndListener(api, funds: 0)
            let app = try await api.appPassword(listener, countPlays: true).signIn
            let connection = try api.rawGet(Self.streamPath(track.id, app))
            let start = try await readBody(connection, atLeast: track.freeEnd)
            #expect(start.body == track.standard.prefix(track.freeEnd))
            #expect(try await metered.clock.waitForSleepers(1))
            metered.clock.advance(by: 45)
            let received = try await RawConnection.onThread { try connection.readUntilClosed() }
            #expect(received.isEmpty, "not a byte past the preview: \(received.count)")
            #expect(try metered.ledger().verify().plays == 0)
        }
    }
}
