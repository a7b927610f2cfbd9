@testable import AudioCore
import Testing

@Suite("Page index: which audio a byte range carries")
struct PageIndexTests {
    /// Head page 0..<50, tags 50..<150, then audio pages of 1000 bytes ending at 1 s, 2 s, 3 s
    /// (pre-skip 312), and a page with no packet ending on it between the second and third.
    static var index: PageIndex {
        var index = PageIndex(preSkip: 312)
        index.append(pageAt: 0, length: 50, granule: 0)
        index.append(pageAt: 50, length: 100, granule: 0)
        index.append(pageAt: 150, length: 1_000, granule: 48_312)
        index.append(pageAt: 1_150, length: 1_000, granule: 96_312)
        index.append(pageAt: 2_150, length: 1_000, granule: -1)
        index.append(pageAt: 3_150, length: 1_000, granule: 144_312)
        return index
    }

    @Test func totals() {
        #expect(Self.index.totalBytes == 4_150)
        #expect(Self.index.totalSamples == 144_000)
        #expect(Self.index.audioStart == 150)
    }

    @Test("playable audio grows only when a page is complete", arguments: [
        (0, 0), (150, 0), (1_149, 0), (1_150, 48_000), (2_150, 96_000), (3_150, 96_000), (4_149, 96_000), (4_150, 144_000), (99_999, 144_000),
    ] as [(Int64, Int64)])
    func playable(end: Int64, samples: Int64) {
        #expect(Self.index.playableSamples(before: end) == samples)
    }

    @Test("a range carries the audio of every page it touches", arguments: [
        (0..<150, 0..<0), (0..<151, 0..<48_000), (1_000..<1_200, 0..<96_000), (1_150..<2_150, 48_000..<96_000),
        (2_200..<2_300, 96_000..<96_000), (2_200..<3_200, 96_000..<144_000), (4_000..<4_150, 96_000..<144_000), (5_000..<6_000, 0..<0),
    ] as [(Range<Int64>, Range<Int64>)])
    func carried(bytes: Range<Int64>, samples: Range<Int64>) {
        #expect(Self.index.samples(carriedBy: bytes) == samples)
    }

    @Test("seeking finds the page that completes a sample", arguments: [(0, 150), (47_999, 150), (48_000, 1_150), (100_000, 3_150), (144_000, 4_150)] as [(Int64, Int64)])
    func seek(sample: Int64, offset: Int64) {
        #expect(Self.index.byteOffset(ofSample: sample) == offset)
    }
}
