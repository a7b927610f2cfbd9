import AudioCore
import Foundation
import Testing
@testable import TuttiServer

/// The free region of a rendition, from its page index alone.
@Suite("Preview window: which bytes an uncounted session may have")
struct PreviewWindowTests {
    /// A page index: two header pages of 100 bytes, then `seconds` audio pages of 1,000 bytes
    /// holding one second each; `continued` pages complete no packet (granule -1).
    private func index(seconds: Int, preSkip: Int64 = 312, continued: Set<Int> = []) throws -> PageIndex {
        var offsets: [Int64] = [0, 100]
        var granules: [Int64] = [0, 0]
        for second in 1...seconds {
            offsets.append(200 + Int64(second - 1) * 1_000)
            granules.append(continued.contains(second) ? -1 : preSkip + Int64(second) * 48_000)
        }
        let json = try JSONSerialization.data(withJSONObject: [
            "offsets": offsets, "granules": granules, "totalBytes": 200 + seconds * 1_000, "preSkip": preSkip,
        ])
        return try JSONDecoder().decode(PageIndex.self, from: json)
    }

    @Test("a long track: the pages of the first 45 s are free; past them a continuation waits, a seek counts, the tail is a probe")
    func longTrack() throws {
        let window = PreviewWindow(index: try index(seconds: 200), previewSeconds: 45, tailProbeBytes: 65_536)
        // Pages 1...45 (each ending at second n) are free; page 46 is the first past the preview.
        #expect(window.freeEnd == 200 + 45 * 1_000)
        #expect(window.listenSeconds == 45)
        #expect(window.tailStart == window.size - 65_536)
        #expect(window.decision(for: 0...(window.freeEnd - 1)) == .free)
        #expect(window.decision(for: 10...(window.freeEnd + 10)) == .continuePastPreview(freeBytes: 10..<window.freeEnd))
        #expect(window.decision(for: window.freeEnd...(window.freeEnd + 10)) == .continuePastPreview(freeBytes: window.freeEnd..<window.freeEnd))
        #expect(window.decision(for: (window.freeEnd + 1)...(window.freeEnd + 10)) == .seekPastPreview)
        #expect(window.decision(for: window.tailStart...(window.size - 1)) == .tailProbe)
        #expect(window.decision(for: (window.tailStart - 1)...(window.size - 1)) == .seekPastPreview)
    }

    @Test("a page that completes no packet does not move the boundary into audio past the preview")
    func continuedPages() throws {
        // Page 46 only continues a packet that ends on page 47: its bytes decode to nothing alone.
        let window = PreviewWindow(index: try index(seconds: 100, continued: [46]), previewSeconds: 45, tailProbeBytes: 0)
        #expect(window.freeEnd == 200 + 46 * 1_000)
        #expect(window.tailStart == window.size)
    }

    @Test("a track shorter than the preview: everything but the last page is free, and listening to its length counts")
    func shortTrack() throws {
        let window = PreviewWindow(index: try index(seconds: 30), previewSeconds: 45, tailProbeBytes: 65_536)
        #expect(window.freeEnd == 200 + 29 * 1_000)
        #expect(window.listenSeconds == 30)
        // The tail would reach into the free region: no probe exception, the end is what counts.
        #expect(window.tailStart == window.size)
        #expect(window.decision(for: (window.size - 100)...(window.size - 1)) == .seekPastPreview)
    }
}
