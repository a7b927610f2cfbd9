import COpus

/// A reason an upload cannot become a track, in words a musician understands.
///
/// The command line prints `description` as its one-line error; the server shows it as
/// the track's failure reason.
public enum AudioError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file has no bytes at all.
    case emptyFile
    /// The bytes are not audio in any format Tutti reads.
    case notAudio(detail: String)
    /// The container or codec is recognised but Tutti cannot decode it (e.g. AAC in M4A).
    case unsupportedFormat(String)
    /// The file decodes but holds no samples.
    case noAudio
    /// The file stops before the length its header promises.
    case truncated(afterSeconds: Double)
    /// The file is damaged in the middle: the decoder stopped with an error.
    case damaged(afterSeconds: Double, detail: String)
    case unsupportedSampleRate(Int)
    case tooManyChannels(Int)
    /// Longer than the service accepts, in seconds.
    case tooLong(seconds: Double, limitSeconds: Double)
    /// The file could not be opened, read or written (permissions, missing, disk full).
    case io(path: String, detail: String)
    /// A codec library refused a call Tutti made: a bug or a resource problem, not the user's.
    case codec(call: String, code: Int32, detail: String)

    public var description: String {
        switch self {
        case .emptyFile:
            return "the file is empty"
        case .notAudio(let detail):
            return detail.isEmpty ? "not an audio file" : "not an audio file (\(detail))"
        case .unsupportedFormat(let format):
            return "unsupported audio format: \(format); upload WAV, FLAC, AIFF, MP3 or Ogg Vorbis"
        case .noAudio:
            return "the file contains no audio"
        case .truncated(let seconds):
            return "file is truncated after \(Self.formatSeconds(seconds)) s"
        case .damaged(let seconds, let detail):
            return "file is damaged after \(Self.formatSeconds(seconds)) s (\(detail))"
        case .unsupportedSampleRate(let rate):
            return "unsupported sample rate \(rate) Hz (Tutti accepts 8000 to 192000 Hz)"
        case .tooManyChannels(let count):
            return "too many channels: \(count) (Tutti accepts 1 to 8)"
        case .tooLong(let seconds, let limit):
            return "the recording is too long: \(Self.formatDuration(seconds)) (the limit is \(Self.formatDuration(limit)))"
        case .io(let path, let detail):
            return "\(path): \(detail)"
        case .codec(let call, let code, let detail):
            return "\(call) failed (\(code)): \(detail)"
        }
    }

    static func formatSeconds(_ seconds: Double) -> String {
        let tenths = Int((seconds * 10).rounded(.down))
        return "\(tenths / 10).\(tenths % 10)"
    }

    static func formatDuration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.down))
        let (h, m, s) = (total / 3600, (total / 60) % 60, total % 60)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return h > 0 ? "\(h):\(two(m)):\(two(s))" : "\(m):\(two(s))"
    }

    /// An error from libopus, with its own message.
    static func opus(_ call: String, _ code: Int32) -> AudioError {
        .codec(call: call, code: code, detail: String(cString: opus_strerror(code)))
    }
}
