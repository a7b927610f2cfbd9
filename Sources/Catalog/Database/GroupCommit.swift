import GRDB
import Synchronization

/// Small writes of concurrent callers committed together: one transaction, so one sync to
/// disk, for all the writes that arrive while the previous commit is in flight (group
/// commit). Each caller still returns only once its write is durable.
///
/// Each write runs in a savepoint of its own: one that throws is undone and fails alone, the
/// others commit. If the transaction itself fails, every write of it fails.
///
/// For writes made at the rate of plays (a play session's opening, first audio, counting),
/// which would otherwise cost one sync each on the database's single writer.
package final class GroupCommit: Sendable {
    private let database: any DatabaseWriter
    private let maximumBatch: Int
    private let line = Mutex(Line())

    private struct Line {
        var waiting: [Job] = []
        var committing = false
    }

    /// One caller's write: runs it in the open transaction and returns how to answer the
    /// caller once the transaction has committed; `fail` answers it if the commit fails.
    private struct Job: Sendable {
        let run: @Sendable (Database) -> @Sendable () -> Void
        let fail: @Sendable (any Error) -> Void
    }

    package init(database: any DatabaseWriter, maximumBatch: Int = 256) {
        self.database = database
        self.maximumBatch = maximumBatch
    }

    /// Runs `body` in a write transaction shared with concurrent callers; returns its result
    /// once that transaction is durable.
    package func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let job = Job(
                run: { db in
                    do {
                        var result: T?
                        try db.inSavepoint {
                            result = try body(db)
                            return .commit
                        }
                        guard let result else { preconditionFailure("a committed savepoint has a result") }
                        return { continuation.resume(returning: result) }
                    } catch {
                        return { continuation.resume(throwing: error) }
                    }
                },
                fail: { continuation.resume(throwing: $0) })
            if let batch = enqueue(job) { commit(batch) }
        }
    }

    /// Puts `job` in line; returns the batch to commit now if no commit is in flight.
    private func enqueue(_ job: Job) -> [Job]? {
        line.withLock { line in
            line.waiting.append(job)
            guard !line.committing else { return nil }
            line.committing = true
            return Self.takeBatch(&line, maximum: maximumBatch)
        }
    }

    /// The next batch after a commit, or nil if nobody waits (the line goes idle).
    private func next() -> [Job]? {
        line.withLock { line in
            guard !line.waiting.isEmpty else {
                line.committing = false
                return nil
            }
            return Self.takeBatch(&line, maximum: maximumBatch)
        }
    }

    /// Writes waiting for the next commit (for tests).
    var waitingCount: Int { line.withLock { $0.waiting.count } }

    private static func takeBatch(_ line: inout Line, maximum: Int) -> [Job] {
        let batch = Array(line.waiting.prefix(maximum))
        line.waiting.removeFirst(batch.count)
        return batch
    }

    /// Commits `batch` on the writer queue, starts the next batch, then answers the callers.
    /// The writer never waits for a caller's task, and a cancelled caller cannot fail the others.
    private func commit(_ batch: [Job]) {
        database.asyncWriteWithoutTransaction { db in
            var answers: [@Sendable () -> Void] = []
            do {
                try db.inTransaction {
                    answers = batch.map { $0.run(db) }
                    return .commit
                }
            } catch {
                answers = batch.map { job in { job.fail(error) } }
            }
            if let next = self.next() { self.commit(next) }
            for answer in answers { answer() }
        }
    }
}
