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
    /// of the listener's plays, found by following the listener's chain of plays (each play
    /// names the listener's previous one; the wallet names the newest) and then by transfer
    /// id. The first read seeks to the cursor in an index; the second starts in the chain at
    /// the cursor with a few lookups (see ``WalletHistoryQuery/playCharges(_:listener:wallet:before:limit:)``),
    /// so a page costs the same whatever the listener's number of plays.
    ///
    /// - Parameters:
    ///   - limit: Entries per page, 1...1000.
    ///   - before: A cursor from the previous page (a transfer sequence): only older entries.
    public func walletHistory(listener: String, limit: Int = 50, before: Int64? = nil) throws(LedgerError) -> WalletHistoryPage {
        try Identifiers.check(listener, "listener id")
        guard (1...1_000).contains(limit) else { throw .invalidRequest("limit must be 1...1000, got \(limit)") }
        let wallet = AccountID.listenerWallet(listener)
        return try read { db in
            guard let account = try Row.fetchOne(db, sql: "SELECT id, last_play FROM ledger_accounts WHERE kind = ? AND owner = ?",
                                                 arguments: [wallet.kind.rawValue, wallet.owner])
            else { return WalletHistoryPage(entries: [], nextCursor: nil) }
            let accountRowID: Int64 = account["id"]
            let cursor = before ?? Int64.max
            // One more than a page tells whether an older page exists.
            let wanted = limit + 1
            let others = try WalletHistoryQuery.otherTransfers(db, account: accountRowID, before: cursor, limit: wanted)
            let charges = try WalletHistoryQuery.playCharges(
                db, listener: listener, wallet: (accountRowID, account["last_play"]), before: cursor, limit: wanted)
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

    /// The play (any listener's) whose charge is the newest transfer below sequence `:cursor`.
    /// Plays and their charges are appended together, one play after the other, so every play
    /// before it has all its charges below the cursor and every play after it has none.
    static let boundarySQL = """
        SELECT p.sequence, p.listener_id FROM ledger_plays p
        WHERE p.play_id = (SELECT t.play_id FROM ledger_transfers t
                           WHERE t.sequence < :cursor AND NOT (\(LedgerSchema.notPlayCharge))
                           ORDER BY t.sequence DESC LIMIT 1)
        """

    /// The transfer at the cursor: a charge of one of the listener's plays, or one of the
    /// wallet's other transfers, gives the place in the listener's chain below it.
    static let cursorSQL = """
        SELECT t.code, p.sequence AS play_sequence, p.listener_id, p.listener_previous, m.wallet_account_id, m.last_play
        FROM ledger_transfers t
        LEFT JOIN ledger_plays p ON p.play_id = t.play_id AND t.code IN ('\(TransferCode.playArtistShare.rawValue)', '\(TransferCode.playCooperativeShare.rawValue)')
        LEFT JOIN ledger_wallet_play_marks m ON m.transfer_sequence = t.sequence AND m.wallet_account_id = :account
        WHERE t.sequence = :cursor
        """

    /// One play of the chain: its id, listener and the listener's previous play.
    static let playSQL = "SELECT play_id, listener_id, listener_previous FROM ledger_plays WHERE sequence = ?"

    static func otherTransfers(_ db: Database, account: Int64, before cursor: Int64, limit: Int) throws -> [Transfer] {
        let rows = try Row.fetchAll(db.cachedStatement(sql: otherTransfersSQL),
                                    arguments: ["account": account, "cursor": cursor, "limit": limit])
        return try rows.map { try TransferRow.decode($0, db) }
    }

    /// The listener's newest play at or below play sequence `boundary` (which is not theirs),
    /// given their newest play `head` (above `boundary`): the play below the cursor's charge,
    /// or the wallet's mark at the cursor, each one lookup; for any other cursor (not one a
    /// page gave), a walk down the chain from the newest play.
    private static func newestPlay(
        _ db: Database, listener: String, wallet: Int64, head: Int64, atOrBelow boundary: Int64, cursor: Int64
    ) throws -> Int64? {
        if let row = try Row.fetchOne(db.cachedStatement(sql: cursorSQL), arguments: ["cursor": cursor, "account": wallet]) {
            if let listenerOfPlay: String = row["listener_id"], listenerOfPlay == listener {
                // A charge of the listener's play P above the boundary: P's previous play is the
                // newest at or below it.
                return row["listener_previous"]
            }
            if row["wallet_account_id"] as Int64? != nil { return row["last_play"] }
        }
        var play: Int64? = head
        let step = try db.cachedStatement(sql: playSQL)
        while let current = play, current > boundary {
            guard let row = try Row.fetchOne(step, arguments: [current]) else { throw LedgerError.database("play \(current) of the chain of '\(listener)' is missing") }
            play = row["listener_previous"]
        }
        return play
    }

    /// Up to `limit` of the newest charges of `listener`'s plays below sequence `before`
    /// (`wallet`: the listener's wallet row and newest play).
    ///
    /// A play's charges are at most two transfers (a zero part is not booked; a play divided
    /// before transfer legs existed has one per party and the cooperative's), so `limit` plays usually
    /// give enough; plays of price zero give none, and the next older plays
    /// are read until `limit` charges are found or the plays run out.
    static func playCharges(
        _ db: Database, listener: String, wallet: (rowID: Int64, lastPlay: Int64?), before cursor: Int64, limit: Int
    ) throws -> [Transfer] {
        guard let head = wallet.lastPlay, let boundary = try Row.fetchOne(db.cachedStatement(sql: boundarySQL), arguments: ["cursor": cursor])
        else { return [] }
        let boundarySequence: Int64 = boundary["sequence"]
        var next: Int64?
        if boundary["listener_id"] as String == listener {
            next = boundarySequence
        } else if head <= boundarySequence {
            next = head
        } else {
            next = try newestPlay(db, listener: listener, wallet: wallet.rowID, head: head, atOrBelow: boundarySequence, cursor: cursor)
        }
        let playStatement = try db.cachedStatement(sql: playSQL)
        let transferByID = try db.cachedStatement(sql: TransferRow.select + " WHERE t.id = ?")
        // A play divided by a split sheet before transfer legs existed has one artist part per
        // party, `play:#…:party:N`: a range of the transfers' id index.
        let partsByIDRange = try db.cachedStatement(sql: TransferRow.select + " WHERE t.id >= ? AND t.id < ?")
        var charges: [Transfer] = []
        while charges.count < limit, let playSequence = next {
            guard let play = try Row.fetchOne(playStatement, arguments: [playSequence]), play["listener_id"] as String == listener
            else { throw LedgerError.database("play \(playSequence) of the chain of '\(listener)' is missing or not theirs") }
            let playID: String = play["play_id"]
            for artistPart in [false, true] {
                let ids = PlayTransferID.candidates(artistPart: artistPart, playSequence: playSequence, playID: playID)
                var rows = try PlayTransferID.firstStored(ids, by: transferByID).map { [$0] } ?? []
                if artistPart, rows.isEmpty {
                    let prefix = PlayTransferID.party(playSequence, position: 0).dropLast()  // "play:#…:party:"
                    rows = try Row.fetchAll(partsByIDRange, arguments: [String(prefix), String(prefix.dropLast()) + ";"])
                }
                // The boundary play may have one charge at or above the cursor.
                for row in rows {
                    if let sequence: Int64 = row["sequence"], sequence < cursor { charges.append(try TransferRow.decode(row, db)) }
                }
            }
            next = play["listener_previous"]
        }
        return charges
    }
}
