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
    public var title: String
    public var album: String?
    public var status: TrackStatus
    /// Transcoding progress in percent while `processing`.
    public var progress: Int
    public var failureReason: String?
    /// Listed in the catalog and streamable by others.
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
