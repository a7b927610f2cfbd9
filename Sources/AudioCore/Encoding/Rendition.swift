/// One Ogg Opus file to produce from an upload.
public struct RenditionSpec: Sendable, Equatable {
    /// Where the finished file goes; it appears only once complete.
    public var path: String
    /// Target bitrate in bits per second; nil picks the profile's for the channel count.
    public var bitrate: Int?
    public var profile: Profile

    public init(path: String, bitrate: Int? = nil, profile: Profile = .standard) {
        self.path = path
        self.bitrate = bitrate
        self.profile = profile
    }

    /// The bitrate this rendition gets for a stream of `channels` channels.
    public func resolvedBitrate(channels: Int) -> Int { bitrate ?? profile.bitrate(channels: channels) }

    /// The renditions every track gets, each with a default bitrate per channel count.
    public enum Profile: String, Sendable, CaseIterable {
        /// 128 kb/s stereo, 64 kb/s mono.
        case standard
        /// For slow connections: 48 kb/s stereo, 24 kb/s mono.
        case low

        public func bitrate(channels: Int) -> Int {
            switch self {
            case .standard: channels == 1 ? 64_000 : 128_000
            case .low: channels == 1 ? 24_000 : 48_000
            }
        }
    }

    /// Bitrates libopus accepts, in bits per second.
    public static let bitrates = 6_000...510_000
}

/// A finished rendition.
public struct RenditionResult: Sendable, Codable, Equatable {
    public var path: String
    /// Target bitrate in bits per second.
    public var bitrate: Int
    public var channels: Int
    /// Size of the file, in bytes.
    public var bytes: Int64
    /// Samples the decoder drops at the start (48 kHz).
    public var preSkip: Int
    /// Playable samples at 48 kHz: exactly what a decoder yields.
    public var samples: Int64
    public var pageIndex: PageIndex
}

/// Encodes the shared 48 kHz blocks into one rendition; runs on its own thread.
final class RenditionEncoder: @unchecked Sendable {
    let spec: RenditionSpec
    let temporaryPath: String
    let encoder: OpusPacketEncoder
    let writer: OggOpusWriter
    let channels: Int
    /// Playable samples the stream will hold (48 kHz).
    private let totalSamples: Int64
    /// Packets needed to carry the pre-skip and every sample.
    private let totalPackets: Int64
    private var packetsWritten: Int64 = 0
    private var frame: UnsafeMutableBufferPointer<Float>
    private var frameFill = 0
    private(set) var failure: AudioError?

    init(spec: RenditionSpec, temporaryPath: String, channels: Int, totalSamples: Int64, inputSampleRate: Int, tags: AudioTags) throws(AudioError) {
        self.spec = spec
        self.temporaryPath = temporaryPath
        self.channels = channels
        self.totalSamples = totalSamples
        encoder = try OpusPacketEncoder(channels: channels, bitrate: spec.resolvedBitrate(channels: channels))
        let frameSize = Int64(OpusPacketEncoder.frameSize)
        totalPackets = (totalSamples + Int64(encoder.lookahead) + frameSize - 1) / frameSize
        writer = try OggOpusWriter(
            path: temporaryPath, channels: channels, preSkip: encoder.lookahead, inputSampleRate: inputSampleRate,
            vendor: Self.vendor, comments: OpusHeaders.comments(tags: tags, trackGain: nil))
        frame = .allocate(capacity: OpusPacketEncoder.frameSize * channels)
    }

    deinit { frame.deallocate() }

    static var vendor: String { OpusPacketEncoder.libraryVersion }

    /// Encodes blocks until the queue ends, then pads the last frame with silence so the
    /// encoder's lookahead flushes every real sample out.
    func run(_ queue: BlockQueue<AudioBlock>) {
        do throws(AudioError) {
            while let block = queue.pop() {
                try add(UnsafePointer(block.samples.baseAddress!), frames: block.frames)
            }
            while packetsWritten < totalPackets {
                let missing = OpusPacketEncoder.frameSize - frameFill
                frame.baseAddress!.advanced(by: frameFill * channels).initialize(repeating: 0, count: missing * channels)
                frameFill = OpusPacketEncoder.frameSize
                try encodeFrame()
            }
        } catch {
            failure = error
            queue.cancel()
        }
    }

    private func add(_ samples: UnsafePointer<Float>, frames: Int) throws(AudioError) {
        var offset = 0
        while offset < frames {
            let take = min(frames - offset, OpusPacketEncoder.frameSize - frameFill)
            frame.baseAddress!.advanced(by: frameFill * channels)
                .update(from: samples + offset * channels, count: take * channels)
            frameFill += take
            offset += take
            if frameFill == OpusPacketEncoder.frameSize { try encodeFrame() }
        }
    }

    private func encodeFrame() throws(AudioError) {
        frameFill = 0
        guard packetsWritten < totalPackets else { return }
        packetsWritten += 1
        let isLast = packetsWritten == totalPackets
        // RFC 7845 §4: a page's granule counts samples to the end of its last packet, pre-skip
        // included; the final one stops at the real end so decoders trim the padding.
        let granule = isLast ? totalSamples + Int64(encoder.lookahead) : packetsWritten * Int64(OpusPacketEncoder.frameSize)
        let writer = self.writer
        try encoder.encode(frame: UnsafePointer(frame.baseAddress!)) { packet throws(AudioError) in
            try writer.write(packet: packet, granule: granule, endOfStream: isLast)
        }
    }
}
