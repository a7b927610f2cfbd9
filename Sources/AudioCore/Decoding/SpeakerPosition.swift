import CSndfile

/// Where an input channel is meant to be heard; decides how it is mixed down to stereo.
public enum SpeakerPosition: Sendable, Equatable {
    case mono, left, right, center, lfe
    case rearLeft, rearRight, rearCenter, sideLeft, sideRight
    case leftOfCenter, rightOfCenter
    case unknown

    init(libsndfile value: Int32) {
        switch Int(value) {
        case SF_CHANNEL_MAP_MONO: self = .mono
        case SF_CHANNEL_MAP_LEFT, SF_CHANNEL_MAP_FRONT_LEFT, SF_CHANNEL_MAP_TOP_FRONT_LEFT: self = .left
        case SF_CHANNEL_MAP_RIGHT, SF_CHANNEL_MAP_FRONT_RIGHT, SF_CHANNEL_MAP_TOP_FRONT_RIGHT: self = .right
        case SF_CHANNEL_MAP_CENTER, SF_CHANNEL_MAP_FRONT_CENTER, SF_CHANNEL_MAP_TOP_CENTER, SF_CHANNEL_MAP_TOP_FRONT_CENTER: self = .center
        case SF_CHANNEL_MAP_LFE: self = .lfe
        case SF_CHANNEL_MAP_REAR_LEFT, SF_CHANNEL_MAP_TOP_REAR_LEFT: self = .rearLeft
        case SF_CHANNEL_MAP_REAR_RIGHT, SF_CHANNEL_MAP_TOP_REAR_RIGHT: self = .rearRight
        case SF_CHANNEL_MAP_REAR_CENTER, SF_CHANNEL_MAP_TOP_REAR_CENTER: self = .rearCenter
        case SF_CHANNEL_MAP_SIDE_LEFT: self = .sideLeft
        case SF_CHANNEL_MAP_SIDE_RIGHT: self = .sideRight
        case SF_CHANNEL_MAP_FRONT_LEFT_OF_CENTER: self = .leftOfCenter
        case SF_CHANNEL_MAP_FRONT_RIGHT_OF_CENTER: self = .rightOfCenter
        default: self = .unknown
        }
    }

    /// The channel order WAVE_FORMAT_EXTENSIBLE, FLAC and Vorbis use when a file names none.
    public static func defaultLayout(channels: Int) -> [SpeakerPosition] {
        switch channels {
        case 1: [.mono]
        case 2: [.left, .right]
        case 3: [.left, .right, .center]
        case 4: [.left, .right, .rearLeft, .rearRight]
        case 5: [.left, .right, .center, .rearLeft, .rearRight]
        case 6: [.left, .right, .center, .lfe, .rearLeft, .rearRight]
        case 7: [.left, .right, .center, .lfe, .rearCenter, .sideLeft, .sideRight]
        case 8: [.left, .right, .center, .lfe, .rearLeft, .rearRight, .sideLeft, .sideRight]
        default: Array(repeating: .unknown, count: channels)
        }
    }

    /// This channel's contribution to (left, right) before normalisation, after ITU-R BS.775:
    /// centre and surrounds at −3 dB, the LFE left out.
    var stereoGains: (left: Float, right: Float) {
        let minus3dB: Float = 0.707_106_77
        switch self {
        case .left: return (1, 0)
        case .right: return (0, 1)
        case .mono, .center: return (minus3dB, minus3dB)
        case .lfe: return (0, 0)
        case .rearLeft, .sideLeft, .leftOfCenter: return (minus3dB, 0)
        case .rearRight, .sideRight, .rightOfCenter: return (0, minus3dB)
        case .rearCenter: return (0.5, 0.5)
        case .unknown: return (0.5, 0.5)
        }
    }
}
