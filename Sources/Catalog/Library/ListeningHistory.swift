import FoundationEssentials
import GRDB

/// One listening in a listener's history: a play session they opened.
public struct HistoryEntry: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// A counted play, or a whole listening that is never counted (free, owned, their own).
        case play
        /// A paid track heard up to its preview (not counted).
        case preview
    }

    /// The play session's id.
    public let id: String
    public let kind: Kind
    public let trackID: String
    public let title: String
    public let artistName: String
    public let releaseID: String?
    public let at: Date
    /// What the play cost, minor units (a counted play only).
    public let price: Int64?
}

/// A page of history and the cursor of the next one.
public struct HistoryPage: Sendable {
    public let items: [HistoryEntry]
    /// Opaque; nil on the last page.
    public let next: String?
}

/// A listener's history: their play sessions, newest first, paged by keyset (a cursor naming
/// the last entry seen), so that every page costs the same however long the history is; and
/// erasable by the listener. Erasing deletes the sessions themselves: the ledger keeps the
/// charges (listener, track, price, time), nothing else keeps who listened to what.
public struct ListeningHistory: Sendable {
    let database: any DatabaseWriter

    package init(database: any DatabaseWriter) {
        self.database = database
    }

    /// The statement of one page: a seek on `playSessions_listener` (listenerID, createdAt,
    /// then the row id every index entry ends with), read backwards, `limit` rows, each then
    /// joined to its track and artist (their page's rows come back in any order: ``page(of:after:limit:)``
    /// sorts those few). Arguments: listener, cursor time, cursor row id, limit.
    public static let pageSQL = """
        SELECT s.rowid AS seq, s.id, s.trackID, s.access, s.createdAt, s.countedAt, s.price,
               t.title, t.releaseID, u.displayName AS artistName
        FROM (SELECT rowid, * FROM playSessions
              WHERE listenerID = ? AND (createdAt, rowid) < (?, ?)
              ORDER BY createdAt DESC, rowid DESC LIMIT ?) s
        JOIN tracks t ON t.id = s.trackID
        JOIN users u ON u.id = t.artistID
        """

    /// A page of the listener's history, newest first, after `cursor` (nil: from the newest).
    /// - Throws: ``CatalogError/invalidField(name:reason:)`` for a cursor this did not make.
    public func page(of listenerID: String, after cursor: String?, limit: Int) async throws -> HistoryPage {
        let position = try cursor.map(Self.decode) ?? (time: "9999-12-31 23:59:59.999", row: Int64.max)
        return try await database.read { db in
            let rows = try Row.fetchAll(db, sql: Self.pageSQL, arguments: [listenerID, position.time, position.row, limit + 1])
                .sorted { (($0["createdAt"] as String), ($0["seq"] as Int64)) > (($1["createdAt"] as String), ($1["seq"] as Int64)) }
            let entries = rows.prefix(limit).map { row -> HistoryEntry in
                let access: String = row["access"]
                let counted = (row["countedAt"] as DatabaseValue).isNull == false
                return HistoryEntry(
                    id: row["id"], kind: counted || access != "metered" ? .play : .preview, trackID: row["trackID"],
                    title: row["title"], artistName: row["artistName"], releaseID: row["releaseID"], at: row["createdAt"],
                    price: counted ? row["price"] : nil)
            }
            var next: String?
            if rows.count > limit, let last = rows.prefix(limit).last {
                let time: String = last["createdAt"]
                next = Self.encode(time: time, row: last["seq"])
            }
            return HistoryPage(items: Array(entries), next: next)
        }
    }

    /// Erases the listener's history, all of it or the sessions opened between `from` and
    /// `to` (either may be absent); returns the ids erased.
    public func erase(of listenerID: String, from: Date? = nil, to: Date? = nil) async throws -> [String] {
        try await database.write { db in
            try String.fetchAll(db, sql: """
                DELETE FROM playSessions WHERE listenerID = ? AND (? IS NULL OR createdAt >= ?) AND (? IS NULL OR createdAt < ?)
                RETURNING id
                """, arguments: [listenerID, from, from, to, to])
        }
    }

    /// Erases one entry; false if the listener has no such entry.
    public func erase(entry id: String, of listenerID: String) async throws -> Bool {
        guard Identifier.isValid(id) else { return false }
        return try await database.write { db in
            try db.execute(sql: "DELETE FROM playSessions WHERE id = ? AND listenerID = ?", arguments: [id, listenerID])
            return db.changesCount > 0
        }
    }

    // MARK: Cursor: base64url of "<createdAt as stored>|<row id>"

    static func encode(time: String, row: Int64) -> String {
        Data("\(time)|\(row)".utf8).base64EncodedString()
            .replacing("+", with: "-").replacing("/", with: "_").replacing("=", with: "")
    }

    static func decode(_ cursor: String) throws -> (time: String, row: Int64) {
        let invalid = CatalogError.invalidField(name: "cursor", reason: "not a cursor of this history: use the 'next' of a page")
        guard cursor.utf8.count <= 64 else { throw invalid }
        var base64 = cursor.replacing("-", with: "+").replacing("_", with: "/")
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8) else { throw invalid }
        let parts = text.split(separator: "|")
        // The stored form of a date: "YYYY-MM-DD HH:MM:SS.SSS".
        guard parts.count == 2, parts[0].utf8.count == 23, let row = Int64(parts[1]), row > 0,
              parts[0].utf8.allSatisfy({ (48...58).contains($0) || $0 == 32 || $0 == 45 || $0 == 46 })
        else { throw invalid }
        return (String(parts[0]), row)
    }
}
