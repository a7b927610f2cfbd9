import AudioCore
import Foundation
import Testing
@testable import TuttiServer

/// The metering rule as a table: a session's state and a range → what must happen before
/// the bytes go out. Both the controller and the sendfile path act on this one decision.
@Suite("Metering decision: one rule for every session request")
struct MeteringDecisionTests {
    /// A 200 s rendition: two header pages of 100 bytes, then one page of 1,000 bytes per
    /// second. Audio starts at byte 200; the 45 s preview ends at byte 45,200; the last
    /// 64 KiB (from 134,664) are a duration probe.
    static let window: PreviewWindow = {
        var offsets: [Int64] = [0, 100]
        var granules: [Int64] = [0, 0]
        for second in 1...200 {
            offsets.append(200 + Int64(second - 1) * 1_000)
            granules.append(312 + Int64(second) * 48_000)
        }
        let json = try! JSONSerialization.data(withJSONObject: [
            "offsets": offsets, "granules": granules, "totalBytes": 200 + 200 * 1_000, "preSkip": 312,
        ])
        let index = try! JSONDecoder().decode(PageIndex.self, from: json)
        return PreviewWindow(index: index, previewSeconds: 45, tailProbeBytes: 65_536)
    }()

    static let freeEnd: Int64 = 45_200
    static let tailStart: Int64 = 200_200 - 65_536
    static let last: Int64 = 200_199

    typealias Session = MeteringDecision.Session
    static let metered = Session(unlimited: false, counted: false, firstAudioRecorded: false)
    static let listening = Session(unlimited: false, counted: false, firstAudioRecorded: true)
    static let counted = Session(unlimited: false, counted: true, firstAudioRecorded: true)
    static let unlimited = Session(unlimited: true, counted: false, firstAudioRecorded: false)

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var session: Session
        var range: ClosedRange<Int64>
        var decision: MeteringDecision
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        // Sessions that are never metered, or already counted: everything as asked.
        Case(name: "unlimited access, a seek far past the preview", session: unlimited, range: 150_000...last, decision: .send),
        Case(name: "unlimited access, the whole file", session: unlimited, range: 0...last, decision: .send),
        Case(name: "counted, a seek past the preview", session: counted, range: 100_000...100_999, decision: .send),
        Case(name: "counted, continuing past the preview", session: counted, range: 1_000...last, decision: .send),
        // The tail: a demuxer probing the duration.
        Case(name: "tail probe", session: metered, range: tailStart...last, decision: .send),
        Case(name: "tail probe, listening", session: listening, range: (last - 100)...last, decision: .send),
        Case(name: "one byte before the tail is a seek", session: metered, range: (tailStart - 1)...last, decision: .count),
        // Inside the preview.
        Case(name: "free, headers only, before any audio", session: metered, range: 0...199, decision: .send),
        Case(name: "free, reaching the first audio byte, first audio not recorded", session: metered, range: 0...200, decision: .recordFirstAudio),
        Case(name: "free, the whole preview, first audio not recorded", session: metered, range: 0...(freeEnd - 1), decision: .recordFirstAudio),
        Case(name: "free, first audio already recorded", session: listening, range: 5_000...(freeEnd - 1), decision: .send),
        // Past the preview.
        Case(name: "seek past the preview", session: metered, range: (freeEnd + 1)...(freeEnd + 1_000), decision: .count),
        Case(name: "seek past the preview, listening", session: listening, range: 100_000...last, decision: .count),
        Case(name: "continue past the preview with free bytes", session: listening, range: 10...(freeEnd + 10),
             decision: .continuePastPreview(freeBytes: 10..<freeEnd)),
        Case(name: "continue past the preview from its very end: no free bytes", session: listening, range: freeEnd...(freeEnd + 10),
             decision: .continuePastPreview(freeBytes: freeEnd..<freeEnd)),
        Case(name: "a plain GET of the whole file, first audio not recorded", session: metered, range: 0...last,
             decision: .continuePastPreview(freeBytes: 0..<freeEnd)),
    ]

    @Test("decision", arguments: MeteringDecisionTests.cases)
    func decision(_ test: Case) {
        let decision = MeteringDecision(session: test.session, range: test.range, window: Self.window)
        #expect(decision == test.decision)
        // The sendfile path asks the same question with the window it has cached.
        #expect(MeteringDecision(session: test.session, range: test.range, cachedWindow: { Self.window }) == test.decision)
        #expect(decision.changesNothing == (test.decision == .send))
    }

    @Test("without a cached window: unlimited and counted sessions are decided without asking for it; metered ones are not decided")
    func withoutWindow() {
        var asked = 0
        #expect(MeteringDecision(session: Self.unlimited, range: 0...10, cachedWindow: { asked += 1; return nil }) == .send)
        #expect(MeteringDecision(session: Self.counted, range: 0...10, cachedWindow: { asked += 1; return nil }) == .send)
        #expect(asked == 0)
        #expect(MeteringDecision(session: Self.metered, range: 0...10, cachedWindow: { asked += 1; return nil }) == nil)
        #expect(asked == 1)
    }

    typealias Continuation = MeteringDecision.Continuation<String>

    struct ContinuationCase: Sendable, CustomTestStringConvertible {
        var name: String
        var refusal: String?
        var freeBytes: Range<Int64>
        var partial: Bool
        var answer: Continuation
        var testDescription: String { name }
    }

    static let continuations: [ContinuationCase] = [
        ContinuationCase(name: "refused, nothing free, Range request", refusal: "no credit", freeBytes: 500..<500, partial: true, answer: .refuse("no credit")),
        ContinuationCase(name: "refused, nothing free, whole file", refusal: "no credit", freeBytes: 0..<0, partial: false, answer: .refuse("no credit")),
        ContinuationCase(name: "refused, free bytes, Range request: a shorter 206", refusal: "no credit", freeBytes: 10..<500, partial: true,
                         answer: .sendFreeBytesOnly(10...499)),
        ContinuationCase(name: "refused, free bytes, whole file: held, ends at the preview", refusal: "sign in", freeBytes: 0..<500, partial: false,
                         answer: .sendHeldAtPreview),
        ContinuationCase(name: "payable, nothing free: wait, count, send", refusal: nil, freeBytes: 500..<500, partial: true, answer: .waitThenCount),
        ContinuationCase(name: "payable, nothing free, whole file", refusal: nil, freeBytes: 0..<0, partial: false, answer: .waitThenCount),
        ContinuationCase(name: "payable, free bytes, Range request: held at the preview", refusal: nil, freeBytes: 10..<500, partial: true,
                         answer: .sendHeldAtPreview),
        ContinuationCase(name: "payable, free bytes, whole file", refusal: nil, freeBytes: 0..<500, partial: false, answer: .sendHeldAtPreview),
    ]

    @Test("continuing past the preview", arguments: MeteringDecisionTests.continuations)
    func continuation(_ test: ContinuationCase) {
        #expect(Continuation(freeBytes: test.freeBytes, refusal: test.refusal, partial: test.partial) == test.answer)
    }
}
