import AudioCore
import Foundation
import Testing
import TuttiTestSupport

/// Transcodes `input` to one or more renditions in a scratch folder.
func transcode(_ input: String, bitrates: [Int?] = [nil], options: (inout TranscodeOptions) -> Void = { _ in }) throws -> TranscodeResult {
    let folder = Fixtures.scratch()
    var settings = TranscodeOptions(renditions: bitrates.enumerated().map { index, bitrate in
        RenditionSpec(path: folder.appendingPathComponent("out\(index).opus").path, bitrate: bitrate)
    })
    options(&settings)
    return try Transcoder.transcode(input: input, options: settings)
}

@Suite("Transcoding to Ogg Opus", .ownThreads)
struct TranscodeTests {
    static let fixtures: [(file: String, frames: Int64, rate: Int)] = [
        ("sine-440l-1000r-44100-stereo.wav", 44_100, 44_100),
        ("sine-1000-48000-mono.wav", 48_000, 48_000),
        ("chirp-96000-stereo.wav", 48_000, 96_000),
        ("chirp-44100-mono.aiff", 44_100, 44_100),
        ("surround-51-48000.wav", 24_000, 48_000),
        ("short-500-samples-44100.wav", 500, 44_100),
        ("silence-48000-stereo.wav", 24_000, 48_000),
        ("sine-440-44100-stereo.flac", 88_200, 44_100),
        ("sine-440-44100-stereo.mp3", 88_200, 44_100),
        ("sine-440-44100-stereo.ogg", 88_200, 44_100),
    ]

    @Test("a decoder yields exactly the input's length at 48 kHz", arguments: fixtures)
    func exactLength(fixture: (file: String, frames: Int64, rate: Int)) throws {
        let result = try transcode(Fixtures.media(fixture.file))
        let expected = (fixture.frames * 48_000 + Int64(fixture.rate / 2)) / Int64(fixture.rate)
        #expect(result.source.frames == fixture.frames)
        #expect(result.samples == expected)
        let decoded = try DecodedOpus(path: result.renditions[0].path)
        #expect(Int64(decoded.frames) == expected)
        #expect(decoded.inputSampleRate == fixture.rate)
        #expect(decoded.preSkip == result.renditions[0].preSkip)
    }

    @Test("rates from 8 to 192 kHz keep their exact length", arguments: [8_000, 11_025, 22_050, 32_000, 88_200, 176_400, 192_000])
    func everyRate(rate: Int) throws {
        let folder = Fixtures.scratch()
        let input = TestWAV.sine(frequency: 1_000, dBFS: -12, seconds: 0.77, sampleRate: rate, channels: 2)
            .write(to: folder.appendingPathComponent("in.wav"))
        let result = try transcode(input)
        let frames = Int64(0.77 * Double(rate))
        let expected = (frames * 48_000 + Int64(rate / 2)) / Int64(rate)
        let decoded = try DecodedOpus(path: result.renditions[0].path)
        #expect(Int64(decoded.frames) == expected)
        let steady = decoded.channel(0)[4_800..<(decoded.frames - 4_800)]
        #expect(abs(Signal.zeroCrossingFrequency(steady) - 1_000) < 2)
    }

    @Test("a sine keeps its frequency and level; stereo channels stay separate")
    func sineSurvives() throws {
        let result = try transcode(Fixtures.media("sine-440l-1000r-44100-stereo.wav"))
        let decoded = try DecodedOpus(path: result.renditions[0].path)
        #expect(decoded.channels == 2)
        let middle = 4_800..<43_200
        let left = decoded.channel(0)[middle]
        let right = decoded.channel(1)[middle]
        #expect(abs(Signal.zeroCrossingFrequency(left) - 440) < 1)
        #expect(abs(Signal.zeroCrossingFrequency(right) - 1_000) < 1)
        // -20 dBFS peak is -23.01 dBFS RMS.
        #expect(abs(Signal.rmsDecibels(left) - -23.01) < 0.5)
        #expect(abs(Signal.rmsDecibels(right) - -23.01) < 0.5)
        // Each channel carries its own tone and almost nothing of the other's.
        #expect(Signal.share(of: 440, in: left) > 0.95)
        #expect(Signal.share(of: 1_000, in: left) < 0.01)
        #expect(Signal.share(of: 1_000, in: right) > 0.95)
        #expect(Signal.share(of: 440, in: right) < 0.01)
    }

    @Test("mono stays mono at 64 kb/s by default")
    func monoStaysMono() throws {
        let result = try transcode(Fixtures.media("sine-1000-48000-mono.wav"))
        #expect(result.renditions[0].channels == 1)
        #expect(result.renditions[0].bitrate == 64_000)
        let decoded = try DecodedOpus(path: result.renditions[0].path)
        #expect(decoded.channels == 1)
        #expect(abs(Signal.zeroCrossingFrequency(decoded.samples[4_800..<43_200]) - 1_000) < 1)
    }

