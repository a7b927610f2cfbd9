import AudioCore
import Foundation
import Testing
import TuttiTestSupport

@Suite("Loudness (EBU R128)", .ownThreads)
struct LoudnessTests {
    /// EBU Tech 3341 case 1 and 2: a stereo 1 kHz sine at −23 dBFS reads −23.0 LUFS, at −33 dBFS
    /// −33.0 LUFS, within ±0.1 LU.
    @Test("a stereo 1 kHz sine reads its level in LUFS", arguments: [-23.0, -33.0, -10.0])
    func stereoSine(dBFS: Double) throws {
        let folder = Fixtures.scratch()
        let input = TestWAV.sine(frequency: 1_000, dBFS: dBFS, seconds: 10, sampleRate: 48_000, channels: 2)
            .write(to: folder.appendingPathComponent("sine.wav"))
        let result = try transcode(input)
        let loudness = try #require(result.loudness.integratedLUFS)
        #expect(abs(loudness - dBFS) <= 0.1)
        // The true peak of a sine is its amplitude.
        let peak = try #require(result.loudness.truePeakDBTP)
        #expect(abs(peak - dBFS) < 0.2)
        // R128_TRACK_GAIN brings it to -23 LUFS, in 1/256 dB.
        #expect(abs(Int(result.loudness.trackGainQ78) - Int(((-23 - dBFS) * 256).rounded())) <= 26)
        let decoded = try DecodedOpus(path: result.renditions[0].path)
        #expect(decoded.comments["R128_TRACK_GAIN"] == String(result.loudness.trackGainQ78))
    }

    @Test("a 44.1 kHz input is measured after resampling, with the same result")
    func resampledSine() throws {
        let folder = Fixtures.scratch()
        let input = TestWAV.sine(frequency: 1_000, dBFS: -23, seconds: 10, sampleRate: 44_100, channels: 2)
            .write(to: folder.appendingPathComponent("sine.wav"))
        let result = try transcode(input)
        #expect(abs(try #require(result.loudness.integratedLUFS) - -23) <= 0.1)
    }

    @Test("a mono track is measured as heard on two speakers")
    func monoIsDualMono() throws {
        let folder = Fixtures.scratch()
        let input = TestWAV.sine(frequency: 1_000, dBFS: -23, seconds: 10, sampleRate: 48_000, channels: 1)
            .write(to: folder.appendingPathComponent("mono.wav"))
        let result = try transcode(input)
        #expect(abs(try #require(result.loudness.integratedLUFS) - -23) <= 0.1)
    }

    @Test("probe reports the same loudness as a transcode")
    func probeMatches() throws {
        let result = try AudioProbe.probe(path: Fixtures.media("sine-440-44100-stereo.flac"))
        let transcoded = try transcode(Fixtures.media("sine-440-44100-stereo.flac"))
        #expect(abs(try #require(result.loudness.integratedLUFS) - (try #require(transcoded.loudness.integratedLUFS))) < 0.1)
        #expect(result.source.format == .flac)
        #expect(result.source.sampleRate == 44_100)
    }

    @Test("waveform peaks follow the signal: a fixed number of bins with the level in each")
    func waveformPeaks() throws {
        let folder = Fixtures.scratch()
        // One second of silence, then one second of a -6 dBFS sine.
        var wav = TestWAV.sine(frequency: 1_000, dBFS: -6, seconds: 2, sampleRate: 48_000, channels: 2)
        for index in 0..<(48_000 * 2) { wav.samples[index] = 0 }
        let result = try transcode(wav.write(to: folder.appendingPathComponent("half.wav"))) { $0.peakBins = 100 }
        #expect(result.peaks.binCount == 100)
        #expect(result.peaks.maximums[..<50].allSatisfy { $0 == 0 })
        #expect(result.peaks.maximums[50...].allSatisfy { abs($0 - 0.5) < 0.01 })
        #expect(result.peaks.minimums[50...].allSatisfy { abs($0 + 0.5) < 0.01 })
    }
}
