import Foundation
import Synchronization

/// A clock a test moves by hand: `now` stands still until `advance(by:)`, and sleepers
/// (`sleep(until:)`) wake when it passes their date. Inject both into the service.
public final class ManualClock: Sendable {
    private struct Sleeper {
        var until: Date
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Date
        var sleepers: [Int: Sleeper] = [:]
        var nextID = 0
        var woken = 0
        var cancelled = 0
    }

    private let state: Mutex<State>

    public init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        state = Mutex(State(now: start))
    }

    public var now: Date { state.withLock { $0.now } }

    /// How many tasks are asleep on this clock.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// When the tasks asleep on this clock wake, earliest first.
    public var sleeperDates: [Date] { state.withLock { $0.sleepers.values.map(\.until).sorted() } }

    /// How many sleepers the clock has woken so far because their date came
    /// (``advance(by:)``), as opposed to ``cancelledCount``.
    public var wokenCount: Int { state.withLock { $0.woken } }

    /// How many sleepers stopped sleeping before their date because their task was cancelled
    /// (a server that stops waiting: the listener left, the service is stopping).
    public var cancelledCount: Int { state.withLock { $0.cancelled } }

    /// Moves the clock on and wakes the sleepers whose time has come.
    public func advance(by seconds: Double) {
        let due = state.withLock { state -> [Sleeper] in
            state.now = state.now.addingTimeInterval(seconds)
            let now = state.now
            let due = state.sleepers.filter { $0.value.until <= now }
            for id in due.keys { state.sleepers[id] = nil }
            state.woken += due.count
            return Array(due.values)
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Suspends until the clock reaches `date`; throws `CancellationError` if the task is cancelled.
    public func sleep(until date: Date) async throws {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.now >= date || Task.isCancelled { return true }
                    state.sleepers[id] = Sleeper(until: date, continuation: continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let sleeper = state.withLock { state in
                let sleeper = state.sleepers.removeValue(forKey: id)
                if sleeper != nil { state.cancelled += 1 }
                return sleeper
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
        try Task.checkCancellation()
    }

    /// Waits (in real time, up to `timeout`) until at least `count` tasks sleep on the clock;
    /// false if they did not come.
    public func waitForSleepers(_ count: Int, timeout: Duration = Deadline.standard) async throws -> Bool {
        do {
            try await waitUntil("\(count) sleepers on the test clock", timeout: timeout, every: .milliseconds(10)) { sleeperCount >= count }
            return true
        } catch is DidNotHappen {
            return false
        }
    }

    /// Waits (in real time) until no task sleeps on the clock any more.
    /// - Throws: ``DidNotHappen`` naming `what` if some still sleep after `timeout`.
    public func waitForNoSleepers(_ what: @autoclosure () -> String, timeout: Duration = Deadline.standard) async throws {
        try await waitUntil(what(), timeout: timeout, every: .milliseconds(10)) { sleeperCount == 0 }
    }
}
