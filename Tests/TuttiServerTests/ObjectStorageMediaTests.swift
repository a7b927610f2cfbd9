import Foundation
import GRDB
import HTTPTypes
import MediaStore
import NIOCore
import Testing
@testable import TuttiServer
import TuttiTestSupport

/// Release uploads, covers and avatars and owners' downloads with the media in an S3 bucket (a
/// real SeaweedFS on loopback): the very test bodies the local store runs (ReleaseUploadTests,
/// ImageServingTests, OwnerDownloadTests), then a look at the bucket; a data folder holding
/// all of them migrated to the bucket and served identically; credentials that may only read;
/// uploads cut off midway.
@Suite("Media on S3: release uploads, images, owners' downloads", .seaweedFS(buckets: [ObjectStorage.bucket]))
struct ObjectStorageMediaTests {
    // MARK: The local store's tests, on the bucket

    @Test("a ZIP release (three tracks, a cover) uploaded to the bucket: originals and cover files in it, whole, nothing in the data folder")
    func releaseUpload() async throws {
        let bucket = try BucketCheck()
        try await ReleaseUploadTests.zipWithDescription(bucket.service)
        let keys = try await bucket.expectEverythingInBucket()
        #expect(keys.filter { $0.hasPrefix("originals/") }.count == 3, "\(keys)")
        #expect(keys.filter { $0.hasPrefix("media/") }.count == 6, "\(keys)")
        #expect(keys.filter { $0.hasPrefix("images/") }.count == 8, "four sizes, JPEG and WebP: \(keys)")
    }

    @Test("a failed track's file replaced in the bucket: the new original under a new key, the failed one removed")
    func failedTrackReplaced() async throws {
        let bucket = try BucketCheck()
        try await ReleaseUploadTests.failedTrackReplaced(bucket.service)
        let keys = try await bucket.expectEverythingInBucket()
        #expect(keys.filter { $0.hasPrefix("originals/") }.count == 2, "\(keys)")
    }

    @Test("an avatar rendered into the bucket and served from it by hash, JPEG or WebP")
    func avatar() async throws {
        let bucket = try BucketCheck()
        try await ImageServingTests.avatarServed(bucket.service)
        let keys = try await bucket.expectEverythingInBucket()
        #expect(keys.filter { $0.hasPrefix("images/") }.count == 4, "two sizes, JPEG and WebP: \(keys)")
    }

    @Test("a release's cover set into the bucket")
    func releaseCover() async throws {
        let bucket = try BucketCheck()
        try await ImageServingTests.releaseCover(bucket.service)
        let keys = try await bucket.expectEverythingInBucket()
        #expect(keys.filter { $0.hasPrefix("images/") }.count == 8, "\(keys)")
    }

    @Test("refused pictures store nothing in the bucket")
    func hostilePictures() async throws {
        let bucket = try BucketCheck()
        try await ImageServingTests.hostilePictures(bucket.service)
        let keys = try await bucket.expectEverythingInBucket(named: false)
        #expect(keys.isEmpty, "\(keys)")
    }

    @Test("owners' downloads from the bucket: tagged Opus sample-exact with the stored rendition, the original, the release ZIP; no copy left in the work folder")
    func ownerDownloads() async throws {
        let bucket = try BucketCheck { $0.paymentWebhookSecret = WebhookSecrets.current }
        try await OwnerDownloadTests.downloads(bucket.service)
        try await bucket.expectEverythingInBucket()
    }

    // MARK: Migration with images

    struct Seen: Equatable, CustomStringConvertible {
        var path: String
        var status: Int
        var headers: [String]
        var body: Data
        var description: String { "\(path): \(status) \(body.count) bytes" }
    }

