import FoundationEssentials
import GRDB

/// One track of a whole-release upload, its original already stored.
public struct UploadedTrack: Sendable {
    public var id: String
    public var title: String
    public var disc: Int
    public var number: Int
    public var upload: StoredUpload

    public init(id: String, title: String, disc: Int, number: Int, upload: StoredUpload) {
        self.id = id
        self.title = title
        self.disc = disc
        self.number = number
        self.upload = upload
    }
}

/// Records a whole release uploaded in one request: the draft release, its tracks in their
/// places with a transcode job each, and its cover, in one transaction: all of it or none.
public struct ReleaseUploads: Sendable {
    private let database: any DatabaseWriter
    private let now: @Sendable () -> Date

    package init(database: any DatabaseWriter, now: @escaping @Sendable () -> Date) {
        self.database = database
        self.now = now
    }

    /// Checks the draft with the same rules as ``Releases/create(by:_:)`` and each title with
    /// ``Tracks``'s, then writes everything; returns the release as its artist sees it.
    public func create(by user: User, _ draft: ReleaseDraft, tracks: [UploadedTrack], coverImage: String?) async throws -> ReleaseDetail {
        guard user.role == .artist || user.role == .admin else { throw CatalogError.forbidden("only artists make releases") }
        let instant = now()
        let release = Release(
            id: Identifier.make(), artistID: user.id, title: try ReleaseRules.title(draft.title), type: draft.type,
            releaseDate: try draft.releaseDate.map(ReleaseRules.releaseDate), upc: try draft.upc.map(ReleaseRules.upc),
            licence: draft.licence, description: try ReleaseRules.description(draft.description), coverImage: coverImage,
            createdAt: instant, updatedAt: instant)
        let genres = try ReleaseRules.genres(draft.genres)
        let titles = try tracks.map { try Tracks.title($0.title) }
        return try await database.write { db in
            try release.insert(db)
            try Releases.setGenres(genres, releaseID: release.id, db)
            for (track, title) in zip(tracks, titles) {
                let record = Track.record(
                    id: track.id, artistID: user.id, title: title, originalPath: track.upload.path, originalFormat: track.upload.format,
                    originalBytes: track.upload.bytes, originalSHA256: track.upload.sha256, at: instant)
                _ = try Tracks.insert(record, placement: .release(id: release.id, discNumber: track.disc, trackNumber: track.number), now: instant, db)
                var job = TranscodeJob(id: nil, trackID: track.id, state: .queued, attempts: 0, createdAt: instant, startedAt: nil, finishedAt: nil, error: nil)
                try job.insert(db)
            }
            return try Releases.detail(release, viewer: user, db)
        }
    }
}
