import Catalog
import FoundationEssentials
import Hummingbird
import Ledger

struct FavouriteResource: ResponseCodable {
    var kind: String
    var id: String
    var title: String
    var artistName: String?
    var addedAt: Date
    var url: String

    init(_ favourite: Favourite) {
        kind = favourite.kind.rawValue
        id = favourite.id
        title = favourite.title
        artistName = favourite.artistName
        addedAt = favourite.addedAt
        url = "/api/v1/\(favourite.kind.rawValue)s/\(favourite.id)"
    }
}

struct FollowResource: ResponseCodable {
    var id: String
    var displayName: String
    var followedAt: Date
    var url: String
    var feed: String

    init(_ artist: FollowedArtist) {
        id = artist.id
        displayName = artist.displayName
        followedAt = artist.followedAt
        url = "/api/v1/artists/\(artist.id)"
        feed = "/api/v1/artists/\(artist.id)/feed"
    }
}

struct HistoryEntryResource: ResponseCodable {
    var id: String
    var kind: String
    var trackID: String
    var title: String
    var artistName: String
    var releaseID: String?
    var at: Date
    var price: Int64?

    init(_ entry: HistoryEntry) {
        id = entry.id
        kind = entry.kind.rawValue
        trackID = entry.trackID
        title = entry.title
        artistName = entry.artistName
        releaseID = entry.releaseID
        at = entry.at
        price = entry.price
    }
}

struct HistoryPageResource: ResponseCodable {
    var items: [HistoryEntryResource]
    /// The next page's URL, if there is one (its cursor names the last entry of this page).
    var next: String?
}

struct ErasedResource: ResponseCodable {
    var erased: Int
}

struct CollectionTrackResource: ResponseCodable {
    var trackID: String
    var title: String?
    var artistName: String?
    var releaseID: String?
    var owned: Bool
    /// Counted plays so far (n of `playsToOwn`).
    var countedPlays: Int
    var playsToOwn: Int
    /// The next play's price and the sum of every play left to ownership, minor units.
    var nextPrice: Int64
    var leftToPay: Int64
}

struct CollectionReleaseResource: ResponseCodable {
    var id: String
    var title: String
    var artistName: String
    var trackCount: Int
}

struct CollectionResource: ResponseCodable {
    /// Every track the listener has played with a counted play, owned or on the way.
    var tracks: [CollectionTrackResource]
    /// Releases whose every track the listener owns.
    var releases: [CollectionReleaseResource]
    var pricingVersion: Int
}

struct SpendingLimitResource: ResponseCodable {
    var monthlyLimit: Int64
    var timeZone: String
    var monthStart: Date
    var monthEnd: Date
    var spent: Int64
    var remaining: Int64

    init(_ limit: SpendingLimit) {
        monthlyLimit = limit.monthlyLimit
        timeZone = limit.timeZone
        monthStart = limit.monthStart
        monthEnd = limit.monthEnd
        spent = limit.spent
        remaining = limit.remaining
    }
}

struct PurchaseResource: ResponseCodable {
    var requestID: String
    var trackID: String
    var price: Int64
    var firstPlay: Int
    var lastPlay: Int
    var pricingVersion: Int
    var balance: Int64
    var owned: Bool
    var boughtAt: Date
    var original: String

    init(_ purchase: Purchase) {
        requestID = purchase.requestID
        trackID = purchase.trackID
        price = purchase.price
        firstPlay = purchase.plays.lowerBound
        lastPlay = purchase.plays.upperBound
        pricingVersion = purchase.pricingVersion
        balance = purchase.walletBalanceAfter
        owned = true
        boughtAt = purchase.boughtAt
        original = "/api/v1/tracks/\(purchase.trackID)/original"
    }
}

struct PlaylistEntryResource: ResponseCodable {
    var position: Int
    var trackID: String
    var available: Bool
    var title: String?
    var artistName: String?
    var releaseID: String?
}

struct PlaylistResource: ResponseCodable {
    var id: String
    var ownerID: String
    var ownerName: String?
    var title: String
    var description: String
    var `public`: Bool
    var version: Int
    var trackCount: Int?
    var tracks: [PlaylistEntryResource]?
    var createdAt: Date
    var updatedAt: Date
    var url: String

    init(_ playlist: Playlist, ownerName: String? = nil, entries: [PlaylistDetail.Entry]? = nil, trackCount: Int? = nil) {
        id = playlist.id
        ownerID = playlist.ownerID
        self.ownerName = ownerName
        title = playlist.title
        description = playlist.description
        self.public = playlist.public
        version = playlist.version
        self.trackCount = trackCount ?? entries?.count
        tracks = entries?.map {
            PlaylistEntryResource(position: $0.position, trackID: $0.trackID, available: $0.available, title: $0.title,
                                  artistName: $0.artistName, releaseID: $0.releaseID)
        }
        createdAt = playlist.createdAt
        updatedAt = playlist.updatedAt
        url = "/api/v1/playlists/\(playlist.id)"
    }

    init(_ detail: PlaylistDetail) {
        self.init(detail.playlist, ownerName: detail.ownerName, entries: detail.entries)
    }
}
