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
    /// Play charges are not in the transfers' account indexes (see ``LedgerSchema``), so a page
    /// merges two reads: the wallet's other transfers through those indexes, and the charges
    /// of the listener's plays, found through the plays' listener index and then by transfer
    /// id. Each read seeks to the cursor in an index and reads about one page of entries
    /// (`ledger_transfers_debit` / `_credit`, `ledger_plays_listener`), so a page costs the same
    /// whatever the listener's number of plays.
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
            // One more than a page tells whether an older page exists.
            let wanted = limit + 1
            let others = try WalletHistoryQuery.otherTransfers(db, account: accountRowID, before: cursor, limit: wanted)
            let charges = try WalletHistoryQuery.playCharges(db, listener: listener, before: cursor, limit: wanted)
            let transfers = (others + charges).sorted { $0.sequence > $1.sequence }.prefix(wanted)
            let page = transfers.prefix(limit).map { transfer in
                WalletEntry(transfer: transfer, change: transfer.credit == wallet ? transfer.amount : -transfer.amount)
            }
            return WalletHistoryPage(entries: Array(page), nextCursor: transfers.count > limit ? page.last?.transfer.sequence : nil)
        }
    }
}

/// The reads of a wallet's history page.
enum WalletHistoryQuery {
    /// Up to `limit` of the newest transfers of `account` below sequence `before`, play
    /// charges left out: two index range scans (debits, credits), merged.
    static let otherTransfersSQL = """
        SELECT * FROM (
            SELECT * FROM (\(TransferRow.select) WHERE t.debit_account_id = :account AND t.sequence < :cursor
                           AND \(LedgerSchema.notPlayCharge) ORDER BY t.sequence DESC LIMIT :limit)
            UNION ALL
            SELECT * FROM (\(TransferRow.select) WHERE t.credit_account_id = :account AND t.sequence < :cursor
                           AND \(LedgerSchema.notPlayCharge) ORDER BY t.sequence DESC LIMIT :limit)
        ) ORDER BY sequence DESC LIMIT :limit
        """

    /// The play whose charge is the newest transfer below sequence `:cursor`. Plays and their
    /// charges are appended together, one play after the other, so every play before it has
    /// all its charges below the cursor and every play after it has none.
    static let boundarySQL = """
        SELECT p.sequence FROM ledger_plays p
        WHERE p.play_id = (SELECT t.play_id FROM ledger_transfers t
                           WHERE t.sequence < :cursor AND NOT (\(LedgerSchema.notPlayCharge))
                           ORDER BY t.sequence DESC LIMIT 1)
        """

    /// The listener's newest plays up to play sequence `:last`, through `ledger_plays_listener`
    /// (listener, sequence): a seek, then `:limit` entries in order, no sort.
    static let playsSQL = """
        SELECT sequence, play_id FROM ledger_plays INDEXED BY ledger_plays_listener
        WHERE listener_id = :listener AND sequence <= :last ORDER BY sequence DESC LIMIT :limit
        """

    static func otherTransfers(_ db: Database, account: Int64, before cursor: Int64, limit: Int) throws -> [Transfer] {
        let rows = try Row.fetchAll(db.cachedStatement(sql: otherTransfersSQL),
                                    arguments: ["account": account, "cursor": cursor, "limit": limit])
        return try rows.map(TransferRow.decode)
    }

    /// Up to `limit` of the newest charges of `listener`'s plays below sequence `before`.
    ///
    /// A play's charges are at most two transfers, or one per party and the
    /// cooperative's under a split sheet (a zero part is not booked), so `limit` plays usually
    /// give enough; plays of price zero give none, and the next older plays
    /// are read until `limit` charges are found or the plays run out.
    static func playCharges(_ db: Database, listener: String, before cursor: Int64, limit: Int) throws -> [Transfer] {
        guard var last = try Int64.fetchOne(db.cachedStatement(sql: boundarySQL), arguments: ["cursor": cursor])
        else { return [] }
        let transferByID = try db.cachedStatement(sql: TransferRow.select + " WHERE t.id = ?")
        // A play divided by a split sheet has one artist part per party, `play:#…:party:N`:
        // a range of the transfers' id index.
        let partsByIDRange = try db.cachedStatement(sql: TransferRow.select + " WHERE t.id >= ? AND t.id < ?")
        var charges: [Transfer] = []
        while charges.count < limit {
            let plays = try Row.fetchAll(db.cachedStatement(sql: playsSQL),
                                         arguments: ["listener": listener, "last": last, "limit": limit])
            for play in plays {
                let (playSequence, playID): (Int64, String) = (play["sequence"], play["play_id"])
                for artistPart in [false, true] {
                    let ids = PlayTransferID.candidates(artistPart: artistPart, playSequence: playSequence, playID: playID)
                    var rows = try PlayTransferID.firstStored(ids, by: transferByID).map { [$0] } ?? []
                    if artistPart, rows.isEmpty {
                        let prefix = PlayTransferID.party(playSequence, position: 0).dropLast()  // "play:#…:party:"
                        rows = try Row.fetchAll(partsByIDRange, arguments: [String(prefix), String(prefix.dropLast()) + ";"])
                    }
                    // The boundary play may have one charge at or above the cursor.
                    for row in rows {
                        if let sequence: Int64 = row["sequence"], sequence < cursor { charges.append(try TransferRow.decode(row)) }
                    }
                }
            }
            guard plays.count == limit, let oldest: Int64 = plays.last?["sequence"] else { break }
            last = oldest - 1
        }
        return charges
    }
}
