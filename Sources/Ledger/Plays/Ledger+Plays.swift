import GRDB

extension Ledger {
    /// Charges a counted play, in one write transaction shared with concurrent calls
    /// (group commit): many plays, one sync to disk. Returns when the charge is durable.
    ///
    /// In that transaction: a play id seen before returns its first result (or throws
    /// ``LedgerError/conflictingPlay(playID:)`` if it was for another listener, artist or
    /// track); a listener's own track is free; a track the listener owns is free; otherwise
    /// play n (counted plays so far + 1) is priced by the pricing version in force at
    /// `request.at`, recorded, and paid by two linked transfers from the wallet to the
    /// artist's earnings and to the treasury (a zero part is skipped).
    ///
    /// One play refused (insufficient funds, a conflicting play id) does not affect the
    /// others of the commit: each play is decided by reading before anything of it is
    /// written, so a refusal leaves nothing to undo. Should a play fail while being written
    /// (a constraint the reading did not foresee), the transaction is rolled back and its
    /// plays are charged again, each in its own savepoint.
    ///
    /// - Throws: ``LedgerError/insufficientFunds(account:needed:available:)`` with the price
    ///   and the balance when the wallet cannot pay; nothing is recorded.
    public func chargePlay(_ request: PlayChargeRequest) async throws(LedgerError) -> PlayChargeResult {
        try request.validate()
        let outcome = await withCheckedContinuation { continuation in
            if let batch = playQueue.enqueue(PlayChargeQueue.Waiter(request: request, continuation: continuation)) {
                commitQueuedPlays(batch)
            }
        }
        return try outcome.get()
    }

    /// How group commit has batched the plays of ``chargePlay(_:)`` since this `Ledger` was made.
    public func playCommitStatistics() async -> PlayCommitStatistics {
        playQueue.statistics
    }

    /// Charges a counted play in a transaction of its own (one sync per play): the baseline
    /// group commit is measured against. Same rules and results as ``chargePlay(_:)``.
    public func chargePlayAlone(_ request: PlayChargeRequest) async throws(LedgerError) -> PlayChargeResult {
        try request.validate()
        let outcome = await withCheckedContinuation { continuation in
            database.asyncWriteWithoutTransaction { db in
                continuation.resume(returning: self.commitPlays([request], in: db)[0])
            }
        }
        return try outcome.get()
    }

    /// Commits `batch` on the writer queue, then starts the next batch of the line (if any)
    /// before `batch`'s callers are woken.
    ///
    /// Uses GRDB's callback-based `asyncWriteWithoutTransaction`: the commit neither blocks a
    /// Swift concurrency thread while SQLite syncs nor depends on any caller's task, so a
    /// cancelled caller cannot fail the others' plays. Each batch is a separate writer job,
    /// so other writes of the service interleave between batches.
    ///
    /// On a file in WAL mode the batch commits without syncing the log, and ``LogSync`` wakes
    /// its callers once a sync has made it durable: meanwhile the writer goes on with the next
    /// batch, so the disk's sync and the writer's work overlap.
    private func commitQueuedPlays(_ batch: [PlayChargeQueue.Waiter]) {
        database.asyncWriteWithoutTransaction { db in
            let requests = batch.map(\.request)
            guard let logSync = self.logSync else {
                let outcomes = self.commitPlays(requests, in: db)
                if let next = self.playQueue.next(after: batch.count) { self.commitQueuedPlays(next) }
                for (waiter, outcome) in zip(batch, outcomes) { waiter.resume(outcome) }
                return
            }
            let outcomes = Self.withoutLogSync(db) { self.commitPlays(requests, in: db) }
            logSync.committed { syncFailure in
                for (waiter, outcome) in zip(batch, outcomes) {
                    waiter.resume(syncFailure.map { PlayChargeQueue.Outcome.failure($0) } ?? outcome)
                }
            }
            if let next = self.playQueue.next(after: batch.count) { self.commitQueuedPlays(next) }
        }
    }

