import Foundation

/// The ledger's storage, in the ledger's words: what every backend keeps the same way.
///
/// Two implementations: ``Ledger`` on SQLite (GRDB) and `PostgresLedgerStore` (module
/// PostgresStorage). Each enforces the invariants in its database and in the one transaction
/// that could break them: transfers are append-only and hash-chained, a transfer id books one
/// transfer once (a retry with the same fields returns what was booked), a linked set books
/// whole or not at all, and no wallet or earnings account goes below zero. One contract test
/// suite runs against both (StorageContractTests).
///
/// The protocol covers transfers, balances, play charges, pricing and verification so far;
/// split sheets, spending limits, pricing votes and the read models join it as the PostgreSQL
/// backend takes them on (issue 20).
public protocol LedgerStore: Sendable {
    /// Books `transfers` as one linked set: all in one transaction, or none. See ``Ledger/submit(_:)``.
    @discardableResult
    func submit(_ transfers: [TransferRequest]) async throws(LedgerError) -> [Transfer]

    /// An account's posted totals (zero for an account that has none yet).
    func balance(of account: AccountID) async throws(LedgerError) -> AccountBalance

    /// The stored transfer with this id, if any.
    func transfer(id: String) async throws(LedgerError) -> Transfer?

    /// Charges a counted play (the next of the listener's plays of the track, at the price in
    /// force when it was played), or says why it is free. See ``Ledger/chargePlay(_:)``.
    func chargePlay(_ request: PlayChargeRequest) async throws(LedgerError) -> PlayChargeResult

    /// The pricing version in force at `instant`.
    func pricing(at instant: Date) async throws(LedgerError) -> PricingVersion

    /// Checks every invariant over the whole history: totals, account totals, no account below
    /// zero, the hash chain and the sequence, and `anchors`.
    func verify(anchors: [ChainAnchor]) async throws(LedgerError) -> VerificationReport
}
