import FoundationEssentials
import GRDB

/// A listener's playlist: an ordered list of tracks, public or private.
public struct Playlist: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "playlists"

    public var id: String
    public var ownerID: String
    public var title: String
    public var description: String
    /// Anyone may open a public playlist; a private one is its owner's alone.
    public var `public`: Bool
    /// 1 when made; every edit adds one. Edits name the version they were made on.
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date
}

/// A playlist as a viewer sees it: its entries in order (tracks the viewer may not see are
/// listed as unavailable, without their title).
public struct PlaylistDetail: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public let position: Int
        public let trackID: String
        public let available: Bool
        public let title: String?
        public let artistName: String?
        public let releaseID: String?
    }

    public let playlist: Playlist
    public let ownerName: String
    public let entries: [Entry]
}

/// An edit was made on a version of the playlist that is no longer the current one.
public struct PlaylistVersionConflict: Error, Sendable, Equatable {
    public let playlistID: String
    public let sent: Int
    public let current: Int
}

/// What an edit does to a playlist.
public enum PlaylistEdit: Sendable {
    case details(title: String?, description: String?, public: Bool?)
    /// Inserts a track at `position` (nil: at the end).
    case add(trackID: String, position: Int?)
    case remove(position: Int)
    case move(from: Int, to: Int)
}

/// Playlists: made, edited and deleted by their owner, one version at a time (optimistic
/// concurrency: an edit names the version it was made on, and a stale one changes nothing).
public struct Playlists: Sendable {
    let database: any DatabaseWriter
    let now: @Sendable () -> Date

    package init(database: any DatabaseWriter, now: @escaping @Sendable () -> Date) {
        self.database = database
        self.now = now
    }

    public func create(by owner: User, title: String, description: String, public isPublic: Bool) async throws -> PlaylistDetail {
        let title = try Self.title(title)
        let description = try Self.description(description)
        let instant = now()
        let playlist = Playlist(id: Identifier.make(), ownerID: owner.id, title: title, description: description, public: isPublic,
                                version: 1, createdAt: instant, updatedAt: instant)
        return try await database.write { db in
            try playlist.insert(db)
            return try Self.detail(playlist, viewer: owner, db)
        }
    }

    /// The playlist if `viewer` may see it: its owner always, anyone when public; else nil.
    public func playlist(id: String, viewer: User?) async throws -> PlaylistDetail? {
        guard Identifier.isValid(id) else { return nil }
        return try await database.read { db in
            guard let playlist = try Playlist.fetchOne(db, key: id), playlist.public || playlist.ownerID == viewer?.id else { return nil }
            return try Self.detail(playlist, viewer: viewer, db)
        }
    }

    /// A listener's playlists: all of them for themself, the public ones for anyone else.
    public func playlists(of ownerID: String, viewer: User?, limit: Int, offset: Int) async throws -> Page<Playlist> {
        let all = viewer?.id == ownerID
        return try await database.read { db in
            let condition = all ? "ownerID = ?" : "ownerID = ? AND public = 1"
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM playlists WHERE \(condition)", arguments: [ownerID]) ?? 0
            let items = try Playlist.fetchAll(db, sql: "SELECT * FROM playlists WHERE \(condition) ORDER BY updatedAt DESC, id LIMIT ? OFFSET ?",
                                              arguments: [ownerID, limit, offset])
            return Page(items: items, total: total, limit: limit, offset: offset)
        }
    }

