import AudioCore
import Foundation
import Testing
import TuttiTestSupport

@Suite("Ogg Opus structure (RFC 7845)", .ownThreads)
struct OggStructureTests {
    @Test("OpusHead alone on the first page, OpusTags on its own, audio pages of about a second, trimmed end")
    func pageLayout() throws {
        let result = try transcode(Fixtures.media("sine-440-44100-stereo.flac"))
        let rendition = result.renditions[0]
        let pages = try OggPage.read(path: rendition.path)
        // Page 0: BOS, exactly the 19-byte OpusHead, granule 0.
        #expect(pages[0].isFirst)
        #expect(pages[0].body.count == 19)
        #expect(pages[0].body.prefix(8) == Data("OpusHead".utf8))
        #expect(pages[0].granule == 0)
        let head = [UInt8](pages[0].body)
        #expect(head[8] == 1)  // version
        #expect(head[9] == 2)  // channels
        func littleEndian(_ range: Range<Int>) -> Int { range.reversed().reduce(0) { $0 << 8 | Int(head[$1]) } }
        #expect(littleEndian(10..<12) == rendition.preSkip)
        #expect(littleEndian(12..<16) == 44_100)
        #expect(head[18] == 0)  // mapping family 0
        // Page 1: OpusTags, complete on its page, granule 0.
        #expect(pages[1].body.prefix(8) == Data("OpusTags".utf8))
        #expect(pages[1].granule == 0)
        #expect(pages[1].segmentTable.last! < 255)
        #expect(!pages[2].continuesPacket)
        // Audio pages: at most one second each, granules rising, sequence numbers in order.
        let audio = pages.dropFirst(2)
        var previous = Int64(0)
        for page in audio {
            #expect(page.granule > previous)
            #expect(page.granule - previous <= 48_000)
            previous = page.granule
        }
        #expect(pages.map(\.sequence) == (0..<UInt32(pages.count)).map { $0 })
        #expect(pages.filter(\.isLast).count == 1 && pages.last!.isLast)
        // The end is trimmed to the input's exact length.
        #expect(pages.last!.granule == Int64(rendition.preSkip) + result.samples)
        let packets = audio.reduce(0) { $0 + $1.packetsEnding }
        #expect(Int64(packets) == (result.samples + Int64(rendition.preSkip) + 959) / 960)
        // The pre-skip is libopus's lookahead: 312 samples (6.5 ms) for application audio.
        #expect(rendition.preSkip == 312)
    }

    @Test("the page index matches every page of the file")
    func pageIndexMatchesFile() throws {
        let result = try transcode(Fixtures.media("sine-440-44100-stereo.mp3"), bitrates: [128_000, 48_000])
        for rendition in result.renditions {
            let pages = try OggPage.read(path: rendition.path)
            let index = rendition.pageIndex
            #expect(index.offsets == pages.map(\.offset))
            #expect(index.granules == pages.map(\.granule))
            let size = try FileManager.default.attributesOfItem(atPath: rendition.path)[.size] as! Int
            #expect(index.totalBytes == Int64(size))
            #expect(rendition.bytes == Int64(size))
            #expect(index.totalSamples == result.samples)
            #expect(index.audioStart == pages[2].offset)
        }
    }

    @Test("the R128 gain rewrite keeps the OpusTags packet's length and the pages' CRCs valid")
    func tagsRewrite() throws {
        let loud = TestWAV.sine(frequency: 1_000, dBFS: -1, seconds: 1, sampleRate: 48_000, channels: 2)
        let quiet = TestWAV.sine(frequency: 1_000, dBFS: -40, seconds: 1, sampleRate: 48_000, channels: 2)
        let folder = Fixtures.scratch()
        for (name, wav) in [("loud", loud), ("quiet", quiet)] {
            let result = try transcode(wav.write(to: folder.appendingPathComponent("\(name).wav")))
            let decoded = try DecodedOpus(path: result.renditions[0].path)
            #expect(decoded.comments["R128_TRACK_GAIN"] == String(result.loudness.trackGainQ78))
            try ThirdPartyTools.expectValid(result.renditions[0].path)
        }
    }
}
