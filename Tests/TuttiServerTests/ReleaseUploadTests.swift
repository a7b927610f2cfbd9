import Foundation
import GRDB
import HTTPTypes
import MediaStore
import NIOCore
import Testing
import TuttiTestSupport
@testable import TuttiServer

@Suite("Whole-release uploads")
struct ReleaseUploadTests {
    @Test("a ZIP with release.json, three tracks and a cover becomes a draft release whose tracks all become ready, in the described order")
    func zipWithDescription() async throws {
        try await Self.zipWithDescription(TestService())
    }

    /// The test on `service` (local here; on S3 in ObjectStorageMediaTests).
    static func zipWithDescription(_ service: TestService) async throws {
        try await service.run { api in
            let artist = try await api.account("ada", role: "artist")
            let folder = Fixtures.scratch("release-zip")
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("Album"), withIntermediateDirectories: true)
            _ = try await ReleaseFiles.flac(in: folder, named: "Album/a.flac", frequency: 330)
            _ = try await ReleaseFiles.flac(in: folder, named: "Album/b.flac", frequency: 440)
            _ = try await ReleaseFiles.flac(in: folder, named: "Album/c.flac", frequency: 550)
            _ = try await ReleaseFiles.picture(in: folder, named: "Album/cover.png")
            try Data("notes".utf8).write(to: folder.appendingPathComponent("Album/notes.txt"))
            let description: [String: Any] = [
                "title": "Tides", "type": "ep", "releaseDate": "2026-05-01", "licence": "CC-BY-4.0", "genres": ["ambient"],
                "tracks": [["file": "c.flac", "title": "Low Tide"], ["file": "a.flac", "title": "High Tide"], ["file": "Album/b.flac"]],
            ]
            try JSONSerialization.data(withJSONObject: description).write(to: folder.appendingPathComponent("Album/release.json"))
            let archive = folder.appendingPathComponent("release.zip").path
            try await ReleaseFiles.zip(["Album"], in: folder, to: archive)

            let response = try await api.uploadRelease(body: ByteBuffer(bytes: try ReleaseFiles.bytes(archive)), contentType: "application/zip", by: artist)
            #expect(response.status == .accepted, "\(String(buffer: response.body))")
            let accepted = try response.json()
            #expect(accepted["orderFrom"] as? String == "description")
            let tracks = try #require(accepted["tracks"] as? [[String: Any]])
            #expect(tracks.map { $0["title"] as? String } == ["Low Tide", "High Tide", "b"])
            #expect(tracks.map { $0["trackNumber"] as? Int } == [1, 2, 3])
            #expect(tracks.map { $0["file"] as? String } == ["Album/c.flac", "Album/a.flac", "Album/b.flac"])
            #expect(accepted["ignored"] as? [String] == ["Album/notes.txt"])
            let cover = try #require(accepted["cover"] as? [String: Any])
            #expect((cover["sizes"] as? [[String: Any]])?.map { $0["size"] as? Int } == [1200, 600, 300, 96])
            let releaseID = try #require(accepted["releaseID"] as? String)
            #expect(response.headers[.location] == "/api/v1/releases/\(releaseID)/processing")

            let processed = try await api.waitUntilReleaseProcessed(releaseID, token: artist.token)
            #expect(processed["status"] as? String == "ready", "\(processed)")
            #expect((processed["tracks"] as? [[String: Any]])?.allSatisfy { $0["progress"] as? Int == 100 } == true)

            let release = try await api.request(.get, "/api/v1/releases/\(releaseID)", token: artist.token).json()
            #expect(release["title"] as? String == "Tides")
            #expect(release["type"] as? String == "ep")
            #expect(release["licence"] as? String == "CC-BY-4.0")
            #expect(release["published"] as? Bool == false)
            #expect(release["coverImage"] as? String == (cover["id"] as? String))
            #expect((release["tracks"] as? [[String: Any]])?.map { $0["title"] as? String } == ["Low Tide", "High Tide", "b"])
            // The staging folder is gone; the originals are kept as tracks.
            #expect(try api.leftovers().isEmpty)
        }
    }

    @Test("a multipart form of tagged files is ordered by DISCNUMBER and TRACKNUMBER, titled by TITLE, named by the common ALBUM")
    func formOrderedByTags() async throws {
        try await TestService().run { api in
            let artist = try await api.account("ada", role: "artist")
            let folder = Fixtures.scratch("release-form")
            let first = try await ReleaseFiles.flac(in: folder, named: "x.flac", tags: ["title": "Opening", "track": "1", "disc": "1", "album": "Béla's Set"])
            let last = try await ReleaseFiles.flac(in: folder, named: "y.flac", tags: ["title": "Closing", "track": "1", "disc": "2", "album": "Béla's Set"])
            let middle = try await ReleaseFiles.flac(in: folder, named: "z.flac", tags: ["title": "Middle", "track": "2/2", "disc": "1", "album": "Béla's Set"])
            let (body, type) = ReleaseFiles.form([
                ("files", "y.flac", try ReleaseFiles.bytes(last)), ("files", "z.flac", try ReleaseFiles.bytes(middle)),
                ("files", "x.flac", try ReleaseFiles.bytes(first)),
            ])
            let response = try await api.uploadRelease(body: body, contentType: type, by: artist)
            #expect(response.status == .accepted, "\(String(buffer: response.body))")
            let accepted = try response.json()
            #expect(accepted["orderFrom"] as? String == "tags")
            let tracks = try #require(accepted["tracks"] as? [[String: Any]])
            #expect(tracks.map { "\($0["discNumber"] as? Int ?? 0).\($0["trackNumber"] as? Int ?? 0) \($0["title"] as? String ?? "")" }
                    == ["1.1 Opening", "1.2 Middle", "2.1 Closing"])
            let releaseID = try #require(accepted["releaseID"] as? String)
            let release = try await api.request(.get, "/api/v1/releases/\(releaseID)", token: artist.token).json()
            #expect(release["title"] as? String == "Béla's Set")
            #expect(release["type"] as? String == "album")
            _ = try await api.waitUntilReleaseProcessed(releaseID, token: artist.token)
        }
    }

    @Test("a track that fails says why; replacing its file makes the release ready without uploading the rest")
    func failedTrackReplaced() async throws {
        try await Self.failedTrackReplaced(TestService())
    }

    /// The test on `service` (local here; on S3 in ObjectStorageMediaTests).
    static func failedTrackReplaced(_ service: TestService) async throws {
        try await service.run { api in
            let artist = try await api.account("ada", role: "artist")
            let folder = Fixtures.scratch("release-failed")
            let good = try await ReleaseFiles.flac(in: folder, named: "01 Good.flac")
            // A WAV whose header promises far more audio than it holds: refused as truncated by the transcoder.
            var truncated = try ReleaseFiles.bytes(Fixtures.media("sine-1000-48000-mono.wav"))
            truncated.removeLast(truncated.count / 2)
            let (body, type) = ReleaseFiles.form([
                ("files", "01 Good.flac", try ReleaseFiles.bytes(good)), ("files", "02 Broken.wav", truncated),
                ("description", nil, Array(#"{"title": "Half"}"#.utf8)),
            ])
            let response = try await api.uploadRelease(body: body, contentType: type, by: artist)
            #expect(response.status == .accepted, "\(String(buffer: response.body))")
            let accepted = try response.json()
            #expect(accepted["orderFrom"] as? String == "fileNames")
            let releaseID = try #require(accepted["releaseID"] as? String)
            let tracks = try #require(accepted["tracks"] as? [[String: Any]])
            #expect(tracks.map { $0["title"] as? String } == ["Good", "Broken"])
            let brokenID = try #require(tracks.last?["id"] as? String)

            let failed = try await api.waitUntilReleaseProcessed(releaseID, token: artist.token)
            #expect(failed["status"] as? String == "failed")
            let states = try #require(failed["tracks"] as? [[String: Any]])
            #expect(states.map { $0["status"] as? String } == ["ready", "failed"])
            #expect((states.last?["failureReason"] as? String)?.contains("truncated") == true, "\(states)")

            // Not failed: refused.
            let goodID = try #require(tracks.first?["id"] as? String)
            let refused = try await api.request(.put, "/api/v1/releases/\(releaseID)/tracks/\(goodID)/audio", token: artist.token,
                                                body: ByteBuffer(bytes: try ReleaseFiles.bytes(good)))
            #expect(refused.status == .conflict)
            _ = try refused.problem()
            // Someone else's release: refused.
            let other = try await api.account("bela", role: "artist")
            let foreign = try await api.request(.put, "/api/v1/releases/\(releaseID)/tracks/\(brokenID)/audio", token: other.token,
                                                body: ByteBuffer(bytes: try ReleaseFiles.bytes(good)))
            #expect(foreign.status == .notFound)

            let brokenOriginal = try MediaKey(try #require(try await api.services.tracks.track(id: brokenID)).originalPath)
            #expect(try await api.services.store.info(brokenOriginal) != nil)
            let replaced = try await api.request(.put, "/api/v1/releases/\(releaseID)/tracks/\(brokenID)/audio", token: artist.token,
                                                 body: ByteBuffer(bytes: try ReleaseFiles.bytes(Fixtures.media("sine-1000-48000-mono.wav"))))
            #expect(replaced.status == .accepted, "\(String(buffer: replaced.body))")
            // The replacement is stored under a new key and the failed original is removed.
            let replacement = try #require(try await api.services.tracks.track(id: brokenID)).originalPath
            #expect(replacement != brokenOriginal.rawValue)
            #expect(try await api.services.store.info(try MediaKey(replacement))?.size == Int64(try ReleaseFiles.bytes(Fixtures.media("sine-1000-48000-mono.wav")).count))
            #expect(try await api.services.store.info(brokenOriginal) == nil, "the failed original is removed")
            let ready = try await api.waitUntilReleaseProcessed(releaseID, token: artist.token)
            #expect(ready["status"] as? String == "ready", "\(ready)")
            #expect((ready["tracks"] as? [[String: Any]])?.map { $0["id"] as? String } == [goodID, brokenID])
        }
    }

    /// Hostile archives through the upload route: each refused with a problem naming why,
    /// nothing left in the uploads or work folders, no release made.
    @Test("hostile archives are refused and leave nothing behind", arguments: [
        ("traversal", "zipfile.ZipFile(out, 'w').writestr('../../evil.wav', b'RIFF')", "unsafe path"),
        ("absolute", "zipfile.ZipFile(out, 'w').writestr('/etc/evil.wav', b'RIFF')", "unsafe path"),
        ("symlink", """
            z = zipfile.ZipFile(out, 'w')
            i = zipfile.ZipInfo('link.wav'); i.create_system = 3; i.external_attr = (0o120777 << 16)
            z.writestr(i, '/etc/passwd'); z.close()
            """, "link"),
        ("bomb", """
            z = zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED)
            with z.open('bomb.wav', 'w', force_zip64=True) as f:
                block = bytes(1 << 20)
                for _ in range(512): f.write(block)
            z.close()
            """, "expands more than"),
        ("entries", """
            z = zipfile.ZipFile(out, 'w')
            for n in range(100001): z.writestr('f%d' % n, b'')
            z.close()
            """, "100001 entries"),
    ])
    func hostileArchives(name: String, script: String, reason: String) async throws {
        try await TestService().run { api in
            let artist = try await api.account("ada", role: "artist")
            let archive = Fixtures.scratch("hostile-\(name)").appendingPathComponent("\(name).zip").path
            try await ReleaseFiles.python(script, archive: archive)
            let response = try await api.uploadRelease(body: ByteBuffer(bytes: try ReleaseFiles.bytes(archive)), contentType: "application/zip", by: artist)
            #expect(response.status == .unprocessableContent, "\(String(buffer: response.body))")
            let problem = try response.problem()
            #expect((problem["detail"] as? String)?.contains(reason) == true, "\(problem)")
            #expect(try api.leftovers().isEmpty)
            let releases = try await api.services.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM releases") }
            #expect(releases == 0)
        }
    }

    @Test("a form part's filename is a name only: '../' and absolute paths never reach the file system")
    func formFilenamesAreNames() async throws {
        try await TestService().run { api in
            let artist = try await api.account("ada", role: "artist")
            let folder = Fixtures.scratch("form-names")
            let audio = try ReleaseFiles.bytes(try await ReleaseFiles.flac(in: folder, named: "a.flac"))
            let (body, type) = ReleaseFiles.form([("files", "../../../../tmp/1 Escape.flac", audio), ("files", "/etc/2 Root.flac", audio),
                                              ("description", nil, Array(#"{"title": "Names"}"#.utf8))])
            let response = try await api.uploadRelease(body: body, contentType: type, by: artist)
            #expect(response.status == .accepted, "\(String(buffer: response.body))")
            let tracks = try #require(try response.json()["tracks"] as? [[String: Any]])
            #expect(tracks.map { $0["file"] as? String } == ["1 Escape.flac", "2 Root.flac"])
            #expect(tracks.map { $0["title"] as? String } == ["Escape", "Root"])
            #expect(!FileManager.default.fileExists(atPath: "/tmp/1 Escape.flac"))
            #expect(!FileManager.default.fileExists(atPath: "/etc/2 Root.flac"))
            // (Checked once processed: a running transcode has a work folder of its own.)
            _ = try await api.waitUntilReleaseProcessed(try #require(try response.json()["releaseID"] as? String), token: artist.token)
            #expect(try api.leftovers().isEmpty)
        }
    }

    @Test("a form whose 'files' part is not audio, or with no order to tell, is refused and leaves nothing behind")
    func refusedForms() async throws {
        try await TestService().run { api in
            let artist = try await api.account("ada", role: "artist")
            let folder = Fixtures.scratch("refused-form")
            let audio = try ReleaseFiles.bytes(try await ReleaseFiles.flac(in: folder, named: "a.flac"))
            let notAudio = ReleaseFiles.form([("files", "a.flac", audio), ("files", "b.flac", Array("just text, not audio".utf8))])
            let refused = try await api.uploadRelease(body: notAudio.body, contentType: notAudio.contentType, by: artist)
            #expect(refused.status == .unsupportedMediaType)
            #expect((try refused.problem()["detail"] as? String)?.contains("b.flac") == true)
            #expect(try api.leftovers().isEmpty)

            let unordered = ReleaseFiles.form([("files", "a.flac", audio), ("files", "b.flac", audio)])
            let unknown = try await api.uploadRelease(body: unordered.body, contentType: unordered.contentType, by: artist)
            #expect(unknown.status == .unprocessableContent)
            #expect((try unknown.problem()["detail"] as? String)?.contains("order cannot be told") == true)
            #expect(try api.leftovers().isEmpty)

            let badJSON = ReleaseFiles.form([("files", "a.flac", audio), ("description", nil, Array(#"{"licence": "GPL"}"#.utf8))])
            let invalid = try await api.uploadRelease(body: badJSON.body, contentType: badJSON.contentType, by: artist)
            #expect(invalid.status == .unprocessableContent)
            _ = try invalid.problem()
            #expect(try api.leftovers().isEmpty)

            // A form with no part at all (only its closing delimiter) is well formed, and empty.
            let empty = try await api.uploadRelease(body: ByteBuffer(string: "--b0undary--\r\n"), contentType: "multipart/form-data; boundary=b0undary", by: artist)
            #expect(empty.status == .unprocessableContent)
            #expect(try empty.problem()["title"] as? String == "No audio")
            let cut = try await api.uploadRelease(body: ByteBuffer(string: "--b0undary\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.flac\"\r\n\r\nfLaC"),
                                                  contentType: "multipart/form-data; boundary=b0undary", by: artist)
            #expect(cut.status == .badRequest)
            _ = try cut.problem()
            #expect(try api.leftovers().isEmpty)

            // Refused by a release rule after the originals were put in place: they go again.
            let badUPC = ReleaseFiles.form([("files", "a.flac", audio), ("description", nil, Array(#"{"title": "X", "upc": "123456789013"}"#.utf8))])
            let upc = try await api.uploadRelease(body: badUPC.body, contentType: badUPC.contentType, by: artist)
            #expect(upc.status == .unprocessableContent)
            _ = try upc.problem()
            #expect(try api.leftovers().isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: api.configuration.originalsDirectory).isEmpty)
            let releases = try await api.services.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM releases") }
            #expect(releases == 0)

            let listener = try await api.account("lena")
            let forbidden = try await api.uploadRelease(body: unordered.body, contentType: unordered.contentType, by: listener)
            #expect(forbidden.status == .forbidden)
            #expect(try api.leftovers().isEmpty)
        }
    }
}
