/// A transfer to book: `amount` minor units from `debit` to `credit`.
public struct TransferRequest: Sendable, Equatable {
    /// Chosen by the caller and unique forever: the idempotency key. Resubmitting the same
    /// id with the same fields returns the stored transfer instead of booking it twice.
    public var id: String
    public var debit: AccountID
    public var credit: AccountID
    /// Minor units, > 0.
    public var amount: Int64
    public var code: TransferCode
    public var details: TransferDetails

    public init(id: String, debit: AccountID, credit: AccountID, amount: Int64, code: TransferCode, details: TransferDetails = TransferDetails()) {
        self.id = id
        self.debit = debit
        self.credit = credit
        self.amount = amount
        self.code = code
        self.details = details
    }

    /// Transfer ids with this prefix are the ledger's own (play charges).
    static let reservedPrefix = "play:"

    /// Checks the shape of a request; requests `byLedger` may use the play codes and ids.
    package func validate(byLedger: Bool = false) throws(LedgerError) {
        try Identifiers.check(id, "transfer id")
        if !byLedger {
            guard !id.hasPrefix(Self.reservedPrefix) else {
                throw .invalidRequest("transfer ids starting with '\(Self.reservedPrefix)' are reserved for play charges")
            }
            guard !code.isPlayCharge else { throw .invalidRequest("play charges are booked by chargePlay only") }
            guard debit != .splits, credit != .splits else {
                throw .invalidRequest("transfer '\(id)': the splits account only passes play charges on to split sheets' parties")
            }
        }
        guard amount > 0 else { throw .invalidRequest("transfer '\(id)': amount must be positive, got \(amount)") }
        guard debit != credit else { throw .invalidRequest("transfer '\(id)': debit and credit are the same account") }
        try debit.validate()
        try credit.validate()
        try details.validate()
    }
}

/// An account's posted totals while a linked set is applied to them in memory.
package struct PostedTotals: Sendable, Equatable {
    package var debits: Int64
    package var credits: Int64

    package init(debits: Int64, credits: Int64) {
        self.debits = debits
        self.credits = credits
    }
}

extension TransferRequest {
    /// Applies a linked set, in order, to its accounts' totals in memory (`totals` holds every
    /// account the set names), so that a backend refuses the whole set before writing anything:
    /// an amount that would overflow an account's totals, or a debit that would take a wallet or
    /// earnings account below zero, counting the set's earlier transfers.
    package static func apply(_ requests: [TransferRequest], to totals: inout [AccountID: PostedTotals]) throws(LedgerError) {
        for request in requests {
            guard var debit = totals[request.debit], var credit = totals[request.credit] else {
                preconditionFailure("the accounts of '\(request.id)' must be loaded before its set is applied")
            }
            let debits = debit.debits.addingReportingOverflow(request.amount)
            guard !debits.overflow else { throw .overflow(account: request.debit) }
            if request.debit.kind.debitsMustNotExceedCredits, debits.partialValue > debit.credits {
                throw .insufficientFunds(account: request.debit, needed: request.amount, available: debit.credits - debit.debits)
            }
            debit.debits = debits.partialValue
            totals[request.debit] = debit
            let credits = credit.credits.addingReportingOverflow(request.amount)
            guard !credits.overflow else { throw .overflow(account: request.credit) }
            credit.credits = credits.partialValue
            totals[request.credit] = credit
        }
    }
}