    @Test("5.1 is mixed down to stereo: fronts to their side, centre and surrounds at -3 dB, no LFE")
    func surroundDownmix() throws {
        let result = try transcode(Fixtures.media("surround-51-48000.wav"))
        #expect(result.source.channels == 6)
        let decoded = try DecodedOpus(path: result.renditions[0].path)
        #expect(decoded.channels == 2)
        let left = decoded.channel(0)[2_400..<21_600]
        let right = decoded.channel(1)[2_400..<21_600]
        // L 300 Hz, R 500, C 700, LFE 60, Ls 900, Rs 1100.
        #expect(Signal.share(of: 300, in: left) > 0.1)
        #expect(Signal.share(of: 300, in: right) < 0.001)
        #expect(Signal.share(of: 500, in: right) > 0.1)
        #expect(Signal.share(of: 500, in: left) < 0.001)
        #expect(Signal.share(of: 700, in: left) > 0.05 && Signal.share(of: 700, in: right) > 0.05)
        #expect(Signal.share(of: 900, in: left) > 0.05 && Signal.share(of: 900, in: right) < 0.001)
        #expect(Signal.share(of: 1_100, in: right) > 0.05 && Signal.share(of: 1_100, in: left) < 0.001)
        #expect(Signal.share(of: 60, in: left) < 0.001 && Signal.share(of: 60, in: right) < 0.001)
        // The centre sits 3 dB below the front channel on each side.
        let ratio = 10 * log10(Signal.share(of: 700, in: left) / Signal.share(of: 300, in: left))
        #expect(abs(ratio - -3) < 0.5)
    }

    @Test("silence and a file shorter than one frame transcode to valid streams")
    func silenceAndShort() throws {
        let silence = try transcode(Fixtures.media("silence-48000-stereo.wav"))
        #expect(silence.loudness.integratedLUFS == nil)
        let decodedSilence = try DecodedOpus(path: silence.renditions[0].path)
        #expect(decodedSilence.samples.allSatisfy { abs($0) < 1e-4 })
        let short = try transcode(Fixtures.media("short-500-samples-44100.wav"))
        let pages = try OggPage.read(path: short.renditions[0].path)
        #expect(pages.count == 3)
        #expect(pages.last?.granule == Int64(short.renditions[0].preSkip) + 544)
    }

    @Test("tags: title, artist and album are read from the upload and written as OpusTags", arguments: [
        ("sine-440l-1000r-44100-stereo.wav", "Left and Right"),
        ("sine-440-44100-stereo.flac", "Flac Tone"),
        ("sine-440-44100-stereo.mp3", "Mp3 Tone"),
        ("sine-440-44100-stereo.ogg", "Vorbis Tone"),
    ])
    func tags(file: String, title: String) throws {
        let result = try transcode(Fixtures.media(file))
        #expect(result.source.tags == AudioTags(title: title, artist: "Tutti Fixtures", album: "Test Tones"))
        let decoded = try DecodedOpus(path: result.renditions[0].path)
        #expect(decoded.comments["TITLE"] == title)
        #expect(decoded.comments["ARTIST"] == "Tutti Fixtures")
        #expect(decoded.comments["ALBUM"] == "Test Tones")
        #expect(decoded.vendor.hasPrefix("libopus"))
        #expect(decoded.comments["R128_TRACK_GAIN"] == String(result.loudness.trackGainQ78))
    }

    @Test("tag overrides replace the upload's own")
    func tagOverrides() throws {
        let result = try transcode(Fixtures.media("sine-440-44100-stereo.flac")) {
            $0.tagOverrides = AudioTags(title: "Ünïcødé ♫ title", artist: nil, album: "Other")
        }
        let decoded = try DecodedOpus(path: result.renditions[0].path)
        #expect(decoded.comments["TITLE"] == "Ünïcødé ♫ title")
        #expect(decoded.comments["ARTIST"] == "Tutti Fixtures")
        #expect(decoded.comments["ALBUM"] == "Other")
    }

    @Test("one pass writes several renditions of the same length at their own bitrates")
    func severalRenditions() throws {
        let folder = Fixtures.scratch()
        let input = try MusicLikeSignal.write(seconds: 8, to: folder.appendingPathComponent("music.wav"))
        let result = try transcode(input, bitrates: [128_000, 48_000])
        #expect(result.renditions.map(\.bitrate) == [128_000, 48_000])
        let high = try DecodedOpus(path: result.renditions[0].path)
        let low = try DecodedOpus(path: result.renditions[1].path)
        #expect(high.frames == 8 * 48_000)
        #expect(low.frames == 8 * 48_000)
        let highRate = Double(result.renditions[0].bytes * 8) / 8
        let lowRate = Double(result.renditions[1].bytes * 8) / 8
        #expect(highRate > 2 * lowRate)
        #expect(lowRate > 30_000 && lowRate < 70_000)
    }
}
