import Foundation
import HTTPTypes
import MediaStore
import NIOCore
import Testing
import TuttiTestSupport
@testable import TuttiServer

@Suite("Covers and avatars: rendered in a child, served immutable by hash")
struct ImageServingTests {
    /// exiftool groups that describe the file itself, not where it came from.
    static let structuralGroups: Set<String> = ["SourceFile", "ExifTool", "System", "File", "JFIF", "RIFF", "Composite"]

    @Test("an avatar from a PNG with GPS EXIF: every size as JPEG and WebP (chosen by Accept), strong ETag, immutable, no GPS left")
    func avatarServed() async throws {
        try await Self.avatarServed(TestService())
    }

    /// The test on `service` (local here; on S3 in ObjectStorageMediaTests).
    static func avatarServed(_ service: TestService) async throws {
        try await service.run { api in
            let artist = try await api.account("ada", role: "artist")
            let folder = Fixtures.scratch("avatar")
            let png = try await ReleaseFiles.picture(in: folder, named: "me.png", width: 640, height: 480)
            let tagging = try await ThirdPartyTools.run("exiftool", ["-overwrite_original", "-GPSLatitude=48.8584", "-GPSLatitudeRef=N",
                                                                     "-GPSLongitude=2.2945", "-GPSLongitudeRef=E", "-EXIF:Make=SecretCam", png])
            #expect(tagging.status == 0, "\(tagging.stderr)")
            let before = try await ThirdPartyTools.run("exiftool", ["-G1", "-s", png])
            #expect(before.stdout.contains("GPS"), "the fixture has no GPS block: \(before.stdout)")

            let response = try await api.request(.put, "/api/v1/artists/\(artist.id)/avatar", token: artist.token,
                                                 headers: [.contentType: "image/png"], body: ByteBuffer(bytes: try ReleaseFiles.bytes(png)))
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let image = try response.json()
            #expect(image["kind"] as? String == "avatar")
            #expect(image["sourceWidth"] as? Int == 640)
            let sizes = try #require(image["sizes"] as? [[String: Any]])
            #expect(sizes.map { $0["size"] as? Int } == [400, 96])
            // The profile names the picture by its largest JPEG's hash, which is that size's URL.
            let profile = try await api.services.profiles.profile(artistID: artist.id)
            #expect(profile?.avatarImage == image["id"] as? String)
            #expect(sizes.first?["url"] as? String == "/api/v1/images/\(image["id"] as? String ?? "")")
            let shown = try await api.request(.get, "/api/v1/artists/\(artist.id)", token: artist.token).json()
            #expect((shown["avatarSizes"] as? [[String: Any]])?.map { $0["url"] as? String } == sizes.map { $0["url"] as? String })

            for size in sizes {
                let url = try #require(size["url"] as? String)
                let hash = String(url.split(separator: "/").last ?? "")
                let jpeg = try await api.request(.get, url)
                #expect(jpeg.status == .ok)
                #expect(jpeg.headers[.contentType] == "image/jpeg")
                #expect(jpeg.headers[.eTag] == "\"\(hash)\"")
                #expect(jpeg.headers[.cacheControl] == "public, max-age=31536000, immutable")
                #expect(jpeg.headers[.vary] == "Accept")
                let webp = try await api.request(.get, url, headers: [.accept: "image/avif,image/webp,*/*;q=0.8"])
                #expect(webp.headers[.contentType] == "image/webp")
                #expect(webp.headers[.vary] == "Accept")
                let etag = try #require(webp.headers[.eTag])
                #expect(etag != jpeg.headers[.eTag])
                let notModified = try await api.request(.get, url, headers: [.accept: "image/webp", .ifNoneMatch: etag])
                #expect(notModified.status == .notModified)
                #expect(notModified.body.readableBytes == 0)
                // Each file is named by its bytes, and carries nothing but pixels.
                for (served, name) in [(jpeg, "a.jpg"), (webp, "a.webp")] {
                    let path = folder.appendingPathComponent("\(size["size"] as? Int ?? 0)-\(name)")
                    try Data(buffer: served.body).write(to: path)
                    let digest = try await ThirdPartyTools.run("sha256sum", [path.path])
                    #expect(served.headers[.eTag] == "\"\(digest.stdout.prefix(64))\"")
                    let tags = try await ThirdPartyTools.run("exiftool", ["-j", "-G1", path.path])
                    let object = try #require((try JSONSerialization.jsonObject(with: Data(tags.stdout.utf8)) as? [[String: Any]])?.first)
                    let groups = Set(object.keys.compactMap { $0.split(separator: ":").first.map(String.init) })
                    #expect(groups.isSubset(of: Self.structuralGroups), "\(name) keeps \(groups.subtracting(Self.structuralGroups).sorted())")
                    #expect(!tags.stdout.contains("48.8") && !tags.stdout.contains("SecretCam"))
                }
            }
            let missing = try await api.request(.get, "/api/v1/images/\(String(repeating: "0", count: 64))")
            #expect(missing.status == .notFound)
            _ = try missing.problem()
            // The upload is not kept: only the rendered files are stored.
            #expect(try api.leftovers().isEmpty)
        }
    }

    @Test("a release's cover: set by its artist, named on the release, refused to others")
    func releaseCover() async throws {
        try await Self.releaseCover(TestService())
    }

