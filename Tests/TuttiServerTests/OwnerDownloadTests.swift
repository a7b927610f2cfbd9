import Catalog
import Foundation
import HTTPTypes
import Ledger
import NIOCore
import Testing
import TuttiTestSupport
@testable import TuttiServer

@Suite("Owners' downloads: tagged Ogg Opus, the original, a whole release as a streamed ZIP")
struct OwnerDownloadTests {
    /// Counted plays of `track` until `listener` owns it (the default pricing: 9 paid plays).
    static func own(_ api: TestAPI, listener: TestAPI.Account, artist: TestAPI.Account, track: String) async throws {
        for n in 1...9 {
            let result = try await api.ledger().chargePlay(PlayChargeRequest(
                playID: "\(track)-\(n)", listenerID: listener.id, artistID: artist.id, trackID: track, at: Date()))
            guard case .charged = result else { Issue.record("play \(n) was not charged: \(result)"); return }
        }
    }

    /// Decodes an Ogg Opus file with ffmpeg to 48 kHz s16 samples.
    static func decoded(_ path: String) async throws -> Data {
        let raw = path + ".raw"
        let result = try await ThirdPartyTools.run("ffmpeg", ["-nostdin", "-v", "error", "-i", path, "-f", "s16le", "-acodec", "pcm_s16le", "-y", raw])
        #expect(result.status == 0, "ffmpeg: \(result.stderr)")
        return try Data(contentsOf: URL(fileURLWithPath: raw))
    }

    @Test("an owner downloads tagged Opus (valid, sample-exact with the stored file), the original, and the release as one ZIP once every track is owned")
    func downloads() async throws {
        try await Self.downloads(TestService.withPayments())
    }

