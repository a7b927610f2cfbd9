import Foundation

/// How long a test waits for something that must happen. The suite runs on two cores shared
/// with everything else (its own parallel suites, transcodes, browsers, other builds), so a
/// wait is bounded only to turn a hang into a failure that names what never came; it is
/// never a measurement, and a correct run should never come near it.
public enum Deadline {
    /// For a request, a state change, a process to start or stop.
    public static let standard: Duration = .seconds(120)
    /// For work that costs a lot of CPU time: transcodes, a demo catalog coming up.
    public static let long: Duration = .seconds(300)
}

/// Something a test waited for did not happen before its deadline.
public struct DidNotHappen: Error, CustomStringConvertible {
    public let what: String
    public let timeout: Duration

    public init(what: String, timeout: Duration) {
        self.what = what
        self.timeout = timeout
    }

    public var description: String { "did not happen within \(timeout): \(what)" }
}

/// Polls `probe` every `interval` until it returns a value, and returns that value.
/// - Throws: ``DidNotHappen`` naming `what` once `timeout` has passed without a value.
@discardableResult
public func waitFor<Value>(
    _ what: @autoclosure () -> String, timeout: Duration = Deadline.standard, every interval: Duration = .milliseconds(20),
    _ probe: () async throws -> Value?
) async throws -> Value {
    PoolWatchdog.ensureRunning()
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try await probe() { return value }
        guard ContinuousClock.now < deadline else { throw DidNotHappen(what: what(), timeout: timeout) }
        try await Task.sleep(for: interval)
    }
}

/// Polls `condition` every `interval` until it holds.
/// - Throws: ``DidNotHappen`` naming `what` once `timeout` has passed without it holding.
public func waitUntil(
    _ what: @autoclosure () -> String, timeout: Duration = Deadline.standard, every interval: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async throws {
    try await waitFor(what(), timeout: timeout, every: interval) { try await condition() ? true : nil }
}

/// Runs blocking work (a socket read, a child process, a semaphore) on a thread of its own,
/// never on the few threads that Swift's concurrency shares between every test and every
/// in-process server of the run: one blocked there slows them all, two block them all.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

/// Runs `body(0..<count)` at once on `count` threads of their own and returns when all have
/// returned. In place of `DispatchQueue.concurrentPerform`, whose iterations run on
/// Dispatch's worker threads: on Linux those are the threads of Swift's global executor too,
/// so clients blocked in socket reads there hold up the in-process servers of other suites.
public func onOwnThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) async throws {
    try await onOwnThread {
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            Thread.detachNewThread {
                body(index)
                group.leave()
            }
        }
        group.wait()
    }
}
