import AudioCore
import Foundation
import Testing
import TuttiTestSupport

@Suite("Third-party players accept Tutti's output", .ownThreads)
struct ThirdPartyValidationTests {
    @Test("opusinfo and oggz-validate accept every rendition; ffmpeg decodes the exact length", arguments: TranscodeTests.fixtures.map(\.file))
    func validates(file: String) throws {
        let result = try transcode(Fixtures.media(file), bitrates: [nil, 48_000])
        for rendition in result.renditions {
            try ThirdPartyTools.expectValid(rendition.path)
            let frames = try ThirdPartyTools.ffmpegFrames(rendition.path, channels: rendition.channels)
            #expect(Int64(frames) == result.samples)
        }
    }

    @Test("opusinfo reports the pre-skip, the original rate and the length")
    func opusinfoFields() throws {
        let result = try transcode(Fixtures.media("chirp-96000-stereo.wav"))
        let info = try ThirdPartyTools.run("opusinfo", [result.renditions[0].path]).stdout
        #expect(info.contains("Pre-skip: 312"))
        #expect(info.contains("Original sample rate: 96000 Hz"))
        #expect(info.contains("Playback length: 0m:00.5s") || info.contains("Playback length: 0m:00.500s"))
        #expect(info.contains("Packet duration:   20.0ms (max),   20.0ms (avg),   20.0ms (min)"))
    }
}