    /// Applies `edit` if `version` is the playlist's current one, in one transaction.
    /// - Throws: ``PlaylistVersionConflict`` for another version (nothing changes);
    ///   ``CatalogError/notFound(kind:id:)`` unless `owner` owns it;
    ///   ``CatalogError/conflict(_:)`` for a position the playlist does not have, or a full one;
    ///   ``CatalogError/invalidField(name:reason:)`` for a title or description out of range.
    public func edit(id: String, by owner: User, version: Int, _ edit: PlaylistEdit) async throws -> PlaylistDetail {
        let instant = now()
        var checkedTitle: String?
        var checkedDescription: String?
        if case .details(let newTitle, let newDescription, _) = edit {
            checkedTitle = try newTitle.map(Self.title)
            checkedDescription = try newDescription.map(Self.description)
        }
        let (title, description) = (checkedTitle, checkedDescription)
        return try await database.write { db in
            var playlist = try Self.owned(id: id, by: owner, db)
            guard playlist.version == version else {
                throw PlaylistVersionConflict(playlistID: id, sent: version, current: playlist.version)
            }
            var order = try String.fetchAll(db, sql: "SELECT trackID FROM playlistTracks WHERE playlistID = ? ORDER BY position", arguments: [id])
            switch edit {
            case .details(_, _, let isPublic):
                if let title { playlist.title = title }
                if let description { playlist.description = description }
                if let isPublic { playlist.public = isPublic }
            case .add(let trackID, let position):
                guard Identifier.isValid(trackID), let track = try Track.fetchOne(db, key: trackID), Tracks.isVisible(track, to: owner) else {
                    throw CatalogError.notFound(kind: "track", id: trackID)
                }
                guard order.count < PlaylistRules.maximumTracks else {
                    throw CatalogError.conflict("the playlist is full: it holds at most \(PlaylistRules.maximumTracks) tracks")
                }
                let place = position ?? order.count
                guard (0...order.count).contains(place) else { throw Self.outOfRange("position", place, order.count) }
                order.insert(trackID, at: place)
            case .remove(let position):
                guard order.indices.contains(position) else { throw Self.outOfRange("position", position, order.count - 1) }
                order.remove(at: position)
            case .move(let from, let to):
                guard order.indices.contains(from) else { throw Self.outOfRange("from", from, order.count - 1) }
                guard order.indices.contains(to) else { throw Self.outOfRange("to", to, order.count - 1) }
                order.insert(order.remove(at: from), at: to)
            }
            if case .details = edit {} else {
                try db.execute(sql: "DELETE FROM playlistTracks WHERE playlistID = ?", arguments: [id])
                for (position, trackID) in order.enumerated() {
                    try db.execute(sql: "INSERT INTO playlistTracks (playlistID, position, trackID) VALUES (?, ?, ?)",
                                   arguments: [id, position, trackID])
                }
            }
            playlist.version += 1
            playlist.updatedAt = instant
            try playlist.update(db)
            return try Self.detail(playlist, viewer: owner, db)
        }
    }

    /// Deletes the playlist if `version` is current.
    public func delete(id: String, by owner: User, version: Int) async throws {
        try await database.write { db in
            let playlist = try Self.owned(id: id, by: owner, db)
            guard playlist.version == version else {
                throw PlaylistVersionConflict(playlistID: id, sent: version, current: playlist.version)
            }
            _ = try playlist.delete(db)
        }
    }

    // MARK: Helpers

    static func owned(id: String, by owner: User, _ db: Database) throws -> Playlist {
        guard Identifier.isValid(id), let playlist = try Playlist.fetchOne(db, key: id), playlist.ownerID == owner.id else {
            throw CatalogError.notFound(kind: "playlist", id: id)
        }
        return playlist
    }

    static func detail(_ playlist: Playlist, viewer: User?, _ db: Database) throws -> PlaylistDetail {
        let ownerName = try String.fetchOne(db, sql: "SELECT displayName FROM users WHERE id = ?", arguments: [playlist.ownerID]) ?? ""
        let rows = try Row.fetchAll(db, sql: """
            SELECT p.position, t.*, u.displayName AS artistName FROM playlistTracks p
            JOIN tracks t ON t.id = p.trackID JOIN users u ON u.id = t.artistID
            WHERE p.playlistID = ? ORDER BY p.position
            """, arguments: [playlist.id])
        let entries = try rows.map { row -> PlaylistDetail.Entry in
            let track = try Track(row: row)
            let visible = Tracks.isVisible(track, to: viewer)
            return PlaylistDetail.Entry(
                position: row["position"], trackID: track.id, available: visible, title: visible ? track.title : nil,
                artistName: visible ? row["artistName"] : nil, releaseID: visible ? track.releaseID : nil)
        }
        return PlaylistDetail(playlist: playlist, ownerName: ownerName, entries: entries)
    }

    /// A position the playlist does not have (now): a conflict with its state, like a stale version.
    static func outOfRange(_ name: String, _ value: Int, _ last: Int) -> CatalogError {
        .conflict(last < 0 ? "the playlist is empty: \(name) \(value) names no track" : "\(name) must be from 0 to \(last) in this version of the playlist, got \(value)")
    }

    static func title(_ text: String) throws -> String {
        try TextRules.line(text, field: "title", length: 1...PlaylistRules.titleLength)
    }

    static func description(_ text: String) throws -> String {
        try TextRules.paragraphs(text, field: "description", maximum: PlaylistRules.descriptionLength)
    }
}