    /// Runs `body` (one play transaction) with `synchronous = NORMAL` on the writer `db`, so
    /// that its commit writes the log without syncing it, and sets the writer's level back
    /// before any other job of the writer runs. The caller has the log synced (``LogSync``)
    /// before it reports the commit durable.
    ///
    /// If the level cannot be lowered, `body` commits with the log synced as usual. If it
    /// cannot be set back (SQLite fails a `PRAGMA synchronous` only when out of memory), the
    /// outcomes become failures: later writes of the service would otherwise not be synced.
    private static func withoutLogSync(
        _ db: Database, _ body: () -> [PlayChargeQueue.Outcome]
    ) -> [PlayChargeQueue.Outcome] {
        let level: Int
        do {
            level = try Int.fetchOne(db.cachedStatement(sql: "PRAGMA synchronous")) ?? 2
            try db.cachedStatement(sql: "PRAGMA synchronous = NORMAL").execute()
        } catch {
            return body()
        }
        let outcomes = body()
        do {
            try db.execute(sql: "PRAGMA synchronous = \(max(level, 2))")
        } catch {
            let failure = LedgerError.database("could not set PRAGMA synchronous back after a play commit: \(error)")
            return outcomes.map { _ in .failure(failure) }
        }
        return outcomes
    }

    /// Commits `requests` in one write transaction on the writer connection `db` and returns
    /// each one's outcome once the transaction is durable (or every one the failure that
    /// stopped it).
    ///
    /// Plays are decided and written one after the other with no savepoint (see
    /// ``LedgerTransaction/chargePlays(_:)``). If a play fails while being written, the
    /// transaction is rolled back and done again with a savepoint per play, which gives that
    /// play its refusal and the others their charges.
    func commitPlays(_ requests: [PlayChargeRequest], in db: Database) -> [PlayChargeQueue.Outcome] {
        do {
            let now = try self.now()
            do {
                let transaction = LedgerTransaction(db, now: now, memory: writerMemory)
                let outcomes = try Self.inTransaction(db) { try transaction.chargePlays(requests) }
                transaction.remember()
                return outcomes
            } catch is PlayWriteFailed {
                let transaction = LedgerTransaction(db, now: now, memory: writerMemory)
                let outcomes = try Self.inTransaction(db) { try transaction.chargePlaysInSavepoints(requests) }
                transaction.remember()
                return outcomes
            }
        } catch {
            let failure = LedgerError(wrapping: error)
            return requests.map { _ in .failure(failure) }
        }
    }

    /// Runs `body` in a write transaction of `db`, committed (durably) if it returns and
    /// rolled back if it throws.
    private static func inTransaction<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        var result: T?
        try db.inTransaction {
            result = try body()
            return .commit
        }
        guard let result else { preconditionFailure("a committed transaction has a result") }
        return result
    }

    /// `error` as a refusal of one play, or nil if it must abort the whole transaction.
    static func refusal(_ error: any Error) -> LedgerError? {
        switch error {
        case let error as LedgerError:
            switch error {
            case .database, .storageFull: return nil
            default: return error
            }
        case let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT:
            // A constraint that only this play broke: once undone, the rest stands.
            return LedgerError(wrapping: error)
        default:
            return nil
        }
    }
}

/// A play failed while being written, without a savepoint to undo it: the transaction must
/// be rolled back and charged again play by play.
struct PlayWriteFailed: Error {
    let underlying: any Error
}

extension LedgerTransaction {
    /// Charges `requests` in order, none in a savepoint: a play is refused (throws) only while
    /// it is being decided, before any of its writes; a play that fails once its writes began
    /// throws ``PlayWriteFailed`` (when the failure would refuse only that play) so that the
    /// caller rolls back and uses ``chargePlaysInSavepoints(_:)``.
    func chargePlays(_ requests: [PlayChargeRequest]) throws -> [PlayChargeQueue.Outcome] {
        let outcomes: [PlayChargeQueue.Outcome] = try requests.map { request in
            let plan: PlayPlan
            do {
                plan = try planPlay(request)
            } catch {
                guard let refusal = Ledger.refusal(error) else { throw error }
                return .failure(refusal)
            }
            switch plan {
            case .settled(let result):
                return .success(result)
            case .charge(let pending):
                do {
                    return .success(try record(pending))
                } catch {
                    guard Ledger.refusal(error) != nil else { throw error }
                    throw PlayWriteFailed(underlying: error)
                }
            }
        }
        try finish()
        return outcomes
    }

    /// Charges `requests` in order, each in its own savepoint: a play that fails is undone and
    /// refused, the others stand.
    func chargePlaysInSavepoints(_ requests: [PlayChargeRequest]) throws -> [PlayChargeQueue.Outcome] {
        let outcomes: [PlayChargeQueue.Outcome] = try requests.map { request in
            do {
                return .success(try savepoint { try chargePlay(request) })
            } catch {
                // A refusal concerns one play; a failing database stops the commit.
                guard let refusal = Ledger.refusal(error) else { throw error }
                return .failure(refusal)
            }
        }
        try finish()
        return outcomes
    }
}
