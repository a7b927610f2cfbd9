import Catalog
import FoundationEssentials
import HTTPTypes
import Hummingbird
import NIOCore

/// The embeddable player (`/embed/releases/{id}`, `/embed/tracks/{id}`): a page other sites may
/// frame (`Content-Security-Policy: frame-ancestors *` here, and nowhere else), which plays
/// previews for anyone and metered plays for a signed-in listener through the same play
/// sessions as the main player; and the oEmbed endpoint that hands out its `<iframe>`.
struct EmbedController {
    let services: AppServices
    static let height = 160

    /// Every page of Tutti refuses framing; this one alone allows it.
    static let contentSecurityPolicy = [
        "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "media-src 'self'",
        "connect-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors *",
    ].joined(separator: "; ")

    func addRoutes(root: Router<TuttiRequestContext>, api: RouterGroup<TuttiRequestContext>) {
        root.get("embed/releases/{id}", use: embedRelease)
        root.get("embed/tracks/{id}", use: embedTrack)
        api.get("oembed", use: oembed)
    }

    struct Item {
        var title: String
        var artistName: String
        var artistID: String
        var description: String
        var cover: String?
        var tracks: [(id: String, title: String)]
    }

    func release(_ id: String) async throws -> Item? {
        guard let detail = try await services.releases.release(id: id, viewer: nil), detail.release.published else { return nil }
        return Item(title: detail.release.title, artistName: detail.artistName, artistID: detail.release.artistID,
                    description: detail.release.description, cover: try await cover(detail.release.coverImage),
                    tracks: detail.tracks.map { ($0.track.id, $0.track.title) })
    }

    func track(_ id: String) async throws -> Item? {
        guard let track = try await services.tracks.visibleTrack(id: id, viewer: nil) else { return nil }
        let detail = try await services.releases.release(id: track.releaseID, viewer: nil)
        return Item(title: track.title, artistName: detail?.artistName ?? "", artistID: track.artistID,
                    description: detail.map { "From \($0.release.title)" } ?? "", cover: try await cover(detail?.release.coverImage),
                    tracks: [(track.id, track.title)])
    }

    /// The path of the largest JPEG of a cover's image set.
    func cover(_ image: String?) async throws -> String? {
        guard let image, let found = try await services.images.image(id: image), let largest = found.1.max(by: { $0.size < $1.size }) else { return nil }
        return "/api/v1/images/\(largest.jpegSHA256)"
    }

    @Sendable func embedRelease(_ request: Request, context: TuttiRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let item = try await release(id) else { throw Problem(.notFound, title: "Not found", detail: "There is no such release.") }
        return page(item, path: "/embed/releases/\(id)", request: request)
    }

    @Sendable func embedTrack(_ request: Request, context: TuttiRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let item = try await track(id) else { throw Problem(.notFound, title: "Not found", detail: "There is no such track.") }
        return page(item, path: "/embed/tracks/\(id)", request: request)
    }

    private func page(_ item: Item, path: String, request: Request) -> Response {
        let origin = ArtistFeedController.base(request)
        let tags = SharingTags(title: "\(item.title) by \(item.artistName)", description: item.description.isEmpty ? "Listen on Tutti." : item.description,
                               image: item.cover.map { origin + $0 }, url: origin + path, player: origin + path)
        let list = item.tracks.map { track in
            "<li><button type=\"button\" data-track=\"\(HTML.escape(track.id))\">Play <span>\(HTML.escape(track.title))</span></button></li>"
        }.joined(separator: "\n")
        let html = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(item.title)) · Tutti</title>
            \(tags.html)
            <link rel="icon" href="/web/icon.svg" type="image/svg+xml">
            <link rel="stylesheet" href="/web/app.css">
            <script type="module" src="/web/embed.js"></script>
            </head>
            <body class="embed">
            <main>
            <h1>\(HTML.escape(item.title)) <span class="muted">by \(HTML.escape(item.artistName))</span></h1>
            <ol id="embed-tracks">
            \(list)
            </ol>
            <audio id="embed-audio" controls preload="none"></audio>
            <p id="embed-status" role="status" aria-live="polite"></p>
            <p><a href="\(HTML.escape(origin))/" target="_blank" rel="noopener">Tutti</a></p>
            </main>
            </body>
            </html>

