import Synchronization

/// A running job's progress, written to the database in order and finished with the job.
///
/// The child reports progress faster than the database should take it, on a thread that
/// must not wait for a write. Reports go through a one-value buffer to a single writer task:
/// a report that arrives while a write is under way replaces any waiting one, so writes are
/// few, never overtake each other, and never go down. The writer is a child task of
/// ``run(step:write:_:)``, which returns only once the last reported value is written:
/// nothing is left running when the job completes, fails or is stopped.
enum TranscodeProgress {
    /// Runs `body` with a `report` function for percentages (0...100). A report is passed on
    /// only once it is at least `step` above the last one passed on, or when it is 100.
    /// `write` failures are handed to `onWriteFailure` and do not stop the job.
    static func run<Result: Sendable>(
        step: Int = 5,
        write: @escaping @Sendable (Int) async throws -> Void,
        onWriteFailure: @escaping @Sendable (any Error) -> Void = { _ in },
        _ body: (_ report: @escaping @Sendable (Int) -> Void) async throws -> Result
    ) async throws -> Result {
        let (reports, continuation) = AsyncStream<Int>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let lastReported = Mutex(-1)
        // Called from the child's reader thread; the yield is under the lock, so values enter
        // the buffer in the order they were accepted.
        let report: @Sendable (Int) -> Void = { percent in
            let percent = max(0, min(100, percent))
            lastReported.withLock { last in
                guard percent >= last + step || (percent == 100 && last < 100) else { return }
                last = percent
                continuation.yield(percent)
            }
        }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var written = -1
                for await percent in reports where percent > written {
                    do {
                        try await write(percent)
                        written = percent
                    } catch {
                        // A write cut short by the server stopping is no failure worth telling.
                        if !Task.isCancelled { onWriteFailure(error) }
                    }
                }
            }
            let result: Result
            do {
                result = try await body(report)
            } catch {
                continuation.finish()
                try await group.waitForAll()
                throw error
            }
            // What is still buffered is written before the job goes on.
            continuation.finish()
            try await group.waitForAll()
            return result
        }
    }
}
