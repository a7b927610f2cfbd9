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

/// A task executor on at most one thread per core (an operation queue); each job runs to its
/// next suspension on one of them.
final class BlockingTestExecutor: TaskExecutor, @unchecked Sendable {
    static let shared = BlockingTestExecutor(width: ProcessInfo.processInfo.activeProcessorCount)

    private let queue = OperationQueue()

    init(width: Int) {
        queue.name = "tutti.tests.own-threads"
        queue.maxConcurrentOperationCount = max(1, width)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.addOperation { job.runSynchronously(on: executor) }
    }
}
