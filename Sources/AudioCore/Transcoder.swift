#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What to make of one upload.
public struct TranscodeOptions: Sendable {
    /// The renditions to write, all from one decode pass.
    public var renditions: [RenditionSpec]
    /// Bins in the waveform peaks.
    public var peakBins: Int
    public var limits: AudioLimits
    /// Tags to write instead of (or where missing from) the upload's own.
    public var tagOverrides: AudioTags
    /// Called now and then with the share of the input decoded so far, 0...1.
    public var progress: (@Sendable (Double) -> Void)?

    public init(
        renditions: [RenditionSpec], peakBins: Int = 1_000, limits: AudioLimits = .standard,
        tagOverrides: AudioTags = AudioTags(), progress: (@Sendable (Double) -> Void)? = nil
    ) {
        self.renditions = renditions
        self.peakBins = peakBins
        self.limits = limits
        self.tagOverrides = tagOverrides
        self.progress = progress
    }
}

/// Everything one transcode learned and wrote.
public struct TranscodeResult: Sendable, Codable, Equatable {
    public var source: SourceInfo
    /// Playable samples of every rendition at 48 kHz: the input's length converted exactly.
    public var samples: Int64
    /// The tags written into every rendition.
    public var tags: AudioTags
    public var loudness: Loudness
    public var peaks: WaveformPeaks
    public var renditions: [RenditionResult]

    /// Length in seconds.
    public var durationSeconds: Double { Double(samples) / 48_000 }
}

/// Turns an upload into Ogg Opus renditions in one decode pass.
///
/// The calling thread decodes, mixes, resamples and analyses; each rendition encodes on its
/// own thread, fed through a bounded queue, so memory stays constant and two renditions
/// use both cores. Files appear under their final names only when complete.
public enum Transcoder {
    /// Frames read from the input per block.
    static let blockFrames = 8_192
    /// Blocks buffered per encoder.
    static let queueDepth = 8

    public static func transcode(input: String, options: TranscodeOptions) throws(AudioError) -> TranscodeResult {
        precondition(!options.renditions.isEmpty, "at least one rendition")
        let format = try FormatSniffer.sniff(path: input).get()
        let decoder = try SoundFileDecoder(path: input, format: format, limits: options.limits)
        let source = decoder.info
        let mixer = ChannelMixer(layout: decoder.layout)
        let channels = mixer.outputChannels
        let totalSamples = source.frames48k
        guard totalSamples > 0 else { throw .noAudio }
        var tags = source.tags
        if let title = options.tagOverrides.title { tags.title = title }
        if let artist = options.tagOverrides.artist { tags.artist = artist }
        if let album = options.tagOverrides.album { tags.album = album }

        var encoders: [RenditionEncoder] = []
        var finished = false
        defer {
            if !finished {
                for encoder in encoders {
                    encoder.writer.close()
                    unlink(encoder.temporaryPath)
                }
            }
        }
        for spec in options.renditions {
            encoders.append(try RenditionEncoder(
                spec: spec, temporaryPath: temporaryPath(for: spec.path), channels: channels,
                totalSamples: totalSamples, inputSampleRate: source.sampleRate, tags: tags))
        }

        let queues = encoders.map { _ in BlockQueue<AudioBlock>(capacity: queueDepth) }
        var threads: [WorkerThread] = []
        for (encoder, queue) in zip(encoders, queues) {
            do {
                threads.append(try WorkerThread { encoder.run(queue) })
            } catch {
                queues.forEach { $0.cancel() }
                threads.forEach { $0.join() }
                throw error
            }
        }

        let meter = try LoudnessMeter(channels: channels)
        var peaks = WaveformPeakCollector(bins: options.peakBins, totalFrames: totalSamples, channels: channels)
        var decodeFailure: AudioError?
        do throws(AudioError) {
            var feeder = BlockFeeder(channels: channels, totalSamples: totalSamples) { samples, frames throws(AudioError) in
                try meter.add(samples, frames: frames)
                peaks.add(samples, frames: frames)
                let block = AudioBlock(copying: samples, frames: frames, channels: channels)
                for queue in queues where !queue.push(block) {
                    throw .codec(call: "encoder", code: -1, detail: "an encoder stopped")
                }
            }
            try decode(decoder, mixer: mixer, into: &feeder, progress: options.progress)
            try feeder.finish()
        } catch {
            decodeFailure = error
        }
        if decodeFailure == nil { queues.forEach { $0.close() } } else { queues.forEach { $0.cancel() } }
        threads.forEach { $0.join() }
        if let decodeFailure { throw decodeFailure }
        if let failure = encoders.lazy.compactMap(\.failure).first { throw failure }

        let loudness = meter.result()
        var renditions: [RenditionResult] = []
        for encoder in encoders {
            try encoder.writer.rewriteTags(
                vendor: RenditionEncoder.vendor,
                comments: OpusHeaders.comments(tags: tags, trackGain: loudness.trackGainQ78))
            try encoder.writer.finish()
        }
        for encoder in encoders {
            guard rename(encoder.temporaryPath, encoder.spec.path) == 0 else {
                throw .io(path: encoder.spec.path, detail: String(cString: strerror(errno)))
            }
            syncDirectory(of: encoder.spec.path)
            renditions.append(RenditionResult(
                path: encoder.spec.path, bitrate: encoder.encoder.bitrate, channels: channels,
                bytes: encoder.writer.index.totalBytes, preSkip: encoder.encoder.lookahead,
                samples: totalSamples, pageIndex: encoder.writer.index))
        }
        finished = true
        options.progress?(1)
        return TranscodeResult(
            source: source, samples: totalSamples, tags: tags, loudness: loudness,
            peaks: peaks.result, renditions: renditions)
    }

