import Foundation
import HTTPTypes
import NIOCore
import Testing
@testable import TuttiServer
import TuttiTestSupport

/// The shared links of release, artist and public playlist pages, fetched as a link-preview
/// bot does: plain HTTP (curl), no script run, the `<head>` read by an HTML parser.
@Suite("Sharing: release, artist and playlist links carry preview tags in the HTML the server sends")
struct SharedPagesTests {
    /// What a bot gets for `path`: the status, the Content-Type and the meta tags (name or
    /// property → content, unescaped by Python's HTML parser) and the `<title>`.
    static func fetch(_ api: TestAPI, _ path: String) async throws -> (status: Int, contentType: String, tags: [String: String], html: String) {
        let folder = Fixtures.scratch("shared-page")
        let file = folder.appendingPathComponent("page.html")
        try? FileManager.default.removeItem(at: file)
        let curl = try await ThirdPartyTools.run("curl", ["-s", "-o", file.path, "-w", "%{http_code} %{content_type}",
                                                           "-A", "Mozilla/5.0 (compatible; LinkPreviewBot/1.0)", "\(api.baseURL)\(path)"])
        #expect(curl.status == 0, "curl: \(curl.stderr)")
        let parts = curl.stdout.split(separator: " ", maxSplits: 1).map(String.init)
        let parsed = try await ThirdPartyTools.run("python3", ["-c", SharingTests.metaTags + Self.titleTag, file.path])
        #expect(parsed.status == 0, "\(parsed.stderr)")
        let tags = Dictionary(parsed.stdout.split(separator: "\n").map { line -> (String, String) in
            let fields = line.split(separator: "\t", maxSplits: 1).map(String.init)
            return (fields[0], fields.count > 1 ? fields[1] : "")
        }, uniquingKeysWith: { first, _ in first })
        return (Int(parts.first ?? "") ?? 0, parts.count > 1 ? parts[1] : "", tags, try String(contentsOf: file, encoding: .utf8))
    }

    /// Prints the document's title as a `<title>` line, after the meta tags.
    static let titleTag = """

        class Title(HTMLParser):
            inside = False
            def handle_starttag(self, tag, attrs): self.inside = tag == 'title'
            def handle_endtag(self, tag): self.inside = False
            def handle_data(self, data):
                if self.inside: print('<title>\\t' + data)
        Title().feed(open(sys.argv[1], encoding='utf-8').read())
        """

    static let previewKeys = ["og:title", "og:description", "og:url", "og:type", "twitter:card", "twitter:title", "twitter:description"]

