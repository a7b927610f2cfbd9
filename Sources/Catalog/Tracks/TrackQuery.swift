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

/// A track as listed, with its artist's name.
public struct TrackListing: Sendable, Equatable {
    public var track: Track
    public var artistName: String
}

/// An artist as listed.
public struct ArtistListing: Sendable, Equatable {
    public var id: String
    public var username: String
    public var displayName: String
    /// Published, ready tracks.
    public var trackCount: Int
}

/// Changes an artist may make to a track.
public struct TrackChanges: Sendable {
    public var title: String?
    /// `.some(nil)` removes the album.
    public var album: String??
    public var published: Bool?
    public var free: Bool?

    public init(title: String? = nil, album: String?? = nil, published: Bool? = nil, free: Bool? = nil) {
        self.title = title
        self.album = album
        self.published = published
        self.free = free
    }
}
