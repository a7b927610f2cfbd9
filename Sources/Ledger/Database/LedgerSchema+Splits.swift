import GRDB

/// The tables of royalty splits (PRODUCT.md, "Royalty splits"): split sheets, their parties
/// and consents, the moments sheets took effect, and which sheet divided each play.
///
/// All are append-only, like transfers: a sheet is never edited, a consent never taken
/// back; a new proposal is a new sheet with the next version for its release or track.
/// Plays charged under the default sheet (everything to the track's owner) have no row in
/// `ledger_play_splits`, so they cost nothing more than before.
extension LedgerSchema {
    static func registerSplits(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("ledger-4-split-sheets") { db in
            try createSplitSheets(db)
        }
    }

    private static func appendOnly(_ table: String) -> String {
        """
        CREATE TRIGGER \(table)_no_update BEFORE UPDATE ON \(table)
            BEGIN SELECT RAISE(ABORT, '\(table) is append-only'); END;
        CREATE TRIGGER \(table)_no_delete BEFORE DELETE ON \(table)
            BEGIN SELECT RAISE(ABORT, '\(table) is append-only'); END;
        """
    }

    private static func createSplitSheets(_ db: Database) throws {
        try db.execute(sql: """
            -- A proposed division of a release's (or one track's) artist part. Versions of a
            -- scope run 1, 2, 3... in the order proposed.
            CREATE TABLE ledger_split_sheets (
                id INTEGER PRIMARY KEY,
                scope_kind TEXT NOT NULL CHECK (scope_kind = 'release' OR scope_kind = 'track'),
                scope_id TEXT NOT NULL CHECK (length(scope_id) BETWEEN 1 AND 256),
                version INTEGER NOT NULL CHECK (version >= 1),
                proposer_id TEXT NOT NULL CHECK (length(proposer_id) BETWEEN 1 AND 256),
                party_count INTEGER NOT NULL CHECK (party_count BETWEEN 1 AND \(SplitRule.maximumParties)),
                proposed_at_ms INTEGER NOT NULL,
                UNIQUE (scope_kind, scope_id, version)
            );
            \(appendOnly("ledger_split_sheets"))

            -- The parties of a sheet in sheet order (position 0, 1, 2...): ties of the split
            -- rule go to the earlier position.
            CREATE TABLE ledger_split_parties (
                sheet_id INTEGER NOT NULL REFERENCES ledger_split_sheets(id),
                position INTEGER NOT NULL CHECK (position >= 0),
                party_id TEXT NOT NULL CHECK (length(party_id) BETWEEN 1 AND 256),
                share_bp INTEGER NOT NULL CHECK (typeof(share_bp) = 'integer' AND share_bp BETWEEN 1 AND 10000),
                role TEXT NOT NULL CHECK (length(role) BETWEEN 1 AND 100),
                PRIMARY KEY (sheet_id, position),
                UNIQUE (sheet_id, party_id)
            ) WITHOUT ROWID;
            CREATE INDEX ledger_split_parties_party ON ledger_split_parties (party_id, sheet_id);
            \(appendOnly("ledger_split_parties"))

            -- Each party's one answer to a sheet.
            CREATE TABLE ledger_split_consents (
                sheet_id INTEGER NOT NULL,
                party_id TEXT NOT NULL,
                decision TEXT NOT NULL CHECK (decision = 'accepted' OR decision = 'declined'),
                decided_at_ms INTEGER NOT NULL,
                PRIMARY KEY (sheet_id, party_id),
                FOREIGN KEY (sheet_id, party_id) REFERENCES ledger_split_parties (sheet_id, party_id)
            ) WITHOUT ROWID;
            \(appendOnly("ledger_split_consents"))

            -- The moment a sheet took effect: when its last party accepted. The sheet in force
            -- for a play is the one of its scope that took effect last at or before the play,
            -- among those committed before the play was charged: after_play_sequence is the
            -- last play recorded when the sheet took effect, so a play recorded earlier (even
            -- one counted in the same millisecond) keeps the sheet it was charged under.
            CREATE TABLE ledger_split_activations (
                sheet_id INTEGER PRIMARY KEY REFERENCES ledger_split_sheets(id),
                scope_kind TEXT NOT NULL,
                scope_id TEXT NOT NULL,
                effective_from_ms INTEGER NOT NULL,
                after_play_sequence INTEGER NOT NULL CHECK (after_play_sequence >= 0)
            );
            CREATE INDEX ledger_split_activations_scope ON ledger_split_activations (scope_kind, scope_id, effective_from_ms);
            \(appendOnly("ledger_split_activations"))

            -- The sheet that divided a play's artist part (none: the default sheet).
            CREATE TABLE ledger_play_splits (
                play_sequence INTEGER PRIMARY KEY REFERENCES ledger_plays(sequence),
                sheet_id INTEGER NOT NULL REFERENCES ledger_split_sheets(id)
            );
            CREATE INDEX ledger_play_splits_sheet ON ledger_play_splits (sheet_id, play_sequence);
            \(appendOnly("ledger_play_splits"))
            """)
    }
}
