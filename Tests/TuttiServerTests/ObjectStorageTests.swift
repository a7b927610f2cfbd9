import Crypto
import Foundation
import HTTPTypes
import Ledger
import Logging
import MediaStore
import NIOCore
import Testing
@testable import TuttiServer
import TuttiTestSupport

/// The service with its media in an S3 bucket (a real SeaweedFS on loopback): uploads and
/// renditions written through the store, streams proxied with Range, metering unchanged, and
/// a local data folder migrated to the bucket and back serving the same bytes.
@Suite("Media on S3: upload, transcode, proxied streams, migration", .seaweedFS(buckets: [ObjectStorage.bucket]))
struct ObjectStorageTests {
    static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    @Test("an upload is transcoded from the bucket and its renditions stream from it with Range, byte for byte as stored")
    func uploadTranscodeStream() async throws {
        let storage = try ObjectStorage()
        try await TestService(storage: storage).run { api in
            let artist = try await api.account("ada", role: "artist")
            let id = try await api.upload(Fixtures.demo("river-song.ogg"), title: "River", by: artist)
            let track = try await api.waitUntilProcessed(id, token: artist.token)
            #expect(track["status"] as? String == "ready", "\(track)")

            // Everything is in the bucket, whole: nothing staged is left, nothing is in the data folder.
            let keys = try await storage.keys()
            #expect(keys.contains("originals/\(id).ogg"), "\(keys)")
            #expect(keys.filter { $0.hasPrefix("media/\(id)/") }.count == 2, "\(keys)")
            #expect(!keys.contains { $0.hasPrefix(StagedMedia.stagingPrefix) }, "staged objects left: \(keys)")
            for folder in ["originals", "media", "uploads"] {
                let left = try FileManager.default.contentsOfDirectory(atPath: api.configuration.absolute(folder))
                #expect(left.isEmpty, "\(folder) in the data folder holds \(left)")
            }
            let original = try await storage.curlObject("originals/\(id).ogg")
            #expect(original == (try Data(contentsOf: URL(fileURLWithPath: Fixtures.demo("river-song.ogg")))))

            for rendition in try await api.services.tracks.renditions(trackID: id) {
                let stored = try await storage.curlObject(rendition.path)
                #expect(Self.sha256(stored) == rendition.sha256, "the object is the rendition the row records")
                let url = "/api/v1/tracks/\(id)/audio/\(rendition.name)"
                let whole = try await api.request(.get, url, token: artist.token)
                #expect(whole.status == .ok)
                #expect(whole.headers[.contentLength] == String(stored.count))
                #expect(Data(buffer: whole.body) == stored)
                let size = stored.count
                try #require(size > 200_000, "a rendition long enough for the ranges below")
                let ranges: [(String, Range<Int>)] = [
                    ("bytes=0-65535", 0..<65_536), ("bytes=1000-", 1_000..<size), ("bytes=-5000", (size - 5_000)..<size),
                    ("bytes=\(size / 2)-\(size / 2 + 65_535)", (size / 2)..<(size / 2 + 65_536)), ("bytes=\(size - 10)-\(size + 100)", (size - 10)..<size),
                ]
                for (header, slice) in ranges {
                    let partial = try await api.request(.get, url, token: artist.token, headers: [.range: header])
                    #expect(partial.status == .partialContent, "\(header)")
                    #expect(partial.headers[.contentRange] == "bytes \(slice.lowerBound)-\(slice.upperBound - 1)/\(size)", "\(header)")
                    #expect(Data(buffer: partial.body) == stored[slice], "\(header)")
                }
                let outside = try await api.request(.get, url, token: artist.token, headers: [.range: "bytes=\(size)-"])
                #expect(outside.status == .rangeNotSatisfiable)
                #expect(outside.headers[.contentRange] == "bytes */\(size)")
            }
            let download = try await api.request(.get, "/api/v1/tracks/\(id)/original", token: artist.token)
            #expect(download.status == .ok)
            #expect(Data(buffer: download.body) == original)
            let metrics = try await api.metrics().values
            #expect(metrics["tutti_sendfile_responses_total"] == 0, "nothing is sent from a local file")
            #expect(metrics["tutti_accel_redirects_total"] == 0)
        }
    }

