import Catalog
import FoundationEssentials
import Hummingbird

/// Releases (an artist's unit of publication), genres and search.
struct ReleasesController {
    let services: AppServices

    func addRoutes(public group: RouterGroup<TuttiRequestContext>, signedIn: RouterGroup<SignedInContext>) {
        group.get("releases", use: list)
        group.get("releases/{id}", use: detail)
        signedIn.post("releases", use: create)
        signedIn.patch("releases/{id}", use: update)
        signedIn.delete("releases/{id}", use: delete)
        signedIn.post("releases/{id}/publish", use: publish)
        signedIn.post("releases/{id}/unpublish", use: unpublish)
        signedIn.put("releases/{id}/tracks", use: placeTracks)
        group.get("genres", use: genres)
        group.get("search", use: search)
    }

    static let orders = ReleaseQuery.Order.allCases.map(\.rawValue)
    static let kinds = SearchHit.Kind.allCases.map(\.rawValue)

    // MARK: Reading

    @Sendable func list(_ request: Request, context: TuttiRequestContext) async throws -> PageResource<ReleaseResource> {
        let parameters = request.uri.queryParameters
        let (limit, offset) = try RequestQuery.paging(request)
        let order = try RequestQuery.choice(request, "order", among: Self.orders).flatMap { ReleaseQuery.Order(rawValue: $0) } ?? .newest
        let query = ReleaseQuery(genre: parameters.get("genre"), artistID: parameters.get("artist"), order: order, limit: limit, offset: offset)
        let page = try await services.releases.list(query, viewer: context.identity)
        var next: String?
        if page.hasMore {
            var items = ["limit=\(page.limit)", "offset=\(page.offset + page.items.count)", "order=\(order.rawValue)"]
            if let genre = query.genre { items.append("genre=\(TracksController.percentEncode(genre))") }
            if let artist = query.artistID { items.append("artist=\(TracksController.percentEncode(artist))") }
            next = "/api/v1/releases?" + items.joined(separator: "&")
        }
        return PageResource(items: page.items.map(ReleaseResource.init), total: page.total, limit: page.limit, offset: page.offset, next: next)
    }

    @Sendable func detail(_ request: Request, context: TuttiRequestContext) async throws -> ReleaseResource {
        let id = try context.parameters.require("id")
        guard let detail = try await services.releases.release(id: id, viewer: context.identity) else {
            throw CatalogError.notFound(kind: "release", id: id)
        }
        return ReleaseResource(detail)
    }

    @Sendable func genres(_ request: Request, context: TuttiRequestContext) async throws -> PageResource<GenreResource> {
        let (limit, offset) = try RequestQuery.paging(request)
        let page = try await services.releases.genres(limit: limit, offset: offset)
        let next = page.hasMore ? "/api/v1/genres?limit=\(page.limit)&offset=\(page.offset + page.items.count)" : nil
        return PageResource(
            items: page.items.map { GenreResource(genre: $0.genre, releaseCount: $0.releaseCount, url: "/api/v1/releases?genre=\(TracksController.percentEncode($0.genre))") },
            total: page.total, limit: page.limit, offset: page.offset, next: next)
    }

    @Sendable func search(_ request: Request, context: TuttiRequestContext) async throws -> PageResource<SearchHitResource> {
        let (limit, offset) = try RequestQuery.paging(request)
        guard let text = request.uri.queryParameters.get("q") else {
            throw Problem(.badRequest, title: "Invalid q", detail: "Give the words to search for as ?q=.")
        }
        try SearchRule.check(text)
        let kind = try RequestQuery.choice(request, "kind", among: Self.kinds).flatMap { SearchHit.Kind(rawValue: $0) }
        let page = try await services.search.search(text, kind: kind, limit: limit, offset: offset)
        var next: String?
        if page.hasMore {
            next = "/api/v1/search?q=\(TracksController.percentEncode(text))&limit=\(page.limit)&offset=\(page.offset + page.items.count)"
            if let kind { next! += "&kind=\(kind.rawValue)" }
        }
        return PageResource(items: page.items.map(SearchHitResource.init), total: page.total, limit: page.limit, offset: page.offset, next: next)
    }

    // MARK: Edits

    @Sendable func create(_ request: Request, context: SignedInContext) async throws -> EditedResponse<ReleaseResource> {
        try context.require(.artist, .admin, to: "make releases")
        let body = try await request.decodeChecked(as: ReleaseBody.self, context: context)
        guard let title = body.title, let type = body.type else {
            throw Problem(.unprocessableContent, title: "Invalid value", detail: "A new release needs a title and a type.")
        }
        let detail = try await services.releases.create(by: context.user, ReleaseDraft(
            title: title, type: type, releaseDate: body.releaseDate ?? nil, upc: body.upc ?? nil,
            licence: body.licence ?? .allRightsReserved, description: body.description ?? "", genres: body.genres ?? []))
        let resource = ReleaseResource(detail)
        return EditedResponse(status: .created, headers: [.location: resource.url], response: resource)
    }

