import FoundationEssentials
import GRDB

/// What kind of release it is.
public enum ReleaseType: String, Codable, Sendable, CaseIterable {
    case album, ep, single, compilation
}

/// The licences a release may carry: all rights reserved, a Creative Commons 4.0 licence,
/// or CC0. Raw values are SPDX identifiers, except all rights reserved (SPDX has none).
public enum ReleaseLicence: String, Codable, Sendable, CaseIterable {
    case allRightsReserved = "all-rights-reserved"
    case ccBy = "CC-BY-4.0"
    case ccBySA = "CC-BY-SA-4.0"
    case ccByND = "CC-BY-ND-4.0"
    case ccByNC = "CC-BY-NC-4.0"
    case ccByNCSA = "CC-BY-NC-SA-4.0"
    case ccByNCND = "CC-BY-NC-ND-4.0"
    case cc0 = "CC0-1.0"
}

/// A release: the unit an artist publishes (album, EP, single, compilation).
public struct Release: Codable, Sendable, Equatable, Identifiable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "releases"

    public var id: String
    /// The owning artist's account.
    public var artistID: String
    public var title: String
    public var type: ReleaseType
    /// A calendar day, `YYYY-MM-DD`.
    public var releaseDate: String?
    /// UPC-A (12 digits) or EAN-13 (13 digits), check digit verified.
    public var upc: String?
    public var licence: ReleaseLicence
    public var description: String
    /// The content hash naming the cover's image set.
    public var coverImage: String?
    /// Listed and streamable by others (with its ready tracks).
    public var published: Bool
    public var publishedAt: Date?
    public var createdAt: Date
    public var updatedAt: Date
    public var deletedAt: Date?

    public init(
        id: String, artistID: String, title: String, type: ReleaseType, releaseDate: String? = nil, upc: String? = nil,
        licence: ReleaseLicence = .allRightsReserved, description: String = "", coverImage: String? = nil,
        published: Bool = false, publishedAt: Date? = nil, createdAt: Date, updatedAt: Date, deletedAt: Date? = nil
    ) {
        self.id = id
        self.artistID = artistID
        self.title = title
        self.type = type
        self.releaseDate = releaseDate
        self.upc = upc
        self.licence = licence
        self.description = description
        self.coverImage = coverImage
        self.published = published
        self.publishedAt = publishedAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.deletedAt = deletedAt
    }
}

/// A credit on a track: a name and a role, optionally a member's account.
public struct TrackCredit: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "trackCredits"

    public var trackID: String
    public var position: Int
    public var name: String
    public var role: String
    public var accountID: String?

    public init(trackID: String, position: Int, name: String, role: String, accountID: String?) {
        self.trackID = trackID
        self.position = position
        self.name = name
        self.role = role
        self.accountID = accountID
    }
}

/// An artist's public profile beyond their display name (kept in `users`).
public struct ArtistProfile: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "artistProfiles"

    public var userID: String
    public var bio: String
    public var location: String
    /// The content hash naming the avatar's image set.
    public var avatarImage: String?
    public var updatedAt: Date

    public init(userID: String, bio: String = "", location: String = "", avatarImage: String? = nil, updatedAt: Date) {
        self.userID = userID
        self.bio = bio
        self.location = location
        self.avatarImage = avatarImage
        self.updatedAt = updatedAt
    }
}

/// A link on an artist's profile (https only).
public struct ArtistLink: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "artistLinks"

    public var userID: String
    public var position: Int
    public var label: String
    public var url: String

    public init(userID: String, position: Int, label: String, url: String) {
        self.userID = userID
        self.position = position
        self.label = label
        self.url = url
    }
}
