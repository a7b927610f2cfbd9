/// Gathers concurrent play charges so that one write transaction (one sync to disk) commits
/// many of them: group commit.
///
/// Callers wait in line. When no commit is in flight, the first waiter becomes the leader
/// and takes everyone waiting (up to `maximumBatch`) into one transaction; plays arriving
/// meanwhile wait for the next one. When the commit is durable the leader hands every
/// waiter its own result and, if more are waiting, makes the first of them the next
/// leader. No task is spawned: the callers themselves do the work.
actor PlayChargeQueue {
    typealias Outcome = Result<PlayChargeResult, LedgerError>

    /// What a waiter is told when its turn comes.
    enum Turn: Sendable {
        /// Its play was committed (or refused): here is the outcome.
        case finished(Outcome)
        /// It leads: commit these waiters' plays (itself first) and then call `finish`.
        case lead([Waiter])
    }

    struct Waiter: Sendable {
        let request: PlayChargeRequest
        let continuation: CheckedContinuation<Turn, Never>
    }

    let maximumBatch: Int
    private var waiting: [Waiter] = []
    private var committing = false
    fileprivate var commits = 0
    fileprivate var plays = 0
    fileprivate var largestCommit = 0

    init(maximumBatch: Int) {
        self.maximumBatch = maximumBatch
    }

    /// Waits in line with `request` until its outcome is known or it is asked to lead.
    func join(_ request: PlayChargeRequest) async -> Turn {
        await withCheckedContinuation { continuation in
            waiting.append(Waiter(request: request, continuation: continuation))
            if !committing {
                committing = true
                handOver()
            }
        }
    }

    /// Gives every waiter of a committed batch but its leader (the first) its outcome, then
    /// passes the lead on or goes idle.
    func finish(_ batch: [Waiter], outcomes: [Outcome]) {
        precondition(batch.count == outcomes.count, "one outcome per waiter")
        record(batchSize: batch.count)
        for (waiter, outcome) in zip(batch, outcomes).dropFirst() {
            waiter.continuation.resume(returning: .finished(outcome))
        }
        if waiting.isEmpty {
            committing = false
        } else {
            handOver()
        }
    }

    private func handOver() {
        let batch = Array(waiting.prefix(maximumBatch))
        waiting.removeFirst(batch.count)
        batch[0].continuation.resume(returning: .lead(batch))
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

extension PlayChargeQueue {
    func record(batchSize: Int) {
        commits += 1
        plays += batchSize
        largestCommit = max(largestCommit, batchSize)
    }

    var statistics: PlayCommitStatistics {
        PlayCommitStatistics(commits: commits, plays: plays, largestCommit: largestCommit)
    }
}
