import FoundationEssentials
import GRDB

/// Releases: creation, edits, publication, track order, listings and genres.
public struct Releases: Sendable {
    let database: any DatabaseWriter
    let now: @Sendable () -> Date

    package init(database: any DatabaseWriter, now: @escaping @Sendable () -> Date) {
        self.database = database
        self.now = now
    }

    // MARK: Visibility

    /// Everyone sees a published release; its artist and admins see drafts too. A deleted
    /// release is seen by nobody.
    public static func isVisible(_ release: Release, to viewer: User?) -> Bool {
        if release.deletedAt != nil { return false }
        if release.published { return true }
        guard let viewer else { return false }
        return viewer.role == .admin || viewer.id == release.artistID
    }

    /// The release if `viewer` may see it, with its visible tracks; anything else is "not found".
    public func release(id: String, viewer: User?) async throws -> ReleaseDetail? {
        guard Identifier.isValid(id) else { return nil }
        return try await database.read { db in
            guard let release = try Release.fetchOne(db, key: id), Self.isVisible(release, to: viewer) else { return nil }
            return try Self.detail(release, viewer: viewer, db)
        }
    }

    static func detail(_ release: Release, viewer: User?, _ db: Database) throws -> ReleaseDetail {
        let artistName = try String.fetchOne(db, sql: "SELECT displayName FROM users WHERE id = ?", arguments: [release.artistID]) ?? ""
        let tracks = try Track.fetchAll(db, sql: """
            SELECT * FROM tracks WHERE releaseID = ? AND deletedAt IS NULL ORDER BY discNumber, trackNumber
            """, arguments: [release.id]).filter { Tracks.isVisible($0, to: viewer) }
        let credits = try TrackCredit.fetchAll(db, sql: """
            SELECT c.* FROM trackCredits c JOIN tracks t ON t.id = c.trackID WHERE t.releaseID = ? ORDER BY c.trackID, c.position
            """, arguments: [release.id])
        let byTrack = Dictionary(grouping: credits, by: \.trackID)
        return ReleaseDetail(
            release: release, artistName: artistName, genres: try genres(of: release.id, db),
            tracks: tracks.map { ReleaseTrack(track: $0, credits: byTrack[$0.id] ?? []) },
            coverSizes: try Images.sizes(of: release.coverImage, db))
    }

    static func genres(of releaseID: String, _ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT genre FROM releaseGenres WHERE releaseID = ? ORDER BY position", arguments: [releaseID])
    }

    // MARK: Edits

    /// A new draft release of `user` (an artist or an admin).
    public func create(by user: User, _ draft: ReleaseDraft) async throws -> ReleaseDetail {
        guard user.role == .artist || user.role == .admin else { throw CatalogError.forbidden("only artists make releases") }
        let title = try ReleaseRules.title(draft.title)
        let releaseDate = try draft.releaseDate.map(ReleaseRules.releaseDate)
        let upc = try draft.upc.map(ReleaseRules.upc)
        let description = try ReleaseRules.description(draft.description)
        let genres = try ReleaseRules.genres(draft.genres)
        let instant = now()
        let release = Release(
            id: Identifier.make(), artistID: user.id, title: title, type: draft.type, releaseDate: releaseDate, upc: upc,
            licence: draft.licence, description: description, createdAt: instant, updatedAt: instant)
        return try await database.write { db in
            try release.insert(db)
            try Self.setGenres(genres, releaseID: release.id, db)
            return try Self.detail(release, viewer: user, db)
        }
    }