    @Test("metering from the bucket is unchanged: the preview at once, held at its end, charged once at 45 s, then the rest")
    func meteringUnchanged() async throws {
        let storage = try ObjectStorage()
        let metered = MeteredService { configuration in
            configuration.media = storage.location
            configuration.mediaEnvironment = [:]
        }
        try await metered.service.run { api in
            let (track, listener) = try await metered.trackAndListener(api)
            let session = try await api.openPlay(track.id, as: listener)
            let connection = try api.rawGet(session.standardURL, range: "bytes=0-")
            let (data, end) = try await RawConnection.onThread {
                connection.receive { (PartialResponse($0)?.body.count ?? 0) >= track.freeEnd }
            }
            try #require(end == .done, "the preview arrives (\(data.count) bytes)")
            let start = try #require(PartialResponse(data))
            #expect(start.status == 206)
            #expect(start.body == track.standard.prefix(track.freeEnd), "exactly the preview, before it has been heard")
            #expect(try await metered.clock.waitForSleepers(1), "held at the preview's end")
            #expect(connection.pendingBytes == 0)
            #expect(try await api.playStatus(session.id, as: listener)["counted"] as? Bool == false)
            metered.clock.advance(by: 45)
            let remaining = track.standard.count - start.body.count
            let rest = try await RawConnection.onThread { connection.read { $0.count >= remaining } }
            #expect(start.body + rest == track.standard)
            #expect(try await api.playStatus(session.id, as: listener)["counted"] as? Bool == true)
            #expect(try metered.balance(listener) == 998_000)

            // A seek past the preview in a new session counts at once; a tail probe does not.
            let probe = try await api.openPlay(track.id, as: listener)
            let tail = try await api.request(.get, probe.standardURL, headers: [.range: "bytes=\(track.tailStart)-"])
            #expect(tail.status == .partialContent)
            #expect(Data(buffer: tail.body) == track.standard.suffix(from: track.tailStart))
            #expect(try await api.playStatus(probe.id, as: listener)["counted"] as? Bool == false)
            let seek = try await api.request(.get, probe.standardURL, headers: [.range: "bytes=\(track.freeEnd + 10_000)-\(track.freeEnd + 20_000)"])
            #expect(seek.status == .partialContent)
            #expect(Data(buffer: seek.body) == track.standard[(track.freeEnd + 10_000)...(track.freeEnd + 20_000)])
            #expect(try await api.playStatus(probe.id, as: listener)["counted"] as? Bool == true)
            #expect(try metered.balance(listener) == 998_000 - 4_000)
            #expect(try metered.ledger().verify().isIntact)
        }
    }

    /// What the artist's client sees of a track: every rendition whole and in ranges, and the original.
    static func requests(_ id: String) -> [(path: String, range: String?)] {
        var all: [(String, String?)] = [("/api/v1/tracks/\(id)/original", nil)]
        for rendition in ["standard", "low"] {
            let path = "/api/v1/tracks/\(id)/audio/\(rendition)"
            all += [(path, nil), (path, "bytes=0-65535"), (path, "bytes=70000-"), (path, "bytes=-4096"), (path, "bytes=12345-23456")]
        }
        return all
    }

    struct Seen: Equatable, CustomStringConvertible {
        var status: Int
        var contentRange: String?
        var contentType: String?
        var etag: String?
        var body: Data
        var description: String { "\(status) \(contentRange ?? "-") \(body.count) bytes" }
    }

    /// The requests above as the artist, then the first (free) track's standard rendition
    /// twice without credentials (from a local store, the second is answered with sendfile).
    static func observe(_ api: TestAPI, ids: [String], token: String) async throws -> [Seen] {
        var seen: [Seen] = []
        for _ in 0..<2 {
            let response = try await api.request(.get, "/api/v1/tracks/\(ids[0])/audio/standard")
            seen.append(Seen(
                status: Int(response.status.code), contentRange: response.headers[.contentRange], contentType: response.headers[.contentType],
                etag: response.headers[.eTag], body: Data(buffer: response.body)))
        }
        for id in ids {
            for (path, range) in requests(id) {
                var headers: HTTPFields = [:]
                if let range { headers[.range] = range }
                let response = try await api.request(.get, path, token: token, headers: headers)
                seen.append(Seen(
                    status: Int(response.status.code), contentRange: response.headers[.contentRange], contentType: response.headers[.contentType],
                    etag: response.headers[.eTag], body: Data(buffer: response.body)))
            }
        }
        return seen
    }

    static func migrate(_ arguments: [String]) async throws -> [String] {
        let output = try await ThirdPartyTools.run(Fixtures.tuttiExecutable, ["media", "migrate"] + arguments)
        #expect(output.status == 0, "tutti media migrate \(arguments): \(output.stdout)\n\(output.stderr)")
        return output.stdout.split(separator: "\n").map(String.init)
    }

