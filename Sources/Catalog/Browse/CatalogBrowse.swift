import FoundationEssentials
import GRDB

/// A published track as a music library lists it: with its release, artist, first genre,
/// cover and the standard rendition's size.
public struct BrowseSong: Sendable, Equatable {
    public var track: Track
    public var releaseTitle: String
    /// `YYYY-MM-DD`, if the artist gave one.
    public var releaseDate: String?
    public var artistName: String
    public var genre: String?
    /// The release cover's image id.
    public var coverImage: String?
    /// The standard rendition: bytes and bits per second (nil if missing).
    public var standardBytes: Int64?
    public var standardBitrate: Int?

    /// The release's year, if its date is known.
    public var year: Int? { releaseDate.flatMap { Int($0.prefix(4)) } }
}

/// A published release as a music library lists it.
public struct BrowseAlbum: Sendable, Equatable {
    public var release: Release
    public var artistName: String
    /// Published, ready tracks.
    public var songCount: Int
    /// Their total length, samples at 48 kHz.
    public var durationSamples: Int64
    public var genre: String?

    public var year: Int? { release.releaseDate.flatMap { Int($0.prefix(4)) } }
}

/// An artist with at least one published release.
public struct BrowseArtist: Sendable, Equatable {
    public var id: String
    public var name: String
    public var albumCount: Int
    /// The avatar's image id.
    public var avatarImage: String?
}

/// A genre of published releases, with what carries it.
public struct BrowseGenre: Sendable, Equatable {
    public var name: String
    public var songCount: Int
    public var albumCount: Int
}

/// How a list of albums is ordered or filtered (the Subsonic album list types).
public enum AlbumListing: Sendable, Equatable {
    case newest, alphabeticalByName, alphabeticalByArtist, random
    /// The listener's favourite releases, most recent first.
    case starred(listenerID: String)
    /// Releases the listener opened most play sessions of.
    case frequent(listenerID: String)
    /// Releases the listener played most recently.
    case recent(listenerID: String)
    /// Release years from `from` to `to` (descending when `from` > `to`).
    case byYear(from: Int, to: Int)
    case byGenre(String)
}

/// Read-only views of the published catalog for music library clients (the Subsonic API):
/// artists, albums (releases), songs (tracks) and genres. Everything listed is published: a
/// published, undeleted release and its ready, undeleted tracks.
public struct CatalogBrowse: Sendable {
    let database: any DatabaseReader

    package init(database: any DatabaseReader) {
        self.database = database
    }

    /// The condition a listed track meets (alias `t`, its release `r`).
    static let visibleTrack = "t.published = 1 AND t.status = 'ready' AND t.deletedAt IS NULL AND r.published = 1 AND r.deletedAt IS NULL"

    static let songSelect = """
        SELECT t.*, r.title AS releaseTitle, r.releaseDate AS releaseDate, r.coverImage AS coverImage, u.displayName AS artistName,
               (SELECT g.genre FROM releaseGenres g WHERE g.releaseID = r.id ORDER BY g.position LIMIT 1) AS genre,
               s.bytes AS standardBytes, s.bitrate AS standardBitrate
        FROM tracks t JOIN releases r ON r.id = t.releaseID JOIN users u ON u.id = t.artistID
        LEFT JOIN renditions s ON s.trackID = t.id AND s.name = 'standard'
        """

    static let albumSelect = """
        SELECT r.*, u.displayName AS artistName, count(t.id) AS songCount, coalesce(sum(t.durationSamples), 0) AS totalSamples,
               (SELECT g.genre FROM releaseGenres g WHERE g.releaseID = r.id ORDER BY g.position LIMIT 1) AS genre
        FROM releases r JOIN users u ON u.id = r.artistID JOIN tracks t ON t.releaseID = r.id
        """

    static func song(_ row: Row) throws -> BrowseSong {
        BrowseSong(track: try Track(row: row), releaseTitle: row["releaseTitle"], releaseDate: row["releaseDate"], artistName: row["artistName"],
                   genre: row["genre"], coverImage: row["coverImage"], standardBytes: row["standardBytes"], standardBitrate: row["standardBitrate"])
    }

