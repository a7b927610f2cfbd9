import Foundation
import HTTPTypes
import Ledger
import MediaStore
import NIOCore
import Testing
@testable import TuttiServer
import TuttiTestSupport

/// A store that dies under the service (its own SeaweedFS, killed by the test): streams end
/// short and cost nothing, the requests after it get a problem, never a 200, and no upload
/// is half-stored.
@Suite("Media on S3: the store dies", .seaweedFS(buckets: [ObjectStorage.bucket]))
struct ObjectStorageFailureTests {
    @Test("the store killed mid-stream: the stream ends short, nothing is charged; reads then answer 503 and uploads are refused with nothing lost")
    func storeDies() async throws {
        let storage = try ObjectStorage()
        let metered = MeteredService { configuration in
            configuration.media = storage.location
            configuration.mediaEnvironment = [:]
        }
        try await metered.service.run { api in
            let (track, listener) = try await metered.trackAndListener(api)
            let session = try await api.openPlay(track.id, as: listener)
            let connection = try api.rawGet(session.standardURL)
            let (data, end) = try await RawConnection.onThread {
                connection.receive { (PartialResponse($0)?.body.count ?? 0) >= track.freeEnd }
            }
            try #require(end == .done, "the preview arrives (\(data.count) bytes)")
            let start = try #require(PartialResponse(data))
            #expect(start.status == 200)
            #expect(start.headers["content-length"] == String(track.standard.count))
            #expect(try await metered.clock.waitForSleepers(1), "held at the preview's end")

            // The store dies while the stream is held; the preview is then listened to.
            await storage.weed.killNow()
            metered.clock.advance(by: 45)
            let rest = try await RawConnection.onThread { try connection.readUntilClosed() }
            #expect(rest.isEmpty, "not a byte past the preview: \(rest.count)")
            #expect(start.body.count + rest.count < track.standard.count, "the response ends short of its Content-Length: the client knows it is incomplete")
            #expect(try await api.playStatus(session.id, as: listener)["counted"] as? Bool == false, "a play whose rest could not be sent is not charged")
            #expect(try metered.balance(listener) == 1_000_000)
            #expect(try metered.ledger().verify().isIntact)

            // With the store gone: a problem before any byte, never a 200.
            let plain = try await api.request(.get, "/api/v1/tracks/\(track.id)/audio/standard", token: track.artist.token)
            #expect(plain.status == .serviceUnavailable)
            #expect(plain.headers[.retryAfter] != nil)
            #expect(try plain.problem()["title"] as? String == "Media store unavailable")
            let again = try await api.openPlay(track.id, as: listener)
            let seek = try await api.request(.get, again.standardURL, headers: [.range: "bytes=\(track.freeEnd + 10_000)-"])
            #expect(seek.status == .serviceUnavailable, "a seek past the preview: the store is asked before the play is counted")
            #expect(try await api.playStatus(again.id, as: listener)["counted"] as? Bool == false)
            #expect(try metered.balance(listener) == 1_000_000)
            let original = try await api.request(.get, "/api/v1/tracks/\(track.id)/original", token: track.artist.token)
            #expect(original.status == .serviceUnavailable)

            // An upload is refused, and leaves no track and no file behind.
            let tracksBefore = try await api.services.tracks.storedKeys()
            let upload = try await api.request(
                .post, "/api/v1/tracks?title=Lost", token: track.artist.token,
                body: ByteBuffer(data: try Data(contentsOf: URL(fileURLWithPath: Fixtures.media("sine-1000-48000-mono.wav")))))
            #expect(upload.status == .serviceUnavailable, "\(String(buffer: upload.body))")
            _ = try upload.problem()
            #expect(try await api.services.tracks.storedKeys() == tracksBefore)
            #expect(try FileManager.default.contentsOfDirectory(atPath: api.configuration.uploadsDirectory).isEmpty)

            let values = try await api.metrics().values
            #expect(values["tutti_media_store_failures_total{operation=\"read\",kind=\"unavailable\"}"] ?? 0 >= 3, "\(values.filter { $0.key.hasPrefix("tutti_media") })")
            #expect(values["tutti_media_store_failures_total{operation=\"write\",kind=\"unavailable\"}"] == 1)
        }
    }
}
