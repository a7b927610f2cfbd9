/// Title, artist, album and position as the upload's own tags state them.
public struct AudioTags: Sendable, Codable, Equatable {
    public var title: String?
    public var artist: String?
    public var album: String?
    /// TRACKNUMBER as written ("3", "03/12"), if any: a whole-release upload orders by it.
    public var trackNumber: String?
    /// DISCNUMBER as written, if any (FLAC and Ogg Vorbis comments, MP3's ID3v2 TPOS; see ``ContainerTags``).
    public var discNumber: String?

    public init(title: String? = nil, artist: String? = nil, album: String? = nil, trackNumber: String? = nil, discNumber: String? = nil) {
        self.title = title
        self.artist = artist
        self.album = album
        self.trackNumber = trackNumber
        self.discNumber = discNumber
    }
}

/// What an upload holds, as read from its header.
public struct SourceInfo: Sendable, Codable, Equatable {
    public var format: AudioFormat
    /// The sample encoding inside the container, e.g. "PCM 16-bit".
    public var encoding: String
    public var channels: Int
    /// Samples per second per channel, in Hz.
    public var sampleRate: Int
    /// Length in sample frames at `sampleRate`.
    public var frames: Int64
    public var tags: AudioTags

    /// Length in seconds.
    public var durationSeconds: Double { Double(frames) / Double(sampleRate) }

    /// Length in sample frames at 48 kHz: exactly what a decoder of the Opus output yields.
    public var frames48k: Int64 { Self.framesAt48k(frames, sampleRate: sampleRate) }

    /// `frames` at `sampleRate` converted to 48 kHz, rounded to the nearest sample.
    public static func framesAt48k(_ frames: Int64, sampleRate: Int) -> Int64 {
        let rate = Int64(sampleRate)
        return (frames * 48_000 + rate / 2) / rate
    }
}
