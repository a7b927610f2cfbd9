import FoundationEssentials
import GRDB
import Synchronization

/// The play sessions, in the database (a restart must not forget a counted play or reset
/// listening time) and cached in memory: every range request of a session reads it, and
/// this process is the database's only writer.
///
/// A session is written three times (opened, first audio, counted), each durable before the
/// call returns. The writes of concurrent sessions share transactions (``GroupCommit``):
/// with one transaction each, every counted play would cost three syncs on the writer that
/// the ledger's group commit shares.
public final class PlaySessions: Sendable {
    private let database: any DatabaseWriter
    private let writes: GroupCommit
    private let now: @Sendable () -> Date
    private let cache = Mutex<[String: PlaySession]>([:])
    private static let cacheLimit = 50_000

    package init(database: any DatabaseWriter, now: @escaping @Sendable () -> Date) {
        self.database = database
        self.writes = GroupCommit(database: database)
        self.now = now
    }

    /// Opens a session for `listenerID` (nil: anonymous) on a track, valid for `lifetime` seconds.
    public func open(trackID: String, artistID: String, listenerID: String?, access: PlayAccess, previewSeconds: Int, lifetime: Double) async throws -> PlaySession {
        let created = now()
        let session = PlaySession(
            id: Identifier.makeTimeOrdered(), trackID: trackID, artistID: artistID, listenerID: listenerID, access: access,
            createdAt: created, expiresAt: created.addingTimeInterval(lifetime), previewSeconds: previewSeconds, firstAudioAt: nil, countedAt: nil,
            price: nil, pricingVersion: nil)
        try await writes.write { db in try session.insert(db) }
        remember(session)
        return session
    }

    public func session(id: String) async throws -> PlaySession? {
        if let cached = cachedSession(id: id) { return cached }
        guard let session = try await database.read({ db in try PlaySession.fetchOne(db, key: id) }) else { return nil }
        remember(session)
        return session
    }

    /// Whether the listener opened a session of the track at or after `since` (a scrobble of a
    /// listening already in the history adds nothing).
    public func hasSession(listenerID: String, trackID: String, since: Date) async throws -> Bool {
        try await database.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM playSessions WHERE listenerID = ? AND createdAt >= ? AND trackID = ?)",
                              arguments: [listenerID, since, trackID]) ?? false
        }
    }

    /// The session if it is in memory; never touches the database (for the event loop).
    public func cachedSession(id: String) -> PlaySession? {
        cache.withLock { $0[id] }
    }

    /// Records the first delivery of audio (once); returns the session as stored.
    public func markFirstAudio(_ session: PlaySession, at instant: Date) async throws -> PlaySession {
        if session.firstAudioAt != nil { return session }
        let stored = try await writes.write { db -> PlaySession in
            let update = try db.cachedStatement(sql: "UPDATE playSessions SET firstAudioAt = ? WHERE id = ? AND firstAudioAt IS NULL RETURNING *")
            return try PlaySession.fetchOne(update, arguments: [instant, session.id]) ?? Self.stored(session.id, db)
        }
        remember(stored)
        return stored
    }

    /// Records that the play counted (once): what it cost and under which pricing version.
    public func markCounted(_ session: PlaySession, at instant: Date, price: Int64, pricingVersion: Int?) async throws -> PlaySession {
        if session.isCounted { return session }
        let stored = try await writes.write { db -> PlaySession in
            let update = try db.cachedStatement(
                sql: "UPDATE playSessions SET countedAt = ?, price = ?, pricingVersion = ? WHERE id = ? AND countedAt IS NULL RETURNING *")
            return try PlaySession.fetchOne(update, arguments: [instant, price, pricingVersion, session.id]) ?? Self.stored(session.id, db)
        }
        remember(stored)
        return stored
    }

    /// The session as stored, when an update found its field already set (by another request).
    private static func stored(_ id: String, _ db: Database) throws -> PlaySession {
        guard let stored = try PlaySession.fetchOne(db.cachedStatement(sql: "SELECT * FROM playSessions WHERE id = ?"), arguments: [id])
        else { throw CatalogError.notFound(kind: "play session", id: id) }
        return stored
    }

    /// Drops sessions from memory once their rows are gone (a listener erased them from their
    /// history): a stream URL of theirs then finds no session.
    public func forget(_ ids: [String]) {
        cache.withLock { cache in for id in ids { cache[id] = nil } }
    }

    private func remember(_ session: PlaySession) {
        cache.withLock { cache in
            if cache.count >= Self.cacheLimit { cache.removeAll() }
            cache[session.id] = session
        }
    }
}
