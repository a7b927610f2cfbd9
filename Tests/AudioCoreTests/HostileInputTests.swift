import AudioCore
import Foundation
import Testing
import TuttiTestSupport

/// Expects transcoding `input` to fail with `expected` and to leave `folder` as it was.
func expectRejected(_ input: String, _ expected: AudioError, limits: AudioLimits = .standard, sourceLocation: SourceLocation = #_sourceLocation) {
    let folder = Fixtures.scratch()
    let options = TranscodeOptions(
        renditions: [RenditionSpec(path: folder.appendingPathComponent("out.opus").path),
                     RenditionSpec(path: folder.appendingPathComponent("low.opus").path, bitrate: 48_000)],
        limits: limits)
    #expect(throws: expected, sourceLocation: sourceLocation) { try Transcoder.transcode(input: input, options: options) }
    #expect(Fixtures.files(in: folder).isEmpty, "files left behind: \(Fixtures.files(in: folder))", sourceLocation: sourceLocation)
}

@Suite("Damaged and hostile inputs", .ownThreads)
struct HostileInputTests {
    let folder = Fixtures.scratch()

    func write(_ data: Data, _ name: String) -> String {
        let url = folder.appendingPathComponent(name)
        try! data.write(to: url)
        return url.path
    }

    func fixture(_ name: String) -> Data {
        try! Data(contentsOf: URL(fileURLWithPath: Fixtures.media(name)))
    }

    @Test("a zero-length file")
    func empty() {
        expectRejected(write(Data(), "empty.wav"), .emptyFile)
    }

    @Test("random bytes with an audio extension", arguments: ["wav", "flac", "mp3", "ogg", "aiff"])
    func randomBytes(extension: String) {
        var generator = SplitMix(seed: 7)
        expectRejected(write(generator.bytes(200_000), "random.\(`extension`)"), .notAudio(detail: ""))
    }