    static func album(_ row: Row) throws -> BrowseAlbum {
        BrowseAlbum(release: try Release(row: row), artistName: row["artistName"], songCount: row["songCount"],
                    durationSamples: row["totalSamples"], genre: row["genre"])
    }

    // MARK: Artists

    static let artistSelect = """
        SELECT u.id, u.displayName, p.avatarImage, count(DISTINCT r.id) AS albumCount
        FROM users u JOIN releases r ON r.artistID = u.id JOIN tracks t ON t.releaseID = r.id
        LEFT JOIN artistProfiles p ON p.userID = u.id
        WHERE \(visibleTrack)
        """

    static func artist(_ row: Row) -> BrowseArtist {
        BrowseArtist(id: row["id"], name: row["displayName"], albumCount: row["albumCount"], avatarImage: row["avatarImage"])
    }

    /// Every artist with a published release, by name.
    public func artists(limit: Int = 100_000, offset: Int = 0) async throws -> Page<BrowseArtist> {
        try await database.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(DISTINCT u.id) FROM users u JOIN releases r ON r.artistID = u.id JOIN tracks t ON t.releaseID = r.id WHERE \(Self.visibleTrack)") ?? 0
            let rows = try Row.fetchAll(db, sql: "\(Self.artistSelect) GROUP BY u.id ORDER BY u.displayName COLLATE NOCASE, u.id LIMIT ? OFFSET ?",
                                        arguments: [limit, offset])
            return Page(items: rows.map(Self.artist), total: total, limit: limit, offset: offset)
        }
    }

    /// Artists by id, in the order given (unknown or unpublished ones left out).
    public func artists(ids: [String]) async throws -> [BrowseArtist] {
        try await byIDs(ids) { db, placeholders, arguments in
            try Row.fetchAll(db, sql: "\(Self.artistSelect) AND u.id IN (\(placeholders)) GROUP BY u.id", arguments: arguments).map(Self.artist)
        } id: { $0.id }
    }

    // MARK: Albums

    /// Albums by id, in the order given.
    public func albums(ids: [String]) async throws -> [BrowseAlbum] {
        try await byIDs(ids) { db, placeholders, arguments in
            try Row.fetchAll(db, sql: "\(Self.albumSelect) WHERE \(Self.visibleTrack) AND r.id IN (\(placeholders)) GROUP BY r.id",
                             arguments: arguments).map(Self.album)
        } id: { $0.release.id }
    }

    /// An artist's albums, newest release date first.
    public func albums(artistID: String) async throws -> [BrowseAlbum] {
        try await database.read { db in
            try Row.fetchAll(db, sql: """
                \(Self.albumSelect) WHERE \(Self.visibleTrack) AND r.artistID = ? GROUP BY r.id
                ORDER BY coalesce(r.releaseDate, '') DESC, r.title COLLATE NOCASE, r.id
                """, arguments: [artistID]).map(Self.album)
        }
    }

    /// A page of albums of one listing.
    public func albums(_ listing: AlbumListing, limit: Int, offset: Int) async throws -> [BrowseAlbum] {
        var joins = ""
        var conditions = [Self.visibleTrack]
        var arguments: StatementArguments = []
        let order: String
        switch listing {
        case .newest:
            order = "coalesce(r.publishedAt, r.createdAt) DESC, r.id"
        case .alphabeticalByName:
            order = "r.title COLLATE NOCASE, r.id"
        case .alphabeticalByArtist:
            order = "u.displayName COLLATE NOCASE, r.title COLLATE NOCASE, r.id"
        case .random:
            order = "random()"
        case .starred(let listener):
            joins = "JOIN libraryFavourites f ON f.kind = 'release' AND f.itemID = r.id AND f.listenerID = ?"
            arguments += [listener]
            order = "max(f.addedAt) DESC, r.id"
        case .frequent(let listener):
            joins = "JOIN (SELECT tt.releaseID, count(*) AS plays FROM playSessions ps JOIN tracks tt ON tt.id = ps.trackID WHERE ps.listenerID = ? GROUP BY tt.releaseID) pl ON pl.releaseID = r.id"
            arguments += [listener]
            order = "max(pl.plays) DESC, r.id"
        case .recent(let listener):
            joins = "JOIN (SELECT tt.releaseID, max(ps.createdAt) AS lastPlayed FROM playSessions ps JOIN tracks tt ON tt.id = ps.trackID WHERE ps.listenerID = ? GROUP BY tt.releaseID) pl ON pl.releaseID = r.id"
            arguments += [listener]
            order = "max(pl.lastPlayed) DESC, r.id"
        case .byYear(let from, let to):
            conditions.append("CAST(substr(r.releaseDate, 1, 4) AS INTEGER) BETWEEN ? AND ?")
            arguments += [min(from, to), max(from, to)]
            order = from <= to ? "r.releaseDate, r.id" : "r.releaseDate DESC, r.id"
        case .byGenre(let genre):
            conditions.append("EXISTS (SELECT 1 FROM releaseGenres g WHERE g.releaseID = r.id AND g.genre = ? COLLATE NOCASE)")
            arguments += [genre]
            order = "r.title COLLATE NOCASE, r.id"
        }
        let sql = "\(Self.albumSelect) \(joins) WHERE \(conditions.joined(separator: " AND ")) GROUP BY r.id ORDER BY \(order) LIMIT ? OFFSET ?"
        let bound = arguments + [limit, offset]
        return try await database.read { db in try Row.fetchAll(db, sql: sql, arguments: bound).map(Self.album) }
    }

    /// Albums whose title contains every word of `text` (none: all albums), by title.
    public func albums(matching text: String, limit: Int, offset: Int) async throws -> [BrowseAlbum] {
        let (filter, arguments) = Self.words(text, columns: ["r.title", "u.displayName"])
        return try await database.read { db in
            try Row.fetchAll(db, sql: "\(Self.albumSelect) WHERE \(Self.visibleTrack)\(filter) GROUP BY r.id ORDER BY r.title COLLATE NOCASE, r.id LIMIT ? OFFSET ?",
                             arguments: arguments + [limit, offset]).map(Self.album)
        }
    }

    /// Artists whose name contains every word of `text` (none: all artists), by name.
    public func artists(matching text: String, limit: Int, offset: Int) async throws -> [BrowseArtist] {
        let (filter, arguments) = Self.words(text, columns: ["u.displayName", "u.username"])
        return try await database.read { db in
            try Row.fetchAll(db, sql: "\(Self.artistSelect)\(filter) GROUP BY u.id ORDER BY u.displayName COLLATE NOCASE, u.id LIMIT ? OFFSET ?",
                             arguments: arguments + [limit, offset]).map(Self.artist)
        }
    }

    /// Songs whose title, album or artist contains every word of `text` (none: all songs).
    public func songs(matching text: String, limit: Int, offset: Int) async throws -> [BrowseSong] {
        let (filter, arguments) = Self.words(text, columns: ["t.title", "r.title", "u.displayName"])
        return try await database.read { db in
            try Row.fetchAll(db, sql: "\(Self.songSelect) WHERE \(Self.visibleTrack)\(filter) ORDER BY t.title COLLATE NOCASE, t.id LIMIT ? OFFSET ?",
                             arguments: arguments + [limit, offset]).map(Self.song)
        }
    }

    /// ` AND (a LIKE ? OR b LIKE ?)` per word of `text` (at most ``CatalogSearch/maximumWords``).
    static func words(_ text: String, columns: [String]) -> (String, StatementArguments) {
        var filter = ""
        var arguments: StatementArguments = []
        for word in TextField.clean(text).split(separator: " ").prefix(CatalogSearch.maximumWords) {
            filter += " AND (" + columns.map { "\($0) LIKE ? ESCAPE '\\'" }.joined(separator: " OR ") + ")"
            let pattern = "%" + Tracks.escapeLike(String(word)) + "%"
            for _ in columns { arguments += [pattern] }
        }
        return (filter, arguments)
    }

    // MARK: Songs

    /// Songs by id, in the order given (repeats kept: a playlist may hold a track twice).
    public func songs(ids: [String]) async throws -> [BrowseSong] {
        let unique = Array(Set(ids.filter { Identifier.isValid($0) }))
        guard !unique.isEmpty else { return [] }
        let found = try await database.read { db in
            try Row.fetchAll(db, sql: "\(Self.songSelect) WHERE \(Self.visibleTrack) AND t.id IN (\(Self.placeholders(unique.count)))",
                             arguments: StatementArguments(unique)).map(Self.song)
        }
        let byID = Dictionary(found.map { ($0.track.id, $0) }, uniquingKeysWith: { first, _ in first })
        return ids.compactMap { byID[$0] }
    }

    /// An album's songs, by disc and track number.
    public func songs(albumID: String) async throws -> [BrowseSong] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "\(Self.songSelect) WHERE \(Self.visibleTrack) AND r.id = ? ORDER BY t.discNumber, t.trackNumber, t.id",
                             arguments: [albumID]).map(Self.song)
        }
    }

    /// Songs of releases carrying `genre`.
    public func songs(genre: String, limit: Int, offset: Int) async throws -> [BrowseSong] {
        try await database.read { db in
            try Row.fetchAll(db, sql: """
                \(Self.songSelect) WHERE \(Self.visibleTrack)
                AND EXISTS (SELECT 1 FROM releaseGenres g WHERE g.releaseID = r.id AND g.genre = ? COLLATE NOCASE)
                ORDER BY r.title COLLATE NOCASE, t.discNumber, t.trackNumber, t.id LIMIT ? OFFSET ?
                """, arguments: [genre, limit, offset]).map(Self.song)
        }
    }

    /// Random songs, optionally of one genre and a span of release years.
    public func randomSongs(count: Int, genre: String?, fromYear: Int?, toYear: Int?) async throws -> [BrowseSong] {
        var conditions = [Self.visibleTrack]
        var arguments: StatementArguments = []
        if let genre {
            conditions.append("EXISTS (SELECT 1 FROM releaseGenres g WHERE g.releaseID = r.id AND g.genre = ? COLLATE NOCASE)")
            arguments += [genre]
        }
        if let fromYear {
            conditions.append("CAST(substr(r.releaseDate, 1, 4) AS INTEGER) >= ?")
            arguments += [fromYear]
        }
        if let toYear {
            conditions.append("CAST(substr(r.releaseDate, 1, 4) AS INTEGER) <= ?")
            arguments += [toYear]
        }
        let sql = "\(Self.songSelect) WHERE \(conditions.joined(separator: " AND ")) ORDER BY random() LIMIT ?"
        let bound = arguments + [count]
        return try await database.read { db in try Row.fetchAll(db, sql: sql, arguments: bound).map(Self.song) }
    }

    // MARK: Genres

    /// Every genre of published releases, by name, with its songs and albums.
    public func genres() async throws -> [BrowseGenre] {
        try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT g.genre, count(DISTINCT t.id) AS songCount, count(DISTINCT r.id) AS albumCount
                FROM releaseGenres g JOIN releases r ON r.id = g.releaseID JOIN tracks t ON t.releaseID = r.id
                WHERE \(Self.visibleTrack) GROUP BY g.genre ORDER BY g.genre
                """).map { BrowseGenre(name: $0["genre"], songCount: $0["songCount"], albumCount: $0["albumCount"]) }
        }
    }

    // MARK: Helpers

    static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }

    /// Rows fetched for `ids` (valid, at most 1,000 at once), returned in the order of `ids`.
    private func byIDs<Item: Sendable>(
        _ ids: [String], fetch: @escaping @Sendable (Database, String, StatementArguments) throws -> [Item], id: @escaping @Sendable (Item) -> String
    ) async throws -> [Item] {
        let unique = Array(Set(ids.filter { Identifier.isValid($0) }).prefix(1_000))
        guard !unique.isEmpty else { return [] }
        let found = try await database.read { db in try fetch(db, Self.placeholders(unique.count), StatementArguments(unique)) }
        let byID = Dictionary(found.map { (id($0), $0) }, uniquingKeysWith: { first, _ in first })
        return ids.compactMap { byID[$0] }
    }
}
