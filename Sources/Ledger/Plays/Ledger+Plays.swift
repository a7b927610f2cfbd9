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
    /// Each play runs in its own savepoint: one play refused (insufficient funds) does not
    /// affect the others of the commit.
    ///
    /// - Throws: ``LedgerError/insufficientFunds(account:needed:available:)`` with the price
    ///   and the balance when the wallet cannot pay; nothing is recorded.
    public func chargePlay(_ request: PlayChargeRequest) async throws(LedgerError) -> PlayChargeResult {
        try request.validate()
        switch await playQueue.join(request) {
        case .finished(let outcome):
            return try outcome.get()
        case .lead(let batch):
            let outcomes = await commitPlays(batch.map(\.request))
            await playQueue.finish(batch, outcomes: outcomes)
            return try outcomes[0].get()
        }
    }

    /// How group commit has batched the plays of ``chargePlay(_:)`` since this `Ledger` was made.
    public func playCommitStatistics() async -> PlayCommitStatistics {
        await playQueue.statistics
    }

    /// Charges a counted play in a transaction of its own (one sync per play): the baseline
    /// group commit is measured against. Same rules and results as ``chargePlay(_:)``.
    public func chargePlayAlone(_ request: PlayChargeRequest) async throws(LedgerError) -> PlayChargeResult {
        try request.validate()
        return try await commitPlays([request])[0].get()
    }

    /// Commits `requests` in one write transaction, each in its own savepoint, and returns
    /// each one's outcome once the transaction is durable (or every one the failure that
    /// stopped it).
    ///
    /// Uses GRDB's callback-based `asyncWrite`: the commit neither blocks a Swift concurrency
    /// thread while SQLite syncs nor is abandoned if the leading caller's task is cancelled,
    /// which would fail the other callers' plays.
    func commitPlays(_ requests: [PlayChargeRequest]) async -> [PlayChargeQueue.Outcome] {
        let now: Int64
        do { now = try self.now() } catch { return requests.map { _ in .failure(error) } }
        let committed: Result<[PlayChargeQueue.Outcome], LedgerError> = await withCheckedContinuation { continuation in
            database.asyncWrite({ db in
                let transaction = LedgerTransaction(db, now: now)
                let outcomes: [PlayChargeQueue.Outcome] = try requests.map { request in
                    do {
                        return .success(try transaction.savepoint { try transaction.chargePlay(request) })
                    } catch {
                        // A refusal concerns one play; a failing database stops the commit.
                        guard let refusal = Self.refusal(error) else { throw error }
                        return .failure(refusal)
                    }
                }
                try transaction.finish()
                return outcomes
            }, completion: { _, result in
                continuation.resume(returning: result.mapError(LedgerError.init(wrapping:)))
            })
        }
        switch committed {
        case .success(let outcomes): return outcomes
        case .failure(let error): return requests.map { _ in .failure(error) }
        }
    }

    /// `error` as a refusal of one play (rolled back by its savepoint while the commit goes
    /// on), or nil if it must abort the whole transaction.
    private static func refusal(_ error: any Error) -> LedgerError? {
        switch error {
        case let error as LedgerError:
            if case .database = error { return nil }
            return error
        case let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT:
            // A constraint that only this play broke: the savepoint undid it, the rest stands.
            return LedgerError(wrapping: error)
        default:
            return nil
        }
    }
}
