import GRDB

/// The ledger's tables, triggers and first rows. Every table is prefixed `ledger_` and every
/// migration `ledger-`, so they live beside other modules' in one database file; nothing
/// references a table outside the ledger.
enum LedgerSchema {
    /// Row ids of the cooperative's singleton accounts, created by the first migration.
    static let singletonAccountIDs: [AccountID.Kind: Int64] = [.treasury: 1, .paymentsClearing: 2, .payouts: 3]

    static func register(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("ledger-1-accounts-transfers-pricing-plays") { db in
            try createAccounts(db)
            try createTransfers(db)
            try createPricingVersions(db)
            try createPlays(db)
        }
        migrator.registerMigration("ledger-2-play-charges-out-of-account-indexes") { db in
            try indexAccountsWithoutPlayCharges(db)
        }
        migrator.registerMigration("ledger-3-plays-by-listener") { db in
            try indexPlaysByListener(db)
        }
        migrator.registerMigration("ledger-4-plays-chained-by-listener") { db in
            try chainPlaysByListener(db)
        }
        registerLibrary(&migrator)
    }

    /// The terms that keep play charges out of the transfers' account indexes. A query must
    /// repeat them word for word for SQLite to use those indexes.
    static let notPlayCharge = TransferCode.allCases.filter(\.isPlayCharge)
        .map { "code <> '\($0.rawValue)'" }.joined(separator: " AND ")

    private static func kindList(_ kinds: [AccountID.Kind]) -> String {
        kinds.map { "'\($0.rawValue)'" }.joined(separator: ", ")
    }

    private static func createAccounts(_ db: Database) throws {
        let flagged = kindList(AccountID.Kind.allCases.filter(\.debitsMustNotExceedCredits))
        try db.execute(sql: """
            CREATE TABLE ledger_accounts (
                id INTEGER PRIMARY KEY,
                kind TEXT NOT NULL CHECK (kind IN (\(kindList(AccountID.Kind.allCases)))),
                owner TEXT NOT NULL,
                debits_must_not_exceed_credits INTEGER NOT NULL
                    CHECK (debits_must_not_exceed_credits = (kind IN (\(flagged)))),
                debits_posted INTEGER NOT NULL DEFAULT 0
                    CHECK (typeof(debits_posted) = 'integer' AND debits_posted >= 0),
                credits_posted INTEGER NOT NULL DEFAULT 0
                    CHECK (typeof(credits_posted) = 'integer' AND credits_posted >= 0),
                created_at_ms INTEGER NOT NULL,
                UNIQUE (kind, owner),
                CHECK ((owner = '') = (kind NOT IN (\(flagged)))),
                -- The database itself refuses a wallet or earnings account below zero.
                CHECK (debits_must_not_exceed_credits = 0 OR debits_posted <= credits_posted)
            );
            -- An account's identity never changes, its totals only grow, and it is never removed.
            CREATE TRIGGER ledger_accounts_identity BEFORE UPDATE OF id, kind, owner, debits_must_not_exceed_credits
                ON ledger_accounts BEGIN SELECT RAISE(ABORT, 'ledger account identity is immutable'); END;
            CREATE TRIGGER ledger_accounts_totals_grow BEFORE UPDATE OF debits_posted, credits_posted ON ledger_accounts
                WHEN NEW.debits_posted < OLD.debits_posted OR NEW.credits_posted < OLD.credits_posted
                BEGIN SELECT RAISE(ABORT, 'ledger account totals only grow'); END;
            CREATE TRIGGER ledger_accounts_no_delete BEFORE DELETE ON ledger_accounts
                BEGIN SELECT RAISE(ABORT, 'ledger accounts are never deleted'); END;
            """)
        for (kind, id) in singletonAccountIDs.sorted(by: { $0.value < $1.value }) {
            try db.execute(
                sql: "INSERT INTO ledger_accounts (id, kind, owner, debits_must_not_exceed_credits, created_at_ms) VALUES (?, ?, '', 0, 0)",
                arguments: [id, kind.rawValue])
        }
    }

