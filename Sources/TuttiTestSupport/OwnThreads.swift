import Foundation
import Testing

/// Runs a suite's tests on threads of their own instead of the ones every task of the test
/// process shares, for suites whose tests hold their thread for long stretches: computing
/// (transcodes in process), waiting for a child process, or waiting for SQLite to sync a
/// commit, synchronously.
///
/// Swift's concurrency runs all tasks on one thread per core (two here), and all suites run
/// at once, the in-process test servers among them. A test that holds one of those threads
/// for seconds holds up every server request queued behind it: in the suite's first half
/// minute the audio tests alone held both, longer than HummingbirdTesting's 20 s request
/// timeout. Under this trait a suite's tests run on a pool as wide as the machine has cores
/// (shared by every suite that has the trait), so the shared threads stay free for the
/// servers, and the kernel shares the cores between both pools instead.
///
/// Not for suites that run a server in process: its tasks would inherit this pool.
public struct OwnThreads: SuiteTrait, TestTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await withTaskExecutorPreference(BlockingTestExecutor.shared) { try await function() }
    }
}

extension Trait where Self == OwnThreads {
    /// See ``OwnThreads``.
    public static var ownThreads: Self { OwnThreads() }
}

/// A task executor on threads of its own (`Thread`, not Dispatch): each job runs to its next
/// suspension on one of them.
///
/// Not an OperationQueue or a concurrent DispatchQueue: on Linux both run on Dispatch's
/// global worker threads, which are also the threads of Swift's global executor, so a job
/// blocked there held one of them all the same. A full-suite run stalled so: two jobs of
/// this executor blocked waiting for child processes, and the in-process servers' requests
/// waited behind them.
final class BlockingTestExecutor: TaskExecutor, @unchecked Sendable {
    /// Twice the cores, at least four: its jobs mostly wait (for child processes, for
    /// SQLite's syncs), and the kernel shares the cores between these threads and the rest.
    static let shared = BlockingTestExecutor(width: max(4, 2 * ProcessInfo.processInfo.activeProcessorCount))

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var next = 0

    init(width: Int) {
        for index in 0..<max(1, width) {
            let thread = Thread { [unowned self] in self.work() }
            thread.name = "tutti.tests.own-threads.\(index)"
            thread.start()
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func work() {
        let executor = asUnownedTaskExecutor()
        while true {
            condition.lock()
            while next == jobs.count { condition.wait() }
            let job = jobs[next]
            next += 1
            if next > 1_024 { jobs.removeFirst(next); next = 0 }
            condition.unlock()
            job.runSynchronously(on: executor)
        }
    }
}
