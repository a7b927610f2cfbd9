import AudioCore
import FoundationEssentials
import GRDB

/// An upload already stored durably under the data folder, ready to become a track.
public struct StoredUpload: Sendable {
    /// Relative to the data folder.
    public var path: String
    public var format: AudioFormat
    public var bytes: Int64
    public var sha256: String

    public init(path: String, format: AudioFormat, bytes: Int64, sha256: String) {
        self.path = path
        self.format = format
        self.bytes = bytes
        self.sha256 = sha256
    }
}

/// Tracks and their renditions: creation, visibility, search, edits.
/// A stored file as a database row names it.
public struct StoredFile: Sendable, Equatable {
    /// Relative to the media store: `originals/ID.flac`, `media/ID/standard-3.opus`.
    public var key: String
    public var bytes: Int64
    /// Lowercase hex.
    public var sha256: String

    public init(key: String, bytes: Int64, sha256: String) {
        self.key = key
        self.bytes = bytes
        self.sha256 = sha256
    }
}

public struct Tracks: Sendable {
    private let database: any DatabaseWriter
    private let now: @Sendable () -> Date

    package init(database: any DatabaseWriter, now: @escaping @Sendable () -> Date) {
        self.database = database
        self.now = now
    }

    /// Records an uploaded track and queues its transcode, in one transaction. With an album,
    /// the track joins the artist's draft release of that title (made if there is none);
    /// without, it becomes a single of its own.
    public func create(id: String = Identifier.make(), artist: User, title: String, album: String?, upload: StoredUpload) async throws -> (Track, TranscodeJob) {
        let album = try album.flatMap(Self.album)
        return try await create(id: id, artist: artist, title: title, placement: album.map(TrackPlacement.album) ?? .single, upload: upload)
    }

    /// Records an uploaded track at `placement` and queues its transcode, in one transaction.
    public func create(
        id: String = Identifier.make(), artist: User, title: String, placement: TrackPlacement, upload: StoredUpload
    ) async throws -> (Track, TranscodeJob) {
        guard artist.role == .artist || artist.role == .admin else { throw CatalogError.forbidden("only artists upload tracks") }
        let title = try Self.title(title)
        let instant = now()
        let draft = Track(
            id: id, artistID: artist.id, releaseID: "", discNumber: 1, trackNumber: 1, title: title, isrc: nil, lyrics: "",
            explicit: false, status: .processing, progress: 0,
            failureReason: nil, published: false, free: false, originalPath: upload.path,
            originalFormat: upload.format, originalBytes: upload.bytes, originalSHA256: upload.sha256,
            durationSamples: nil, sourceSampleRate: nil, sourceChannels: nil, loudnessLUFS: nil,
            truePeakDBTP: nil, trackGainQ78: nil, peaks: nil, createdAt: instant, updatedAt: instant, deletedAt: nil)
        return try await database.write { db in
            let track = try Self.insert(draft, placement: placement, now: instant, db)
            var job = TranscodeJob(id: nil, trackID: track.id, state: .queued, attempts: 0, createdAt: instant, startedAt: nil, finishedAt: nil, error: nil)
            try job.insert(db)
            return (track, job)
        }
    }

    /// The one way a track enters the database: places `track` (its `releaseID`, disc and
    /// track numbers are set from `placement`) and inserts it. A new single is published
    /// with the track's own flag; otherwise the release's flag wins (see ``PublicationRules``).
    /// Returns the track as stored.
    package static func insert(_ track: Track, placement: TrackPlacement, now: Date, _ db: Database) throws -> Track {
        var track = track
        let place = try Placing.resolve(placement, artistID: track.artistID, title: track.title, status: track.status,
                                        published: track.published, now: now, db)
        track.releaseID = place.releaseID
        track.discNumber = place.discNumber
        track.trackNumber = place.trackNumber
        try track.insert(db)
        return try Track.fetchOne(db, key: track.id) ?? track
    }

