import FoundationEssentials
import GRDB

/// Where a new track goes.
public enum TrackPlacement: Sendable, Equatable {
    /// A new single of its own, titled like the track, published with the track's flag.
    case single
    /// The artist's release of this title (not a single) with the track's publication,
    /// made as an album if there is none; after its last track on disc 1.
    case album(String)
    /// A place in a release of the track's artist; with no track number, after the last
    /// track of the disc.
    case release(id: String, discNumber: Int, trackNumber: Int?)
}

/// One track's place in a release, as an artist sets it.
public struct TrackPlace: Sendable, Equatable {
    public var trackID: String
    public var discNumber: Int
    public var trackNumber: Int

    public init(trackID: String, discNumber: Int, trackNumber: Int) {
        self.trackID = trackID
        self.discNumber = discNumber
        self.trackNumber = trackNumber
    }
}

/// Placing tracks in releases, inside the caller's write transaction.
enum Placing {
    struct Place {
        var releaseID: String
        var discNumber: Int
        var trackNumber: Int
    }

    static let tracksPerRelease = 200

    static func resolve(
        _ placement: TrackPlacement, artistID: String, title: String, status: TrackStatus, published: Bool, now: Date, _ db: Database
    ) throws -> Place {
        switch placement {
        case .single:
            let release = Release(
                id: Identifier.make(), artistID: artistID, title: String(title.unicodeScalars.prefix(ReleaseRules.titleLength)),
                type: .single, published: published, publishedAt: published ? now : nil, createdAt: now, updatedAt: now)
            try release.insert(db)
            return Place(releaseID: release.id, discNumber: 1, trackNumber: 1)
        case .album(let title):
            let existing = try Release.fetchOne(db, sql: """
                SELECT * FROM releases WHERE artistID = ? AND title = ? AND type <> 'single' AND published = ? AND deletedAt IS NULL
                ORDER BY createdAt, id LIMIT 1
                """, arguments: [artistID, title, published])
            let release: Release
            if let existing {
                release = existing
            } else {
                release = Release(
                    id: Identifier.make(), artistID: artistID, title: title, type: .album,
                    published: published, publishedAt: published ? now : nil, createdAt: now, updatedAt: now)
                try release.insert(db)
            }
            return Place(releaseID: release.id, discNumber: 1, trackNumber: try nextNumber(releaseID: release.id, disc: 1, db))
        case .release(let id, let disc, let number):
            guard Identifier.isValid(id), let release = try Release.fetchOne(db, key: id), release.deletedAt == nil, release.artistID == artistID else {
                throw CatalogError.notFound(kind: "release", id: id)
            }
            guard TrackRules.discNumbers.contains(disc) else { throw CatalogError.invalidField(name: "discNumber", reason: "use 1 to 99") }
            if release.published && status != .ready {
                throw CatalogError.conflict("the release '\(release.title)' is published: withdraw it before adding a track that is not ready")
            }
            try checkRoom(releaseID: id, adding: 1, db)
            let trackNumber = try number ?? nextNumber(releaseID: id, disc: disc, db)
            guard TrackRules.trackNumbers.contains(trackNumber) else { throw CatalogError.invalidField(name: "trackNumber", reason: "use 1 to 999") }
            if try isTaken(releaseID: id, disc: disc, number: trackNumber, db) {
                throw CatalogError.conflict("disc \(disc) of '\(release.title)' already has a track \(trackNumber)")
            }
            return Place(releaseID: id, discNumber: disc, trackNumber: trackNumber)
        }
    }

    static func nextNumber(releaseID: String, disc: Int, _ db: Database) throws -> Int {
        let last = try Int.fetchOne(db, sql: "SELECT max(trackNumber) FROM tracks WHERE releaseID = ? AND discNumber = ? AND deletedAt IS NULL",
                                    arguments: [releaseID, disc]) ?? 0
        guard last < TrackRules.trackNumbers.upperBound else { throw CatalogError.conflict("disc \(disc) of this release is full") }
        return last + 1
    }

