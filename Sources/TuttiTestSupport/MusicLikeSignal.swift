import Foundation

/// A deterministic stand-in for music: a chord progression with harmonics, a plucked
/// envelope, a little stereo spread and a noise "hi-hat", so the encoder works as it does
/// on real material (a pure sine is far cheaper to encode).
public enum MusicLikeSignal {
    public static func write(seconds: Int, sampleRate: Int = 48_000, to url: URL) throws -> String {
        var generator = SplitMix(seed: 42)
        let chords: [[Double]] = [[220, 277.18, 329.63], [196, 246.94, 293.66], [174.61, 220, 261.63], [196, 246.94, 329.63]]
        let frames = seconds * sampleRate
        var samples = [Float](repeating: 0, count: frames * 2)
        let beat = sampleRate / 2
        for frame in 0..<frames {
            let t = Double(frame) / Double(sampleRate)
            let chord = chords[(frame / (beat * 4)) % chords.count]
            let sinceBeat = Double(frame % beat) / Double(sampleRate)
            let envelope = exp(-3 * sinceBeat)
            var left = 0.0
            var right = 0.0
            for (voice, frequency) in chord.enumerated() {
                var tone = 0.0
                for harmonic in 1...4 { tone += sin(2 * .pi * frequency * Double(harmonic) * t) / Double(harmonic * harmonic) }
                let pan = 0.3 + 0.2 * Double(voice)
                left += tone * (1 - pan)
                right += tone * pan
            }
            let hat = (frame % (beat / 2)) < sampleRate / 50 ? generator.nextNoise() * 0.15 : 0
            samples[2 * frame] = Float(0.18 * envelope * left + hat)
            samples[2 * frame + 1] = Float(0.18 * envelope * right + hat)
        }
        return TestWAV(sampleRate: sampleRate, channels: 2, samples: samples).write(to: url)
    }
}

/// A small seeded generator, so tests that need noise are repeatable.
public struct SplitMix {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform noise in −1...1.
    public mutating func nextNoise() -> Double { Double(next() >> 11) / Double(1 << 52) - 1 }
    public mutating func bytes(_ count: Int) -> Data { Data((0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }) }
}
