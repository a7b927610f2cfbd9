import FoundationEssentials
import GRDB

/// What a listener can keep in their library.
public enum FavouriteKind: String, Codable, Sendable, CaseIterable {
    case track, release, artist
}

/// A favourite as listed: what it is, its title and artist, and when it was added.
public struct Favourite: Sendable, Equatable {
    public let kind: FavouriteKind
    public let id: String
    public let title: String
    /// The artist's name (for an artist: nil).
    public let artistName: String?
    public let addedAt: Date
}

/// A followed artist.
public struct FollowedArtist: Sendable, Equatable {
    public let id: String
    public let displayName: String
    public let followedAt: Date
}

/// Favourites, follows and the listener's settings (time zone).
public struct Library: Sendable {
    let database: any DatabaseWriter
    let now: @Sendable () -> Date

    package init(database: any DatabaseWriter, now: @escaping @Sendable () -> Date) {
        self.database = database
        self.now = now
    }

    // MARK: Favourites

    /// Adds a favourite (again: keeps the first time). The item must be visible to the listener.
    public func addFavourite(_ kind: FavouriteKind, id: String, by listener: User) async throws {
        let instant = now()
        try await database.write { db in
            guard try Self.isVisible(kind, id: id, to: listener, db) else { throw CatalogError.notFound(kind: kind.rawValue, id: id) }
            try db.execute(sql: """
                INSERT INTO libraryFavourites (listenerID, kind, itemID, addedAt) VALUES (?, ?, ?, ?)
                ON CONFLICT DO NOTHING
                """, arguments: [listener.id, kind.rawValue, id, instant])
        }
    }