    /// The album a track's tags name: its release's title, unless it is a single.
    public func album(of track: Track) async throws -> String? {
        try await database.read { db in
            try Release.fetchOne(db, key: track.releaseID).flatMap { $0.type == .single ? nil : $0.title }
        }
    }

    /// The track, whoever may see it (deleted ones excluded).
    public func track(id: String) async throws -> Track? {
        guard Identifier.isValid(id) else { return nil }
        // On every play session opened and most track requests: a cached statement.
        return try await database.read { db in
            try Track.fetchOne(db.cachedStatement(sql: "SELECT * FROM tracks WHERE id = ? AND deletedAt IS NULL"), arguments: [id])
        }
    }

    /// The track if `viewer` may see it: everyone sees published, ready tracks; artists see
    /// their own in any state; admins see all. Anything else is "not found", so ids of other
    /// artists' drafts leak nothing.
    public func visibleTrack(id: String, viewer: User?) async throws -> Track? {
        guard let track = try await track(id: id) else { return nil }
        return Self.isVisible(track, to: viewer) ? track : nil
    }

    public static func isVisible(_ track: Track, to viewer: User?) -> Bool {
        if track.deletedAt != nil { return false }
        if track.published && track.status == .ready { return true }
        guard let viewer else { return false }
        return viewer.role == .admin || viewer.id == track.artistID
    }

    public func renditions(trackID: String) async throws -> [Rendition] {
        try await database.read { db in
            try Rendition.filter(Column("trackID") == trackID).order(Column("bitrate").desc).fetchAll(db)
        }
    }

    public func rendition(trackID: String, name: String) async throws -> Rendition? {
        try await database.read { db in try Rendition.fetchOne(db, key: ["trackID": trackID, "name": name]) }
    }