    @Test("a published release, an artist and a public playlist: title, description, image and URL, escaped; a draft, a private playlist, a listener and an unknown id: 404 and no tags")
    func previewTags() async throws {
        try await TestService().run { api in
            let ada = try await api.account("ada", role: "artist")
            let lena = try await api.account("lena")
            // A release with a cover, and text that must be escaped in an attribute.
            let (release, tracks) = try await BrowserTests.readyRelease(api, by: ada, title: "Tide & \"Tables\" <live>")
            let description = "Three tones for one day: <script>alert('x')</script> & \"more\"."
            #expect(try await api.request(.patch, "/api/v1/releases/\(release)", token: ada.token, json: ["description": description]).status == .ok)
            #expect(try await api.request(.post, "/api/v1/releases/\(release)/publish", token: ada.token).status == .ok)
            let bio = "Plays <cello> & sings \"low\"."
            #expect(try await api.request(.patch, "/api/v1/artists/\(ada.id)", token: ada.token, json: ["bio": bio]).status == .ok)
            let png = try await ReleaseFiles.picture(in: Fixtures.scratch("shared-avatar"), named: "me.png", width: 640, height: 480)
            #expect(try await api.request(.put, "/api/v1/artists/\(ada.id)/avatar", token: ada.token, headers: [.contentType: "image/png"],
                                          body: ByteBuffer(bytes: try ReleaseFiles.bytes(png))).status == .ok)
            let playlist = try #require(try await api.request(.post, "/api/v1/playlists", token: lena.token,
                                                              json: ["title": "Dusk <mix>", "description": "For \"late\" walks & trains.", "public": true]).json()["id"] as? String)
            for (version, track) in tracks.prefix(2).enumerated() {
                #expect(try await api.request(.post, "/api/v1/playlists/\(playlist)/tracks", token: lena.token, json: ["version": version + 1, "trackID": track]).status == .ok)
            }
            let cover = try #require(try await api.request(.get, "/api/v1/releases/\(release)").json()["coverSizes"] as? [[String: Any]])
            let largestCover = try #require(cover.first?["url"] as? String)
            let avatar = try #require(try await api.request(.get, "/api/v1/artists/\(ada.id)").json()["avatarSizes"] as? [[String: Any]])
            let largestAvatar = try #require(avatar.first?["url"] as? String)
            // The server names its own URLs from the Host the bot sent.
            let origin = api.baseURL

            let expected: [(path: String, title: String, description: String, image: String, type: String, card: String)] = [
                ("/releases/\(release)", "Tide & \"Tables\" <live> by ada", description, largestCover, "music.album", "player"),
                ("/artists/\(ada.id)", "ada", bio, largestAvatar, "profile", "summary_large_image"),
                ("/playlists/\(playlist)", "Dusk <mix>, a playlist by lena", "For \"late\" walks & trains.", largestCover, "music.playlist", "summary_large_image"),
            ]
            for page in expected {
                let got = try await Self.fetch(api, page.path)
                #expect(got.status == 200, "\(page.path)")
                #expect(got.contentType.hasPrefix("text/html"), "\(page.path): \(got.contentType)")
                #expect(got.tags["og:title"] == page.title && got.tags["twitter:title"] == page.title, "\(page.path): \(got.tags)")
                #expect(got.tags["og:description"] == page.description && got.tags["twitter:description"] == page.description, "\(page.path): \(got.tags)")
                #expect(got.tags["description"] == page.description)
                #expect(got.tags["og:url"] == origin + page.path, "\(page.path): \(got.tags)")
                #expect(got.tags["og:image"] == origin + page.image && got.tags["twitter:image"] == origin + page.image, "\(page.path): \(got.tags)")
                #expect(got.tags["og:type"] == page.type && got.tags["twitter:card"] == page.card, "\(page.path): \(got.tags)")
                #expect(got.tags["og:site_name"] == "Tutti")
                // Escaped: no markup from the data reaches the page as markup.
                #expect(!got.html.contains("<script>alert") && !got.html.contains("<live>") && !got.html.contains("<cello>") && !got.html.contains("<mix>"), "\(page.path)")
                // The picture a preview shows is there for a bot without a token.
                let picture = try await ThirdPartyTools.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code} %{content_type}", try #require(got.tags["og:image"])])
                #expect(picture.stdout == "200 image/jpeg", "\(page.path): \(picture.stdout)")
                // The page is still the application: its script and the oEmbed link are in it.
                #expect(got.html.contains("<script type=\"module\" src=\"/web/app.js\"></script>"))
                let oembed = "\(origin)/api/v1/oembed?url=" + TracksController.percentEncode(origin + page.path)
                #expect(got.html.contains("<link rel=\"alternate\" type=\"application/json+oembed\" href=\"\(oembed)\""), "\(page.path)")
                let embed = try await api.request(.get, String(oembed.dropFirst(origin.count)))
                #expect(embed.status == .ok, "\(page.path): \(String(buffer: embed.body))")
            }
            #expect(try await Self.fetch(api, "/releases/\(release)").tags["<title>"] == "Tide & \"Tables\" <live> · Tutti")
            #expect(try await Self.fetch(api, "/releases/\(release)").tags["twitter:player"] == "\(origin)/embed/releases/\(release)")

            // Nothing that is not public gives a preview: a 404, with the shell and no tags.
            let draft = try #require(try await api.request(.post, "/api/v1/releases", token: ada.token, json: ["title": "Secret draft", "type": "single"]).json()["id"] as? String)
            let privateList = try #require(try await api.request(.post, "/api/v1/playlists", token: lena.token, json: ["title": "Secret list"]).json()["id"] as? String)
            // A release taken down: its link gives nothing, and the playlist's preview loses its cover.
            #expect(try await api.request(.post, "/api/v1/releases/\(release)/unpublish", token: ada.token).status == .ok)
            let orphan = try await Self.fetch(api, "/playlists/\(playlist)")
            #expect(orphan.status == 200 && orphan.tags["og:title"] == "Dusk <mix>, a playlist by lena")
            #expect(orphan.tags["og:image"] == nil && orphan.tags["twitter:card"] == "summary", "\(orphan.tags)")
            for path in ["/releases/\(draft)", "/releases/\(release)", "/playlists/\(privateList)", "/artists/\(lena.id)",
                         "/releases/nope", "/artists/nope", "/playlists/nope", "/releases/%3Cx%3E"] {
                let got = try await Self.fetch(api, path)
                #expect(got.status == 404, "\(path)")
                #expect(got.contentType.hasPrefix("text/html"), "\(path): \(got.contentType)")
                #expect(Self.previewKeys.allSatisfy { got.tags[$0] == nil }, "\(path): \(got.tags)")
                #expect(got.tags["<title>"] == "Tutti", "\(path)")
                #expect(!got.html.contains("Secret") && !got.html.contains("Tables"), "\(path)")
            }
            // A private playlist gives no preview to its owner's link either (a bot has no token).
            #expect(try await api.request(.get, "/playlists/\(privateList)", token: lena.token).status == .notFound)
        }
    }
}