    /// Removes a favourite; true if it was one.
    @discardableResult
    public func removeFavourite(_ kind: FavouriteKind, id: String, by listener: User) async throws -> Bool {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM libraryFavourites WHERE listenerID = ? AND kind = ? AND itemID = ?",
                           arguments: [listener.id, kind.rawValue, id])
            return db.changesCount > 0
        }
    }

    /// The listener's favourites that are still visible to them, newest first.
    public func favourites(of listener: User, kind: FavouriteKind?, limit: Int, offset: Int) async throws -> Page<Favourite> {
        let visible = """
            ((f.kind = 'track' AND t.id IS NOT NULL AND t.deletedAt IS NULL AND ((t.published = 1 AND t.status = 'ready') OR t.artistID = :viewer))
             OR (f.kind = 'release' AND r.id IS NOT NULL AND r.deletedAt IS NULL AND (r.published = 1 OR r.artistID = :viewer))
             OR (f.kind = 'artist' AND a.id IS NOT NULL))
            """
        let from = """
            FROM libraryFavourites f
            LEFT JOIN tracks t ON f.kind = 'track' AND t.id = f.itemID
            LEFT JOIN releases r ON f.kind = 'release' AND r.id = f.itemID
            LEFT JOIN users a ON f.kind = 'artist' AND a.id = f.itemID AND a.role = 'artist'
            LEFT JOIN users owner ON owner.id = coalesce(t.artistID, r.artistID)
            WHERE f.listenerID = :viewer AND (:kind IS NULL OR f.kind = :kind) AND \(visible)
            """
        let arguments: StatementArguments = ["viewer": listener.id, "kind": kind?.rawValue]
        return try await database.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) \(from)", arguments: arguments) ?? 0
            let rows = try Row.fetchAll(db, sql: """
                SELECT f.kind, f.itemID, f.addedAt, coalesce(t.title, r.title, a.displayName) AS title, owner.displayName AS artistName
                \(from) ORDER BY f.addedAt DESC, f.kind, f.itemID LIMIT :limit OFFSET :offset
                """, arguments: arguments + ["limit": limit, "offset": offset])
            let items = rows.map { row in
                Favourite(kind: FavouriteKind(rawValue: row["kind"]) ?? .track, id: row["itemID"], title: row["title"] ?? "",
                          artistName: row["artistName"], addedAt: row["addedAt"])
            }
            return Page(items: items, total: total, limit: limit, offset: offset)
        }
    }

    /// When each of the listener's favourites was added, by kind and id (for marking what a
    /// listing shows as starred).
    public func favouriteTimes(of listenerID: String) async throws -> [FavouriteKind: [String: Date]] {
        try await database.read { db in
            var times: [FavouriteKind: [String: Date]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT kind, itemID, addedAt FROM libraryFavourites WHERE listenerID = ?", arguments: [listenerID]) {
                guard let kind = FavouriteKind(rawValue: row["kind"]) else { continue }
                times[kind, default: [:]][row["itemID"]] = row["addedAt"]
            }
            return times
        }
    }

    static func isVisible(_ kind: FavouriteKind, id: String, to viewer: User, _ db: Database) throws -> Bool {
        guard Identifier.isValid(id) else { return false }
        switch kind {
        case .track:
            return try Track.fetchOne(db, key: id).map { Tracks.isVisible($0, to: viewer) } ?? false
        case .release:
            return try Release.fetchOne(db, key: id).map { Releases.isVisible($0, to: viewer) } ?? false
        case .artist:
            return try User.fetchOne(db, key: id)?.role == .artist
        }
    }

    // MARK: Follows

    /// Follows an artist (again: keeps the first time).
    public func follow(artistID: String, by listener: User) async throws {
        let instant = now()
        try await database.write { db in
            guard try Self.isVisible(.artist, id: artistID, to: listener, db) else { throw CatalogError.notFound(kind: "artist", id: artistID) }
            guard artistID != listener.id else { throw CatalogError.conflict("an artist cannot follow themself") }
            try db.execute(sql: "INSERT INTO artistFollows (listenerID, artistID, followedAt) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                           arguments: [listener.id, artistID, instant])
        }
    }

    @discardableResult
    public func unfollow(artistID: String, by listener: User) async throws -> Bool {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM artistFollows WHERE listenerID = ? AND artistID = ?", arguments: [listener.id, artistID])
            return db.changesCount > 0
        }
    }

    /// The artists the listener follows, most recently followed first.
    public func follows(of listener: User, limit: Int, offset: Int) async throws -> Page<FollowedArtist> {
        try await database.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM artistFollows WHERE listenerID = ?", arguments: [listener.id]) ?? 0
            let rows = try Row.fetchAll(db, sql: """
                SELECT u.id, u.displayName, f.followedAt FROM artistFollows f JOIN users u ON u.id = f.artistID
                WHERE f.listenerID = ? ORDER BY f.followedAt DESC, u.id LIMIT ? OFFSET ?
                """, arguments: [listener.id, limit, offset])
            return Page(items: rows.map { FollowedArtist(id: $0["id"], displayName: $0["displayName"], followedAt: $0["followedAt"]) },
                        total: total, limit: limit, offset: offset)
        }
    }

    /// Published releases of the artists the listener follows, newest first.
    public func newFromFollowed(_ listener: User, limit: Int, offset: Int) async throws -> Page<ReleaseSummary> {
        let from = """
            FROM releases r JOIN artistFollows f ON f.artistID = r.artistID AND f.listenerID = ? JOIN users u ON u.id = r.artistID
            WHERE r.published = 1 AND r.deletedAt IS NULL
            """
        return try await database.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) \(from)", arguments: [listener.id]) ?? 0
            let rows = try Row.fetchAll(db, sql: """
                SELECT r.*, u.displayName AS artistName,
                       (SELECT count(*) FROM tracks t WHERE t.releaseID = r.id AND t.deletedAt IS NULL) AS trackCount
                \(from)
                ORDER BY r.publishedAt DESC, r.id LIMIT ? OFFSET ?
                """, arguments: [listener.id, limit, offset])
            let items = try rows.map { row in
                let release = try Release(row: row)
                return ReleaseSummary(release: release, artistName: row["artistName"], genres: try Releases.genres(of: release.id, db),
                                      trackCount: row["trackCount"])
            }
            return Page(items: items, total: total, limit: limit, offset: offset)
        }
    }

    /// An artist's published releases, newest first (their Atom feed), with the artist's name;
    /// nil if there is no such artist.
    public func feed(artistID: String, limit: Int) async throws -> (artist: User, releases: [Release])? {
        guard Identifier.isValid(artistID) else { return nil }
        return try await database.read { db in
            guard let artist = try User.fetchOne(db, key: artistID), artist.role == .artist else { return nil }
            let releases = try Release.fetchAll(db, sql: """
                SELECT * FROM releases WHERE artistID = ? AND published = 1 AND deletedAt IS NULL
                ORDER BY publishedAt DESC, id LIMIT ?
                """, arguments: [artistID, limit])
            return (artist, releases)
        }
    }

    // MARK: Settings

    /// The listener's time zone (IANA name), if they set one.
    public func timeZone(of userID: String) async throws -> String? {
        try await database.read { db in
            try String.fetchOne(db, sql: "SELECT timeZone FROM listenerSettings WHERE userID = ?", arguments: [userID])
        }
    }

    /// Stores the listener's time zone with their account (the caller checked the name).
    public func setTimeZone(_ timeZone: String, of userID: String) async throws {
        let instant = now()
        try await database.write { db in
            try db.execute(sql: """
                INSERT INTO listenerSettings (userID, timeZone, updatedAt) VALUES (?, ?, ?)
                ON CONFLICT (userID) DO UPDATE SET timeZone = excluded.timeZone, updatedAt = excluded.updatedAt
                """, arguments: [userID, timeZone, instant])
        }
    }
}
