import GRDB

/// An artist whose earnings are due to be paid out.
public struct PayoutDue: Sendable, Equatable {
    public let artistID: String
    /// Earnings not yet paid, in minor units.
    public let balance: Int64

    public init(artistID: String, balance: Int64) {
        self.artistID = artistID
        self.balance = balance
    }
}

extension Ledger {
    /// Artists whose unpaid earnings are at least `threshold` minor units (default 10
    /// credits), largest first.
    public func payoutsDue(threshold: Int64 = 10_000_000) throws(LedgerError) -> [PayoutDue] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT owner, credits_posted - debits_posted AS balance FROM ledger_accounts
                WHERE kind = ? AND credits_posted - debits_posted >= ?
                ORDER BY balance DESC, owner
                """, arguments: [AccountID.Kind.artistEarnings.rawValue, threshold])
                .map { PayoutDue(artistID: $0["owner"], balance: $0["balance"]) }
        }
    }

    /// Books a payout made outside the ledger: artist earnings → payouts, with who made it.
    ///
    /// - Throws: ``LedgerError/insufficientFunds(account:needed:available:)`` if `amount`
    ///   exceeds the artist's earnings balance.
    @discardableResult
    public func markPaid(transferID: String, artist: String, amount: Int64, actor: String, reference: String? = nil) throws(LedgerError) -> Transfer {
        try Identifiers.check(actor, "actor")
        let booked = try submit([TransferRequest(
            id: transferID, debit: .artistEarnings(artist), credit: .payouts, amount: amount, code: .payout,
            details: TransferDetails(reference: reference, actor: actor))])
        guard let transfer = booked.first else { preconditionFailure("submit books what it was given") }
        return transfer
    }

    /// `due` as CSV (RFC 4180): artist id, balance in units and in credits.
    public static func payoutsCSV(_ due: [PayoutDue]) -> String {
        var csv = CSV(header: ["artist_id", "balance_units", "balance_credits"])
        for row in due { csv.append([row.artistID, String(row.balance), Money.format(row.balance)]) }
        return csv.text
    }

    /// The posted totals of `account`; zeros if it was never used.
    public func balance(of account: AccountID) throws(LedgerError) -> AccountBalance {
        try account.validate()
        return try read { db in
            let row = try Row.fetchOne(db, sql: "SELECT debits_posted, credits_posted FROM ledger_accounts WHERE kind = ? AND owner = ?",
                                       arguments: [account.kind.rawValue, account.owner])
            return AccountBalance(account: account, debitsPosted: row?[0] ?? 0, creditsPosted: row?[1] ?? 0)
        }
    }
}
