/// What `tutti probe` reports of a file: its header and its measured loudness.
public struct ProbeResult: Sendable, Codable, Equatable {
    public var source: SourceInfo
    public var loudness: Loudness
}

public enum AudioProbe {
    /// Reads the header and decodes the whole file to measure its loudness (after the same
    /// downmix a transcode applies), checking along the way that it decodes to the end.
    public static func probe(path: String, limits: AudioLimits = .standard) throws(AudioError) -> ProbeResult {
        let format = try FormatSniffer.sniff(path: path).get()
        let decoder = try SoundFileDecoder(path: path, format: format, limits: limits)
        let mixer = ChannelMixer(layout: decoder.layout)
        let meter = try LoudnessMeter(channels: mixer.outputChannels, sampleRate: decoder.info.sampleRate)
        let frames = Transcoder.blockFrames
        let input = UnsafeMutableBufferPointer<Float>.allocate(capacity: frames * decoder.info.channels)
        let mixed = UnsafeMutableBufferPointer<Float>.allocate(capacity: frames * 2)
        defer {
            input.deallocate()
            mixed.deallocate()
        }
        while true {
            let count = try decoder.read(into: input.baseAddress!, frames: frames)
            if count == 0 { break }
            if mixer.isPassthrough {
                try meter.add(input.baseAddress!, frames: count)
            } else {
                mixer.downmix(input.baseAddress!, frames: count, into: mixed.baseAddress!)
                try meter.add(mixed.baseAddress!, frames: count)
            }
        }
        return ProbeResult(source: decoder.info, loudness: meter.result())
    }
}
