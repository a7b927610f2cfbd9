/// Mixes 3 to 8 input channels down to stereo; mono and stereo pass through untouched.
///
/// Gains follow ITU-R BS.775 (centre and surrounds at −3 dB, no LFE) and are then scaled so
/// that no output channel can exceed full scale: a downmix never clips, and the measured
/// loudness (R128_TRACK_GAIN) lets players bring it back up.
public struct ChannelMixer: Sendable {
    public let inputChannels: Int
    public let outputChannels: Int
    private let leftGains: [Float]
    private let rightGains: [Float]

    public init(layout: [SpeakerPosition]) {
        inputChannels = layout.count
        outputChannels = layout.count <= 2 ? layout.count : 2
        var left = layout.map(\.stereoGains.left)
        var right = layout.map(\.stereoGains.right)
        let loudest = max(left.reduce(0, +), right.reduce(0, +))
        if loudest > 0 {
            left = left.map { $0 / loudest }
            right = right.map { $0 / loudest }
        }
        leftGains = left
        rightGains = right
    }

    /// Whether input passes through unchanged.
    public var isPassthrough: Bool { inputChannels <= 2 }

    /// Mixes `frames` interleaved frames of `input` into `output` (room for `frames * 2` floats).
    public func downmix(_ input: UnsafePointer<Float>, frames: Int, into output: UnsafeMutablePointer<Float>) {
        let channels = inputChannels
        leftGains.withUnsafeBufferPointer { leftGains in
            rightGains.withUnsafeBufferPointer { rightGains in
                for frame in 0..<frames {
                    let source = input + frame * channels
                    var left: Float = 0
                    var right: Float = 0
                    for channel in 0..<channels {
                        left += source[channel] * leftGains[channel]
                        right += source[channel] * rightGains[channel]
                    }
                    output[2 * frame] = left
                    output[2 * frame + 1] = right
                }
            }
        }
    }
}
