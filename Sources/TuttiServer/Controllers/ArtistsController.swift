import Catalog
import Hummingbird

/// Artists with published music.
struct ArtistsController {
    let services: AppServices

    func addRoutes(public group: RouterGroup<TuttiRequestContext>, signedIn: RouterGroup<SignedInContext>) {
        group.get("artists", use: list)
        group.get("artists/{id}", use: detail)
        signedIn.patch("artists/{id}", use: update)
    }

    @Sendable func list(_ request: Request, context: TuttiRequestContext) async throws -> PageResource<ArtistResource> {
        let parameters = request.uri.queryParameters
        let (limit, offset) = try RequestQuery.paging(request)
        let page = try await services.tracks.artists(text: parameters.get("q"), limit: limit, offset: offset)
        var next: String?
        if page.hasMore {
            next = "/api/v1/artists?limit=\(page.limit)&offset=\(page.offset + page.items.count)"
            if let text = parameters.get("q") { next! += "&q=\(TracksController.percentEncode(text))" }
        }
        return PageResource(
            items: page.items.map { ArtistResource(id: $0.id, username: $0.username, displayName: $0.displayName, trackCount: $0.trackCount) },
            total: page.total, limit: page.limit, offset: page.offset, next: next)
    }

    /// An artist's profile with their releases and tracks (published ones, or all of them
    /// for the artist themself and admins).
    @Sendable func detail(_ request: Request, context: TuttiRequestContext) async throws -> ArtistResource {
        let id = try context.parameters.require("id")
        guard let profile = try await services.profiles.profile(artistID: id) else {
            throw CatalogError.notFound(kind: "artist", id: id)
        }
        let tracks = try await services.tracks.list(TrackQuery(artistID: id, limit: 100), viewer: context.identity)
        let releases = try await services.releases.list(ReleaseQuery(artistID: id, limit: 100), viewer: context.identity)
        let isSelf = context.identity?.id == id || context.identity?.role == .admin
        guard tracks.total > 0 || releases.total > 0 || isSelf else { throw CatalogError.notFound(kind: "artist", id: id) }
        return Self.resource(profile, tracks: tracks, releases: releases)
    }

    static func resource(_ profile: ArtistProfileView, tracks: Page<TrackListing>, releases: Page<ReleaseSummary>) -> ArtistResource {
        let artist = profile.user
        return ArtistResource(
            id: artist.id, username: artist.username, displayName: artist.displayName, trackCount: tracks.total,
            tracks: tracks.items.map { TrackResource($0.track, artistName: artist.displayName, album: $0.album) },
            bio: profile.bio, location: profile.location, avatarImage: profile.avatarImage, avatarSizes: ImageResource.sizes(profile.avatarSizes),
            links: profile.links.map { LinkResource(label: $0.label, url: $0.url) },
            releases: releases.items.map(ReleaseResource.init))
    }

    struct ProfileBody: CheckedBody {
        struct Link: Decodable {
            var label: String?
            var url: String
        }

        var displayName: String?
        var bio: String?
        var location: String?
        var links: [Link]?

        func check() throws {
            try TextRule.displayName.check(displayName, "displayName")
            try TextRule.bio.check(bio, "bio")
            try TextRule.location.check(location, "location")
            if let links {
                guard links.count <= ArtistProfileRules.linksPerProfile else {
                    throw Problem(.unprocessableContent, title: "Invalid value", detail: "links must list at most \(ArtistProfileRules.linksPerProfile) links.")
                }
                for link in links {
                    try TextRule.linkLabel.check(link.label, "links.label")
                    _ = try ArtistProfileRules.url(link.url)
                }
            }
        }
    }

    /// Edits an artist's profile: the artist themself or an admin.
    @Sendable func update(_ request: Request, context: SignedInContext) async throws -> ArtistResource {
        let id = try context.parameters.require("id")
        guard Identifier.isValid(id), try await services.profiles.profile(artistID: id) != nil else {
            throw CatalogError.notFound(kind: "artist", id: id)
        }
        if context.user.id != id && context.user.role != .admin {
            // Someone else's profile: forbidden if the public can see it, else not found (as GET says).
            let published = try await services.releases.list(ReleaseQuery(artistID: id, limit: 1), viewer: nil).total
            let tracks = try await services.tracks.list(TrackQuery(artistID: id, limit: 1), viewer: nil).total
            if published + tracks == 0 { throw CatalogError.notFound(kind: "artist", id: id) }
            throw CatalogError.forbidden("only the artist can change their profile")
        }
        let body = try await request.decodeChecked(as: ProfileBody.self, context: context)
        let profile = try await services.profiles.update(artistID: id, by: context.user, ProfileChanges(
            displayName: body.displayName, bio: body.bio, location: body.location,
            links: body.links?.map { (label: $0.label ?? "", url: $0.url) }))
        let viewer = context.user
        let tracks = try await services.tracks.list(TrackQuery(artistID: id, limit: 100), viewer: viewer)
        let releases = try await services.releases.list(ReleaseQuery(artistID: id, limit: 100), viewer: viewer)
        return Self.resource(profile, tracks: tracks, releases: releases)
    }
}
