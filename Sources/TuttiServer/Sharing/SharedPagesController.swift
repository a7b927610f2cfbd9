import Catalog
import FoundationEssentials
import HTTPTypes
import Hummingbird
import NIOCore

/// The addresses a shared link names: `/releases/{id}`, `/artists/{id}` and `/playlists/{id}`.
/// The web pages are one application whose views live in the fragment, which a link-preview
/// bot never sees and never runs; so the server answers these paths with the same HTML shell
/// as `/`, its `<head>` carrying the Open Graph and Twitter card tags of what the path names
/// (title, description, cover, URL) and an oEmbed discovery link. The shell's script then
/// moves the browser to the view (`/#/releases/{id}`). A draft, a private playlist, a
/// deleted release or a listener's account gives a 404 with the shell and no tags, exactly
/// as for an id that never existed.
struct SharedPagesController {
    let services: AppServices
    /// Longest description in a preview, in characters (previews show about two lines).
    static let descriptionLength = 300

    /// The first word of each shared link's path.
    static let kinds = ["releases", "artists", "playlists"]

    func addRoutes(root: Router<TuttiRequestContext>) {
        root.get("releases/{id}", use: releasePage)
        root.get("artists/{id}", use: artistPage)
        root.get("playlists/{id}", use: playlistPage)
    }

    @Sendable func releasePage(_ request: Request, context: TuttiRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let embed = EmbedController(services: services)
        guard Identifier.isValid(id), let detail = try await services.releases.release(id: id, viewer: nil), detail.release.published else {
            return try page(nil, request: request)
        }
        let release = detail.release
        let origin = ArtistFeedController.base(request)
        let about = release.description.isEmpty
            ? "\(Self.kind(release.type)) by \(detail.artistName), \(detail.tracks.count) \(detail.tracks.count == 1 ? "track" : "tracks"). Listen on Tutti."
            : release.description
        let tags = SharingTags(
            title: "\(release.title) by \(detail.artistName)", description: Self.short(about),
            image: try await embed.cover(release.coverImage).map { origin + $0 }, url: "\(origin)/releases/\(id)",
            player: "\(origin)/embed/releases/\(id)")
        return try page((tags, release.title), request: request)
    }

    @Sendable func artistPage(_ request: Request, context: TuttiRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let profile = try await services.profiles.profile(artistID: id) else { return try page(nil, request: request) }
        let origin = ArtistFeedController.base(request)
        let name = profile.user.displayName
        let avatar = profile.avatarSizes.max(by: { $0.size < $1.size }).map { "\(origin)/api/v1/images/\($0.jpegSHA256)" }
        let tags = SharingTags(
            title: name, description: Self.short(profile.bio.isEmpty ? "\(name) on Tutti: releases, tracks and news." : profile.bio),
            image: avatar, url: "\(origin)/artists/\(id)", type: "profile")
        return try page((tags, name), request: request)
    }

    @Sendable func playlistPage(_ request: Request, context: TuttiRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let playlists = services.playlists
        guard let detail = try await playlists.playlist(id: id, viewer: nil) else { return try page(nil, request: request) }
        let origin = ArtistFeedController.base(request)
        let available = detail.entries.filter(\.available)
        // The cover of the first track's release, if any track is still there.
        var image: String?
        if let releaseID = available.first?.releaseID, let release = try await services.releases.release(id: releaseID, viewer: nil),
           release.release.published {
            image = try await EmbedController(services: services).cover(release.release.coverImage).map { origin + $0 }
        }
        let playlist = detail.playlist
        let about = playlist.description.isEmpty
            ? "A playlist by \(detail.ownerName): \(available.count) \(available.count == 1 ? "track" : "tracks"). Listen on Tutti."
            : playlist.description
        let tags = SharingTags(title: "\(playlist.title), a playlist by \(detail.ownerName)", description: Self.short(about),
                               image: image, url: "\(origin)/playlists/\(id)", type: "music.playlist")
        return try page((tags, playlist.title), request: request)
    }

    /// The shell with `shared`'s tags and title in its head; without them, a 404.
    private func page(_ shared: (tags: SharingTags, title: String)?, request: Request) throws -> Response {
        guard let shell = WebAssets.named("index.html") else {
            throw Problem(.internalServerError, title: "Missing page", detail: "The web pages are not built into this server.")
        }
        var html = String(buffer: shell.body)
        if let shared {
            let oembed = "/api/v1/oembed?url=" + TracksController.percentEncode(shared.tags.url)
            let head = """
                <title>\(HTML.escape(shared.title)) · Tutti</title>
                  <meta name="description" content="\(HTML.escape(shared.tags.description))">
                  <link rel="canonical" href="\(HTML.escape(shared.tags.url))">
                  <link rel="alternate" type="application/json+oembed" href="\(HTML.escape(ArtistFeedController.base(request) + oembed))" title="\(HTML.escape(shared.title))">
                \(shared.tags.html.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
                """
            html = html.replacing("<title>Tutti</title>", with: head)
        }
        var headers = WebAssets.headers
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.contentLength] = String(html.utf8.count)
        return Response(status: shared == nil ? .notFound : .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func kind(_ type: ReleaseType) -> String {
        switch type {
        case .album: "An album"
        case .ep: "An EP"
        case .single: "A single"
        case .compilation: "A compilation"
        }
    }

    /// `text` on one line, cut at a word to at most ``descriptionLength`` characters.
    static func short(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        guard line.count > descriptionLength else { return line }
        let cut = line.prefix(descriptionLength - 1)
        let word = cut.lastIndex(of: " ").map { cut[..<$0] } ?? cut
        return word + "…"
    }
}
