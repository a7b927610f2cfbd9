import Foundation
import HTTPTypes
import Testing
@testable import TuttiServer
import TuttiTestSupport

/// How the web pages are served: types, caching, and a policy that allows nothing inline.
@Suite("Web pages over HTTP")
struct WebPagesTests {
    static let policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
        + "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    @Test("the page and every file come with their type, an ETag, revalidation and the strict policy; a matching ETag is a 304")
    func served() async throws {
        try await TestService().run { api in
            let page = try await api.request(.get, "/")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.headers[.contentSecurityPolicy] == Self.policy)
            #expect(page.headers[.cacheControl] == "no-cache")
            #expect(page.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            let etag = try #require(page.headers[.eTag])
            let again = try await api.request(.get, "/", headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified)
            #expect(again.body.readableBytes == 0)
            #expect(again.headers[.eTag] == etag)

            let types = ["js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8", "svg": "image/svg+xml"]
            for name in WebAssets.files.keys where name != "index.html" {
                let file = try await api.request(.get, "/web/\(name)")
                #expect(file.status == .ok, "\(name)")
                #expect(file.headers[.contentType] == types[String(name.split(separator: ".").last!)], "\(name)")
                #expect(file.headers[.contentSecurityPolicy] == Self.policy, "\(name)")
                #expect(file.headers[.eTag] != nil && file.headers[.eTag] != etag, "\(name)")
            }
            let missing = try await api.request(.get, "/web/nothing.js")
            #expect(missing.status == .notFound)
            let traversal = try await api.request(.get, "/web/..%2FPackage.swift")
            #expect(traversal.status == .notFound)

            // The API keeps its own headers.
            let health = try await api.request(.get, "/health")
            #expect(health.headers[.contentSecurityPolicy] == nil)
            #expect(health.headers[.contentType]?.hasPrefix("application/json") == true)
        }
    }

    @Test("nothing inline, nothing from elsewhere: no inline scripts, styles or handlers, and no absolute http URLs")
    func nothingInline() throws {
        for (name, asset) in WebAssets.files {
            let text = String(buffer: asset.body)
            #expect(!text.contains("http://") || name.hasSuffix(".svg"), "\(name) names an http:// URL")
            #expect(!text.contains("https://"), "\(name) loads something from another origin")
            if name == "index.html" {
                #expect(text.components(separatedBy: "<script").count == 2, "one script element")
                #expect(text.contains("<script type=\"module\" src=\"/web/app.js\"></script>"))
                #expect(!text.contains("style="), "no inline style attributes")
                #expect(!text.contains("<style"), "no style elements")
                #expect(text.range(of: #" on[a-z]+="#, options: .regularExpression) == nil, "no inline event handlers")
            }
        }
    }
}