    /// What the listener (an owner) and a visitor see of the release: each track's original,
    /// its standard rendition whole and in a range, its tagged download, the release's ZIP,
    /// and every size of the cover and the avatar as JPEG and as WebP.
    static func observe(_ api: TestAPI, release: String, tracks: [String], images: [String], token: String) async throws -> [Seen] {
        var requests: [(String, HTTPFields)] = []
        for id in tracks {
            let range: HTTPFields = [.range: "bytes=1000-40000"]
            requests += [
                ("/api/v1/tracks/\(id)/original", HTTPFields()), ("/api/v1/tracks/\(id)/audio/standard", HTTPFields()),
                ("/api/v1/tracks/\(id)/audio/standard", range), ("/api/v1/tracks/\(id)/download", HTTPFields()),
            ]
        }
        requests.append(("/api/v1/releases/\(release)/download", HTTPFields()))
        for url in images {
            let webp: HTTPFields = [.accept: "image/webp"]
            requests += [(url, HTTPFields()), (url, webp)]
        }
        var seen: [Seen] = []
        for (path, headers) in requests {
            let response = try await api.request(.get, path, token: token, headers: headers)
            let kept: [HTTPField.Name] = [.contentType, .contentLength, .contentRange, .contentDisposition, .eTag]
            seen.append(Seen(
                path: path + (headers[.range].map { " " + $0 } ?? "") + (headers[.accept].map { " " + $0 } ?? ""),
                status: Int(response.status.code), headers: kept.map { response.headers[$0] ?? "-" }, body: Data(buffer: response.body)))
        }
        return seen
    }

    @Test("a data folder with a release, its cover and an avatar migrated to the bucket: every track, image and owner download byte for byte as before")
    func migrateWithImages() async throws {
        let storage = try ObjectStorage()
        let local = TestService.withPayments()
        let data = local.configuration.dataDirectory
        struct Made: Sendable {
            var release: String
            var tracks: [String]
            var images: [String]
            var listener: TestAPI.Account
            var seen: [Seen]
        }
        let made = try await local.run { api in
            let ada = try await api.account("ada", role: "artist")
            let lena = try await api.account("lena")
            let folder = Fixtures.scratch("migrate-images")
            _ = try await ReleaseFiles.flac(in: folder, named: "1 Dawn.flac", seconds: 1.5, frequency: 330)
            _ = try await ReleaseFiles.flac(in: folder, named: "2 Dusk.flac", seconds: 1, frequency: 550)
            _ = try await ReleaseFiles.picture(in: folder, named: "cover.jpg")
            try JSONSerialization.data(withJSONObject: ["title": "Day Cycle", "releaseDate": "2026-03-01"])
                .write(to: folder.appendingPathComponent("release.json"))
            let archive = folder.appendingPathComponent("upload.zip").path
            try await ReleaseFiles.zip(["1 Dawn.flac", "2 Dusk.flac", "cover.jpg", "release.json"], in: folder, to: archive)
            let upload = try await api.uploadRelease(body: ByteBuffer(bytes: try ReleaseFiles.bytes(archive)), contentType: "application/zip", by: ada)
            #expect(upload.status == .accepted, "\(String(buffer: upload.body))")
            let accepted = try upload.json()
            let release = try #require(accepted["releaseID"] as? String)
            let tracks = try #require((accepted["tracks"] as? [[String: Any]])?.compactMap { $0["id"] as? String })
            let cover = try #require((accepted["cover"] as? [String: Any])?["sizes"] as? [[String: Any]]).compactMap { $0["url"] as? String }
            let processed = try await api.waitUntilReleaseProcessed(release, token: ada.token)
            try #require(processed["status"] as? String == "ready", "\(processed)")
            #expect(try await api.request(.post, "/api/v1/releases/\(release)/publish", token: ada.token).status == .ok)
            #expect(try await api.deliver(TestAPI.paymentEvent(id: "evt_1", user: lena.id, amount: 5_000_000)).status == .ok)
            for track in tracks { try await OwnerDownloadTests.own(api, listener: lena, artist: ada, track: track) }
            let picture = try await ReleaseFiles.picture(in: folder, named: "me.png", width: 640, height: 480)
            let avatar = try await api.request(.put, "/api/v1/artists/\(ada.id)/avatar", token: ada.token,
                                               headers: [.contentType: "image/png"], body: ByteBuffer(bytes: try ReleaseFiles.bytes(picture)))
            #expect(avatar.status == .ok, "\(String(buffer: avatar.body))")
            let avatarURLs = try #require(try avatar.json()["sizes"] as? [[String: Any]]).compactMap { $0["url"] as? String }
            let images = cover + avatarURLs
            #expect(images.count == 6)
            let seen = try await Self.observe(api, release: release, tracks: tracks, images: images, token: lena.token)
            return Made(release: release, tracks: tracks, images: images, listener: lena, seen: seen)
        }
        #expect(made.seen.allSatisfy { $0.status == 200 || $0.status == 206 }, "\(made.seen)")

        // Two originals, four renditions, the cover's eight files and the avatar's four.
        let first = try await ObjectStorageTests.migrate(["--data", data, "--to", storage.text])
        #expect(first.filter { $0.hasSuffix(": copied, hash checked") }.count == 18, "\(first)")
        #expect(first.filter { $0.contains(" images/") && $0.hasSuffix(": copied, hash checked") }.count == 12, "\(first)")
        let second = try await ObjectStorageTests.migrate(["--data", data, "--to", storage.text])
        #expect(second.filter { $0.hasSuffix(": already there, hash checked") }.count == 18, "\(second)")

        // The local copies go, so whatever the service serves now comes from the bucket.
        for folder in ["originals", "media", "images"] {
            try FileManager.default.removeItem(atPath: "\(data)/\(folder)")
        }
        var fromBucket = local
        fromBucket.configuration.media = storage.location
        fromBucket.configuration.mediaEnvironment = [:]
        let after = try await fromBucket.run { api in
            let seen = try await Self.observe(api, release: made.release, tracks: made.tracks, images: made.images, token: made.listener.token)
            #expect(try await api.metric("tutti_sendfile_responses_total") == 0, "nothing is sent from a local file")
            #expect(try api.leftovers().isEmpty, "no fetched copy left in the work folder")
            return seen
        }
        #expect(after.count == made.seen.count)
        for (was, now) in zip(made.seen, after) {
            #expect(now == was, "\(was.path): \(now) after the migration, \(was) before")
        }
    }

