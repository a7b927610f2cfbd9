import Foundation
import GRDB

/// The tables of royalty splits (PRODUCT.md, "Royalty splits"): split sheets, their parties
/// and consents, the moments sheets took effect, and which sheet divided each play.
///
/// All are append-only, like transfers: a sheet is never edited, a consent never taken
/// back; a new proposal is a new sheet with the next version for its release or track.
/// A divided play names its sheet on its own row (`ledger_plays.split_sheet_id`); plays
/// charged under the default sheet (everything to the track's owner) leave it null.
extension LedgerSchema {
    static func registerSplits(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("ledger-4-split-sheets") { db in
            try createSplitSheets(db)
        }
        migrator.registerMigration("ledger-5-transfer-legs") { db in
            try admitSplitsAccount(db)
            try createTransferLegs(db)
        }
        migrator.registerMigration("ledger-6-play-sheets") { db in
            try moveSheetsToPlays(db)
        }
    }

    /// Records the sheet that divided a play on the play's own row (`ledger_plays.split_sheet_id`,
    /// null for the default sheet) instead of in a row of `ledger_play_splits`, and finds a
    /// sheet's plays through the artists whose plays it divided
    /// (`ledger_split_sheet_artists`, a row per sheet and artist, written with the first such
    /// play) and the artist index, which now carries the sheet: a divided play then writes
    /// no row and no index entry more than a play of the default sheet (the table's row and
    /// an index entry per sheet, at as many places in the index as sheets are in use, were
    /// about a tenth of a divided play's work and of the pages a commit writes).
    ///
    /// Plays already divided get their sheet copied over, with the append-only triggers of
    /// `ledger_plays` lifted for that one statement and made again (the same as migration 1
    /// made them); `ledger_play_splits` is dropped.
    private static func moveSheetsToPlays(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE ledger_plays ADD COLUMN split_sheet_id INTEGER REFERENCES ledger_split_sheets(id);
            DROP TRIGGER ledger_plays_no_update;
            DROP TRIGGER ledger_plays_no_delete;
            UPDATE ledger_plays SET split_sheet_id = (SELECT s.sheet_id FROM ledger_play_splits s WHERE s.play_sequence = ledger_plays.sequence)
                WHERE sequence IN (SELECT play_sequence FROM ledger_play_splits);
            \(appendOnly("ledger_plays"))
            DROP TRIGGER ledger_play_splits_no_update;
            DROP TRIGGER ledger_play_splits_no_delete;
            DROP TABLE ledger_play_splits;

            -- The artists whose plays a sheet divided: where an earnings statement looks for
            -- the sheet's plays (index ledger_plays_artist). Written in the transaction of the
            -- first play of the artist the sheet divided.
            CREATE TABLE ledger_split_sheet_artists (
                sheet_id INTEGER NOT NULL REFERENCES ledger_split_sheets(id),
                artist_id TEXT NOT NULL,
                PRIMARY KEY (sheet_id, artist_id)
            ) WITHOUT ROWID;
            \(appendOnly("ledger_split_sheet_artists"))
            INSERT INTO ledger_split_sheet_artists (sheet_id, artist_id)
                SELECT DISTINCT split_sheet_id, artist_id FROM ledger_plays WHERE split_sheet_id IS NOT NULL;
            DROP INDEX ledger_plays_artist;
            CREATE INDEX ledger_plays_artist ON ledger_plays (artist_id, played_at_ms, split_sheet_id);
            """)
    }

    /// Lets `ledger_accounts` hold the ``AccountID/splits`` account: its kind check was made
    /// from the kinds known then. SQLite cannot change a check, so the table is made again
    /// from its own stored definition with the longer list (SQLite's procedure for other
    /// schema changes: a new table, its rows copied, the old one dropped, the new one renamed,
    /// its indexes and triggers made again). Row ids, and so every reference to an account,
    /// stay as they were. A file whose first migration already knew the kind is left alone.
    private static func admitSplitsAccount(_ db: Database) throws {
        let all = AccountID.Kind.allCases.map { "'\($0.rawValue)'" }
        let before = AccountID.Kind.allCases.filter { $0 != .splits }.map { "'\($0.rawValue)'" }
        guard let table = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'ledger_accounts'")
        else { throw LedgerError.database("ledger_accounts is missing") }
        if table.contains("'\(AccountID.Kind.splits.rawValue)'") { return }
        let oldCheck = "kind IN (\(before.joined(separator: ", ")))"
        // The name as first made, or quoted as SQLite writes it after a rename.
        guard let open = table.firstIndex(of: "("),
              table[..<open].replacingOccurrences(of: "\"", with: "").trimmingCharacters(in: .whitespaces) == "CREATE TABLE ledger_accounts",
              table.contains(oldCheck)
        else { throw LedgerError.database("ledger_accounts is not as the ledger made it; its kinds cannot be extended") }
        let rebuilt = "CREATE TABLE ledger_accounts_rebuilt " + table[open...]
            .replacingOccurrences(of: oldCheck, with: "kind IN (\(all.joined(separator: ", ")))")
        let dependents = try String.fetchAll(db, sql: """
            SELECT sql FROM sqlite_master WHERE tbl_name = 'ledger_accounts' AND type IN ('index', 'trigger') AND sql IS NOT NULL
            ORDER BY type, name
            """)
        try db.execute(sql: rebuilt)
        try db.execute(sql: "INSERT INTO ledger_accounts_rebuilt SELECT * FROM ledger_accounts")
        // Other tables' references name `ledger_accounts`: they refer to the new table once it
        // has the name. The legacy rename leaves them (and triggers elsewhere) as they are.
        try db.execute(sql: """
            PRAGMA legacy_alter_table = ON;
            DROP TABLE ledger_accounts;
            ALTER TABLE ledger_accounts_rebuilt RENAME TO ledger_accounts;
            PRAGMA legacy_alter_table = OFF;
            """)
        for sql in dependents { try db.execute(sql: sql) }
    }

    /// The legs of transfers divided among a split sheet's parties: a play's artist part goes
    /// to ``AccountID/splits`` in one transfer, and its legs pass each party's part on to that
    /// party's earnings in the same transfer. Legs are covered by their transfer's hash and
    /// are append-only like it; a part of zero has no leg.
    private static func createTransferLegs(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE ledger_transfer_legs (
                transfer_sequence INTEGER NOT NULL REFERENCES ledger_transfers(sequence),
                position INTEGER NOT NULL CHECK (typeof(position) = 'integer' AND position >= 0),
                account_id INTEGER NOT NULL REFERENCES ledger_accounts(id),
                amount INTEGER NOT NULL CHECK (typeof(amount) = 'integer' AND amount > 0),
                PRIMARY KEY (transfer_sequence, position)
            ) WITHOUT ROWID;
            \(appendOnly("ledger_transfer_legs"))
            """)
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
