import Catalog
import FoundationEssentials
import Hummingbird

struct CreditResource: ResponseCodable {
    var name: String
    var role: String
    var accountID: String?

    init(_ credit: TrackCredit) {
        name = credit.name
        role = credit.role
        accountID = credit.accountID
    }
}

/// A release; `tracks` in the detail view only.
struct ReleaseResource: ResponseCodable {
    var id: String
    var title: String
    var type: String
    var releaseDate: String?
    var upc: String?
    var licence: String
    var description: String
    var genres: [String]
    var coverImage: String?
    /// The cover's square sizes, largest first (empty without a cover): a page picks the
    /// smallest that fills its box (96 or 300 in a grid, 600 or 1200 on the release's page).
    var coverSizes: [ImageResource.Size]
    var published: Bool
    var publishedAt: Date?
    var artist: ArtistReference
    var trackCount: Int
    var tracks: [TrackResource]?
    var createdAt: Date
    var updatedAt: Date
    var url: String

    init(_ release: Release, artistName: String, genres: [String], trackCount: Int, coverSizes: [StoredImageFile], tracks: [TrackResource]? = nil) {
        id = release.id
        title = release.title
        type = release.type.rawValue
        releaseDate = release.releaseDate
        upc = release.upc
        licence = release.licence.rawValue
        description = release.description
        self.genres = genres
        coverImage = release.coverImage
        self.coverSizes = ImageResource.sizes(coverSizes)
        published = release.published
        publishedAt = release.publishedAt
        artist = ArtistReference(id: release.artistID, name: artistName)
        self.trackCount = trackCount
        self.tracks = tracks
        createdAt = release.createdAt
        updatedAt = release.updatedAt
        url = "/api/v1/releases/\(release.id)"
    }

    init(_ detail: ReleaseDetail) {
        let album = detail.release.type == .single ? nil : detail.release.title
        self.init(detail.release, artistName: detail.artistName, genres: detail.genres, trackCount: detail.tracks.count,
                  coverSizes: detail.coverSizes, tracks: detail.tracks.map { item in
                      var resource = TrackResource(item.track, artistName: detail.artistName, album: album)
                      resource.credits = item.credits.map(CreditResource.init)
                      resource.lyrics = item.track.lyrics
                      return resource
                  })
    }

    init(_ summary: ReleaseSummary) {
        self.init(summary.release, artistName: summary.artistName, genres: summary.genres, trackCount: summary.trackCount,
                  coverSizes: summary.coverSizes)
    }
}

struct GenreResource: ResponseCodable {
    var genre: String
    var releaseCount: Int
    /// The genre's published releases.
    var url: String
}

struct SearchHitResource: ResponseCodable {
    var kind: String
    var id: String
    var title: String
    var subtitle: String
    /// bm25 relevance (lower is more relevant); results come most relevant first.
    var score: Double
    var url: String
    /// A track's release.
    var releaseURL: String?

    init(_ hit: SearchHit) {
        kind = hit.kind.rawValue
        id = hit.id
        title = hit.title
        subtitle = hit.subtitle
        score = hit.score
        url = switch hit.kind {
        case .release: "/api/v1/releases/\(hit.id)"
        case .track: "/api/v1/tracks/\(hit.id)"
        case .artist: "/api/v1/artists/\(hit.id)"
        }
        releaseURL = hit.kind == .track ? hit.releaseID.map { "/api/v1/releases/\($0)" } : nil
    }
}

struct LinkResource: ResponseCodable {
    var label: String
    var url: String
}