    // MARK: Hostile stores and clients

    @Test("credentials that may read but not write (a read-only SeaweedFS identity): every upload route answers 503 read-only with Retry-After; stored media still serve; nothing is added")
    func readOnlyIdentity() async throws {
        let writer = try ObjectStorage()
        let service = TestService(storage: writer)
        struct Stored: Sendable {
            var artist: TestAPI.Account
            var track: String
            var standard: Data
        }
        let stored = try await service.run { api in
            let artist = try await api.account("ada", role: "artist")
            let track = try await api.publishedTrack(Fixtures.media("sine-1000-48000-mono.wav"), title: "Kept", by: artist)
            let standard = Data(buffer: try await api.request(.get, "/api/v1/tracks/\(track)/audio/standard", token: artist.token).body)
            return Stored(artist: artist, track: track, standard: standard)
        }
        let keysBefore = try await writer.keys()

        // A second identity that may read and list only, added to the running SeaweedFS.
        let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).uppercased()
        let (accessKey, secretKey) = ("READ\(suffix)", UUID().uuidString + UUID().uuidString)
        _ = try await writer.weed.shell("s3.configure -user=reader\(suffix.lowercased()) -access_key=\(accessKey) -secret_key=\(secretKey) -actions=Read,List -apply")
        let reader = try ObjectStorage(prefix: String(writer.prefix.dropLast()), identity: (accessKey, secretKey))
        var readOnly = service
        readOnly.configuration.media = reader.location
        try await readOnly.run { api in
            // The identity is in force once the gateway has it: a read through it succeeds.
            try await waitUntil("the read-only identity to be accepted") {
                let response = try await api.request(.get, "/api/v1/tracks/\(stored.track)/audio/standard", token: stored.artist.token)
                return response.status == .ok
            }
            let stream = try await api.request(.get, "/api/v1/tracks/\(stored.track)/audio/standard", token: stored.artist.token)
            #expect(Data(buffer: stream.body) == stored.standard, "what was stored still streams")

            let count = { @Sendable () async throws -> [Int] in
                try await api.services.database.read { db in
                    [try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM releases") ?? -1, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tracks") ?? -1]
                }
            }
            let rowsBefore = try await count()
            let folder = Fixtures.scratch("read-only")
            let flac = try await ReleaseFiles.flac(in: folder, named: "a.flac")
            let picture = try ReleaseFiles.bytes(try await ReleaseFiles.picture(in: folder, named: "me.jpg"))
            let (form, type) = ReleaseFiles.form([("files", "a.flac", try ReleaseFiles.bytes(flac)), ("description", nil, Array(#"{"title": "Never"}"#.utf8))])
            let refusals = [
                try await api.request(.post, "/api/v1/tracks?title=Refused", token: stored.artist.token, body: ByteBuffer(bytes: try ReleaseFiles.bytes(flac))),
                try await api.uploadRelease(body: form, contentType: type, by: stored.artist),
                try await api.request(.put, "/api/v1/artists/\(stored.artist.id)/avatar", token: stored.artist.token,
                                      headers: [.contentType: "image/jpeg"], body: ByteBuffer(bytes: picture)),
            ]
            for refused in refusals {
                #expect(refused.status == .serviceUnavailable, "\(String(buffer: refused.body))")
                #expect(refused.headers[.retryAfter] == "60")
                #expect(try refused.problem()["title"] as? String == "Media store read-only")
            }
            let values = try await api.metrics().values
            #expect(values["tutti_media_store_failures_total{operation=\"write\",kind=\"read-only\"}"] == 3,
                    "\(values.filter { $0.key.hasPrefix("tutti_media_store") })")
            #expect(try api.leftovers().isEmpty)
            #expect(try await count() == rowsBefore, "no release and no track recorded for a refused upload")
        }
        #expect(try await writer.keys() == keysBefore, "nothing added, nothing lost")
    }

    @Test("uploads cut off midway (the client goes away mid-body): nothing in the bucket, nothing staged, nothing left in the data folder")
    func interruptedUploads() async throws {
        let bucket = try BucketCheck()
        try await bucket.service.run { api in
            let artist = try await api.account("ada", role: "artist")
            let folder = Fixtures.scratch("interrupted")
            let flac = try ReleaseFiles.bytes(try await ReleaseFiles.flac(in: folder, named: "long.flac", seconds: 20))
            let (form, type) = ReleaseFiles.form([("files", "long.flac", flac)])
            let formBytes = Data(buffer: form)
            for (path, contentType, body) in [
                ("/api/v1/tracks?title=Cut", "audio/flac", Data(flac)), ("/api/v1/release-uploads", type, formBytes),
            ] {
                let connection = try RawConnection(port: api.port)
                let head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(artist.token)\r\n"
                    + "Content-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n\r\n"
                #expect(connection.send(Data(head.utf8) + body.prefix(body.count / 2)))
                // The receiver has the first half in its uploads folder; then the client is gone.
                try await waitUntil("the upload to be half received") {
                    let files = (try? FileManager.default.contentsOfDirectory(atPath: api.configuration.uploadsDirectory)) ?? []
                    return !files.isEmpty
                }
                connection.abort()
                try await waitUntil("the partial upload to be removed") { try api.leftovers().isEmpty }
            }
            let (releases, tracks) = try await api.services.database.read { db in
                (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM releases") ?? -1, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tracks") ?? -1)
            }
            #expect(releases == 0 && tracks == 0, "nothing recorded: \(releases), \(tracks)")
        }
        let keys = try await bucket.expectEverythingInBucket(named: false)
        #expect(keys.isEmpty, "\(keys)")
    }
}
