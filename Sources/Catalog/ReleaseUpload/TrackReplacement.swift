import FoundationEssentials
import GRDB

/// Gives a track whose transcode failed a new original and queues it again, leaving the rest
/// of its release as it is.
public struct TrackReplacement: Sendable {
    private let database: any DatabaseWriter
    private let now: @Sendable () -> Date

    package init(database: any DatabaseWriter, now: @escaping @Sendable () -> Date) {
        self.database = database
        self.now = now
    }

    /// In one transaction: checks that `user` may change the track (its artist or an admin)
    /// and that it failed, points it at `upload`, sets it processing again and queues a job.
    /// Returns the track as it was before (its old original is the caller's to remove).
    public func replace(trackID: String, by user: User, upload: StoredUpload) async throws -> Track {
        let instant = now()
        return try await database.write { db in
            guard let track = try Track.fetchOne(db, sql: "SELECT * FROM tracks WHERE id = ? AND deletedAt IS NULL", arguments: [trackID]) else {
                throw CatalogError.notFound(kind: "track", id: trackID)
            }
            guard user.role == .admin || user.id == track.artistID else { throw CatalogError.forbidden("not your track") }
            guard track.status == .failed else {
                throw CatalogError.conflict("only a track whose processing failed can be replaced; this one is \(track.status.rawValue)")
            }
            try db.execute(sql: """
                UPDATE tracks SET originalPath = ?, originalFormat = ?, originalBytes = ?, originalSHA256 = ?,
                    status = 'processing', progress = 0, failureReason = NULL, updatedAt = ?
                WHERE id = ?
                """, arguments: [upload.path, upload.format.rawValue, upload.bytes, upload.sha256, instant, trackID])
            var job = TranscodeJob(id: nil, trackID: trackID, state: .queued, attempts: 0, createdAt: instant, startedAt: nil, finishedAt: nil, error: nil)
            try job.insert(db)
            return track
        }
    }
}
