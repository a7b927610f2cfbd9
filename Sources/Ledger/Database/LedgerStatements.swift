import GRDB

/// The statements a ledger transaction runs again and again, compiled once per connection
/// (GRDB's cache) and looked up once per transaction: GRDB finds a cached statement by
/// hashing its SQL, which shows at thousands of plays a second.
enum LedgerStatement: Int, CaseIterable {
    case savepoint, releaseSavepoint, rollbackSavepoint
    case chainHead, accountTotalsByRowID, accountByOwner, accountRowIDByOwner, insertAccount, postTotals, insertWalletMark
    case transferByID, insertTransfer, insertTwoTransfers
    case latestPlay, playByID, insertPlay, insertLeg, insertSheetArtist

    var sql: String {
        switch self {
        case .savepoint: "SAVEPOINT ledger"
        case .releaseSavepoint: "RELEASE SAVEPOINT ledger"
        case .rollbackSavepoint: "ROLLBACK TO SAVEPOINT ledger"
        case .chainHead: "SELECT sequence, hash FROM ledger_transfers ORDER BY sequence DESC LIMIT 1"
        case .accountTotalsByRowID: "SELECT debits_posted, credits_posted, last_play FROM ledger_accounts WHERE id = ?"
        case .accountByOwner: "SELECT id, debits_posted, credits_posted, last_play FROM ledger_accounts WHERE kind = ? AND owner = ?"
        case .accountRowIDByOwner: "SELECT id FROM ledger_accounts WHERE kind = ? AND owner = ?"
        case .insertAccount:
            "INSERT INTO ledger_accounts (kind, owner, debits_must_not_exceed_credits, created_at_ms) VALUES (?, ?, ?, ?)"
        case .postTotals:
            """
            UPDATE ledger_accounts SET debits_posted = debits_posted + ?, credits_posted = credits_posted + ?,
                last_play = coalesce(?, last_play) WHERE id = ?
            """
        case .insertSheetArtist: "INSERT OR IGNORE INTO ledger_split_sheet_artists (sheet_id, artist_id) VALUES (?, ?)"
        case .insertLeg: "INSERT INTO ledger_transfer_legs (transfer_sequence, position, account_id, amount) VALUES (?, ?, ?, ?)"
        case .insertWalletMark:
            "INSERT INTO ledger_wallet_play_marks (transfer_sequence, wallet_account_id, last_play) VALUES (?, ?, ?)"
        case .transferByID: TransferRow.select + " WHERE t.id = ?"
        case .insertTransfer: Self.insertTransferSQL
        case .insertTwoTransfers: Self.insertTransferSQL + ", (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        case .latestPlay:
            """
            SELECT play_number, completes_ownership FROM ledger_plays WHERE listener_id = ? AND track_id = ?
            ORDER BY play_number DESC LIMIT 1
            """
        case .playByID: PlayRow.select + " WHERE play_id = ?"
        case .insertPlay:
            """
            INSERT INTO ledger_plays (play_id, listener_id, artist_id, track_id, play_number, price, artist_part,
                cooperative_part, pricing_version, completes_ownership, wallet_balance_after, played_at_ms, recorded_at_ms,
                listener_previous, split_sheet_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (play_id) DO NOTHING
            """
        }
    }

    private static let insertTransferSQL = """
        INSERT INTO ledger_transfers (sequence, id, debit_account_id, credit_account_id, amount, code, linked_group,
            track_id, play_id, pricing_version, reference, actor, note, created_at_ms, previous_hash, hash)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
}
