import Catalog
import FoundationEssentials
import Hummingbird
import Ledger

/// A listener's own library: favourites, follows, history, collection and spending limit,
/// under `/api/v1/listeners/{id}/...`. Only the listener themself sees or changes them:
/// anyone else (admins included) gets 404, as for something that does not exist.
struct LibraryController {
    let services: AppServices
    var library: Library { services.library }
    var history: ListeningHistory { services.history }

    static let favouriteKinds: [(path: String, kind: FavouriteKind)] = [("tracks", .track), ("releases", .release), ("artists", .artist)]

    func addRoutes(signedIn: RouterGroup<SignedInContext>) {
        signedIn.get("listeners/{id}/favourites", use: favourites)
        for (path, kind) in Self.favouriteKinds {
            signedIn.put("listeners/{id}/favourites/\(path)/{item}") { request, context in try await addFavourite(kind, context: context) }
            signedIn.delete("listeners/{id}/favourites/\(path)/{item}") { request, context in try await removeFavourite(kind, context: context) }
        }
        signedIn.get("listeners/{id}/follows", use: follows)
        signedIn.get("listeners/{id}/follows/releases", use: newFromFollowed)
        signedIn.put("listeners/{id}/follows/{artist}", use: follow)
        signedIn.delete("listeners/{id}/follows/{artist}", use: unfollow)
        signedIn.get("listeners/{id}/history", use: historyPage)
        signedIn.delete("listeners/{id}/history", use: eraseHistory)
        signedIn.delete("listeners/{id}/history/{entry}", use: eraseEntry)
        signedIn.get("listeners/{id}/collection", use: collection)
    }

    /// The listener the path names, if it is the caller; otherwise "not found".
    static func listener(_ context: SignedInContext) throws -> User {
        let id = try context.parameters.require("id")
        guard id == context.user.id else { throw CatalogError.notFound(kind: "listener", id: id) }
        return context.user
    }

    // MARK: Favourites

    @Sendable func favourites(_ request: Request, context: SignedInContext) async throws -> PageResource<FavouriteResource> {
        let listener = try Self.listener(context)
        let kind = try RequestQuery.choice(request, "kind", among: FavouriteKind.allCases.map(\.rawValue)).flatMap { FavouriteKind(rawValue: $0) }
        let (limit, offset) = try RequestQuery.paging(request)
        let page = try await library.favourites(of: listener, kind: kind, limit: limit, offset: offset)
        var next: String?
        if page.hasMore {
            next = "/api/v1/listeners/\(listener.id)/favourites?limit=\(limit)&offset=\(offset + page.items.count)" + (kind.map { "&kind=\($0.rawValue)" } ?? "")
        }
        return PageResource(items: page.items.map(FavouriteResource.init), total: page.total, limit: limit, offset: offset, next: next)
    }

    func addFavourite(_ kind: FavouriteKind, context: SignedInContext) async throws -> Response {
        let listener = try Self.listener(context)
        try await library.addFavourite(kind, id: try context.parameters.require("item"), by: listener)
        return Response(status: .noContent)
    }

    func removeFavourite(_ kind: FavouriteKind, context: SignedInContext) async throws -> Response {
        let listener = try Self.listener(context)
        try await library.removeFavourite(kind, id: try context.parameters.require("item"), by: listener)
        return Response(status: .noContent)
    }

    // MARK: Follows

    @Sendable func follows(_ request: Request, context: SignedInContext) async throws -> PageResource<FollowResource> {
        let listener = try Self.listener(context)
        let (limit, offset) = try RequestQuery.paging(request)
        let page = try await library.follows(of: listener, limit: limit, offset: offset)
        let next = page.hasMore ? "/api/v1/listeners/\(listener.id)/follows?limit=\(limit)&offset=\(offset + page.items.count)" : nil
        return PageResource(items: page.items.map(FollowResource.init), total: page.total, limit: limit, offset: offset, next: next)
    }

