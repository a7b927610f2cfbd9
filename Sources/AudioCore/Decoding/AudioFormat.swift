/// An upload's container, recognised from its bytes; never from its name or declared type.
public enum AudioFormat: String, Sendable, Codable, CaseIterable {
    case wav = "WAV"
    case aiff = "AIFF"
    case flac = "FLAC"
    case mp3 = "MP3"
    case oggVorbis = "Ogg Vorbis"
    case oggOpus = "Ogg Opus"
    case oggFLAC = "Ogg FLAC"

    /// The MIME type to store and show for the original upload.
    public var mediaType: String {
        switch self {
        case .wav: "audio/wav"
        case .aiff: "audio/aiff"
        case .flac: "audio/flac"
        case .mp3: "audio/mpeg"
        case .oggVorbis, .oggFLAC: "audio/ogg"
        case .oggOpus: "audio/ogg; codecs=opus"
        }
    }

    /// The usual file extension, without the dot.
    public var fileExtension: String {
        switch self {
        case .wav: "wav"
        case .aiff: "aiff"
        case .flac: "flac"
        case .mp3: "mp3"
        case .oggVorbis, .oggFLAC: "ogg"
        case .oggOpus: "opus"
        }
    }
}
