/// The waveform a player draws: the lowest and highest sample of every bin of equal length.
public struct WaveformPeaks: Sendable, Codable, Equatable {
    /// Lowest sample of each bin over all channels, −1...1.
    public var minimums: [Float]
    /// Highest sample of each bin over all channels, −1...1.
    public var maximums: [Float]

    public var binCount: Int { minimums.count }
}

/// Builds `WaveformPeaks` from a stream of known total length.
public struct WaveformPeakCollector: Sendable {
    private var peaks: WaveformPeaks
    private let totalFrames: Int64
    private let channels: Int
    private var framesSeen: Int64 = 0

    /// - Parameters:
    ///   - bins: how many bins; fewer when the track has fewer frames.
    ///   - totalFrames: the track's length in frames, known before the audio arrives.
    public init(bins: Int, totalFrames: Int64, channels: Int) {
        let count = Int(max(1, min(Int64(bins), totalFrames)))
        peaks = WaveformPeaks(minimums: Array(repeating: 0, count: count), maximums: Array(repeating: 0, count: count))
        self.totalFrames = max(1, totalFrames)
        self.channels = channels
    }

    public mutating func add(_ samples: UnsafePointer<Float>, frames: Int) {
        let bins = Int64(peaks.binCount)
        var frame = 0
        while frame < frames {
            let absolute = framesSeen + Int64(frame)
            let bin = Int(min(bins - 1, absolute * bins / totalFrames))
            // The frames up to the next bin boundary all fall in this bin.
            let boundary = (Int64(bin) + 1) * totalFrames
            let nextBinStart = (boundary + bins - 1) / bins
            let run = Int(min(Int64(frames - frame), max(1, nextBinStart - absolute)))
            var low = peaks.minimums[bin]
            var high = peaks.maximums[bin]
            let start = samples + frame * channels
            for index in 0..<(run * channels) {
                let sample = start[index]
                low = min(low, sample)
                high = max(high, sample)
            }
            peaks.minimums[bin] = low
            peaks.maximums[bin] = high
            frame += run
        }
        framesSeen += Int64(frames)
    }

    public var result: WaveformPeaks { peaks }
}