    @Test("text, an image and a video container are not audio")
    func otherFiles() {
        expectRejected(write(Data("hello, this is not music\n".utf8), "notes.mp3"), .notAudio(detail: ""))
        expectRejected(write(Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 0, count: 100)), "cover.wav"), .notAudio(detail: ""))
        expectRejected(write(Data([0, 0, 0, 0x20] + Array("ftypM4A ".utf8) + Array(repeating: 0, count: 100)), "song.m4a"), .unsupportedFormat("MPEG-4 audio (M4A/AAC)"))
    }

    @Test("a WAV cut off in the middle says where it stops")
    func truncatedWAV() {
        let whole = fixture("sine-440l-1000r-44100-stereo.wav")
        // 46-byte header (with LIST chunk the data starts later) plus about half the audio.
        let cut = whole.prefix(whole.count / 2)
        let path = write(cut, "cut.wav")
        let folder = Fixtures.scratch()
        let options = TranscodeOptions(renditions: [RenditionSpec(path: folder.appendingPathComponent("o.opus").path)])
        #expect {
            try Transcoder.transcode(input: path, options: options)
        } throws: { error in
            guard case .truncated(let seconds) = error as? AudioError else { return false }
            return abs(seconds - 0.5) < 0.01
        }
        #expect(Fixtures.files(in: folder).isEmpty)
    }

    @Test("a header that claims far more data than the file holds")
    func headerClaimsTooMuch() {
        let wav = TestWAV.sine(frequency: 440, dBFS: -10, seconds: 1, sampleRate: 48_000, channels: 2)
        expectRejected(wav.write(to: folder.appendingPathComponent("claims.wav"), claimedDataBytes: 0x7FFF_F000), .truncated(afterSeconds: 1))
    }

    @Test("a streamed WAV whose size field says 'unknown' is accepted")
    func streamedWAV() throws {
        let wav = TestWAV.sine(frequency: 440, dBFS: -10, seconds: 1, sampleRate: 48_000, channels: 2)
        let result = try transcode(wav.write(to: folder.appendingPathComponent("piped.wav"), claimedDataBytes: 0xFFFF_FFFF))
        #expect(result.samples == 48_000)
    }

    @Test("a truncated FLAC and a truncated MP3 say where they stop")
    func truncatedCompressed() {
        for (name, keep) in [("sine-440-44100-stereo.flac", 0.4), ("sine-440-44100-stereo.mp3", 0.5)] {
            let whole = fixture(name)
            let path = write(whole.prefix(Int(Double(whole.count) * keep)), "cut-\(name)")
            let folder = Fixtures.scratch()
            let options = TranscodeOptions(renditions: [RenditionSpec(path: folder.appendingPathComponent("o.opus").path)])
            #expect {
                try Transcoder.transcode(input: path, options: options)
            } throws: { error in
                guard case .truncated(let seconds) = error as? AudioError else { return false }
                return seconds > 0.2 && seconds < 1.9
            }
            #expect(Fixtures.files(in: folder).isEmpty)
        }
    }

    @Test("only the header of a file")
    func headerOnly() {
        let whole = fixture("sine-440-44100-stereo.flac")
        expectRejected(write(whole.prefix(4), "magic.flac"), .notAudio(detail: "FLAC header is not valid: Format not recognised."))
    }

    @Test("sample rates outside 8 to 192 kHz", arguments: [4_000, 7_999, 200_000, 384_000])
    func unsupportedRate(rate: Int) {
        let wav = TestWAV.sine(frequency: 440, dBFS: -10, seconds: 0.1, sampleRate: rate, channels: 1)
        expectRejected(wav.write(to: folder.appendingPathComponent("rate.wav")), .unsupportedSampleRate(rate))
    }

    @Test("more than 8 channels")
    func tooManyChannels() {
        let wav = TestWAV(sampleRate: 48_000, channels: 9, samples: [Float](repeating: 0.1, count: 9 * 4_800))
        expectRejected(wav.write(to: folder.appendingPathComponent("nine.wav")), .tooManyChannels(9))
    }

    @Test("a recording over the length limit")
    func tooLong() {
        let wav = TestWAV.sine(frequency: 440, dBFS: -10, seconds: 3, sampleRate: 8_000, channels: 1)
        let limits = AudioLimits(maximumSeconds: 2)
        expectRejected(wav.write(to: folder.appendingPathComponent("long.wav")), .tooLong(seconds: 3, limitSeconds: 2), limits: limits)
        #expect(AudioLimits.standard.maximumSeconds == 4 * 3600)
    }

    @Test("a WAV with a header and no samples")
    func noSamples() {
        let wav = TestWAV(sampleRate: 48_000, channels: 2, samples: [])
        expectRejected(wav.write(to: folder.appendingPathComponent("nothing.wav")), .noAudio)
    }

    @Test("an unwritable output folder is an I/O error naming the path")
    func unwritableOutput() {
        let options = TranscodeOptions(renditions: [RenditionSpec(path: "/nonexistent-folder/out.opus")])
        #expect {
            try Transcoder.transcode(input: Fixtures.media("sine-1000-48000-mono.wav"), options: options)
        } throws: { error in
            guard case .io(let path, _) = error as? AudioError else { return false }
            return path.hasPrefix("/nonexistent-folder/out.opus")
        }
    }

    @Test("the sniffer recognises every fixture by its bytes, whatever its name", arguments: [
        ("sine-440l-1000r-44100-stereo.wav", AudioFormat.wav), ("chirp-44100-mono.aiff", .aiff),
        ("sine-440-44100-stereo.flac", .flac), ("sine-440-44100-stereo.mp3", .mp3), ("sine-440-44100-stereo.ogg", .oggVorbis),
    ])
    func sniffer(file: String, format: AudioFormat) throws {
        let renamed = write(fixture(file), "upload.bin")
        #expect(try FormatSniffer.sniff(path: renamed).get() == format)
    }
}
