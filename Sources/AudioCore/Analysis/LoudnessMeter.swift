import CEbur128

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A track's loudness as EBU R128 measures it.
public struct Loudness: Sendable, Codable, Equatable {
    /// Integrated loudness in LUFS; nil for silence (nothing above the absolute gate).
    public var integratedLUFS: Double?
    /// The highest true peak of any channel, in dBTP; nil for digital silence.
    public var truePeakDBTP: Double?

    /// The loudness EBU R128 and RFC 7845's R128 gains aim at, in LUFS.
    public static let referenceLUFS = -23.0

    /// The gain that brings the track to −23 LUFS in Q7.8 fixed point dB: the value of
    /// `R128_TRACK_GAIN` (RFC 7845 §5.2.1). Zero for silence.
    public var trackGainQ78: Int16 {
        guard let integratedLUFS else { return 0 }
        let gain = ((Self.referenceLUFS - integratedLUFS) * 256).rounded()
        return Int16(max(Double(Int16.min), min(Double(Int16.max), gain)))
    }
}

/// Measures integrated loudness and true peak with libebur128 as audio streams through.
///
/// Uses libebur128's histogram mode, so memory stays constant however long the track.
public final class LoudnessMeter {
    private var state: UnsafeMutablePointer<ebur128_state>?
    public let channels: Int

    public init(channels: Int, sampleRate: Int = 48_000) throws(AudioError) {
        let mode = Int32(EBUR128_MODE_I.rawValue | EBUR128_MODE_TRUE_PEAK.rawValue | EBUR128_MODE_HISTOGRAM.rawValue)
        guard let state = ebur128_init(UInt32(channels), UInt(sampleRate), mode) else {
            throw .codec(call: "ebur128_init", code: -1, detail: "out of memory or bad parameters")
        }
        self.state = state
        self.channels = channels
        if channels == 1 {
            // A mono track plays on both speakers: measure it as it will be heard.
            _ = ebur128_set_channel(state, 0, Int32(EBUR128_DUAL_MONO.rawValue))
        }
    }

    deinit { ebur128_destroy(&state) }

    /// Adds `frames` interleaved frames.
    public func add(_ samples: UnsafePointer<Float>, frames: Int) throws(AudioError) {
        let code = ebur128_add_frames_float(state, samples, frames)
        if code != Int32(EBUR128_SUCCESS.rawValue) {
            throw .codec(call: "ebur128_add_frames_float", code: code, detail: "libebur128 error")
        }
    }

    /// The measurement of everything added so far.
    public func result() -> Loudness {
        var integrated = 0.0
        let loudness: Double? = ebur128_loudness_global(state, &integrated) == Int32(EBUR128_SUCCESS.rawValue) && integrated.isFinite ? integrated : nil
        var peak = 0.0
        for channel in 0..<channels {
            var channelPeak = 0.0
            if ebur128_true_peak(state, UInt32(channel), &channelPeak) == Int32(EBUR128_SUCCESS.rawValue) {
                peak = max(peak, channelPeak)
            }
        }
        return Loudness(integratedLUFS: loudness, truePeakDBTP: peak > 0 ? 20 * log10(peak) : nil)
    }
}
