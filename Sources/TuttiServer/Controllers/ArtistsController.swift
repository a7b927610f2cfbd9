import Catalog
import Hummingbird

/// Artists with published music.
struct ArtistsController {
    let services: AppServices

    func addRoutes(to group: RouterGroup<TuttiRequestContext>) {
        group.get("artists", use: list)
        group.get("artists/{id}", use: detail)
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

    /// An artist with their tracks (published ones, or all of them for the artist themself).
    @Sendable func detail(_ request: Request, context: TuttiRequestContext) async throws -> ArtistResource {
        let id = try context.parameters.require("id")
        guard Identifier.isValid(id), let artist = try await services.accounts.user(id: id), artist.role == .artist else {
            throw CatalogError.notFound(kind: "artist", id: id)
        }
        let tracks = try await services.tracks.list(TrackQuery(artistID: id, limit: 100), viewer: context.identity)
        let isSelf = context.identity?.id == id || context.identity?.role == .admin
        guard tracks.total > 0 || isSelf else { throw CatalogError.notFound(kind: "artist", id: id) }
        return ArtistResource(
            id: artist.id, username: artist.username, displayName: artist.displayName, trackCount: tracks.total,
            tracks: tracks.items.map { TrackResource($0.track, artistName: artist.displayName) })
    }
}