    private static func createTransfers(_ db: Database) throws {
        // An OR chain, not IN (...): SQLite builds a temporary index for an IN list on every insert.
        let codes = TransferCode.allCases.map { "code = '\($0.rawValue)'" }.joined(separator: " OR ")
        try db.execute(sql: """
            CREATE TABLE ledger_transfers (
                sequence INTEGER PRIMARY KEY CHECK (sequence >= 1),
                id TEXT NOT NULL UNIQUE CHECK (length(id) >= 1),
                debit_account_id INTEGER NOT NULL REFERENCES ledger_accounts(id),
                credit_account_id INTEGER NOT NULL REFERENCES ledger_accounts(id),
                amount INTEGER NOT NULL CHECK (typeof(amount) = 'integer' AND amount > 0),
                code TEXT NOT NULL CHECK (\(codes)),
                linked_group TEXT,
                track_id TEXT,
                play_id TEXT,
                pricing_version INTEGER,
                reference TEXT,
                actor TEXT,
                note TEXT,
                created_at_ms INTEGER NOT NULL,
                previous_hash BLOB NOT NULL CHECK (length(previous_hash) = 32),
                hash BLOB NOT NULL CHECK (length(hash) = 32),
                CHECK (debit_account_id <> credit_account_id)
            );
            CREATE INDEX ledger_transfers_debit ON ledger_transfers (debit_account_id, sequence);
            CREATE INDEX ledger_transfers_credit ON ledger_transfers (credit_account_id, sequence);

            -- Append-only: history is corrected by new transfers, never edited.
            CREATE TRIGGER ledger_transfers_no_update BEFORE UPDATE ON ledger_transfers
                BEGIN SELECT RAISE(ABORT, 'ledger_transfers is append-only'); END;
            CREATE TRIGGER ledger_transfers_no_delete BEFORE DELETE ON ledger_transfers
                BEGIN SELECT RAISE(ABORT, 'ledger_transfers is append-only'); END;

            """)
    }

    /// Play charges leave the transfers' per-account indexes: each one is random in account
    /// order, so a play's two transfers cost four index pages written per commit, about a
    /// quarter of the ledger's throughput. A wallet's play charges are found through its
    /// listener's plays instead (``Ledger/walletHistory(listener:limit:before:)``), an artist's
    /// through `ledger_plays_artist`; `verify` reads every transfer in order and needs neither.
    private static func indexAccountsWithoutPlayCharges(_ db: Database) throws {
        try db.execute(sql: """
            DROP INDEX ledger_transfers_debit;
            DROP INDEX ledger_transfers_credit;
            CREATE INDEX ledger_transfers_debit ON ledger_transfers (debit_account_id, sequence) WHERE \(notPlayCharge);
            CREATE INDEX ledger_transfers_credit ON ledger_transfers (credit_account_id, sequence) WHERE \(notPlayCharge);
            """)
    }

    /// A listener's plays newest first, for wallet history pages: a page seeks to its cursor
    /// and reads one page of entries, whatever the listener's number of plays. Without it a
    /// page sorted every play of the listener (index entries of the plays' unique index).
    /// It costs one more index entry per play, at a random place (listener order).
    private static func indexPlaysByListener(_ db: Database) throws {
        try db.execute(sql: "CREATE INDEX ledger_plays_listener ON ledger_plays (listener_id, sequence)")
    }

    /// Replaces `ledger_plays_listener` by a chain of each listener's plays, which costs no
    /// index entry per play: a play row names the listener's previous play
    /// (`listener_previous`), the listener's wallet row names their newest play (`last_play`,
    /// updated with the wallet's totals, which every charged play updates anyway), and each
    /// other transfer into or out of a wallet records the wallet's newest play when it was
    /// booked (`ledger_wallet_play_marks`, appended in transfer order), so that a history page
    /// whose cursor is such a transfer finds where to start in the chain with one lookup.
    ///
    /// The index dirtied one leaf page per play at a random place (listener order): about a
    /// third of the pages a group commit of plays wrote (BENCHMARKS.md). Existing rows are
    /// filled in from the index before it is dropped; `ledger_plays` stays append-only (its
    /// update trigger is dropped for the fill and made again in the same transaction).
    ///
    /// A play recorded for a listener without a wallet (a price of zero, the wallet never
    /// created) names no previous play and moves no head: it has no charge to list.
    private static func chainPlaysByListener(_ db: Database) throws {
        let wallet = AccountID.Kind.listenerWallet.rawValue
        try db.execute(sql: """
            ALTER TABLE ledger_plays ADD COLUMN listener_previous INTEGER CHECK (listener_previous < sequence);
            ALTER TABLE ledger_accounts ADD COLUMN last_play INTEGER;
            CREATE TABLE ledger_wallet_play_marks (
                transfer_sequence INTEGER NOT NULL REFERENCES ledger_transfers(sequence),
                wallet_account_id INTEGER NOT NULL REFERENCES ledger_accounts(id),
                last_play INTEGER,
                PRIMARY KEY (transfer_sequence, wallet_account_id)
            ) WITHOUT ROWID;
            CREATE TRIGGER ledger_wallet_play_marks_no_update BEFORE UPDATE ON ledger_wallet_play_marks
                BEGIN SELECT RAISE(ABORT, 'ledger_wallet_play_marks is append-only'); END;
            CREATE TRIGGER ledger_wallet_play_marks_no_delete BEFORE DELETE ON ledger_wallet_play_marks
                BEGIN SELECT RAISE(ABORT, 'ledger_wallet_play_marks is append-only'); END;

            DROP TRIGGER ledger_plays_no_update;
            UPDATE ledger_plays SET listener_previous = (
                SELECT max(p.sequence) FROM ledger_plays p WHERE p.listener_id = ledger_plays.listener_id AND p.sequence < ledger_plays.sequence);
            CREATE TRIGGER ledger_plays_no_update BEFORE UPDATE ON ledger_plays
                BEGIN SELECT RAISE(ABORT, 'ledger_plays is append-only'); END;
            UPDATE ledger_accounts SET last_play = (SELECT max(p.sequence) FROM ledger_plays p WHERE p.listener_id = ledger_accounts.owner)
                WHERE kind = '\(wallet)';
            -- A wallet's newest play when each of its other transfers was booked: its newest play
            -- up to the newest play charged before that transfer (plays and their charges are
            -- appended together, in play order).
            INSERT INTO ledger_wallet_play_marks (transfer_sequence, wallet_account_id, last_play)
            SELECT t.sequence, a.id, (
                SELECT max(p.sequence) FROM ledger_plays p
                WHERE p.listener_id = a.owner AND p.sequence <= coalesce((
                    SELECT b.sequence FROM ledger_plays b WHERE b.play_id = (
                        SELECT c.play_id FROM ledger_transfers c
                        WHERE c.sequence < t.sequence AND NOT (\(notPlayCharge)) ORDER BY c.sequence DESC LIMIT 1)), 0))
            FROM ledger_transfers t JOIN ledger_accounts a ON a.id IN (t.debit_account_id, t.credit_account_id)
            WHERE a.kind = '\(wallet)' AND \(notPlayCharge);
            DROP INDEX ledger_plays_listener;
            """)
    }

