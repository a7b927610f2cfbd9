import FoundationEssentials
import GRDB

/// Full-text search over published releases, tracks and artists (see ``SearchIndex``).
public struct CatalogSearch: Sendable {
    let database: any DatabaseReader

    package init(database: any DatabaseReader) {
        self.database = database
    }

    /// At most this many words of a query are used.
    public static let maximumWords = 8

    /// The FTS5 query for `text`: each word (letters and digits) quoted and matched as a
    /// prefix, all words required. Nil when `text` has no word: FTS5 syntax in the text is
    /// never interpreted.
    public static func matchExpression(_ text: String) -> String? {
        var words: [String] = []
        var word = ""
        for scalar in text.unicodeScalars {
            if scalar.properties.isAlphabetic || scalar.properties.numericType != nil || scalar.properties.generalCategory == .nonspacingMark {
                word.unicodeScalars.append(scalar)
            } else if !word.isEmpty {
                words.append(word)
                word = ""
            }
        }
        if !word.isEmpty { words.append(word) }
        let terms = words.prefix(maximumWords).map { "\"\($0)\"*" }
        return terms.isEmpty ? nil : terms.joined(separator: " ")
    }

    /// Visible hits for `text`, most relevant first; `kind` limits them to one kind.
    public func search(_ text: String, kind: SearchHit.Kind? = nil, limit: Int, offset: Int) async throws -> Page<SearchHit> {
        let limit = min(max(limit, TrackQuery.limits.lowerBound), TrackQuery.limits.upperBound)
        let offset = max(0, offset)
        guard let match = Self.matchExpression(text) else { return Page(items: [], total: 0, limit: limit, offset: offset) }
        let kinds = kind.map { [$0] } ?? SearchHit.Kind.allCases
        let kindList = kinds.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let visible = """
            e.kind IN (\(kindList)) AND CASE e.kind
                WHEN 'release' THEN EXISTS (SELECT 1 FROM releases r WHERE r.id = e.refID AND r.published = 1 AND r.deletedAt IS NULL)
                WHEN 'track' THEN EXISTS (SELECT 1 FROM tracks t WHERE t.id = e.refID AND t.published = 1 AND t.status = 'ready' AND t.deletedAt IS NULL)
                ELSE EXISTS (SELECT 1 FROM releases r WHERE r.artistID = e.refID AND r.published = 1 AND r.deletedAt IS NULL)
            END
            """
        let hits = """
            WITH matches AS (SELECT rowid AS entry, \(SearchIndex.rank) AS score FROM catalogSearch WHERE catalogSearch MATCH ?)
            SELECT e.kind, e.refID, m.score FROM matches m JOIN searchEntries e ON e.id = m.entry WHERE \(visible)
            """
        return try await database.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM (\(hits))", arguments: [match]) ?? 0
            let rows = try Row.fetchAll(db, sql: "\(hits) ORDER BY m.score, e.kind, e.refID LIMIT ? OFFSET ?", arguments: [match, limit, offset])
            let items = try rows.compactMap { row -> SearchHit? in
                guard let kind = SearchHit.Kind(rawValue: row["kind"]) else { return nil }
                return try Self.describe(kind: kind, id: row["refID"], score: row["score"], db)
            }
            return Page(items: items, total: total, limit: limit, offset: offset)
        }
    }

    private static func describe(kind: SearchHit.Kind, id: String, score: Double, _ db: Database) throws -> SearchHit? {
        switch kind {
        case .release:
            guard let row = try Row.fetchOne(db, sql: "SELECT r.title, u.displayName FROM releases r JOIN users u ON u.id = r.artistID WHERE r.id = ?", arguments: [id])
            else { return nil }
            return SearchHit(kind: kind, id: id, title: row["title"], subtitle: row["displayName"], releaseID: id, score: score)
        case .track:
            guard let row = try Row.fetchOne(db, sql: "SELECT t.title, t.releaseID, u.displayName FROM tracks t JOIN users u ON u.id = t.artistID WHERE t.id = ?", arguments: [id])
            else { return nil }
            return SearchHit(kind: kind, id: id, title: row["title"], subtitle: row["displayName"], releaseID: row["releaseID"], score: score)
        case .artist:
            guard let row = try Row.fetchOne(db, sql: "SELECT displayName, username FROM users WHERE id = ?", arguments: [id]) else { return nil }
            return SearchHit(kind: kind, id: id, title: row["displayName"], subtitle: row["username"], releaseID: nil, score: score)
        }
    }
}