    /// Published, ready tracks matching `query`; with `viewer`, also the viewer's own tracks
    /// (any state) when listing that artist.
    public func list(_ query: TrackQuery, viewer: User?) async throws -> Page<TrackListing> {
        var conditions = ["t.deletedAt IS NULL"]
        var strings: [String] = []
        if let artistID = query.artistID {
            conditions.append("t.artistID = ?")
            strings.append(artistID)
        }
        if let viewer, viewer.role == .admin || viewer.id == query.artistID {
            // Admins, and artists listing themselves, see unpublished and failed tracks too.
        } else {
            conditions.append("t.published = 1 AND t.status = 'ready'")
        }
        for word in (query.text ?? "").split(separator: " ").prefix(8) {
            conditions.append("(t.title LIKE ? ESCAPE '\\' OR r.title LIKE ? ESCAPE '\\' OR u.displayName LIKE ? ESCAPE '\\' OR u.username LIKE ? ESCAPE '\\')")
            let pattern = "%" + Self.escapeLike(String(word)) + "%"
            strings += [pattern, pattern, pattern, pattern]
        }
        let whereClause = conditions.joined(separator: " AND ")
        let arguments = strings
        return try await database.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tracks t JOIN users u ON u.id = t.artistID JOIN releases r ON r.id = t.releaseID WHERE \(whereClause)", arguments: StatementArguments(arguments)) ?? 0
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT t.*, u.displayName AS artistName, r.title AS releaseTitle, r.type AS releaseType FROM tracks t JOIN users u ON u.id = t.artistID JOIN releases r ON r.id = t.releaseID WHERE \(whereClause) ORDER BY t.createdAt DESC, t.id LIMIT ? OFFSET ?",
                arguments: StatementArguments(arguments) + [query.limit, query.offset])
            let items = try rows.map { row in TrackListing(track: try Track(row: row), artistName: row["artistName"], releaseTitle: row["releaseTitle"],
                                                         releaseType: ReleaseType(rawValue: row["releaseType"]) ?? .single) }
            return Page(items: items, total: total, limit: query.limit, offset: query.offset)
        }
    }

    /// Artists with at least one published, ready track, matching `text` by name.
    public func artists(text: String?, limit: Int, offset: Int) async throws -> Page<ArtistListing> {
        var strings: [String] = []
        var filter = ""
        for word in (text.map(TextField.clean) ?? "").split(separator: " ").prefix(8) {
            filter += " AND (u.displayName LIKE ? ESCAPE '\\' OR u.username LIKE ? ESCAPE '\\')"
            let pattern = "%" + Self.escapeLike(String(word)) + "%"
            strings += [pattern, pattern]
        }
        let arguments = strings
        let limit = min(max(limit, TrackQuery.limits.lowerBound), TrackQuery.limits.upperBound)
        let offset = max(0, offset)
        let base = """
            FROM users u JOIN tracks t ON t.artistID = u.id
            WHERE t.published = 1 AND t.status = 'ready' AND t.deletedAt IS NULL\(filter)
            """
        return try await database.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT u.id) \(base)", arguments: StatementArguments(arguments)) ?? 0
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT u.id, u.username, u.displayName, COUNT(t.id) AS trackCount \(base) GROUP BY u.id ORDER BY u.displayName, u.id LIMIT ? OFFSET ?",
                arguments: StatementArguments(arguments) + [limit, offset])
            let items = rows.map { row in
                ArtistListing(id: row["id"], username: row["username"], displayName: row["displayName"], trackCount: row["trackCount"])
            }
            return Page(items: items, total: total, limit: limit, offset: offset)
        }
    }

    /// Applies `changes` to a track of `user`'s (or any, for an admin). Publishing is per
    /// release: `published` publishes or withdraws the track's whole release.
    public func update(id: String, by user: User, _ changes: TrackChanges) async throws -> Track {
        let title = try changes.title.map(Self.title)
        let album: String?? = try changes.album.map { try $0.flatMap(Self.album) }
        let isrc: String?? = try changes.isrc.map { try $0.map(TrackRules.isrc) }
        let lyrics = try changes.lyrics.map(TrackRules.lyrics)
        let credits = try changes.credits.map(Self.credits)
        let instant = now()
        return try await database.write { db in
            let track = try Self.editable(id: id, by: user, db)
            if let credits { try Self.setCredits(credits, trackID: id, db) }
            if let album {
                try Placing.move(track, toAlbum: album, now: instant, db)
            }
            if let published = changes.published {
                if published && track.status != .ready {
                    throw CatalogError.conflict("a track can be published once it is ready; it is \(track.status.rawValue)")
                }
                let releaseID = try String.fetchOne(db, sql: "SELECT releaseID FROM tracks WHERE id = ?", arguments: [id]) ?? track.releaseID
                try Releases.setPublished(releaseID: releaseID, published, now: instant, db)
            }
            try db.execute(
                sql: "UPDATE tracks SET title = ?, free = ?, isrc = ?, lyrics = ?, explicit = ?, updatedAt = ? WHERE id = ?",
                arguments: [title ?? track.title, changes.free ?? track.free, isrc ?? track.isrc, lyrics ?? track.lyrics,
                            changes.explicit ?? track.explicit, instant, id])
            guard let updated = try Track.fetchOne(db, key: id) else { throw CatalogError.notFound(kind: "track", id: id) }
            return updated
        }
    }

    /// Hides a track for good. Its rows stay, so plays and payments that name it keep
    /// their meaning; its files stay for listeners who own it. A release left without
    /// tracks is deleted with it.
    public func delete(id: String, by user: User) async throws {
        let instant = now()
        try await database.write { db in
            let track = try Self.editable(id: id, by: user, db)
            try db.execute(sql: "UPDATE tracks SET deletedAt = ?, published = 0, updatedAt = ? WHERE id = ?", arguments: [instant, instant, id])
            try Placing.deleteIfEmpty(releaseID: track.releaseID, now: instant, db)
        }
    }

    /// The number of published tracks by `artistID`: membership of the cooperative.
    /// Every stored file a row names (originals, deleted tracks' included, and renditions),
    /// relative to the media store: what the media sweeper must keep.
    public func storedKeys() async throws -> Set<String> {
        try await database.read { db in
            Set(try String.fetchAll(db, sql: "SELECT originalPath FROM tracks UNION SELECT path FROM renditions"))
        }
    }

    /// Titles of `ids` by id, deleted tracks included: plays and payments keep their history.
    public func titles(of ids: some Collection<String>) async throws -> [String: String] {
        let unique = Array(Set(ids))
        guard !unique.isEmpty else { return [:] }
        return try await database.read { db in
            try Track.filter(keys: unique).fetchAll(db).reduce(into: [:]) { $0[$1.id] = $1.title }
        }
    }

    /// Every stored file a row names with the size and SHA-256 the row records, in key order
    /// (what `tutti media migrate` copies and checks).
    public func storedFiles() async throws -> [StoredFile] {
        try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT originalPath AS key, originalBytes AS bytes, originalSHA256 AS sha256 FROM tracks
                UNION SELECT path, bytes, sha256 FROM renditions ORDER BY key
                """).map { StoredFile(key: $0["key"], bytes: $0["bytes"], sha256: $0["sha256"]) }
        }
    }

    public func publishedCount(artistID: String) async throws -> Int {
        try await database.read { db in
            try Track.filter(Column("artistID") == artistID && Column("published") == true && Column("deletedAt") == nil).fetchCount(db)
        }
    }

    /// A track's credits, in order.
    public func credits(trackID: String) async throws -> [TrackCredit] {
        try await database.read { db in
            try TrackCredit.filter(Column("trackID") == trackID).order(Column("position")).fetchAll(db)
        }
    }

    // MARK: Rules

    static func credits(_ given: [CreditInput]) throws(CatalogError) -> [CreditInput] {
        guard given.count <= TrackRules.creditsPerTrack else {
            throw .invalidField(name: "credits", reason: "give at most \(TrackRules.creditsPerTrack) credits")
        }
        var credits: [CreditInput] = []
        for credit in given {
            if let account = credit.accountID, !Identifier.isValid(account) {
                throw .invalidField(name: "credits.accountID", reason: "\(account.prefix(40)) is not an account id")
            }
            credits.append(CreditInput(name: try TrackRules.creditName(credit.name), role: try TrackRules.creditRole(credit.role), accountID: credit.accountID))
        }
        return credits
    }

    static func setCredits(_ credits: [CreditInput], trackID: String, _ db: Database) throws {
        try db.execute(sql: "DELETE FROM trackCredits WHERE trackID = ?", arguments: [trackID])
        for (position, credit) in credits.enumerated() {
            if let account = credit.accountID, try User.fetchOne(db, key: account) == nil {
                throw CatalogError.invalidField(name: "credits.accountID", reason: "no account \(account)")
            }
            try TrackCredit(trackID: trackID, position: position, name: credit.name, role: credit.role, accountID: credit.accountID).insert(db)
        }
    }


    static func editable(id: String, by user: User, _ db: Database) throws -> Track {
        guard Identifier.isValid(id), let track = try Track.filter(Column("id") == id && Column("deletedAt") == nil).fetchOne(db) else {
            throw CatalogError.notFound(kind: "track", id: id)
        }
        guard user.role == .admin || user.id == track.artistID else {
            // Other artists' tracks answer as if they did not exist unless they are public.
            if isVisible(track, to: user) { throw CatalogError.forbidden("only the track's artist can change it") }
            throw CatalogError.notFound(kind: "track", id: id)
        }
        return track
    }

    public static func title(_ raw: String) throws(CatalogError) -> String {
        let title = TextField.clean(raw)
        guard (1...200).contains(title.count) else { throw .invalidField(name: "title", reason: "use 1 to 200 characters") }
        return title
    }

    static func album(_ raw: String) throws(CatalogError) -> String? {
        let album = TextField.clean(raw)
        guard album.count <= 200 else { throw .invalidField(name: "album", reason: "use at most 200 characters") }
        return album.isEmpty ? nil : album
    }

    static func escapeLike(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