    @Sendable func newFromFollowed(_ request: Request, context: SignedInContext) async throws -> PageResource<ReleaseResource> {
        let listener = try Self.listener(context)
        let (limit, offset) = try RequestQuery.paging(request)
        let page = try await library.newFromFollowed(listener, limit: limit, offset: offset)
        let next = page.hasMore ? "/api/v1/listeners/\(listener.id)/follows/releases?limit=\(limit)&offset=\(offset + page.items.count)" : nil
        return PageResource(items: page.items.map(ReleaseResource.init), total: page.total, limit: limit, offset: offset, next: next)
    }

    @Sendable func follow(_ request: Request, context: SignedInContext) async throws -> Response {
        let listener = try Self.listener(context)
        try await library.follow(artistID: try context.parameters.require("artist"), by: listener)
        return Response(status: .noContent)
    }

    @Sendable func unfollow(_ request: Request, context: SignedInContext) async throws -> Response {
        let listener = try Self.listener(context)
        try await library.unfollow(artistID: try context.parameters.require("artist"), by: listener)
        return Response(status: .noContent)
    }

    // MARK: History

    static let cursorLength = 64

    @Sendable func historyPage(_ request: Request, context: SignedInContext) async throws -> HistoryPageResource {
        let listener = try Self.listener(context)
        let limit = try RequestQuery.integer(request, "limit", in: 1...100).map(Int.init) ?? 20
        let cursor = request.uri.queryParameters.get("cursor")
        let page: HistoryPage
        do {
            page = try await history.page(of: listener.id, after: cursor, limit: limit)
        } catch CatalogError.invalidField(_, let reason) {
            throw Problem(.badRequest, title: "Invalid cursor", detail: "cursor is \(reason).")
        }
        let next = page.next.map { "/api/v1/listeners/\(listener.id)/history?limit=\(limit)&cursor=\($0)" }
        return HistoryPageResource(items: page.items.map(HistoryEntryResource.init), next: next)
    }

    @Sendable func eraseHistory(_ request: Request, context: SignedInContext) async throws -> ErasedResource {
        let listener = try Self.listener(context)
        let from = try RequestQuery.instant(request, "from")
        let to = try RequestQuery.instant(request, "to")
        let erased = try await history.erase(of: listener.id, from: from, to: to)
        services.playSessions.forget(erased)
        return ErasedResource(erased: erased.count)
    }

    @Sendable func eraseEntry(_ request: Request, context: SignedInContext) async throws -> Response {
        let listener = try Self.listener(context)
        let entry = try context.parameters.require("entry")
        guard try await history.erase(entry: entry, of: listener.id) else { throw CatalogError.notFound(kind: "history entry", id: entry) }
        services.playSessions.forget([entry])
        return Response(status: .noContent)
    }

    // MARK: Collection

    @Sendable func collection(_ request: Request, context: SignedInContext) async throws -> CollectionResource {
        let listener = try Self.listener(context)
        let instant = services.configuration.now()
        let (statuses, version) = try await services.inLedger { ledger throws(LedgerError) in
            (try ledger.trackStatuses(listener: listener.id, at: instant), try ledger.pricing(at: instant))
        }
        let details = try await library.collectionDetails(of: statuses.map(\.trackID))
        let pricing = version.pricing
        let tracks = statuses.map { status in
            let detail = details[status.trackID]
            return CollectionTrackResource(
                trackID: status.trackID, title: detail?.title, artistName: detail?.artistName, releaseID: detail?.releaseID,
                owned: status.owned, countedPlays: status.owned ? max(status.countedPlays, pricing.playsToOwn) : status.countedPlays,
                playsToOwn: pricing.playsToOwn, nextPrice: status.nextPrice,
                leftToPay: status.owned ? 0 : Ledger.priceLeft(after: status.countedPlays, pricing))
        }
        let owned = Set(statuses.filter(\.owned).map(\.trackID))
        let releaseIDs = Set(owned.compactMap { details[$0]?.releaseID })
        let releases = try await library.wholeReleases(among: releaseIDs, owned: owned).map {
            CollectionReleaseResource(id: $0.id, title: $0.title, artistName: $0.artistName, trackCount: $0.trackCount)
        }
        return CollectionResource(tracks: tracks, releases: releases, pricingVersion: version.version)
    }
}
