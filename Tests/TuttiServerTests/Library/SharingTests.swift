import Foundation
import HTTPTypes
import Testing
@testable import TuttiServer
import TuttiTestSupport

@Suite("Sharing: the embeddable player may be framed (and nothing else), with preview tags; oEmbed")
struct SharingTests {
    @Test("/embed pages allow any frame ancestor and carry Open Graph and Twitter tags; every other page refuses framing")
    func embed() async throws {
        try await TestService().run { api in
            let ada = try await api.account("ada", role: "artist")
            let track = try await api.publishedTracks(1, by: ada, prefix: "Tide & <Moon>")[0]
            let release = try await api.releaseOf(track)
            for path in ["/embed/releases/\(release)", "/embed/tracks/\(track)"] {
                let page = try await api.request(.get, path)
                #expect(page.status == .ok, "\(path)")
                let policy = try #require(page.headers[.contentSecurityPolicy])
                #expect(policy.contains("frame-ancestors *"), "\(policy)")
                #expect(page.headers[.xFrameOptions] == nil)
                let html = String(buffer: page.body)
                // Python's HTML parser reads the tags back, unescaped.
                let file = Fixtures.scratch("embed").appendingPathComponent("page.html")
                try Data(html.utf8).write(to: file)
                let parsed = try await ThirdPartyTools.run("python3", ["-c", Self.metaTags, file.path])
                #expect(parsed.status == 0, "\(parsed.stderr)")
                let tags = Dictionary(parsed.stdout.split(separator: "\n").map { line -> (String, String) in
                    let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
                    return (parts[0], parts.count > 1 ? parts[1] : "")
                }, uniquingKeysWith: { first, _ in first })
                #expect(tags["og:title"] == "Tide & <Moon> 1 by ada", "\(tags)")
                #expect(tags["og:description"]?.isEmpty == false)
                #expect(tags["og:url"] == "http://localhost\(path)")
                #expect(tags["twitter:card"] == "player")
                #expect(tags["twitter:player"] == "http://localhost\(path)")
                #expect(html.contains("data-track=\"\(track)\""))
            }
            // Everything else keeps refusing to be framed.
            for path in ["/", "/web/app.js", "/api/v1/releases/\(release)", "/api/v1/oembed?url=x"] {
                let response = try await api.request(.get, path)
                #expect(response.headers[.xFrameOptions] == "DENY", "\(path)")
                #expect(response.headers[.contentSecurityPolicy]?.contains("frame-ancestors *") != true, "\(path)")
            }
            #expect(try await api.request(.get, "/").headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
            // A draft is not embeddable.
            let draft = try await api.upload(Fixtures.media("sine-1000-48000-mono.wav"), title: "Draft", by: ada)
            #expect(try await api.request(.get, "/embed/tracks/\(draft)").status == .notFound)
        }
    }

    /// Prints each meta tag's property (or name) and content, tab-separated.
    static let metaTags = """
        import sys
        from html.parser import HTMLParser
        class Meta(HTMLParser):
            def handle_starttag(self, tag, attrs):
                attrs = dict(attrs)
                key = attrs.get('property') or attrs.get('name')
                if tag == 'meta' and key and 'content' in attrs:
                    print(key + '\\t' + attrs['content'])
        Meta().feed(open(sys.argv[1], encoding='utf-8').read())
        """

    @Test("oEmbed answers a release or track URL with the player's iframe, an artist or public playlist with a link")
    func oembed() async throws {
        try await TestService().run { api in
            let ada = try await api.account("ada", role: "artist")
            let lena = try await api.account("lena")
            let track = try await api.publishedTracks(1, by: ada)[0]
            let release = try await api.releaseOf(track)
            func oembed(_ url: String) async throws -> TestResponse {
                try await api.request(.get, "/api/v1/oembed?url=\(url.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
            }
            let rich = try await oembed("http://localhost/releases/\(release)")
            #expect(rich.status == .ok, "\(String(buffer: rich.body))")
            let body = try rich.json()
            #expect(body["version"] as? String == "1.0" && body["type"] as? String == "rich")
            #expect(body["title"] as? String == "Song 1" && body["author_name"] as? String == "ada")
            #expect((body["html"] as? String)?.contains("<iframe src=\"http://localhost/embed/releases/\(release)\"") == true)
            #expect(body["width"] as? Int == 480)
            #expect(try await oembed("http://localhost/#/tracks/\(track)").json()["type"] as? String == "rich")
            #expect(try await oembed("http://localhost/api/v1/artists/\(ada.id)").json()["type"] as? String == "link")
            let playlist = try #require(try await api.request(.post, "/api/v1/playlists", token: lena.token, json: ["title": "Shared"]).json()["id"] as? String)
            #expect(try await oembed("http://localhost/#/playlist?id=\(playlist)").status == .notFound)
            _ = try await api.request(.patch, "/api/v1/playlists/\(playlist)", token: lena.token, json: ["version": 1, "public": true])
            #expect(try await oembed("http://localhost/#/playlist?id=\(playlist)").json()["title"] as? String == "Shared")
            #expect(try await oembed("http://example.com/nothing").status == .notFound)
            #expect(try await api.request(.get, "/api/v1/oembed?url=http://localhost/releases/\(release)&format=xml").status == .badRequest)
            #expect(try await api.request(.get, "/api/v1/oembed").status == .badRequest)
        }
    }
}
