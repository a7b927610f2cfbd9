import FoundationEssentials

/// A new release as an artist describes it.
public struct ReleaseDraft: Sendable {
    public var title: String
    public var type: ReleaseType
    public var releaseDate: String?
    public var upc: String?
    public var licence: ReleaseLicence
    public var description: String
    public var genres: [String]

    public init(title: String, type: ReleaseType, releaseDate: String? = nil, upc: String? = nil,
                licence: ReleaseLicence = .allRightsReserved, description: String = "", genres: [String] = []) {
        self.title = title
        self.type = type
        self.releaseDate = releaseDate
        self.upc = upc
        self.licence = licence
        self.description = description
        self.genres = genres
    }
}

/// Changes to a release; nil leaves a field, `.some(nil)` clears an optional one.
public struct ReleaseChanges: Sendable {
    public var title: String?
    public var type: ReleaseType?
    public var releaseDate: String??
    public var upc: String??
    public var licence: ReleaseLicence?
    public var description: String?
    public var genres: [String]?

    public init(title: String? = nil, type: ReleaseType? = nil, releaseDate: String?? = nil, upc: String?? = nil,
                licence: ReleaseLicence? = nil, description: String? = nil, genres: [String]? = nil) {
        self.title = title
        self.type = type
        self.releaseDate = releaseDate
        self.upc = upc
        self.licence = licence
        self.description = description
        self.genres = genres
    }
}

/// A credit as given on input.
public struct CreditInput: Sendable, Equatable {
    public var name: String
    public var role: String
    public var accountID: String?

    public init(name: String, role: String, accountID: String? = nil) {
        self.name = name
        self.role = role
        self.accountID = accountID
    }
}

/// A track of a release with its credits.
public struct ReleaseTrack: Sendable, Equatable {
    public var track: Track
    public var credits: [TrackCredit]
}

/// A release with everything its page shows.
public struct ReleaseDetail: Sendable, Equatable {
    public var release: Release
    public var artistName: String
    public var genres: [String]
    /// In disc and track order; the tracks the viewer may see (all, for its owner).
    public var tracks: [ReleaseTrack]
    /// The cover's square sizes, largest first (none without a cover).
    public var coverSizes: [StoredImageFile] = []
}

/// A release as listed.
public struct ReleaseSummary: Sendable, Equatable {
    public var release: Release
    public var artistName: String
    public var genres: [String]
    public var trackCount: Int
    /// The cover's square sizes, largest first (none without a cover).
    public var coverSizes: [StoredImageFile] = []
}

/// How releases are listed.
public struct ReleaseQuery: Sendable {
    public enum Order: String, Sendable, CaseIterable {
        /// Most recently published first (drafts by creation).
        case newest
        case title
    }

    public var genre: String?
    public var artistID: String?
    public var order: Order
    public var limit: Int
    public var offset: Int

    public init(genre: String? = nil, artistID: String? = nil, order: Order = .newest, limit: Int = 20, offset: Int = 0) {
        self.genre = genre.map { TextField.clean($0).lowercased() }.flatMap { $0.isEmpty ? nil : $0 }
        self.artistID = artistID
        self.order = order
        self.limit = min(max(limit, TrackQuery.limits.lowerBound), TrackQuery.limits.upperBound)
        self.offset = max(0, offset)
    }
}

/// A genre with the number of published releases carrying it.
public struct GenreCount: Sendable, Equatable {
    public var genre: String
    public var releaseCount: Int
}

/// One search result.
public struct SearchHit: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case release, track, artist
    }

    public var kind: Kind
    public var id: String
    public var title: String
    /// The artist's name (releases, tracks) or username (artists).
    public var subtitle: String
    /// The release a track is part of.
    public var releaseID: String?
    /// bm25 relevance: lower is better (SQLite's convention).
    public var score: Double
}

/// An artist's public profile.
public struct ArtistProfileView: Sendable, Equatable {
    public var user: User
    public var bio: String
    public var location: String
    public var avatarImage: String?
    public var links: [ArtistLink]
    /// The avatar's square sizes, largest first (none without an avatar).
    public var avatarSizes: [StoredImageFile] = []
}

/// Changes to a profile; nil leaves a field.
public struct ProfileChanges: Sendable {
    public var displayName: String?
    public var bio: String?
    public var location: String?
    /// Replaces every link.
    public var links: [(label: String, url: String)]?

    public init(displayName: String? = nil, bio: String? = nil, location: String? = nil, links: [(label: String, url: String)]? = nil) {
        self.displayName = displayName
        self.bio = bio
        self.location = location
        self.links = links
    }
}
