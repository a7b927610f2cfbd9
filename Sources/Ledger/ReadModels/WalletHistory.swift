import GRDB

/// One movement of a listener's wallet.
public struct WalletEntry: Sendable, Equatable {
    public let transfer: Transfer
    /// Signed change of the wallet balance, in minor units: + for money in, − for money out.
    public let change: Int64
}

/// A page of a wallet's history, newest first.
public struct WalletHistoryPage: Sendable, Equatable {
    public let entries: [WalletEntry]
    /// Pass as `before` to get the next (older) page; nil on the last page.
    public let nextCursor: Int64?
}

extension Ledger {
    /// Transfers into or out of `listener`'s wallet, newest first.
    ///
    /// - Parameters:
    ///   - limit: Entries per page, 1...1000.
    ///   - before: A cursor from the previous page (a transfer sequence): only older entries.
    public func walletHistory(listener: String, limit: Int = 50, before: Int64? = nil) throws(LedgerError) -> WalletHistoryPage {
        try Identifiers.check(listener, "listener id")
        guard (1...1_000).contains(limit) else { throw .invalidRequest("limit must be 1...1000, got \(limit)") }
        let wallet = AccountID.listenerWallet(listener)
        return try read { db in
            guard let accountRowID = try Int64.fetchOne(db, sql: "SELECT id FROM ledger_accounts WHERE kind = ? AND owner = ?",
                                                        arguments: [wallet.kind.rawValue, wallet.owner])
            else { return WalletHistoryPage(entries: [], nextCursor: nil) }
            let cursor = before ?? Int64.max
            // Two index range scans (debits, credits), merged: no scan of other accounts' transfers.
            let rows = try Row.fetchAll(db, sql: """
                SELECT * FROM (
                    SELECT * FROM (\(TransferRow.select) WHERE t.debit_account_id = :account AND t.sequence < :cursor
                                   ORDER BY t.sequence DESC LIMIT :limit)
                    UNION ALL
                    SELECT * FROM (\(TransferRow.select) WHERE t.credit_account_id = :account AND t.sequence < :cursor
                                   ORDER BY t.sequence DESC LIMIT :limit)
                ) ORDER BY sequence DESC LIMIT :limitPlusOne
                """, arguments: ["account": accountRowID, "cursor": cursor, "limit": limit, "limitPlusOne": limit + 1])
            let transfers = try rows.map(TransferRow.decode)
            let page = transfers.prefix(limit).map { transfer in
                WalletEntry(transfer: transfer, change: transfer.credit == wallet ? transfer.amount : -transfer.amount)
            }
            return WalletHistoryPage(entries: Array(page), nextCursor: transfers.count > limit ? page.last?.transfer.sequence : nil)
        }
    }
}