    @Test("a local data folder migrated to the bucket, and back, serves every rendition, range and original byte for byte as before")
    func migrateThereAndBack() async throws {
        let storage = try ObjectStorage()
        let local = TestService()
        let data = local.configuration.dataDirectory
        let (artist, ids, before) = try await local.run { api in
            let artist = try await api.account("ada", role: "artist")
            let ids = [
                try await api.publishedTrack(Fixtures.demo("night-walk.ogg"), title: "Night", by: artist, free: true),
                try await api.publishedTrack(Fixtures.demo("river-song.ogg"), title: "River", by: artist),
            ]
            let seen = try await Self.observe(api, ids: ids, token: artist.token)
            #expect(try await api.metric("tutti_sendfile_responses_total") == 1, "the free track's second plain request")
            return (artist, ids, seen)
        }
        #expect(before.allSatisfy { $0.status == 200 || $0.status == 206 }, "\(before)")

        // Six files (two originals, four renditions) are copied and checked; a second run finds them all there.
        let first = try await Self.migrate(["--data", data, "--to", storage.text])
        #expect(first.filter { $0.hasSuffix(": copied, hash checked") }.count == 6, "\(first)")
        let second = try await Self.migrate(["--data", data, "--to", storage.text])
        #expect(second.filter { $0.hasSuffix(": already there, hash checked") }.count == 6, "\(second)")
        #expect(!second.contains { $0.hasSuffix(": copied, hash checked") }, "\(second)")

        // The local copies go, so whatever the service serves now comes from the bucket.
        for folder in ["originals", "media"] {
            try FileManager.default.removeItem(atPath: "\(data)/\(folder)")
        }
        var fromBucket = local
        fromBucket.configuration.media = storage.location
        fromBucket.configuration.mediaEnvironment = [:]
        let afterMigration = try await fromBucket.run { api in
            let seen = try await Self.observe(api, ids: ids, token: artist.token)
            #expect(try await api.metric("tutti_sendfile_responses_total") == 0, "objects are proxied, never sent from a file")
            return seen
        }
        #expect(afterMigration == before)

        // And back into the data folder, which the service then serves from again (with sendfile).
        let back = try await Self.migrate(["--data", data, "--from", storage.text, "--to", data])
        #expect(back.filter { $0.hasSuffix(": copied, hash checked") }.count == 6, "\(back)")
        let afterReturn = try await local.run { api in
            let seen = try await Self.observe(api, ids: ids, token: artist.token)
            #expect(try await api.metric("tutti_sendfile_responses_total") == 1, "sendfile again from the data folder")
            return seen
        }
        #expect(afterReturn == before)
    }

    @Test("migrate refuses what it cannot check: a file missing at the source or differing from its record exits 1 and names it")
    func migrateRefuses() async throws {
        let storage = try ObjectStorage()
        let local = TestService()
        let data = local.configuration.dataDirectory
        let id = try await local.run { api in
            let artist = try await api.account("ada", role: "artist")
            return try await api.publishedTrack(Fixtures.media("sine-1000-48000-mono.wav"), title: "Sine", by: artist)
        }
        // The original is damaged on disk (a flipped byte), a rendition is gone.
        let originalPath = "\(data)/originals/\(id).wav"
        var original = try Data(contentsOf: URL(fileURLWithPath: originalPath))
        original[original.count / 2] ^= 0xFF
        try original.write(to: URL(fileURLWithPath: originalPath))
        let renditions = try FileManager.default.contentsOfDirectory(atPath: "\(data)/media/\(id)").sorted()
        try FileManager.default.removeItem(atPath: "\(data)/media/\(id)/\(try #require(renditions.first))")

        let output = try await ThirdPartyTools.run(Fixtures.tuttiExecutable, ["media", "migrate", "--data", data, "--to", storage.text])
        #expect(output.status == 1, "\(output.stdout)\n\(output.stderr)")
        #expect(output.stdout.contains("originals/\(id).wav: FAILED"), "\(output.stdout)")
        #expect(output.stdout.contains("media/\(id)/\(try #require(renditions.first)): MISSING"), "\(output.stdout)")
        #expect(output.stdout.contains(": copied, hash checked"), "the other rendition is still copied: \(output.stdout)")
        let keys = try await storage.keys()
        #expect(!keys.contains("originals/\(id).wav"), "a file that fails its check is not made visible: \(keys)")
        #expect(!keys.contains { $0.hasPrefix(StagedMedia.stagingPrefix) }, "nor left staged: \(keys)")

        let same = try await ThirdPartyTools.run(Fixtures.tuttiExecutable, ["media", "migrate", "--data", data, "--to", data])
        #expect(same.status != 0)
        #expect(same.stderr.contains("the same store"), "\(same.stderr)")
        let credentials = try await ThirdPartyTools.run(Fixtures.tuttiExecutable, [
            "media", "migrate", "--data", data, "--to", "s3://\(ObjectStorage.bucket)?endpoint=\(storage.weed.endpoint)",
        ])
        #expect(credentials.status != 0)
    }