    static func isTaken(releaseID: String, disc: Int, number: Int, _ db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM tracks WHERE releaseID = ? AND discNumber = ? AND trackNumber = ? AND deletedAt IS NULL)",
                          arguments: [releaseID, disc, number]) ?? false
    }

    static func checkRoom(releaseID: String, adding: Int, _ db: Database) throws {
        let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM tracks WHERE releaseID = ? AND deletedAt IS NULL", arguments: [releaseID]) ?? 0
        guard count + adding <= tracksPerRelease else { throw CatalogError.conflict("a release holds at most \(tracksPerRelease) tracks") }
    }

    /// The old `album` edit: the track moves to the artist's release of that title with the
    /// same publication as its current one (nil: a single of its own). A release left empty
    /// is deleted.
    static func move(_ track: Track, toAlbum album: String?, now: Date, _ db: Database) throws {
        guard let current = try Release.fetchOne(db, key: track.releaseID) else { return }
        if let album, current.type != .single, current.title == album { return }
        if album == nil, current.type == .single, try trackCount(releaseID: current.id, db) == 1 { return }
        let place = try resolve(album.map(TrackPlacement.album) ?? .single, artistID: track.artistID, title: track.title,
                                status: track.status, published: current.published, now: now, db)
        try db.execute(sql: "UPDATE tracks SET releaseID = ?, discNumber = ?, trackNumber = ?, updatedAt = ? WHERE id = ?",
                       arguments: [place.releaseID, place.discNumber, place.trackNumber, now, track.id])
        // The album a track left by this edit was only ever its name: gone when empty.
        if try trackCount(releaseID: current.id, db) == 0 {
            try db.execute(sql: "UPDATE releases SET published = 0, deletedAt = ?, updatedAt = ? WHERE id = ?", arguments: [now, now, current.id])
        }
    }

    static func trackCount(releaseID: String, _ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM tracks WHERE releaseID = ? AND deletedAt IS NULL", arguments: [releaseID]) ?? 0
    }

    /// A release left without tracks (after a delete or a move): a single goes with its
    /// track; any other release is withdrawn and stays as an empty draft.
    static func deleteIfEmpty(releaseID: String, now: Date, _ db: Database) throws {
        guard try trackCount(releaseID: releaseID, db) == 0 else { return }
        try db.execute(sql: """
            UPDATE releases SET published = 0, updatedAt = ?,
                deletedAt = CASE WHEN type = 'single' THEN ? ELSE deletedAt END
            WHERE id = ? AND deletedAt IS NULL
            """, arguments: [now, now, releaseID])
    }

    /// Sets the release's track list to `places`: every track it has must be listed (a
    /// track leaves a release by being placed in another), listed tracks of other releases
    /// of the same artist move here. Neither this release nor a release a track leaves may
    /// be published.
    static func place(_ places: [TrackPlace], in release: Release, now: Date, _ db: Database) throws {
        guard !release.published else {
            throw CatalogError.conflict("the release is published: withdraw it (POST .../unpublish) before changing its tracks")
        }
        guard places.count <= tracksPerRelease else { throw CatalogError.invalidField(name: "tracks", reason: "list at most \(tracksPerRelease) tracks") }
        var seenTracks = Set<String>()
        var seenPlaces = Set<[Int]>()
        for place in places {
            guard TrackRules.discNumbers.contains(place.discNumber) else { throw CatalogError.invalidField(name: "tracks.discNumber", reason: "use 1 to 99") }
            guard TrackRules.trackNumbers.contains(place.trackNumber) else { throw CatalogError.invalidField(name: "tracks.trackNumber", reason: "use 1 to 999") }
            guard seenTracks.insert(place.trackID).inserted else { throw CatalogError.invalidField(name: "tracks", reason: "track \(place.trackID) is listed twice") }
            guard seenPlaces.insert([place.discNumber, place.trackNumber]).inserted else {
                throw CatalogError.invalidField(name: "tracks", reason: "two tracks are placed at disc \(place.discNumber), track \(place.trackNumber)")
            }
        }
        let current = try String.fetchAll(db, sql: "SELECT id FROM tracks WHERE releaseID = ? AND deletedAt IS NULL", arguments: [release.id])
        if let missing = current.first(where: { !seenTracks.contains($0) }) {
            throw CatalogError.invalidField(name: "tracks", reason: "track \(missing) is in this release: list it too (a track leaves a release by being placed in another)")
        }
        var sources = Set<String>()
        for place in places {
            guard Identifier.isValid(place.trackID),
                  let track = try Track.fetchOne(db, sql: "SELECT * FROM tracks WHERE id = ? AND deletedAt IS NULL", arguments: [place.trackID]),
                  track.artistID == release.artistID
            else { throw CatalogError.invalidField(name: "tracks", reason: "\(place.trackID) is not a track of this release's artist") }
            if track.releaseID != release.id {
                if try Bool.fetchOne(db, sql: "SELECT published FROM releases WHERE id = ?", arguments: [track.releaseID]) == true {
                    throw CatalogError.conflict("track '\(track.title)' is part of a published release: withdraw that release first")
                }
                sources.insert(track.releaseID)
            }
        }
        // Out of the way first (discs 101 to 199), so no two tracks collide midway.
        try db.execute(sql: "UPDATE tracks SET discNumber = discNumber + 100 WHERE releaseID = ? AND deletedAt IS NULL", arguments: [release.id])
        for place in places {
            try db.execute(sql: "UPDATE tracks SET releaseID = ?, discNumber = ?, trackNumber = ?, updatedAt = ? WHERE id = ?",
                           arguments: [release.id, place.discNumber, place.trackNumber, now, place.trackID])
        }
        for source in sources { try deleteIfEmpty(releaseID: source, now: now, db) }
        try db.execute(sql: "UPDATE releases SET updatedAt = ? WHERE id = ?", arguments: [now, release.id])
    }
}