    public func update(id: String, by user: User, _ changes: ReleaseChanges) async throws -> ReleaseDetail {
        let title = try changes.title.map(ReleaseRules.title)
        let releaseDate: String?? = try changes.releaseDate.map { try $0.map(ReleaseRules.releaseDate) }
        let upc: String?? = try changes.upc.map { try $0.map(ReleaseRules.upc) }
        let description = try changes.description.map(ReleaseRules.description)
        let genres = try changes.genres.map(ReleaseRules.genres)
        let instant = now()
        return try await database.write { db in
            var release = try Self.editable(id: id, by: user, db)
            if let title { release.title = title }
            if let type = changes.type { release.type = type }
            if let releaseDate { release.releaseDate = releaseDate }
            if let upc { release.upc = upc }
            if let licence = changes.licence { release.licence = licence }
            if let description { release.description = description }
            release.updatedAt = instant
            try release.update(db)
            if let genres { try Self.setGenres(genres, releaseID: id, db) }
            return try Self.detail(release, viewer: user, db)
        }
    }

    /// Deletes a release that has no tracks (delete or move them first).
    public func delete(id: String, by user: User) async throws {
        let instant = now()
        try await database.write { db in
            let release = try Self.editable(id: id, by: user, db)
            guard try Placing.trackCount(releaseID: id, db) == 0 else {
                throw CatalogError.conflict("the release has tracks: delete them or place them in another release first")
            }
            try db.execute(sql: "UPDATE releases SET published = 0, deletedAt = ?, updatedAt = ? WHERE id = ?", arguments: [instant, instant, release.id])
        }
    }

    /// Publishes or withdraws a release (and so all its tracks).
    public func setPublished(id: String, by user: User, _ published: Bool) async throws -> ReleaseDetail {
        let instant = now()
        return try await database.write { db in
            _ = try Self.editable(id: id, by: user, db)
            try Self.setPublished(releaseID: id, published, now: instant, db)
            guard let release = try Release.fetchOne(db, key: id) else { throw CatalogError.notFound(kind: "release", id: id) }
            return try Self.detail(release, viewer: user, db)
        }
    }

    /// Publishing needs at least one track and every track ready; withdrawing always works.
    static func setPublished(releaseID: String, _ published: Bool, now: Date, _ db: Database) throws {
        guard let release = try Release.fetchOne(db, key: releaseID), release.deletedAt == nil else {
            throw CatalogError.notFound(kind: "release", id: releaseID)
        }
        guard release.published != published else { return }
        if published {
            let tracks = try Track.fetchAll(db, sql: "SELECT * FROM tracks WHERE releaseID = ? AND deletedAt IS NULL ORDER BY discNumber, trackNumber",
                                            arguments: [releaseID])
            guard !tracks.isEmpty else { throw CatalogError.conflict("the release has no tracks yet: add at least one before publishing") }
            if let waiting = tracks.first(where: { $0.status != .ready }) {
                throw CatalogError.conflict(
                    "track \(waiting.discNumber)-\(waiting.trackNumber) '\(waiting.title)' is \(waiting.status.rawValue): every track must be ready before the release is published")
            }
        }
        try db.execute(sql: "UPDATE releases SET published = ?, publishedAt = CASE WHEN ? THEN ? ELSE publishedAt END, updatedAt = ? WHERE id = ?",
                       arguments: [published, published, now, now, releaseID])
    }

    /// Sets the release's track list (see ``Placing/place(_:in:now:_:)``).
    public func placeTracks(releaseID: String, by user: User, _ places: [TrackPlace]) async throws -> ReleaseDetail {
        let instant = now()
        return try await database.write { db in
            let release = try Self.editable(id: releaseID, by: user, db)
            try Placing.place(places, in: release, now: instant, db)
            guard let updated = try Release.fetchOne(db, key: releaseID) else { throw CatalogError.notFound(kind: "release", id: releaseID) }
            return try Self.detail(updated, viewer: user, db)
        }
    }

    /// Sets the cover's image reference (made by the image pipeline); nil removes it.
    public func setCover(releaseID: String, by user: User, image: String?) async throws -> Release {
        let instant = now()
        return try await database.write { db in
            var release = try Self.editable(id: releaseID, by: user, db)
            release.coverImage = image
            release.updatedAt = instant
            try release.update(db)
            return release
        }
    }

