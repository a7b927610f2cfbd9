import FoundationEssentials
import GRDB

/// What royalty splits need of the catalogue: who owns a release, and which release each
/// track is on.
extension Releases {
    /// The release `user` owns, for proposing its split sheet. Another's published release
    /// is forbidden; one `user` cannot see is not found.
    public func owned(id: String, by user: User) async throws -> Release {
        guard Identifier.isValid(id) else { throw CatalogError.notFound(kind: "release", id: id) }
        return try await database.read { db in
            guard let release = try Release.fetchOne(db, key: id), release.deletedAt == nil else {
                throw CatalogError.notFound(kind: "release", id: id)
            }
            guard user.id == release.artistID else {
                if Self.isVisible(release, to: user) { throw CatalogError.forbidden("only the release's owner proposes its split sheet") }
                throw CatalogError.notFound(kind: "release", id: id)
            }
            return release
        }
    }

    /// The release of each track of `trackIDs` that exists: its id and title, by track id.
    public func releases(ofTracks trackIDs: some Collection<String>) async throws -> [String: (id: String, title: String)] {
        let unique = Array(Set(trackIDs))
        guard !unique.isEmpty else { return [:] }
        return try await database.read { db in
            var found: [String: (id: String, title: String)] = [:]
            for start in stride(from: 0, to: unique.count, by: 500) {
                let chunk = Array(unique[start..<min(start + 500, unique.count)])
                let rows = try Row.fetchAll(db, sql: """
                    SELECT t.id, r.id AS releaseID, r.title FROM tracks t JOIN releases r ON r.id = t.releaseID
                    WHERE t.id IN (\(chunk.map { _ in "?" }.joined(separator: ",")))
                    """, arguments: StatementArguments(chunk))
                for row in rows { found[row["id"]] = (row["releaseID"], row["title"]) }
            }
            return found
        }
    }

    /// The title of each release of `ids` that exists, by id.
    public func titles(of ids: some Collection<String>) async throws -> [String: String] {
        let unique = Array(Set(ids))
        guard !unique.isEmpty else { return [:] }
        return try await database.read { db in
            try Release.filter(keys: unique).fetchAll(db).reduce(into: [:]) { $0[$1.id] = $1.title }
        }
    }
}
