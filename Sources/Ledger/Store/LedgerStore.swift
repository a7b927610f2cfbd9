/// The ledger's storage, in the ledger's words: what every backend keeps the same way.
///
/// Two implementations: ``Ledger`` on SQLite (GRDB) and `PostgresLedgerStore` (module
/// PostgresStorage). Each enforces the invariants in its database and in the one transaction
/// that could break them: transfers are append-only and hash-chained, a transfer id books one
/// transfer once (a retry with the same fields returns what was booked), a linked set books
/// whole or not at all, and no wallet or earnings account goes below zero. One contract test
/// suite runs against both (StorageContractTests).
///
/// The protocol covers transfers, balances and verification so far; plays, pricing, splits
/// and spending limits join it as the PostgreSQL backend takes them on (issue 20).
public protocol LedgerStore: Sendable {
    /// Books `transfers` as one linked set: all in one transaction, or none. See ``Ledger/submit(_:)``.
    @discardableResult
    func submit(_ transfers: [TransferRequest]) async throws(LedgerError) -> [Transfer]

    /// An account's posted totals (zero for an account that has none yet).
    func balance(of account: AccountID) async throws(LedgerError) -> AccountBalance

    /// The stored transfer with this id, if any.
    func transfer(id: String) async throws(LedgerError) -> Transfer?

    /// Checks every invariant over the whole history: totals, account totals, no account below
    /// zero, the hash chain and the sequence, and `anchors`.
    func verify(anchors: [ChainAnchor]) async throws(LedgerError) -> VerificationReport
}
