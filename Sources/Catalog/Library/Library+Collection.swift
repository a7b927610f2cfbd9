import FoundationEssentials
import GRDB

/// What the collection page shows of a track the listener has played or owns.
public struct CollectionTrackDetail: Sendable, Equatable {
    public let title: String
    public let releaseID: String
    public let artistName: String
}

/// A release whose every (not deleted) track the listener owns.
public struct OwnedRelease: Sendable, Equatable {
    public let id: String
    public let title: String
    public let artistName: String
    public let trackCount: Int
}

extension Library {
    /// The title, release and artist's name of each of `trackIDs` (deleted tracks included:
    /// what was played and paid for stays listed), by id.
    public func collectionDetails(of trackIDs: [String]) async throws -> [String: CollectionTrackDetail] {
        guard !trackIDs.isEmpty else { return [:] }
        let list = String(decoding: try JSONEncoder().encode(trackIDs), as: UTF8.self)
        return try await database.read { db in
            try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: """
                SELECT t.id, t.title, t.releaseID, u.displayName AS artistName FROM tracks t JOIN users u ON u.id = t.artistID
                WHERE t.id IN (SELECT value FROM json_each(?))
                """, arguments: [list])
                .map { row in (row["id"] as String, CollectionTrackDetail(title: row["title"], releaseID: row["releaseID"], artistName: row["artistName"])) })
        }
    }

    /// Of the releases `releaseIDs` (not deleted), those whose every track that is not deleted
    /// is in `owned`, by title.
    public func wholeReleases(among releaseIDs: some Collection<String>, owned: Set<String>) async throws -> [OwnedRelease] {
        guard !releaseIDs.isEmpty else { return [] }
        let list = String(decoding: try JSONEncoder().encode(Array(releaseIDs)), as: UTF8.self)
        return try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT r.id, r.title, u.displayName AS artistName, group_concat(t.id) AS trackIDs, count(t.id) AS trackCount
                FROM releases r JOIN users u ON u.id = r.artistID JOIN tracks t ON t.releaseID = r.id AND t.deletedAt IS NULL
                WHERE r.id IN (SELECT value FROM json_each(?)) AND r.deletedAt IS NULL
                GROUP BY r.id ORDER BY r.title, r.id
                """, arguments: [list])
            .compactMap { row -> OwnedRelease? in
                let trackIDs = (row["trackIDs"] as String).split(separator: ",").map(String.init)
                guard trackIDs.allSatisfy(owned.contains) else { return nil }
                return OwnedRelease(id: row["id"], title: row["title"], artistName: row["artistName"], trackCount: row["trackCount"])
            }
        }
    }
}