            """
        var headers: HTTPFields = [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-cache",
            .contentSecurityPolicy: Self.contentSecurityPolicy,
            // Set here, so that the middleware adds no X-Frame-Options: DENY to this page.
            .xContentTypeOptions: "nosniff", .referrerPolicy: "no-referrer",
        ]
        headers[.contentLength] = String(html.utf8.count)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    struct OEmbedResource: ResponseCodable {
        var version = "1.0"
        var type: String
        var title: String
        var author_name: String?
        var author_url: String?
        var provider_name = "Tutti"
        var provider_url: String
        var html: String?
        var width: Int?
        var height: Int?
        var thumbnail_url: String?
    }

    /// oEmbed 1.0 (JSON) for a release, track, artist or playlist URL of this site: a "rich"
    /// answer with the player's iframe for releases and tracks, a "link" for the others.
    @Sendable func oembed(_ request: Request, context: TuttiRequestContext) async throws -> OEmbedResource {
        guard let url = request.uri.queryParameters.get("url"), !url.isEmpty, url.utf8.count <= 2_000 else {
            throw Problem(.badRequest, title: "Missing url", detail: "url must name a release, track, artist or playlist page of Tutti.")
        }
        // oEmbed asks for 501 here; a 400 like every other parameter outside its schema.
        _ = try RequestQuery.choice(request, "format", among: ["json"])
        let maxWidth = try RequestQuery.integer(request, "maxwidth", in: 1...10_000).map(Int.init)
        let origin = ArtistFeedController.base(request)
        let notFound = Problem(.notFound, title: "Not found", detail: "That URL names nothing Tutti can embed, or it is not public.")
        guard let target = Self.target(url) else { throw notFound }
        let (kind, id) = target
        let width = min(maxWidth ?? 480, 480)
        switch kind {
        case "releases", "tracks":
            guard let item = try await (kind == "releases" ? release(id) : track(id)) else { throw notFound }
            let src = "\(origin)/embed/\(kind)/\(id)"
            return OEmbedResource(
                type: "rich", title: item.title, author_name: item.artistName, author_url: "\(origin)/api/v1/artists/\(item.artistID)",
                provider_url: origin + "/",
                html: "<iframe src=\"\(HTML.escape(src))\" width=\"\(width)\" height=\"\(Self.height)\" title=\"\(HTML.escape(item.title)) on Tutti\" frameborder=\"0\" allow=\"autoplay\"></iframe>",
                width: width, height: Self.height, thumbnail_url: item.cover.map { origin + $0 })
        case "artists":
            guard let profile = try await services.profiles.profile(artistID: id) else { throw notFound }
            return OEmbedResource(type: "link", title: profile.user.displayName, author_name: profile.user.displayName,
                                  author_url: "\(origin)/api/v1/artists/\(id)", provider_url: origin + "/")
        default:
            let playlists = services.playlists
            guard let playlist = try await playlists.playlist(id: id, viewer: nil) else { throw notFound }
            return OEmbedResource(type: "link", title: playlist.playlist.title, author_name: playlist.ownerName, author_url: nil,
                                  provider_url: origin + "/")
        }
    }

    /// The kind and id a URL of this site names: `.../releases/ID`, `.../tracks/ID`,
    /// `.../artists/ID`, `.../playlists/ID` (in the path or the fragment), or `#/playlist?id=ID`.
    static func target(_ url: String) -> (String, String)? {
        let parts = url.split(whereSeparator: { "/#?=&".contains($0) }).map(String.init)
        for (index, part) in parts.enumerated() where index + 1 < parts.count {
            let next = parts[index + 1]
            guard Identifier.isValid(next) else { continue }
            switch part {
            case "releases", "tracks", "artists", "playlists": return (part, next)
            case "id" where parts.contains("playlist"): return ("playlists", next)
            default: continue
            }
        }
        return nil
    }
}