    /// Decodes the whole input through the mixer and resampler into `feeder`.
    static func decode(
        _ decoder: SoundFileDecoder, mixer: ChannelMixer, into feeder: inout BlockFeeder,
        progress: (@Sendable (Double) -> Void)?
    ) throws(AudioError) {
        let source = decoder.info
        let input = UnsafeMutableBufferPointer<Float>.allocate(capacity: blockFrames * source.channels)
        let mixed = UnsafeMutableBufferPointer<Float>.allocate(capacity: blockFrames * mixer.outputChannels)
        defer {
            input.deallocate()
            mixed.deallocate()
        }
        let resampler = source.sampleRate == 48_000 ? nil : try Resampler(inputRate: source.sampleRate, channels: mixer.outputChannels)
        var reported = -1
        while true {
            let frames = try decoder.read(into: input.baseAddress!, frames: blockFrames)
            if frames == 0 { break }
            var block = UnsafePointer(input.baseAddress!)
            if !mixer.isPassthrough {
                mixer.downmix(block, frames: frames, into: mixed.baseAddress!)
                block = UnsafePointer(mixed.baseAddress!)
            }
            if let resampler {
                try resampler.process(block, frames: frames) { samples, count throws(AudioError) in try feeder.add(samples, frames: count) }
            } else {
                try feeder.add(block, frames: frames)
            }
            if let progress {
                // 100 % is reported only once the files are complete.
                let percent = Int(min(99, decoder.framesRead * 100 / max(1, source.frames)))
                if percent != reported {
                    reported = percent
                    progress(Double(percent) / 100)
                }
            }
        }
        if let resampler {
            try resampler.process(nil, frames: 0) { samples, count throws(AudioError) in try feeder.add(samples, frames: count) }
        }
    }

    /// A name beside `path` for the file while it is being written.
    static func temporaryPath(for path: String) -> String {
        "\(path).part-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Makes a rename durable: the directory entry reaches the disk too.
    static func syncDirectory(of path: String) {
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let fd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}

/// Passes exactly `totalSamples` frames on: the resampler's output is cut at the input's
/// exact length at 48 kHz, and padded with silence should it fall short.
struct BlockFeeder {
    let channels: Int
    let totalSamples: Int64
    private(set) var delivered: Int64 = 0
    private let sink: (UnsafePointer<Float>, Int) throws(AudioError) -> Void

    init(channels: Int, totalSamples: Int64, sink: @escaping (UnsafePointer<Float>, Int) throws(AudioError) -> Void) {
        self.channels = channels
        self.totalSamples = totalSamples
        self.sink = sink
    }

    mutating func add(_ samples: UnsafePointer<Float>, frames: Int) throws(AudioError) {
        let take = Int(min(Int64(frames), totalSamples - delivered))
        guard take > 0 else { return }
        try sink(samples, take)
        delivered += Int64(take)
    }

    mutating func finish() throws(AudioError) {
        let chunk = 4_096
        let silence = UnsafeMutableBufferPointer<Float>.allocate(capacity: chunk * channels)
        defer { silence.deallocate() }
        silence.initialize(repeating: 0)
        while delivered < totalSamples {
            try add(silence.baseAddress!, frames: chunk)
        }
    }
}
