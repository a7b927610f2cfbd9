/// A page of results.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var total: Int
    public var limit: Int
    public var offset: Int

    public var hasMore: Bool { offset + items.count < total }
}

/// How a listing is searched and paged.
public struct TrackQuery: Sendable {
    /// Words matched against title, album and artist name; nil lists everything.
    public var text: String?
    /// Only this artist's tracks.
    public var artistID: String?
    public var limit: Int
    public var offset: Int

    public static let limits = 1...100

    public init(text: String? = nil, artistID: String? = nil, limit: Int = 20, offset: Int = 0) {
        self.text = text.map(TextField.clean).flatMap { $0.isEmpty ? nil : $0 }
        self.artistID = artistID
        self.limit = min(max(limit, Self.limits.lowerBound), Self.limits.upperBound)
        self.offset = max(0, offset)
    }
}

/// A track as listed, with its artist's name and its release.
public struct TrackListing: Sendable, Equatable {
    public var track: Track
    public var artistName: String
    public var releaseTitle: String
    public var releaseType: ReleaseType

    /// The release's title unless the track is a single (the old `album` field).
    public var album: String? { releaseType == .single ? nil : releaseTitle }
}

/// An artist as listed.
public struct ArtistListing: Sendable, Equatable {
    public var id: String
    public var username: String
    public var displayName: String
    /// Published, ready tracks.
    public var trackCount: Int
}

/// Changes an artist may make to a track; nil leaves a field.
public struct TrackChanges: Sendable {
    public var title: String?
    /// Moves the track to the artist's release of that title with the same publication
    /// (created as an album if there is none); `.some(nil)` makes it a single of its own.
    public var album: String??
    /// Publishes or withdraws the track's whole release.
    public var published: Bool?
    public var free: Bool?
    /// `CC-XXX-YY-NNNNN`; `.some(nil)` removes it.
    public var isrc: String??
    public var lyrics: String?
    public var explicit: Bool?
    /// Replaces every credit.
    public var credits: [CreditInput]?

    public init(title: String? = nil, album: String?? = nil, published: Bool? = nil, free: Bool? = nil,
                isrc: String?? = nil, lyrics: String? = nil, explicit: Bool? = nil, credits: [CreditInput]? = nil) {
        self.title = title
        self.album = album
        self.published = published
        self.free = free
        self.isrc = isrc
        self.lyrics = lyrics
        self.explicit = explicit
        self.credits = credits
    }
}
