import Foundation
import Synchronization
import Testing
@testable import TuttiServer
import TuttiTestSupport

/// The parts of a transcode job's end that can be checked alone: progress written in order
/// and finished with the job, renditions placed all or none, the retry delays of a failing queue.
@Suite("Transcode jobs: progress, placement, retries")
struct TranscodeProgressTests {
    /// What the writer was given, in order, and a gate that holds the first write.
    final class Writes: Sendable {
        private let state = Mutex<(values: [Int], started: Bool)>(([], false))
        private let gate = AsyncStream<Void>.makeStream()
        private let firstStarted = AsyncStream<Void>.makeStream()

        var values: [Int] { state.withLock { $0.values } }

        func write(_ percent: Int) async {
            let first = state.withLock { state -> Bool in
                defer { state.started = true }
                return !state.started
            }
            if first {
                firstStarted.continuation.yield()
                // Held until the test has reported everything else.
                for await _ in gate.stream { break }
            }
            state.withLock { $0.values.append(percent) }
        }

        func waitForFirstWrite() async {
            for await _ in firstStarted.stream { break }
        }

        func release() { gate.continuation.yield() }
    }

    final class Recorded: Sendable {
        private let state = Mutex<[Int]>([])
        var values: [Int] { state.withLock { $0 } }
        func append(_ value: Int) { state.withLock { $0.append(value) } }
    }

    @Test("reports made while a write is slow are written after it, the latest only, never lower, and all before run returns")
    func ordered() async throws {
        let writes = Writes()
        try await TranscodeProgress.run(step: 5, write: { await writes.write($0) }) { report in
            report(10)
            await writes.waitForFirstWrite()
            for percent in [15, 12, 20, 55, 60, 55, 70, 100] { report(percent) }
            writes.release()
        }
        // run returned: every write is done, in order, ending with the last report.
        #expect(writes.values == [10, 100])
    }

    @Test("reports closer than the step are not written; 100 always is; the job's result comes back")
    func stepAndResult() async throws {
        let written = Recorded()
        let result = try await TranscodeProgress.run(step: 5, write: { percent in written.append(percent) }) { report in
            for percent in [0, 1, 4, 5, 9, 10, 11, 97, 99, 100, 100] { report(percent) }
            return "done"
        }
        #expect(result == "done")
        let values = written.values
        #expect(values == values.sorted() && Set(values).count == values.count, "\(values)")
        #expect(Set(values).isSubset(of: [0, 5, 10, 97, 100]), "\(values)")
        #expect(values.last == 100)
    }

    @Test("a failing write is reported and does not stop the job; a failing job still waits for its last write")
    func failures() async throws {
        let failures = AsyncStream<Void>.makeStream()
        let written = Recorded()
        struct Refused: Error {}
        struct JobFailed: Error {}
        await #expect(throws: JobFailed.self) {
            try await TranscodeProgress.run(step: 5, write: { percent in
                if percent == 10 { throw Refused() }
                written.append(percent)
            }, onWriteFailure: { _ in failures.continuation.yield() }) { report in
                report(10)
                for await _ in failures.stream { break }
                report(50)
                throw JobFailed()
            }
        }
        #expect(written.values == [50])
    }

    @Test("a failing queue is read again after 0.25 s, doubling to at most 30 s")
    func retryDelays() {
        let delays = (1...10).map { TranscodeRunner.retryDelay(afterFailures: $0) }
        #expect(delays == [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16),
                           .seconds(30), .seconds(30), .seconds(30)])
        #expect(TranscodeRunner.retryDelay(afterFailures: 1_000) == .seconds(30))
    }
}