    private static func createPricingVersions(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE ledger_pricing_versions (
                version INTEGER PRIMARY KEY CHECK (version >= 1),
                effective_from_ms INTEGER NOT NULL UNIQUE,
                preview_seconds INTEGER NOT NULL CHECK (preview_seconds >= 0),
                base_price INTEGER NOT NULL CHECK (base_price >= 0),
                multiplier INTEGER NOT NULL CHECK (multiplier >= 1),
                plays_to_own INTEGER NOT NULL CHECK (plays_to_own >= 1),
                artist_share_bp INTEGER NOT NULL CHECK (artist_share_bp BETWEEN 0 AND 10000),
                proposal_id TEXT UNIQUE,
                created_at_ms INTEGER NOT NULL
            );
            CREATE TRIGGER ledger_pricing_versions_no_update BEFORE UPDATE ON ledger_pricing_versions
                BEGIN SELECT RAISE(ABORT, 'ledger_pricing_versions is append-only'); END;
            CREATE TRIGGER ledger_pricing_versions_no_delete BEFORE DELETE ON ledger_pricing_versions
                BEGIN SELECT RAISE(ABORT, 'ledger_pricing_versions is append-only'); END;
            """)
        let defaults = Pricing.resonate
        try db.execute(
            sql: """
                INSERT INTO ledger_pricing_versions
                    (version, effective_from_ms, preview_seconds, base_price, multiplier, plays_to_own, artist_share_bp, proposal_id, created_at_ms)
                VALUES (1, ?, ?, ?, ?, ?, ?, NULL, 0)
                """,
            arguments: [Timestamp.distantPast, defaults.previewSeconds, defaults.basePrice, defaults.multiplier,
                        defaults.playsToOwn, defaults.artistShareBasisPoints])
    }

    private static func createPlays(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE ledger_plays (
                sequence INTEGER PRIMARY KEY,
                play_id TEXT NOT NULL UNIQUE,
                listener_id TEXT NOT NULL,
                artist_id TEXT NOT NULL,
                track_id TEXT NOT NULL,
                play_number INTEGER NOT NULL CHECK (play_number >= 1),
                price INTEGER NOT NULL CHECK (price >= 0),
                artist_part INTEGER NOT NULL CHECK (artist_part >= 0),
                cooperative_part INTEGER NOT NULL CHECK (cooperative_part >= 0),
                pricing_version INTEGER NOT NULL REFERENCES ledger_pricing_versions(version),
                completes_ownership INTEGER NOT NULL CHECK (completes_ownership IN (0, 1)),
                wallet_balance_after INTEGER NOT NULL CHECK (wallet_balance_after >= 0),
                played_at_ms INTEGER NOT NULL,
                recorded_at_ms INTEGER NOT NULL,
                UNIQUE (listener_id, track_id, play_number),
                CHECK (artist_part + cooperative_part = price),
                CHECK (listener_id <> artist_id)
            );
            CREATE INDEX ledger_plays_artist ON ledger_plays (artist_id, played_at_ms);
            CREATE TRIGGER ledger_plays_no_update BEFORE UPDATE ON ledger_plays
                BEGIN SELECT RAISE(ABORT, 'ledger_plays is append-only'); END;
            CREATE TRIGGER ledger_plays_no_delete BEFORE DELETE ON ledger_plays
                BEGIN SELECT RAISE(ABORT, 'ledger_plays is append-only'); END;
            """)
    }
}
