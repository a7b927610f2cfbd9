import Catalog
import FoundationEssentials
import Hummingbird

/// Playlists: made and edited by their owner one version at a time; a public one is open to
/// anyone (signed in or not), a private one is "not found" to everyone but its owner.
struct PlaylistsController {
    let services: AppServices
    var playlists: Playlists { services.playlists }

    func addRoutes(public group: RouterGroup<TuttiRequestContext>, signedIn: RouterGroup<SignedInContext>) {
        signedIn.post("playlists", use: create)
        group.get("playlists/{id}", use: detail)
        signedIn.patch("playlists/{id}", use: update)
        signedIn.delete("playlists/{id}", use: delete)
        signedIn.post("playlists/{id}/tracks", use: addTrack)
        signedIn.delete("playlists/{id}/tracks", use: removeTrack)
        signedIn.post("playlists/{id}/moves", use: move)
        group.get("listeners/{id}/playlists", use: list)
    }

    static let versionRange: ClosedRange<Int64> = 1...Int64(Int32.max)
    static let positionRange: ClosedRange<Int64> = 0...Int64(PlaylistRules.maximumTracks - 1)

    struct NewPlaylist: CheckedBody {
        var title: String
        var description: String?
        var `public`: Bool?

        func check() throws {
            try TextRule.playlistTitle.check(title, "title")
            try TextRule.playlistDescription.check(description, "description")
        }
    }

    struct Changes: CheckedBody {
        var version: Int
        var title: String?
        var description: String?
        var `public`: Bool?

        func check() throws {
            try PlaylistsController.checkVersion(version)
            try TextRule.playlistTitle.check(title, "title")
            try TextRule.playlistDescription.check(description, "description")
        }
    }

    struct Addition: CheckedBody {
        var version: Int
        var trackID: String
        var position: Int?

        func check() throws {
            try PlaylistsController.checkVersion(version)
            if let position { try PlaylistsController.checkPosition(position, "position") }
        }
    }

    struct Move: CheckedBody {
        var version: Int
        var from: Int
        var to: Int

        func check() throws {
            try PlaylistsController.checkVersion(version)
            try PlaylistsController.checkPosition(from, "from")
            try PlaylistsController.checkPosition(to, "to")
        }
    }

    static func checkVersion(_ version: Int) throws {
        guard versionRange.contains(Int64(version)) else {
            throw Problem(.unprocessableContent, title: "Invalid value", detail: "version must be the playlist's version as you last read it (1 or more).")
        }
    }

    static func checkPosition(_ position: Int, _ name: String) throws {
        guard positionRange.contains(Int64(position)) else {
            throw Problem(.unprocessableContent, title: "Invalid value", detail: "\(name) must be a position from 0 to \(positionRange.upperBound).")
        }
    }

    @Sendable func create(_ request: Request, context: SignedInContext) async throws -> EditedResponse<PlaylistResource> {
        let body = try await request.decodeChecked(as: NewPlaylist.self, context: context)
        let made = try await playlists.create(by: context.user, title: body.title, description: body.description ?? "", public: body.public ?? false)
        return EditedResponse(status: .created, headers: [.location: "/api/v1/playlists/\(made.playlist.id)"], response: PlaylistResource(made))
    }

    @Sendable func detail(_ request: Request, context: TuttiRequestContext) async throws -> PlaylistResource {
        let id = try context.parameters.require("id")
        guard let playlist = try await playlists.playlist(id: id, viewer: context.identity) else { throw CatalogError.notFound(kind: "playlist", id: id) }
        return PlaylistResource(playlist)
    }

    @Sendable func list(_ request: Request, context: TuttiRequestContext) async throws -> PageResource<PlaylistResource> {
        let owner = try context.parameters.require("id")
        guard Identifier.isValid(owner) else { throw CatalogError.notFound(kind: "listener", id: owner) }
        let (limit, offset) = try RequestQuery.paging(request)
        let page = try await playlists.playlists(of: owner, viewer: context.identity, limit: limit, offset: offset)
        let next = page.hasMore ? "/api/v1/listeners/\(owner)/playlists?limit=\(limit)&offset=\(offset + page.items.count)" : nil
        return PageResource(items: page.items.map { PlaylistResource($0) }, total: page.total, limit: limit, offset: offset, next: next)
    }

    @Sendable func update(_ request: Request, context: SignedInContext) async throws -> PlaylistResource {
        let id = try context.parameters.require("id")
        let body = try await request.decodeChecked(as: Changes.self, context: context)
        return try await edit(id, context, version: body.version, .details(title: body.title, description: body.description, public: body.public))
    }

    @Sendable func delete(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let version = try Self.requiredInteger(request, "version", in: Self.versionRange)
        try await Self.mappingConflict { try await playlists.delete(id: id, by: context.user, version: version) }
        return Response(status: .noContent)
    }

    @Sendable func addTrack(_ request: Request, context: SignedInContext) async throws -> PlaylistResource {
        let id = try context.parameters.require("id")
        let body = try await request.decodeChecked(as: Addition.self, context: context)
        do {
            return try await edit(id, context, version: body.version, .add(trackID: body.trackID, position: body.position))
        } catch CatalogError.notFound(let kind, _) where kind == "track" {
            // The playlist exists; the body names a track the caller cannot see: a value the
            // service's catalog refuses (a 404 would say the playlist is gone).
            throw Problem(.unprocessableContent, title: "No such track",
                          detail: "There is no such track, or it is not visible to you; nothing was added.")
        }
    }

    @Sendable func removeTrack(_ request: Request, context: SignedInContext) async throws -> PlaylistResource {
        let id = try context.parameters.require("id")
        let version = try Self.requiredInteger(request, "version", in: Self.versionRange)
        let position = try Self.requiredInteger(request, "position", in: Self.positionRange)
        return try await edit(id, context, version: version, .remove(position: position))
    }

    @Sendable func move(_ request: Request, context: SignedInContext) async throws -> PlaylistResource {
        let id = try context.parameters.require("id")
        let body = try await request.decodeChecked(as: Move.self, context: context)
        return try await edit(id, context, version: body.version, .move(from: body.from, to: body.to))
    }

    private func edit(_ id: String, _ context: SignedInContext, version: Int, _ edit: PlaylistEdit) async throws -> PlaylistResource {
        try await Self.mappingConflict { PlaylistResource(try await playlists.edit(id: id, by: context.user, version: version, edit)) }
    }

    static func requiredInteger(_ request: Request, _ name: String, in range: ClosedRange<Int64>) throws -> Int {
        guard let value = try RequestQuery.integer(request, name, in: range) else {
            throw Problem(.badRequest, title: "Missing \(name)", detail: "\(name) is required.")
        }
        return Int(value)
    }

    /// A stale version becomes a 409 problem of its own type, with the current version.
    static func mappingConflict<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let conflict as PlaylistVersionConflict {
            var problem = Problem(
                .conflict, title: "Playlist changed meanwhile",
                detail: "The playlist is at version \(conflict.current), not \(conflict.sent): someone edited it since you read it. Read it again and redo your change.",
                extensions: ["currentVersion": .int(Int64(conflict.current)), "sentVersion": .int(Int64(conflict.sent))])
            problem.type = ProblemType.staleVersion
            throw problem
        }
    }
}

extension TextRule {
    static let playlistTitle = TextRule(maxLength: PlaylistRules.titleLength)
    static let playlistDescription = TextRule(maxLength: PlaylistRules.descriptionLength, mayBeBlank: true)
}