    /// The test on `service` (local here; on S3 in ObjectStorageMediaTests).
    static func downloads(_ service: TestService) async throws {
        try await service.run { api in
            let ada = try await api.account("ada", role: "artist")
            let lena = try await api.account("lena")
            let folder = Fixtures.scratch("owner-downloads")
            let first = try await ReleaseFiles.flac(in: folder, named: "1 Dawn.flac", seconds: 1.5, frequency: 330)
            _ = try await ReleaseFiles.flac(in: folder, named: "2 Dusk.flac", seconds: 1, frequency: 550)
            _ = try await ReleaseFiles.picture(in: folder, named: "cover.jpg")
            try JSONSerialization.data(withJSONObject: ["title": "Day Cycle", "releaseDate": "2026-03-01", "licence": "CC-BY-SA-4.0"])
                .write(to: folder.appendingPathComponent("release.json"))
            let archive = folder.appendingPathComponent("upload.zip").path
            try await ReleaseFiles.zip(["1 Dawn.flac", "2 Dusk.flac", "cover.jpg", "release.json"], in: folder, to: archive)
            let upload = try await api.uploadRelease(body: ByteBuffer(bytes: try ReleaseFiles.bytes(archive)), contentType: "application/zip", by: ada)
            #expect(upload.status == .accepted, "\(String(buffer: upload.body))")
            let accepted = try upload.json()
            let releaseID = try #require(accepted["releaseID"] as? String)
            let trackIDs = try #require((accepted["tracks"] as? [[String: Any]])?.compactMap { $0["id"] as? String })
            try #require(trackIDs.count == 2)
            let processed = try await api.waitUntilReleaseProcessed(releaseID, token: ada.token)
            try #require(processed["status"] as? String == "ready", "\(processed)")
            let published = try await api.request(.post, "/api/v1/releases/\(releaseID)/publish", token: ada.token)
            #expect(published.status == .ok, "\(String(buffer: published.body))")
            #expect(try await api.deliver(TestAPI.paymentEvent(id: "evt_1", user: lena.id, amount: 5_000_000)).status == .ok)

            // Not owned yet: refused.
            let early = try await api.request(.get, "/api/v1/tracks/\(trackIDs[0])/download", token: lena.token)
            #expect(early.status == .forbidden)
            _ = try early.problem()

            try await Self.own(api, listener: lena, artist: ada, track: trackIDs[0])
            let download = try await api.request(.get, "/api/v1/tracks/\(trackIDs[0])/download", token: lena.token)
            #expect(download.status == .ok, "\(String(buffer: download.body))")
            #expect(download.headers[.contentType] == "audio/ogg; codecs=opus")
            #expect(download.headers[.contentLength] == String(download.body.readableBytes))
            #expect(download.headers[.contentDisposition]?.contains("01 Dawn.opus") == true)
            let tagged = folder.appendingPathComponent("tagged.opus").path
            try Data(buffer: download.body).write(to: URL(fileURLWithPath: tagged))
            try await ThirdPartyTools.expectValid(tagged)
            let info = try await ThirdPartyTools.run("opusinfo", [tagged])
            for comment in ["TITLE=Dawn", "ARTIST=ada", "ALBUM=Day Cycle", "TRACKNUMBER=1", "DISCNUMBER=1", "DATE=2026-03-01",
                            "LICENSE=CC BY-SA 4.0", "R128_TRACK_GAIN=", "METADATA_BLOCK_PICTURE="] {
                #expect(info.stdout.contains(comment), "opusinfo shows no \(comment): \(info.stdout)")
            }
            // Sample-exact with the stored rendition it was made from.
            let rendition = try #require(try await api.services.tracks.rendition(trackID: trackIDs[0], name: "standard"))
            let stored = try await api.storedCopy(rendition.path)
            let (taggedSamples, storedSamples) = (try await Self.decoded(tagged), try await Self.decoded(stored))
            #expect(!storedSamples.isEmpty)
            #expect(taggedSamples == storedSamples)

            // The original, byte for byte.
            let original = try await api.request(.get, "/api/v1/tracks/\(trackIDs[0])/original", token: lena.token)
            #expect(original.status == .ok)
            #expect(Data(buffer: original.body) == (try Data(contentsOf: URL(fileURLWithPath: first))))

            // The release only once every track is owned.
            let partial = try await api.request(.get, "/api/v1/releases/\(releaseID)/download", token: lena.token)
            #expect(partial.status == .forbidden)
            #expect((try partial.problem()["detail"] as? String)?.contains("Dusk") == true)
            try await Self.own(api, listener: lena, artist: ada, track: trackIDs[1])
            let whole = try await api.request(.get, "/api/v1/releases/\(releaseID)/download", token: lena.token)
            #expect(whole.status == .ok, "\(String(buffer: whole.body))")
            #expect(whole.headers[.contentType] == "application/zip")
            #expect(whole.headers[.contentLength] == String(whole.body.readableBytes))
            let zip = folder.appendingPathComponent("release.zip").path
            try Data(buffer: whole.body).write(to: URL(fileURLWithPath: zip))
            let test = try await ThirdPartyTools.run("unzip", ["-t", zip])
            #expect(test.status == 0, "\(test.stdout)\(test.stderr)")
            let list = try await ThirdPartyTools.run("unzip", ["-Z1", zip])
            #expect(list.stdout.split(separator: "\n") == ["01 Dawn.opus", "02 Dusk.opus", "cover.jpg"])
            let extracted = folder.appendingPathComponent("extracted")
            let unzip = try await ThirdPartyTools.run("unzip", ["-q", zip, "-d", extracted.path])
            #expect(unzip.status == 0)
            #expect(try Data(contentsOf: extracted.appendingPathComponent("01 Dawn.opus")) == Data(buffer: download.body))
            try await ThirdPartyTools.expectValid(extracted.appendingPathComponent("02 Dusk.opus").path)
            let coverSize = try await ThirdPartyTools.run("exiftool", ["-s3", "-ImageSize", extracted.appendingPathComponent("cover.jpg").path])
            #expect(coverSize.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1200x1200")

            // Streamed as made: nothing was written to the uploads or work folders.
            #expect(try api.leftovers().isEmpty)
            // The artist downloads their own; another listener may not.
            #expect(try await api.request(.get, "/api/v1/releases/\(releaseID)/download", token: ada.token).status == .ok)
            let bob = try await api.account("bob")
            #expect(try await api.request(.get, "/api/v1/tracks/\(trackIDs[1])/download", token: bob.token).status == .forbidden)
        }
    }
}