    static func setGenres(_ genres: [String], releaseID: String, _ db: Database) throws {
        try db.execute(sql: "DELETE FROM releaseGenres WHERE releaseID = ?", arguments: [releaseID])
        for (position, genre) in genres.enumerated() {
            try db.execute(sql: "INSERT INTO releaseGenres (releaseID, genre, position) VALUES (?, ?, ?)", arguments: [releaseID, genre, position])
        }
    }

    /// The release if `user` may change it: its artist or an admin. Others' drafts are "not found".
    static func editable(id: String, by user: User, _ db: Database) throws -> Release {
        guard Identifier.isValid(id), let release = try Release.fetchOne(db, key: id), release.deletedAt == nil else {
            throw CatalogError.notFound(kind: "release", id: id)
        }
        guard user.role == .admin || user.id == release.artistID else {
            if isVisible(release, to: user) { throw CatalogError.forbidden("only the release's artist can change it") }
            throw CatalogError.notFound(kind: "release", id: id)
        }
        return release
    }

    // MARK: Listings

    /// Published releases (and, for their artist or an admin listing that artist, drafts),
    /// by genre and artist, newest first or by title.
    public func list(_ query: ReleaseQuery, viewer: User?) async throws -> Page<ReleaseSummary> {
        var conditions = ["r.deletedAt IS NULL"]
        var arguments: [String] = []
        if let artistID = query.artistID {
            conditions.append("r.artistID = ?")
            arguments.append(artistID)
        }
        if let viewer, let artistID = query.artistID, viewer.role == .admin || viewer.id == artistID {
            // The artist and admins see the artist's drafts too.
        } else {
            conditions.append("r.published = 1")
        }
        if let genre = query.genre {
            conditions.append("EXISTS (SELECT 1 FROM releaseGenres g WHERE g.releaseID = r.id AND g.genre = ?)")
            arguments.append(genre)
        }
        let whereClause = conditions.joined(separator: " AND ")
        let order = switch query.order {
        case .newest: "coalesce(r.publishedAt, r.createdAt) DESC, r.id"
        case .title: "r.title COLLATE NOCASE, r.id"
        }
        let bound = arguments
        return try await database.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM releases r WHERE \(whereClause)", arguments: StatementArguments(bound)) ?? 0
            let rows = try Row.fetchAll(db, sql: """
                SELECT r.*, u.displayName AS artistName,
                       (SELECT count(*) FROM tracks t WHERE t.releaseID = r.id AND t.deletedAt IS NULL) AS trackCount
                FROM releases r JOIN users u ON u.id = r.artistID
                WHERE \(whereClause) ORDER BY \(order) LIMIT ? OFFSET ?
                """, arguments: StatementArguments(bound) + [query.limit, query.offset])
            let items = try rows.map { row in
                let release = try Release(row: row)
                return ReleaseSummary(release: release, artistName: row["artistName"], genres: try Self.genres(of: release.id, db), trackCount: row["trackCount"],
                                      coverSizes: try Images.sizes(of: release.coverImage, db))
            }
            return Page(items: items, total: total, limit: query.limit, offset: query.offset)
        }
    }

    /// Genres of published releases, most used first.
    public func genres(limit: Int, offset: Int) async throws -> Page<GenreCount> {
        let limit = min(max(limit, TrackQuery.limits.lowerBound), TrackQuery.limits.upperBound)
        let offset = max(0, offset)
        let base = "FROM releaseGenres g JOIN releases r ON r.id = g.releaseID WHERE r.published = 1 AND r.deletedAt IS NULL"
        return try await database.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(DISTINCT g.genre) \(base)") ?? 0
            let rows = try Row.fetchAll(db, sql: "SELECT g.genre, count(*) AS releaseCount \(base) GROUP BY g.genre ORDER BY releaseCount DESC, g.genre LIMIT ? OFFSET ?",
                                        arguments: [limit, offset])
            return Page(items: rows.map { GenreCount(genre: $0["genre"], releaseCount: $0["releaseCount"]) }, total: total, limit: limit, offset: offset)
        }
    }
}
