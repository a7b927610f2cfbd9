import AudioCore
import Catalog
import Foundation
import FoundationEssentials
import Hummingbird
import MediaStore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Uploads, the catalog of tracks, and artists' edits.
struct TracksController {
    let services: AppServices

    func addRoutes(public group: RouterGroup<TuttiRequestContext>, signedIn: RouterGroup<SignedInContext>) {
        group.get("tracks", use: list)
        group.get("tracks/{id}", use: detail)
        signedIn.post("tracks", use: upload)
        signedIn.patch("tracks/{id}", use: update)
        signedIn.delete("tracks/{id}", use: delete)
    }

    // MARK: Upload

    /// Accepts an audio file as the raw body (`?title=...&album=...`) or as the `file` part of
    /// a multipart form with `title` and `album` fields; answers 202 while it transcodes.
    @Sendable func upload(_ request: Request, context: SignedInContext) async throws -> EditedResponse<UploadAccepted> {
        try context.require(.artist, to: "upload tracks")
        let configuration = services.configuration
        let receiver = UploadReceiver(directory: configuration.uploadsDirectory, limit: configuration.uploadLimit, threadPool: services.threadPool)
        let received = try await receiver.receive(request)
        // The store keeps its own copy (or link): the received file goes in every case.
        defer { unlink(received.path) }
        let title = received.fields["title"] ?? request.uri.queryParameters.get("title")
        let album = received.fields["album"] ?? request.uri.queryParameters.get("album")
        guard let title, !TextField.clean(title).isEmpty else {
            throw Problem(.unprocessableContent, title: "Title missing", detail: "Give the track a title: a 'title' form field or a ?title= query parameter.")
        }
        let path = received.path
        let format: AudioFormat
        switch try await services.threadPool.runIfActive({ FormatSniffer.sniff(path: path) }) {
        case .success(let sniffed): format = sniffed
        case .failure(let error): throw UploadProblem.unsupported(error)
        }
        let trackID = Identifier.make()
        let key = try MediaKey("originals/\(trackID).\(format.fileExtension)")
        // Staged, then made visible at its key, then named by the row: a crash between any two
        // leaves only what the media sweeper removes (see MediaStore).
        let store = services.store
        try await storing(doing: "storing the upload") {
            let staged = try await store.stage(fileAt: path, contentType: format.mediaType)
            do {
                guard staged.size == received.bytes, staged.sha256 == received.sha256 else {
                    throw MediaStoreError.failed(operation: "stage", detail: "the store's copy of the upload differs from what was received")
                }
                try await store.finalize(staged, as: key)
            } catch {
                try? await store.discard(staged)
                throw error
            }
        }
        do {
            _ = try await services.tracks.create(
                id: trackID, artist: context.user, title: title, album: album,
                upload: StoredUpload(path: key.rawValue, format: format, bytes: received.bytes, sha256: received.sha256))
        } catch {
            try? await store.delete(key)
            throw error
        }
        services.jobSignal.signal()
        let status = "/api/v1/tracks/\(trackID)"
        return EditedResponse(status: .accepted, headers: [.location: status], response: UploadAccepted(id: trackID, status: TrackStatus.processing.rawValue, statusURL: status))
    }

    // MARK: Catalog

    @Sendable func list(_ request: Request, context: TuttiRequestContext) async throws -> PageResource<TrackResource> {
        let parameters = request.uri.queryParameters
        let (limit, offset) = try RequestQuery.paging(request)
        let query = TrackQuery(text: parameters.get("q"), artistID: parameters.get("artist"), limit: limit, offset: offset)
        let page = try await services.tracks.list(query, viewer: context.identity)
        var next: String?
        if page.hasMore {
            var items = ["limit=\(page.limit)", "offset=\(page.offset + page.items.count)"]
            if let text = query.text { items.append("q=\(Self.percentEncode(text))") }
            if let artist = query.artistID { items.append("artist=\(Self.percentEncode(artist))") }
            next = "/api/v1/tracks?" + items.joined(separator: "&")
        }
        return PageResource(
            items: page.items.map { TrackResource($0.track, artistName: $0.artistName, album: $0.album) },
            total: page.total, limit: page.limit, offset: page.offset, next: next)
    }