    @Test("the sweeper runs in the server: leftovers of interrupted writes go once old enough, named files stay, missing ones are counted",
          arguments: [false, true])
    func sweeper(onS3: Bool) async throws {
        let storage = try ObjectStorage()
        let service = onS3
            ? TestService(storage: storage) { $0.mediaSweepInterval = 0.2 }
            : TestService { $0.mediaSweepInterval = 0.2 }
        try await service.run { api in
            try await waitUntil("two periodic sweeps") { try await api.metric("tutti_media_sweeps_total") >= 2 }
            let artist = try await api.account("ada", role: "artist")
            let id = try await api.publishedTrack(Fixtures.media("sine-1000-48000-mono.wav"), title: "Kept", by: artist)
            let store = api.services.store
            // What a crash leaves: a rendition stored but never named (the job died before its
            // commit) and a staged object never finished.
            let bytes = ByteBuffer(repeating: 7, count: 10_000)
            let orphan = try MediaKey("media/\(id)/standard-999.opus")
            try await store.finalize(try await store.stage(Self.chunks(bytes), length: 10_000, contentType: nil), as: orphan)
            let staged = try await store.stage(Self.chunks(bytes), length: 10_000, contentType: nil)
            let named = try await api.services.tracks.storedKeys()
            #expect(named.count == 3)

            // The periodic sweeps (an hour's minimum age) leave young objects alone: they may
            // be a write about to commit.
            let sweeps = try await api.metric("tutti_media_sweeps_total")
            try await waitUntil("two more periodic sweeps") { try await api.metric("tutti_media_sweeps_total") >= sweeps + 2 }
            #expect(try await store.info(orphan) != nil)
            #expect(try await api.metric("tutti_media_swept_objects_total") == 0)

            // Once old enough (here: a sweep that takes every age as old), they go; named files stay.
            let service = MediaStoreService(services: api.services, logger: Logger(label: "test"))
            await service.sweep(minimumAge: 0)
            #expect(try await store.info(orphan) == nil)
            #expect(try await store.list(prefix: StagedMedia.stagingPrefix).collect().allSatisfy { $0.key != staged.stagingKey })
            for key in named { #expect(try await store.info(try MediaKey(key)) != nil, "\(key) is named and stays") }
            #expect(try await api.metric("tutti_media_swept_objects_total") == 2)
            let stream = try await api.request(.get, "/api/v1/tracks/\(id)/audio/standard", token: artist.token)
            #expect(stream.status == .ok)

            // A named file that disappears (removed behind the service's back) is reported.
            let low = try #require(try await api.services.tracks.rendition(trackID: id, name: "low"))
            try await store.delete(try MediaKey(low.path))
            try await waitUntil("a sweep to notice the missing file") { try await api.metric("tutti_media_missing_objects") == 1 }
            let gone = try await api.request(.get, "/api/v1/tracks/\(id)/audio/low", token: artist.token)
            #expect(gone.status == .serviceUnavailable)
            _ = try gone.problem()
        }
    }

    @Test("behind nginx with --accel-redirect: the node checks the rights, nginx fetches the presigned object with Range; held streams stay with the node until counted")
    func accelRedirect() async throws {
        let storage = try ObjectStorage()
        let metered = MeteredService { configuration in
            configuration.media = storage.location
            configuration.mediaEnvironment = [:]
            configuration.accelRedirectPrefix = "/_media"
        }
        try await metered.service.run { api in
            let nginx = try await FrontNginx(nodePort: api.port, storeEndpoint: storage.weed.endpoint)
            defer { nginx.stop() }
            let artist = try await api.account("ada", role: "artist")
            let id = try await api.publishedTrack(Fixtures.demo("river-song.ogg"), title: "River", by: artist)
            let rendition = try #require(try await api.services.tracks.rendition(trackID: id, name: "standard"))
            let standard = try await storage.curlObject(rendition.path)
            let window = PreviewWindow(index: try rendition.decodedPageIndex(), previewSeconds: 45, tailProbeBytes: api.configuration.tailProbeBytes)
            let freeEnd = Int(window.freeEnd)
            let listener = try await api.account("listener")
            try await metered.fund(listener, 1_000_000, api)

            // The node alone answers with the hand-off, no bytes.
            let direct = try await api.request(.get, "/api/v1/tracks/\(id)/audio/standard", token: artist.token)
            let redirect = try #require(direct.headers[HTTPField.Name("X-Accel-Redirect")!])
            #expect(redirect.hasPrefix("/_media/\(ObjectStorage.bucket)/\(storage.prefix)\(rendition.path)?X-Amz-Algorithm=AWS4-HMAC-SHA256"), "\(redirect)")
            #expect(direct.body.readableBytes == 0)

            // Through nginx: the object, whole and in ranges, straight from the store.
            let auth = ["Authorization": "Bearer \(artist.token)"]
            let whole = try await RawConnection.onThread { RawConnection.exchange(port: nginx.port, "GET", "/api/v1/tracks/\(id)/audio/standard", headers: auth) }
            #expect(whole.status == 200)
            #expect(whole.body == standard)
            let ranged = try await RawConnection.onThread {
                RawConnection.exchange(port: nginx.port, "GET", "/api/v1/tracks/\(id)/audio/standard", headers: auth.merging(["Range": "bytes=1000-66535"]) { $1 })
            }
            #expect(ranged.status == 206)
            #expect(ranged.body == standard[1_000...66_535])

            // A metered session: the preview's ranges are handed off; a stream going on past the
            // preview is held by the node (it proxies the free part) and charged at 45 s, once.
            let session = try await api.openPlay(id, as: listener)
            let preview = try await RawConnection.onThread {
                RawConnection.exchange(port: nginx.port, "GET", session.standardURL, headers: ["Range": "bytes=0-65535"])
            }
            #expect(preview.status == 206)
            #expect(preview.body == standard.prefix(65_536))
            #expect(try await api.playStatus(session.id, as: listener)["counted"] as? Bool == false)
            let redirects = try await api.metric("tutti_accel_redirects_total")
            let connection = try RawConnection(port: nginx.port)
            connection.send("GET \(session.standardURL) HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=0-\r\n\r\n")
            let (data, end) = try await RawConnection.onThread {
                connection.receive { (PartialResponse($0)?.body.count ?? 0) >= freeEnd }
            }
            try #require(end == .done, "the preview arrives through nginx (\(data.count) bytes)")
            let start = try #require(PartialResponse(data))
            #expect(start.status == 206)
            #expect(start.body == standard.prefix(freeEnd))
            #expect(try await metered.clock.waitForSleepers(1), "held at the preview's end, by the node")
            #expect(try await api.metric("tutti_accel_redirects_total") == redirects, "a held stream is never handed off")
            #expect(try metered.balance(listener) == 1_000_000)
            metered.clock.advance(by: 45)
            let remaining = standard.count - start.body.count
            let rest = try await RawConnection.onThread { connection.read { $0.count >= remaining } }
            #expect(start.body + rest.prefix(remaining) == standard)
            #expect(try metered.balance(listener) == 998_000)

            // A seek past the preview counts first, then is handed off.
            let seekSession = try await api.openPlay(id, as: listener)
            let seek = try await RawConnection.onThread {
                RawConnection.exchange(port: nginx.port, "GET", seekSession.standardURL, headers: ["Range": "bytes=\(freeEnd + 10_000)-\(freeEnd + 20_000)"])
            }
            #expect(seek.status == 206)
            #expect(seek.body == standard[(freeEnd + 10_000)...(freeEnd + 20_000)])
            #expect(try await api.playStatus(seekSession.id, as: listener)["counted"] as? Bool == true)
            #expect(try metered.balance(listener) == 998_000 - 4_000, "the second counted play costs 4,000")
            #expect(try await api.metric("tutti_accel_redirects_total") > redirects)
        }
    }

    /// `buffer` as a one-element byte sequence.
    static func chunks(_ buffer: ByteBuffer) -> AsyncStream<ByteBuffer> {
        AsyncStream { continuation in
            continuation.yield(buffer)
            continuation.finish()
        }
    }
}
