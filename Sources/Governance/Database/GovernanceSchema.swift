import GRDB

/// Governance's tables, all prefixed `governance_` and append-only: a suspension, a
/// proposal, a roll entry, a vote (or a change of vote) and a tally are each a new row,
/// never edited or deleted. Membership itself is read from the catalog's `users` and
/// `tracks` tables (an artist with a published, undeleted track), which must be migrated
/// in the same database.
enum GovernanceSchema {
    static func register(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("governance-1-members-proposals-votes-tallies") { db in
            try db.execute(sql: """
                CREATE TABLE governance_membership_events (
                    sequence INTEGER PRIMARY KEY,
                    member_id TEXT NOT NULL,
                    action TEXT NOT NULL CHECK (action IN ('suspend', 'restore')),
                    actor_id TEXT NOT NULL,
                    reason TEXT NOT NULL CHECK (length(reason) >= 1),
                    at_ms INTEGER NOT NULL
                );
                CREATE INDEX governance_membership_events_member ON governance_membership_events (member_id, sequence);

                CREATE TABLE governance_proposals (
                    sequence INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    proposer_id TEXT NOT NULL,
                    title TEXT NOT NULL CHECK (length(title) >= 1),
                    rationale TEXT NOT NULL CHECK (length(rationale) >= 1),
                    -- NULL keeps the value in force at the close.
                    preview_seconds INTEGER CHECK (preview_seconds >= 0),
                    base_price INTEGER CHECK (base_price >= 0),
                    multiplier INTEGER CHECK (multiplier >= 1),
                    plays_to_own INTEGER CHECK (plays_to_own >= 1),
                    artist_share_bp INTEGER CHECK (artist_share_bp BETWEEN 0 AND 10000),
                    opened_at_ms INTEGER NOT NULL,
                    -- Unique: two passed proposals take effect in the order of their closes.
                    closes_at_ms INTEGER NOT NULL UNIQUE,
                    quorum_bp INTEGER NOT NULL CHECK (quorum_bp BETWEEN 0 AND 10000),
                    roll_size INTEGER NOT NULL CHECK (roll_size >= 1),
                    CHECK (closes_at_ms > opened_at_ms)
                );

                CREATE TABLE governance_roll (
                    proposal_id TEXT NOT NULL REFERENCES governance_proposals(id),
                    member_id TEXT NOT NULL,
                    PRIMARY KEY (proposal_id, member_id)
                ) WITHOUT ROWID;

                CREATE TABLE governance_votes (
                    sequence INTEGER PRIMARY KEY,
                    proposal_id TEXT NOT NULL,
                    member_id TEXT NOT NULL,
                    choice TEXT NOT NULL CHECK (choice IN ('yes', 'no', 'abstain')),
                    cast_at_ms INTEGER NOT NULL,
                    FOREIGN KEY (proposal_id, member_id) REFERENCES governance_roll(proposal_id, member_id)
                );
                CREATE INDEX governance_votes_ballot ON governance_votes (proposal_id, member_id, sequence);
                CREATE INDEX governance_votes_member ON governance_votes (member_id, sequence);

                CREATE TABLE governance_tallies (
                    proposal_id TEXT PRIMARY KEY REFERENCES governance_proposals(id),
                    closed_at_ms INTEGER NOT NULL,
                    recorded_at_ms INTEGER NOT NULL,
                    roll_size INTEGER NOT NULL,
                    yes INTEGER NOT NULL CHECK (yes >= 0),
                    no INTEGER NOT NULL CHECK (no >= 0),
                    abstain INTEGER NOT NULL CHECK (abstain >= 0),
                    quorum_bp INTEGER NOT NULL,
                    outcome TEXT NOT NULL CHECK (outcome IN ('passed', 'quorum_not_reached', 'not_majority', 'not_applicable')),
                    pricing_version INTEGER,
                    note TEXT,
                    CHECK (yes + no + abstain <= roll_size)
                );
                """)
            for table in ["governance_membership_events", "governance_proposals", "governance_roll", "governance_votes", "governance_tallies"] {
                try db.execute(sql: """
                    CREATE TRIGGER \(table)_no_update BEFORE UPDATE ON \(table)
                        BEGIN SELECT RAISE(ABORT, '\(table) is append-only'); END;
                    CREATE TRIGGER \(table)_no_delete BEFORE DELETE ON \(table)
                        BEGIN SELECT RAISE(ABORT, '\(table) is append-only'); END;
                    """)
            }
        }
    }
}