    /// The test on `service` (local here; on S3 in ObjectStorageMediaTests).
    static func releaseCover(_ service: TestService) async throws {
        try await service.run { api in
            let artist = try await api.account("ada", role: "artist")
            let created = try await api.request(.post, "/api/v1/releases", token: artist.token, json: ["title": "Covered", "type": "single"])
            #expect(created.status == .created, "\(String(buffer: created.body))")
            let releaseID = try #require(try created.json()["id"] as? String)
            let folder = Fixtures.scratch("release-cover")
            let jpeg = try ReleaseFiles.bytes(try await ReleaseFiles.picture(in: folder, named: "cover.jpg", width: 1500, height: 1000))
            let (body, type) = ReleaseFiles.form([("file", "cover.jpg", jpeg)])
            let set = try await api.request(.put, "/api/v1/releases/\(releaseID)/cover", token: artist.token, headers: [.contentType: type], body: body)
            #expect(set.status == .ok, "\(String(buffer: set.body))")
            let image = try set.json()
            #expect((image["sizes"] as? [[String: Any]])?.map { $0["size"] as? Int } == [1200, 600, 300, 96])
            let release = try await api.request(.get, "/api/v1/releases/\(releaseID)", token: artist.token).json()
            #expect(release["coverImage"] as? String == image["id"] as? String)
            // The release names each size's URL (the pages pick one), the same as the answer did,
            // in its detail and in the artist's listing; each URL serves a picture of that size.
            let sizes = try #require(image["sizes"] as? [[String: Any]])
            let urls = sizes.map { $0["url"] as? String }
            #expect((release["coverSizes"] as? [[String: Any]])?.map { $0["url"] as? String } == urls)
            #expect((release["coverSizes"] as? [[String: Any]])?.map { $0["size"] as? Int } == [1200, 600, 300, 96])
            let listed = try await api.request(.get, "/api/v1/releases?artist=\(artist.id)", token: artist.token).json()
            let item = try #require((listed["items"] as? [[String: Any]])?.first)
            #expect((item["coverSizes"] as? [[String: Any]])?.map { $0["url"] as? String } == urls)
            for size in sizes {
                let served = try await api.request(.get, try #require(size["url"] as? String))
                let path = folder.appendingPathComponent("served-\(size["size"] as? Int ?? 0).jpg")
                try Data(buffer: served.body).write(to: path)
                let probe = try await ThirdPartyTools.run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", path.path])
                #expect(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "\(size["size"] as? Int ?? 0),\(size["size"] as? Int ?? 0)")
            }
            let bare = try await api.request(.post, "/api/v1/releases", token: artist.token, json: ["title": "Bare", "type": "single"]).json()
            #expect((bare["coverSizes"] as? [Any])?.isEmpty == true, "a release without a cover lists no sizes")

            let other = try await api.account("bela", role: "artist")
            let hidden = try await api.request(.put, "/api/v1/releases/\(releaseID)/cover", token: other.token, body: ByteBuffer(bytes: jpeg))
            #expect(hidden.status == .notFound)
            _ = try hidden.problem()
        }
    }

    @Test("a header declaring 100,000 × 100,000 pixels and a truncated JPEG are refused; nothing is stored")
    func hostilePictures() async throws {
        try await Self.hostilePictures(TestService())
    }

    /// The test on `service` (local here; on S3 in ObjectStorageMediaTests).
    static func hostilePictures(_ service: TestService) async throws {
        try await service.run { api in
            let artist = try await api.account("ada", role: "artist")
            let huge = try await api.request(.put, "/api/v1/artists/\(artist.id)/avatar", token: artist.token,
                                             body: ByteBuffer(bytes: DeclaredPNG.make(width: 100_000, height: 100_000)))
            #expect(huge.status == .unprocessableContent)
            #expect((try huge.problem()["detail"] as? String)?.contains("megapixels") == true)

            let folder = Fixtures.scratch("truncated-jpeg")
            let jpeg = try ReleaseFiles.bytes(try await ReleaseFiles.picture(in: folder, named: "whole.jpg", width: 1600, height: 1200))
            let truncated = Array(jpeg.prefix(jpeg.count / 2))
            let cut = try await api.request(.put, "/api/v1/artists/\(artist.id)/avatar", token: artist.token,
                                            headers: [.contentType: "image/jpeg"], body: ByteBuffer(bytes: truncated))
            #expect(cut.status == .unprocessableContent, "\(String(buffer: cut.body))")
            #expect((try cut.problem()["detail"] as? String)?.contains("damaged or truncated") == true)

            let text = try await api.request(.put, "/api/v1/artists/\(artist.id)/avatar", token: artist.token, body: ByteBuffer(string: "<svg></svg>"))
            #expect(text.status == .unsupportedMediaType)
            _ = try text.problem()

            let other = try await api.account("bela", role: "artist")
            let foreign = try await api.request(.put, "/api/v1/artists/\(artist.id)/avatar", token: other.token, body: ByteBuffer(bytes: jpeg))
            #expect(foreign.status == .forbidden)

            let images = try await api.services.store.list(prefix: "images/").collect().map(\.key)
            #expect(images.isEmpty, "\(images)")
            #expect(try api.leftovers().isEmpty)
        }
    }
}
