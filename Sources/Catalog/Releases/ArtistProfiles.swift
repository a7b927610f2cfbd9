import FoundationEssentials
import GRDB

/// Artists' public profiles: display name (in `users`), bio, location, links, avatar.
public struct ArtistProfiles: Sendable {
    let database: any DatabaseWriter
    let now: @Sendable () -> Date

    package init(database: any DatabaseWriter, now: @escaping @Sendable () -> Date) {
        self.database = database
        self.now = now
    }

    /// The profile of an artist account (an empty one if never edited); nil for other accounts.
    public func profile(artistID: String) async throws -> ArtistProfileView? {
        guard Identifier.isValid(artistID) else { return nil }
        return try await database.read { db in try Self.view(artistID: artistID, db) }
    }

    static func view(artistID: String, _ db: Database) throws -> ArtistProfileView? {
        guard let user = try User.fetchOne(db, key: artistID), user.role == .artist else { return nil }
        let profile = try ArtistProfile.fetchOne(db, key: artistID)
        let links = try ArtistLink.filter(Column("userID") == artistID).order(Column("position")).fetchAll(db)
        return ArtistProfileView(user: user, bio: profile?.bio ?? "", location: profile?.location ?? "",
                                 avatarImage: profile?.avatarImage, links: links, avatarSizes: try Images.sizes(of: profile?.avatarImage, db))
    }

    /// Applies `changes` to an artist's profile: the artist themself or an admin.
    public func update(artistID: String, by user: User, _ changes: ProfileChanges) async throws -> ArtistProfileView {
        guard user.id == artistID || user.role == .admin else { throw CatalogError.forbidden("only the artist can change their profile") }
        let displayName = try changes.displayName.map { raw throws(CatalogError) in
            try TextRules.line(raw, field: "displayName", length: 1...ArtistProfileRules.displayNameLength)
        }
        let bio = try changes.bio.map(ArtistProfileRules.bio)
        let location = try changes.location.map(ArtistProfileRules.location)
        if let given = changes.links, given.count > ArtistProfileRules.linksPerProfile {
            throw CatalogError.invalidField(name: "links", reason: "give at most \(ArtistProfileRules.linksPerProfile) links")
        }
        let links: [(String, String)]? = try changes.links?.map { (try ArtistProfileRules.linkLabel($0.label), try ArtistProfileRules.url($0.url)) }
        let instant = now()
        return try await database.write { db in
            guard let artist = try User.fetchOne(db, key: artistID), artist.role == .artist else {
                throw CatalogError.notFound(kind: "artist", id: artistID)
            }
            if let displayName {
                try db.execute(sql: "UPDATE users SET displayName = ? WHERE id = ?", arguments: [displayName, artist.id])
            }
            var profile = try ArtistProfile.fetchOne(db, key: artistID) ?? ArtistProfile(userID: artistID, updatedAt: instant)
            if let bio { profile.bio = bio }
            if let location { profile.location = location }
            profile.updatedAt = instant
            try profile.save(db)
            if let links {
                try db.execute(sql: "DELETE FROM artistLinks WHERE userID = ?", arguments: [artistID])
                for (position, link) in links.enumerated() {
                    try ArtistLink(userID: artistID, position: position, label: link.0, url: link.1).insert(db)
                }
            }
            guard let view = try Self.view(artistID: artistID, db) else { throw CatalogError.notFound(kind: "artist", id: artistID) }
            return view
        }
    }

    /// Sets the avatar's image reference (made by the image pipeline); nil removes it.
    public func setAvatar(artistID: String, by user: User, image: String?) async throws {
        guard user.id == artistID || user.role == .admin else { throw CatalogError.forbidden("only the artist can change their avatar") }
        let instant = now()
        try await database.write { db in
            guard let artist = try User.fetchOne(db, key: artistID), artist.role == .artist else {
                throw CatalogError.notFound(kind: "artist", id: artistID)
            }
            var profile = try ArtistProfile.fetchOne(db, key: artistID) ?? ArtistProfile(userID: artistID, updatedAt: instant)
            profile.avatarImage = image
            profile.updatedAt = instant
            try profile.save(db)
        }
    }
}
