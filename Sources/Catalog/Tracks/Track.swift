import AudioCore
import FoundationEssentials
import GRDB

public enum TrackStatus: String, Codable, Sendable {
    /// Uploaded; a transcode job is queued or running.
    case processing
    /// Renditions are on disk and streamable.
    case ready
    /// Transcoding failed; `failureReason` says why in the musician's words.
    case failed
}

/// An uploaded track and what transcoding learned of it.
public struct Track: Codable, Sendable, Equatable, Identifiable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "tracks"

    public var id: String
    public var artistID: String
    /// The release the track is part of (a lone track is a single).
    public var releaseID: String
    /// 1 to 99.
    public var discNumber: Int
    /// 1 to 999, unique on its disc among the release's undeleted tracks.
    public var trackNumber: Int
    public var title: String
    /// Without dashes, uppercase (``TrackRules/isrc(_:)``).
    public var isrc: String?
    public var lyrics: String
    public var explicit: Bool
    public var status: TrackStatus
    /// Transcoding progress in percent while `processing`.
    public var progress: Int
    public var failureReason: String?
    /// Listed in the catalog and streamable by others: its release's flag, kept equal by
    /// triggers (``PublicationRules``).
    public var published: Bool
    /// Streams without charge and is never counted as a play.
    public var free: Bool
    /// The upload, untouched, relative to the data folder.
    public var originalPath: String
    public var originalFormat: AudioFormat
    public var originalBytes: Int64
    public var originalSHA256: String
    /// Length in samples at 48 kHz, once transcoded.
    public var durationSamples: Int64?
    public var sourceSampleRate: Int?
    public var sourceChannels: Int?
    public var loudnessLUFS: Double?
    public var truePeakDBTP: Double?
    /// R128_TRACK_GAIN, in 1/256 dB.
    public var trackGainQ78: Int?
    /// JSON of `WaveformPeaks`.
    public var peaks: Data?
    public var createdAt: Date
    public var updatedAt: Date
    public var deletedAt: Date?

    public init(
        id: String, artistID: String, releaseID: String, discNumber: Int, trackNumber: Int, title: String, isrc: String?,
        lyrics: String, explicit: Bool, status: TrackStatus, progress: Int, failureReason: String?, published: Bool, free: Bool,
        originalPath: String, originalFormat: AudioFormat, originalBytes: Int64, originalSHA256: String, durationSamples: Int64?,
        sourceSampleRate: Int?, sourceChannels: Int?, loudnessLUFS: Double?, truePeakDBTP: Double?, trackGainQ78: Int?,
        peaks: Data?, createdAt: Date, updatedAt: Date, deletedAt: Date?
    ) {
        self.id = id
        self.artistID = artistID
        self.releaseID = releaseID
        self.discNumber = discNumber
        self.trackNumber = trackNumber
        self.title = title
        self.isrc = isrc
        self.lyrics = lyrics
        self.explicit = explicit
        self.status = status
        self.progress = progress
        self.failureReason = failureReason
        self.published = published
        self.free = free
        self.originalPath = originalPath
        self.originalFormat = originalFormat
        self.originalBytes = originalBytes
        self.originalSHA256 = originalSHA256
        self.durationSamples = durationSamples
        self.sourceSampleRate = sourceSampleRate
        self.sourceChannels = sourceChannels
        self.loudnessLUFS = loudnessLUFS
        self.truePeakDBTP = truePeakDBTP
        self.trackGainQ78 = trackGainQ78
        self.peaks = peaks
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.deletedAt = deletedAt
    }

    /// A track with what an insert needs and nothing learned yet (no analysis, no lyrics):
    /// for imports, benchmarks and tests that write tracks without an upload. Place it with
    /// ``Tracks/insert(_:placement:now:_:)``.
    public static func record(
        id: String = Identifier.make(), artistID: String, title: String, status: TrackStatus = .processing,
        published: Bool = false, free: Bool = false, originalPath: String, originalFormat: AudioFormat = .wav,
        originalBytes: Int64 = 0, originalSHA256: String = "-", at instant: Date
    ) -> Track {
        Track(
            id: id, artistID: artistID, releaseID: "", discNumber: 1, trackNumber: 1, title: title, isrc: nil, lyrics: "",
            explicit: false, status: status, progress: status == .ready ? 100 : 0, failureReason: nil, published: published,
            free: free, originalPath: originalPath, originalFormat: originalFormat, originalBytes: originalBytes,
            originalSHA256: originalSHA256, durationSamples: nil, sourceSampleRate: nil, sourceChannels: nil, loudnessLUFS: nil,
            truePeakDBTP: nil, trackGainQ78: nil, peaks: nil, createdAt: instant, updatedAt: instant, deletedAt: nil)
    }

    /// Length in seconds, once transcoded.
    public var durationSeconds: Double? { durationSamples.map { Double($0) / 48_000 } }

    public var waveform: WaveformPeaks? {
        peaks.flatMap { try? JSONDecoder().decode(WaveformPeaks.self, from: $0) }
    }
}

/// One encoded rendition of a track.
public struct Rendition: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "renditions"

    public var trackID: String
    /// "standard" (128 kb/s stereo, 64 kb/s mono) or "low".
    public var name: String
    /// Bits per second.
    public var bitrate: Int
    public var channels: Int
    /// Relative to the data folder.
    public var path: String
    public var bytes: Int64
    /// Hex SHA-256 of the file: its strong ETag.
    public var sha256: String
    public var preSkip: Int
    /// Playable samples at 48 kHz.
    public var samples: Int64
    /// JSON of `PageIndex`.
    public var pageIndex: Data
    public var createdAt: Date

    public init(
        trackID: String, name: String, bitrate: Int, channels: Int, path: String, bytes: Int64, sha256: String,
        preSkip: Int, samples: Int64, pageIndex: Data, createdAt: Date
    ) {
        self.trackID = trackID
        self.name = name
        self.bitrate = bitrate
        self.channels = channels
        self.path = path
        self.bytes = bytes
        self.sha256 = sha256
        self.preSkip = preSkip
        self.samples = samples
        self.pageIndex = pageIndex
        self.createdAt = createdAt
    }

    public func decodedPageIndex() throws -> PageIndex {
        try JSONDecoder().decode(PageIndex.self, from: pageIndex)
    }
}

/// The renditions Tutti makes of every upload, in the order the transcoder writes them.
public enum RenditionName: String, CaseIterable, Sendable {
    case standard, low
}
