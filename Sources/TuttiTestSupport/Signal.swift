import Foundation

/// Measurements of decoded audio for assertions.
public enum Signal {
    /// Root mean square level in dBFS of `samples` (a full-scale sine is −3 dBFS RMS).
    public static func rmsDecibels(_ samples: ArraySlice<Float>) -> Double {
        let sum = samples.reduce(0.0) { $0 + Double($1) * Double($1) }
        return 10 * log10(max(sum / Double(max(1, samples.count)), 1e-20))
    }

    /// Power of `samples` at `frequency` (Goertzel), normalised to the power of the signal.
    public static func share(of frequency: Double, in samples: ArraySlice<Float>, sampleRate: Double = 48_000) -> Double {
        let coefficient = 2 * cos(2 * .pi * frequency / sampleRate)
        var (s1, s2) = (0.0, 0.0)
        for sample in samples {
            let s0 = Double(sample) + coefficient * s1 - s2
            s2 = s1
            s1 = s0
        }
        let power = s1 * s1 + s2 * s2 - coefficient * s1 * s2
        let energy = samples.reduce(0.0) { $0 + Double($1) * Double($1) }
        // A pure sine of N samples has Goertzel power N/2 × its energy.
        return energy > 0 ? power / (Double(samples.count) / 2 * energy) : 0
    }

    /// The frequency among `candidates` with the most power in `samples`.
    public static func dominant(_ candidates: [Double], in samples: ArraySlice<Float>) -> Double {
        candidates.max { share(of: $0, in: samples) < share(of: $1, in: samples) }!
    }

    /// Counts upward zero crossings per second: the frequency of a clean tone.
    public static func zeroCrossingFrequency(_ samples: ArraySlice<Float>, sampleRate: Double = 48_000) -> Double {
        var crossings = 0
        var previous = samples.first ?? 0
        var first: Int?
        var last = 0
        for (index, sample) in zip(samples.indices, samples) {
            if previous < 0 && sample >= 0 {
                crossings += 1
                if first == nil { first = index }
                last = index
            }
            previous = sample
        }
        guard let first, crossings > 1 else { return 0 }
        return Double(crossings - 1) * sampleRate / Double(last - first)
    }
}
