import CSndfile

/// Reads an upload with libsndfile as interleaved 32-bit float frames, one block at a time.
///
/// Opening checks everything knowable from the header (format, rate, channels, length,
/// truncation); reading checks that the audio really is as long as the header says.
public final class SoundFileDecoder {
    public let info: SourceInfo
    /// The speaker position of each input channel, in file order.
    public let layout: [SpeakerPosition]
    private let handle: OpaquePointer
    private let path: String
    /// Sample frames delivered so far.
    public private(set) var framesRead: Int64 = 0

    /// Opens `path`, which must already have been recognised by `FormatSniffer`.
    public init(path: String, format: AudioFormat, limits: AudioLimits = .standard) throws(AudioError) {
        self.path = path
        var sfInfo = SF_INFO()
        guard let handle = sf_open(path, Int32(SFM_READ), &sfInfo) else {
            let code = sf_error(nil)
            let message = String(cString: sf_strerror(nil))
            if code == Int32(SF_ERR_UNRECOGNISED_FORMAT) || code == Int32(SF_ERR_MALFORMED_FILE) {
                throw .notAudio(detail: "\(format.rawValue) header is not valid: \(message)")
            }
            throw .notAudio(detail: message)
        }
        self.handle = handle
        do throws(AudioError) {
            let channels = Int(sfInfo.channels)
            let rate = Int(sfInfo.samplerate)
            guard channels >= 1 else { throw .notAudio(detail: "no channels") }
            guard channels <= limits.maximumChannels else { throw .tooManyChannels(channels) }
            guard limits.sampleRates.contains(rate) else { throw .unsupportedSampleRate(rate) }
            guard sfInfo.frames > 0 else { throw .noAudio }
            let seconds = Double(sfInfo.frames) / Double(rate)
            guard seconds <= limits.maximumSeconds else { throw .tooLong(seconds: seconds, limitSeconds: limits.maximumSeconds) }
            let log = Self.logText(handle)
            if Self.headerClaimsMoreThanFile(log: log) {
                throw .truncated(afterSeconds: seconds)
            }
            info = SourceInfo(
                format: format,
                encoding: Self.encodingName(sfInfo.format),
                channels: channels,
                sampleRate: rate,
                frames: Int64(sfInfo.frames),
                tags: AudioTags(
                    title: Self.tag(handle, SF_STR_TITLE),
                    artist: Self.tag(handle, SF_STR_ARTIST),
                    album: Self.tag(handle, SF_STR_ALBUM),
                    trackNumber: Self.tag(handle, SF_STR_TRACKNUMBER),
                    // libsndfile has no string for it; the container is read for it.
                    discNumber: ContainerTags.discNumber(path: path, format: format).flatMap(AudioTags.clean)))
            layout = Self.channelLayout(handle, channels: channels)
        } catch {
            sf_close(handle)
            throw error
        }
    }

    deinit { sf_close(handle) }

    /// Reads up to `frames` frames into `buffer` (room for `frames * info.channels` floats).
    ///
    /// Returns 0 at the end of the audio. Throws if the audio ends before the header's
    /// length or the decoder reports damage.
    public func read(into buffer: UnsafeMutablePointer<Float>, frames: Int) throws(AudioError) -> Int {
        let wanted = min(Int64(frames), info.frames - framesRead)
        guard wanted > 0 else { return 0 }
        let got = sf_readf_float(handle, buffer, sf_count_t(wanted))
        if sf_error(handle) != 0 {
            // A decoder error where the file ends is truncation; one with audio after it is damage.
            let detail = String(cString: sf_strerror(handle))
            let seconds = Double(framesRead + Int64(max(0, got))) / Double(info.sampleRate)
            let more = sf_readf_float(handle, buffer, sf_count_t(wanted))
            if more > 0 { throw .damaged(afterSeconds: seconds, detail: detail) }
            throw .truncated(afterSeconds: seconds)
        }
        if got <= 0 {
            throw .truncated(afterSeconds: Double(framesRead) / Double(info.sampleRate))
        }
        framesRead += Int64(got)
        return Int(got)
    }

