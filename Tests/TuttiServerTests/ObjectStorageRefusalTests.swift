import Foundation
import HTTPTypes
import MediaStore
import NIOCore
import Testing
@testable import TuttiServer
import TuttiTestSupport

/// A bucket that refuses writes (made read-only, or over its quota, with SeaweedFS's own
/// shell): uploads get a problem, nothing stored before is lost, and writes work again once
/// the refusal is lifted.
///
/// SeaweedFS 4.48 answers both refusals with `500 InternalError` (seen by hand: a PUT under a
/// read-only location prefix, and a PUT or server-side copy into a bucket over its enforced
/// quota), so the service cannot tell them from a store failing inside: both are a 503 with
/// Retry-After here. The 507 of a store that says it is full (`QuotaExceeded`,
/// `EntityTooLarge`) is mapped but cannot be provoked with SeaweedFS.
@Suite("Media on S3: a bucket that refuses writes", .seaweedFS(buckets: [ObjectStorage.bucket]))
struct ObjectStorageRefusalTests {
    static func upload(_ api: TestAPI, _ fixture: String, title: String, by artist: TestAPI.Account) async throws -> TestResponse {
        try await api.request(
            .post, "/api/v1/tracks?title=\(title)", token: artist.token,
            body: ByteBuffer(data: try Data(contentsOf: URL(fileURLWithPath: Fixtures.media(fixture)))))
    }

    @Test("read-only, then over quota: uploads answer 503 problem+json, stored tracks keep streaming, nothing is lost")
    func refusals() async throws {
        let storage = try ObjectStorage()
        let weed = storage.weed
        try await TestService(storage: storage).run { api in
            let artist = try await api.account("ada", role: "artist")
            let kept = try await api.publishedTrack(Fixtures.media("sine-440-44100-stereo.flac"), title: "Kept", by: artist)
            let before = try await api.request(.get, "/api/v1/tracks/\(kept)/audio/standard", token: artist.token)
            #expect(before.status == .ok)
            let keysBefore = try await storage.keys()
            let namedBefore = try await api.services.tracks.storedKeys()

            // Read-only (a filer rule on the bucket's folder).
            let location = "/buckets/\(ObjectStorage.bucket)/"
            _ = try await weed.shell("fs.configure -locationPrefix=\(location) -readOnly -apply")
            let refused = try await Self.upload(api, "sine-1000-48000-mono.wav", title: "Refused", by: artist)
            #expect(refused.status == .serviceUnavailable, "\(String(buffer: refused.body))")
            #expect(refused.headers[.retryAfter] != nil)
            _ = try refused.problem()
            #expect(try await api.services.tracks.storedKeys() == namedBefore, "no track for a refused upload")
            #expect(try FileManager.default.contentsOfDirectory(atPath: api.configuration.uploadsDirectory).isEmpty)
            let during = try await api.request(.get, "/api/v1/tracks/\(kept)/audio/standard", token: artist.token)
            #expect(during.status == .ok)
            #expect(during.body == before.body, "what was stored still streams")
            #expect(try await storage.keys() == keysBefore, "nothing added, nothing lost")

            // Lifted: uploads work again.
            _ = try await weed.shell("fs.configure -locationPrefix=\(location) -delete -apply")
            let accepted = try await Self.upload(api, "sine-1000-48000-mono.wav", title: "Accepted", by: artist)
            #expect(accepted.status == .accepted, "\(String(buffer: accepted.body))")
            let acceptedID = try accepted.json()["id"] as! String
            let track = try await api.waitUntilProcessed(acceptedID, token: artist.token)
            #expect(track["status"] as? String == "ready", "\(track)")

            // Over quota: 2 MiB of something else fills a 1 MiB quota, and SeaweedFS turns the
            // bucket read-only once the quota is enforced.
            let filler = try storage.store()
            let fill = try await filler.stage(
                AsyncStream { $0.yield(ByteBuffer(repeating: 1, count: 2 << 20)); $0.finish() }, length: 2 << 20, contentType: nil)
            try await filler.finalize(fill, as: try MediaKey("filler/two-mib"))
            try await filler.shutdown()
            let keysFull = try await storage.keys()
            let namedFull = try await api.services.tracks.storedKeys()
            _ = try await weed.shell("s3.bucket.quota -name=\(ObjectStorage.bucket) -op=set -sizeMB=1")
            // The bucket's size reaches the master with the volume servers' heartbeats: enforce
            // until SeaweedFS sees the bucket over its quota and turns it read-only.
            var enforced = ""
            try await waitUntil("SeaweedFS to find the bucket over its quota (last: \(enforced))", every: .milliseconds(500)) {
                enforced = try await weed.shell("s3.bucket.quota.enforce -apply")
                return enforced.contains("read only")
            }
            let full = try await Self.upload(api, "sine-1000-48000-mono.wav", title: "Full", by: artist)
            #expect(full.status == .serviceUnavailable, "\(String(buffer: full.body))")
            _ = try full.problem()
            #expect(try await api.services.tracks.storedKeys() == namedFull)
            #expect(try await storage.keys() == keysFull, "nothing added, nothing lost")
            let stillThere = try await api.request(.get, "/api/v1/tracks/\(kept)/audio/standard", token: artist.token)
            #expect(stillThere.body == before.body)
            let values = try await api.metrics().values
            #expect(values["tutti_media_store_failures_total{operation=\"write\",kind=\"unavailable\"}"] == 2, "\(values.filter { $0.key.hasPrefix("tutti_media") })")
        }
    }
}
