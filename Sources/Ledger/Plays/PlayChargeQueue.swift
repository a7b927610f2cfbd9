import Foundation

/// Gathers concurrent play charges so that one write transaction (one sync to disk) commits
/// many of them: group commit. Both backends' ledgers use it (SQLite's `Ledger`, PostgreSQL's
/// `PostgresLedgerStore`).
///
/// Callers wait in line. When no commit is in flight, the caller that arrives takes the line
/// (itself, up to `maximumBatch`) into a commit. The commit runs on the database's writer
/// queue, and when it is durable the writer takes whoever arrived meanwhile into the next
/// commit before it wakes the callers of the one it finished: the writer never waits for a
/// caller's task to be scheduled, and no task is spawned.
package final class PlayChargeQueue: @unchecked Sendable {
    package typealias Outcome = Result<PlayChargeResult, LedgerError>

    package struct Waiter: Sendable {
        package let request: PlayChargeRequest
        let continuation: CheckedContinuation<Outcome, Never>

        package init(request: PlayChargeRequest, continuation: CheckedContinuation<Outcome, Never>) {
            self.request = request
            self.continuation = continuation
        }

        package func resume(_ outcome: Outcome) { continuation.resume(returning: outcome) }
    }

    package let maximumBatch: Int
    /// Guards everything below.
    private let lock = NSLock()
    private var waiting: [Waiter] = []
    private var committing = false
    private var commits = 0
    private var plays = 0
    private var largestCommit = 0

    package init(maximumBatch: Int) {
        self.maximumBatch = maximumBatch
    }

    /// Puts `waiter` in line. Returns the batch to commit now (it includes `waiter`) if no
    /// commit was in flight; the caller must commit it and then call ``next(after:)``.
    package func enqueue(_ waiter: Waiter) -> [Waiter]? {
        lock.withLock {
            waiting.append(waiter)
            guard !committing else { return nil }
            committing = true
            return takeBatch()
        }
    }

    /// Records a finished commit of `count` plays and returns the next batch to commit, or
    /// nil if nobody is waiting (the queue goes idle).
    package func next(after count: Int) -> [Waiter]? {
        lock.withLock {
            commits += 1
            plays += count
            largestCommit = max(largestCommit, count)
            guard !waiting.isEmpty else {
                committing = false
                return nil
            }
            return takeBatch()
        }
    }

    private func takeBatch() -> [Waiter] {
        guard waiting.count > maximumBatch else {
            defer { waiting = [] }
            return waiting
        }
        let batch = Array(waiting.prefix(maximumBatch))
        waiting.removeFirst(batch.count)
        return batch
    }

    package var statistics: PlayCommitStatistics {
        lock.withLock { PlayCommitStatistics(commits: commits, plays: plays, largestCommit: largestCommit) }
    }
}

/// How group commit has been batching plays so far.
public struct PlayCommitStatistics: Sendable, Equatable {
    /// Write transactions that committed play charges.
    public let commits: Int
    /// Play charges those transactions carried (charged, free or refused).
    public let plays: Int
    /// The most plays one commit carried.
    public let largestCommit: Int
}