    // MARK: Header details

    private static func logText(_ handle: OpaquePointer) -> String {
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        _ = sf_command(handle, Int32(SFC_GET_LOG_INFO), &buffer, Int32(buffer.count))
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// libsndfile sizes a WAV or AIFF by what the file holds and only logs that the data chunk
    /// claims more ("data : 1764000 (should be 499956)"). A claim of 0 or 0xFFFFFFFF is how
    /// streaming writers mark an unknown length, not truncation.
    static func headerClaimsMoreThanFile(log: String) -> Bool {
        for line in log.split(separator: "\n") {
            let trimmed = line.trimmingPrefix(while: { $0 == " " })
            guard trimmed.hasPrefix("data :") || trimmed.hasPrefix("SSND :") || trimmed.hasPrefix("ds64 :") else { continue }
            let numbers = trimmed.split(whereSeparator: { !$0.isNumber }).compactMap { UInt64($0) }
            guard trimmed.contains("should be"), numbers.count >= 2 else { continue }
            let (claimed, actual) = (numbers[numbers.count - 2], numbers[numbers.count - 1])
            if claimed > actual, claimed != 0xFFFF_FFFF, claimed != 0xFFFF_FFFE { return true }
        }
        return false
    }

    private static func tag(_ handle: OpaquePointer, _ kind: Int) -> String? {
        guard let pointer = sf_get_string(handle, Int32(kind)) else { return nil }
        return AudioTags.clean(String(cString: pointer))
    }

    private static func channelLayout(_ handle: OpaquePointer, channels: Int) -> [SpeakerPosition] {
        var map = [Int32](repeating: 0, count: channels)
        let known = map.withUnsafeMutableBytes {
            sf_command(handle, Int32(SFC_GET_CHANNEL_MAP_INFO), $0.baseAddress, Int32($0.count))
        }
        if known == Int32(SF_TRUE) {
            let positions = map.map { SpeakerPosition(libsndfile: $0) }
            if !positions.contains(.unknown) { return positions }
        }
        return SpeakerPosition.defaultLayout(channels: channels)
    }

    private static func encodingName(_ format: Int32) -> String {
        switch Int(format) & SF_FORMAT_SUBMASK {
        case SF_FORMAT_PCM_S8, SF_FORMAT_PCM_U8: "PCM 8-bit"
        case SF_FORMAT_PCM_16: "PCM 16-bit"
        case SF_FORMAT_PCM_24: "PCM 24-bit"
        case SF_FORMAT_PCM_32: "PCM 32-bit"
        case SF_FORMAT_FLOAT: "float 32-bit"
        case SF_FORMAT_DOUBLE: "float 64-bit"
        case SF_FORMAT_ULAW: "u-law"
        case SF_FORMAT_ALAW: "A-law"
        case SF_FORMAT_IMA_ADPCM, SF_FORMAT_MS_ADPCM: "ADPCM"
        case SF_FORMAT_VORBIS: "Vorbis"
        case SF_FORMAT_OPUS: "Opus"
        case SF_FORMAT_MPEG_LAYER_I: "MPEG layer I"
        case SF_FORMAT_MPEG_LAYER_II: "MPEG layer II"
        case SF_FORMAT_MPEG_LAYER_III: "MPEG layer III"
        default: "other"
        }
    }
}

extension AudioTags {
    /// Longest tag value kept, in characters; longer values are cut.
    public static let maximumLength = 500

    /// A tag value without surrounding white space or control characters, cut to
    /// `maximumLength`; nil when nothing is left.
    public static func clean(_ value: String) -> String? {
        let printable = value.unicodeScalars.filter { $0.properties.generalCategory != .control }
        let text = String(String.UnicodeScalarView(printable))
        let trimmed = text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()
        return trimmed.isEmpty ? nil : String(String(trimmed).prefix(maximumLength))
    }
}
