import GRDB

extension Ledger {
    /// Books `transfers` as one linked set: all of them commit in one transaction, or none.
    ///
    /// Idempotent: if every id is already stored with identical fields (and in the same
    /// set), the stored transfers are returned and nothing changes.
    ///
    /// - Throws: ``LedgerError/conflictingRetry(transferID:)`` if an id was used for a
    ///   different transfer or set; ``LedgerError/insufficientFunds(account:needed:available:)``
    ///   if a wallet or earnings account would go below zero (nothing of the set is applied);
    ///   ``LedgerError/invalidRequest(_:)`` for malformed requests, including the play codes
    ///   and the `play:` id prefix, which only ``chargePlay(_:)`` books.
    @discardableResult
    public func submit(_ transfers: [TransferRequest]) throws(LedgerError) -> [Transfer] {
        guard !transfers.isEmpty else { throw .invalidRequest("no transfers to submit") }
        for transfer in transfers { try transfer.validate() }
        return try write { try $0.book(transfers) }
    }

    /// The stored transfer with this id, if any.
    public func transfer(id: String) throws(LedgerError) -> Transfer? {
        try read { db in try Row.fetchOne(db, sql: TransferRow.select + " WHERE t.id = ?", arguments: [id]).map { try TransferRow.decode($0, db) } }
    }

    /// Money the payment provider confirmed, into a listener's wallet (paymentsClearing → wallet).
    ///
    /// - Parameters:
    ///   - transferID: The idempotency key, e.g. derived from the provider's payment id.
    ///   - amount: Minor units, > 0.
    ///   - reference: The provider's reference of the payment.
    @discardableResult
    public func topUp(transferID: String, user: String, amount: Int64, reference: String? = nil) throws(LedgerError) -> Transfer {
        try single(TransferRequest(
            id: transferID, debit: .paymentsClearing, credit: .listenerWallet(user), amount: amount, code: .topUp,
            details: TransferDetails(reference: reference)))
    }

    /// A payment an admin confirmed by hand (e.g. a bank transfer), into a listener's wallet
    /// (paymentsClearing → wallet), recorded with who did it and why.
    @discardableResult
    public func adminCredit(transferID: String, user: String, amount: Int64, actor: String, reason: String) throws(LedgerError) -> Transfer {
        try Identifiers.check(actor, "actor")
        guard !reason.isEmpty else { throw .invalidRequest("an admin credit needs a reason") }
        return try single(TransferRequest(
            id: transferID, debit: .paymentsClearing, credit: .listenerWallet(user), amount: amount, code: .adminCredit,
            details: TransferDetails(actor: actor, note: reason)))
    }

    private func single(_ request: TransferRequest) throws(LedgerError) -> Transfer {
        let booked = try submit([request])
        guard let transfer = booked.first else { preconditionFailure("submit books what it was given") }
        return transfer
    }
}

/// The SQLite implementation of the ledger's storage.
extension Ledger: LedgerStore {}