    @Sendable func detail(_ request: Request, context: TuttiRequestContext) async throws -> TrackResource {
        let id = try context.parameters.require("id")
        guard let track = try await services.tracks.visibleTrack(id: id, viewer: context.identity) else {
            throw CatalogError.notFound(kind: "track", id: id)
        }
        return try await resource(track)
    }

    // MARK: Edits

    struct Changes: CheckedBody {
        struct Credit: Decodable {
            var name: String
            var role: String
            var accountID: String?
        }

        var title: String?
        var album: String??
        var published: Bool?
        var free: Bool?
        var isrc: String??
        var lyrics: String?
        var explicit: Bool?
        var credits: [Credit]?

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            title = try container.decodeIfPresent(String.self, forKey: .title)
            // An explicit null removes the album; a missing key leaves it.
            album = container.contains(.album) ? .some(try container.decodeIfPresent(String.self, forKey: .album)) : nil
            published = try container.decodeIfPresent(Bool.self, forKey: .published)
            free = try container.decodeIfPresent(Bool.self, forKey: .free)
            isrc = container.contains(.isrc) ? .some(try container.decodeIfPresent(String.self, forKey: .isrc)) : nil
            lyrics = try container.decodeIfPresent(String.self, forKey: .lyrics)
            explicit = try container.decodeIfPresent(Bool.self, forKey: .explicit)
            credits = try container.decodeIfPresent([Credit].self, forKey: .credits)
        }

        enum CodingKeys: String, CodingKey { case title, album, published, free, isrc, lyrics, explicit, credits }

        func check() throws {
            try TextRule.title.check(title, "title")
            try TextRule.album.check(album ?? nil, "album")
            try TextRule.lyrics.check(lyrics, "lyrics")
            if let credits {
                guard credits.count <= TrackRules.creditsPerTrack else {
                    throw Problem(.unprocessableContent, title: "Invalid value", detail: "credits must list at most \(TrackRules.creditsPerTrack) credits.")
                }
                for credit in credits {
                    try TextRule.creditName.check(credit.name, "credits.name")
                    try TextRule.creditRole.check(credit.role, "credits.role")
                }
            }
        }
    }

    @Sendable func update(_ request: Request, context: SignedInContext) async throws -> TrackResource {
        let id = try context.parameters.require("id")
        let changes = try await request.decodeChecked(as: Changes.self, context: context)
        let track = try await services.tracks.update(
            id: id, by: context.user,
            TrackChanges(title: changes.title, album: changes.album, published: changes.published, free: changes.free,
                         isrc: changes.isrc, lyrics: changes.lyrics, explicit: changes.explicit,
                         credits: changes.credits?.map { CreditInput(name: $0.name, role: $0.role, accountID: $0.accountID) }))
        // Publishing is per release: every track of the release may have changed.
        services.streamCatalog.invalidateAll()
        return try await resource(track)
    }

    @Sendable func delete(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id")
        try await services.tracks.delete(id: id, by: context.user)
        services.streamCatalog.invalidate(trackID: id)
        return Response(status: .noContent)
    }

    /// Runs a write to the media store, answering a store that refuses it with its problem
    /// (503 unavailable or read-only, 507 full, 502 failed) and counting it.
    private func storing(doing: String, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as MediaStoreError {
            services.metrics.countMediaStoreFailure(operation: "write", kind: error.metricKind)
            throw Problem(mediaStore: error, doing: doing)
        }
    }

    private func resource(_ track: Track) async throws -> TrackResource {
        let artist = try await services.accounts.user(id: track.artistID)
        let renditions = track.status == .ready ? try await services.tracks.renditions(trackID: track.id) : []
        var resource = TrackResource(track, artistName: artist?.displayName ?? "", album: try await services.tracks.album(of: track),
                                     renditions: renditions, includePeaks: true)
        resource.lyrics = track.lyrics
        resource.credits = try await services.tracks.credits(trackID: track.id).map(CreditResource.init)
        return resource
    }

    static func percentEncode(_ text: String) -> String {
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
        return text.utf8.map { unreserved.contains($0) ? String(UnicodeScalar($0)) : String(format: "%%%02X", $0) }.joined()
    }
}