    @Sendable func update(_ request: Request, context: SignedInContext) async throws -> ReleaseResource {
        let id = try context.parameters.require("id")
        let body = try await request.decodeChecked(as: ReleaseBody.self, context: context)
        let detail = try await services.releases.update(id: id, by: context.user, ReleaseChanges(
            title: body.title, type: body.type, releaseDate: body.releaseDate, upc: body.upc, licence: body.licence,
            description: body.description, genres: body.genres))
        invalidate(detail)
        return ReleaseResource(detail)
    }

    @Sendable func delete(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id")
        try await services.releases.delete(id: id, by: context.user)
        return Response(status: .noContent)
    }

    @Sendable func publish(_ request: Request, context: SignedInContext) async throws -> ReleaseResource {
        try await setPublished(true, context: context)
    }

    @Sendable func unpublish(_ request: Request, context: SignedInContext) async throws -> ReleaseResource {
        try await setPublished(false, context: context)
    }

    private func setPublished(_ published: Bool, context: SignedInContext) async throws -> ReleaseResource {
        let id = try context.parameters.require("id")
        let detail = try await services.releases.setPublished(id: id, by: context.user, published)
        invalidate(detail)
        return ReleaseResource(detail)
    }

    @Sendable func placeTracks(_ request: Request, context: SignedInContext) async throws -> ReleaseResource {
        let id = try context.parameters.require("id")
        let body = try await request.decodeChecked(as: PlacementBody.self, context: context)
        let detail = try await services.releases.placeTracks(
            releaseID: id, by: context.user,
            body.tracks.map { TrackPlace(trackID: $0.id, discNumber: $0.discNumber ?? 1, trackNumber: $0.trackNumber) })
        invalidate(detail)
        return ReleaseResource(detail)
    }

    /// Streaming caches tracks (their publication among them): a changed release may change
    /// several, and tracks it gave up, so all are forgotten.
    private func invalidate(_ detail: ReleaseDetail) {
        services.streamCatalog.invalidateAll()
    }

    // MARK: Bodies

    /// A release's fields; on create, title and type are required.
    struct ReleaseBody: CheckedBody {
        var title: String?
        var typeName: String?
        /// `.some(nil)` clears.
        var releaseDate: String??
        var upc: String??
        var licenceName: String?
        var description: String?
        var genres: [String]?

        var type: ReleaseType? { typeName.flatMap { ReleaseType(rawValue: $0) } }
        var licence: ReleaseLicence? { licenceName.flatMap { ReleaseLicence(rawValue: $0) } }

        enum CodingKeys: String, CodingKey { case title, type, releaseDate, upc, licence, description, genres }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            title = try container.decodeIfPresent(String.self, forKey: .title)
            typeName = try container.decodeIfPresent(String.self, forKey: .type)
            releaseDate = container.contains(.releaseDate) ? .some(try container.decodeIfPresent(String.self, forKey: .releaseDate)) : nil
            upc = container.contains(.upc) ? .some(try container.decodeIfPresent(String.self, forKey: .upc)) : nil
            licenceName = try container.decodeIfPresent(String.self, forKey: .licence)
            description = try container.decodeIfPresent(String.self, forKey: .description)
            genres = try container.decodeIfPresent([String].self, forKey: .genres)
        }

        func check() throws {
            if let typeName, type == nil {
                throw Problem(.unprocessableContent, title: "Invalid value",
                              detail: "type must be one of \(ReleaseType.allCases.map(\.rawValue).joined(separator: ", ")); got '\(typeName.prefix(40))'.")
            }
            if let licenceName, licence == nil {
                throw Problem(.unprocessableContent, title: "Invalid value",
                              detail: "licence must be one of \(ReleaseLicence.allCases.map(\.rawValue).joined(separator: ", ")); got '\(licenceName.prefix(40))'.")
            }
            try TextRule.releaseTitle.check(title, "title")
            try TextRule.description.check(description, "description")
            if let genres {
                guard genres.count <= ReleaseRules.genresPerRelease else {
                    throw Problem(.unprocessableContent, title: "Invalid value", detail: "genres must list at most \(ReleaseRules.genresPerRelease) genres.")
                }
                for genre in genres { try TextRule.genre.check(genre, "genres") }
            }
        }
    }

    struct PlacementBody: CheckedBody {
        struct Place: Decodable {
            var id: String
            var discNumber: Int?
            var trackNumber: Int
        }

        var tracks: [Place]

        func check() throws {
            // The schema's bounds; the domain checks the rest (ownership, duplicates).
            guard tracks.count <= 200 else {
                throw Problem(.unprocessableContent, title: "Invalid value", detail: "tracks must list at most 200 tracks.")
            }
            for place in tracks {
                guard TrackRules.discNumbers.contains(place.discNumber ?? 1), TrackRules.trackNumbers.contains(place.trackNumber) else {
                    throw Problem(.unprocessableContent, title: "Invalid value", detail: "discNumber must be 1 to 99 and trackNumber 1 to 999.")
                }
            }
        }
    }
}

/// The text of a search: 1 to 200 code points.
enum SearchRule {
    static let maxLength = 200

    static func check(_ text: String) throws {
        guard (1...maxLength).contains(text.unicodeScalars.count) else {
            throw Problem(.badRequest, title: "Invalid q", detail: "q must be 1 to \(maxLength) characters.")
        }
    }
}
