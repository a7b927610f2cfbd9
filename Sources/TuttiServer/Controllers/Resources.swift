import AudioCore
import Catalog
import FoundationEssentials
import Hummingbird

/// A user as the API shows it; never the password hash.
struct UserResource: ResponseCodable {
    var id: String
    var username: String
    var displayName: String
    var role: String
    var createdAt: Date

    init(_ user: User) {
        id = user.id
        username = user.username
        displayName = user.displayName
        role = user.role.rawValue
        createdAt = user.createdAt
    }
}

struct SessionResource: ResponseCodable {
    var token: String
    var tokenType = "Bearer"
    var expiresAt: Date
    var user: UserResource
}

struct ArtistReference: ResponseCodable {
    var id: String
    var name: String
}

struct RenditionResource: ResponseCodable {
    var name: String
    /// Bits per second.
    var bitrate: Int
    var channels: Int
    var bytes: Int64
    var contentType: String
    var url: String
}

struct LoudnessResource: ResponseCodable {
    var integratedLUFS: Double?
    var truePeakDBTP: Double?
    /// R128_TRACK_GAIN in dB: the gain that brings the track to -23 LUFS.
    var trackGainDB: Double?
}

struct TrackResource: ResponseCodable {
    var id: String
    var title: String
    /// The release's title unless the track is a single.
    var album: String?
    var artist: ArtistReference
    var releaseID: String
    var discNumber: Int
    var trackNumber: Int
    /// `CC-XXX-YY-NNNNN`.
    var isrc: String?
    var explicit: Bool
    /// In the detail views (track, release) only.
    var lyrics: String?
    var credits: [CreditResource]?
    var status: String
    var progress: Int
    var failureReason: String?
    var published: Bool
    var free: Bool
    var durationSeconds: Double?
    var loudness: LoudnessResource?
    var renditions: [RenditionResource]?
    var peaks: WaveformPeaks?
    var createdAt: Date
    var updatedAt: Date
    var url: String

    /// A track; `renditions` and `peaks` are included in the detail view only.
    init(_ track: Track, artistName: String, album: String?, renditions: [Rendition]? = nil, includePeaks: Bool = false) {
        id = track.id
        title = track.title
        self.album = album
        artist = ArtistReference(id: track.artistID, name: artistName)
        releaseID = track.releaseID
        discNumber = track.discNumber
        trackNumber = track.trackNumber
        isrc = track.isrc.map(TrackRules.displayISRC)
        explicit = track.explicit
        status = track.status.rawValue
        progress = track.progress
        failureReason = track.failureReason
        published = track.published
        free = track.free
        durationSeconds = track.durationSeconds
        if track.status == .ready {
            loudness = LoudnessResource(
                integratedLUFS: track.loudnessLUFS, truePeakDBTP: track.truePeakDBTP,
                trackGainDB: track.trackGainQ78.map { Double($0) / 256 })
        }
        self.renditions = renditions?.map { rendition in
            RenditionResource(
                name: rendition.name, bitrate: rendition.bitrate, channels: rendition.channels, bytes: rendition.bytes,
                contentType: StreamController.contentType, url: StreamController.path(trackID: track.id, rendition: rendition.name))
        }
        peaks = includePeaks ? track.waveform : nil
        createdAt = track.createdAt
        updatedAt = track.updatedAt
        url = "/api/v1/tracks/\(track.id)"
    }
}

struct PageResource<Item: ResponseCodable>: ResponseCodable {
    var items: [Item]
    var total: Int
    var limit: Int
    var offset: Int
    /// The next page's URL, if there is one.
    var next: String?
}

struct ArtistResource: ResponseCodable {
    var id: String
    var username: String
    var displayName: String
    var trackCount: Int
    var tracks: [TrackResource]?
    /// The profile, in the detail view only.
    var bio: String?
    var location: String?
    var avatarImage: String?
    /// The avatar's square sizes, largest first, in the detail view only (empty without an avatar).
    var avatarSizes: [ImageResource.Size]?
    var links: [LinkResource]?
    var releases: [ReleaseResource]?
}

/// A 202 for an upload: where to watch it become a track.
struct UploadAccepted: ResponseCodable {
    var id: String
    var status: String
    var statusURL: String
}
