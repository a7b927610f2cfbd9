import GRDB

/// The listener's library in the ledger (issue 17): monthly spending limits, enforced in the
/// transaction of each charge, and "own it now" purchases. Registered after the ledger's
/// other migrations; both tables are the ledger's own (`ledger_` prefix) and reference
/// nothing outside it.
extension LedgerSchema {
    static func registerLibrary(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("ledger-library-1-spending-limits-purchases") { db in
            try db.execute(sql: """
                -- A listener's monthly spending limit, and what they spent in the month it last
                -- saw (a running total kept by every charge, so a charge checks the limit with one
                -- row read). The month is the calendar month in time_zone (an IANA name).
                CREATE TABLE ledger_spending_limits (
                    listener_id TEXT PRIMARY KEY NOT NULL,
                    monthly_limit INTEGER NOT NULL CHECK (typeof(monthly_limit) = 'integer' AND monthly_limit >= 0),
                    time_zone TEXT NOT NULL CHECK (length(time_zone) BETWEEN 1 AND 64),
                    period_start_ms INTEGER NOT NULL,
                    period_end_ms INTEGER NOT NULL CHECK (period_end_ms > period_start_ms),
                    spent INTEGER NOT NULL CHECK (typeof(spent) = 'integer' AND spent >= 0),
                    updated_at_ms INTEGER NOT NULL
                ) WITHOUT ROWID;

                -- "Own it now": the remaining plays of a track bought in one charge. The plays
                -- themselves are rows of ledger_plays (play ids '<request id>/<play number>'), each
                -- priced and split like a counted play, so ownership, verification, statements and
                -- wallet history treat them exactly like counted plays. This row groups them and
                -- makes the purchase idempotent per request id.
                CREATE TABLE ledger_purchases (
                    sequence INTEGER PRIMARY KEY,
                    request_id TEXT NOT NULL UNIQUE CHECK (length(request_id) BETWEEN 1 AND 64),
                    listener_id TEXT NOT NULL,
                    artist_id TEXT NOT NULL,
                    track_id TEXT NOT NULL,
                    first_play INTEGER NOT NULL CHECK (first_play >= 1),
                    last_play INTEGER NOT NULL CHECK (last_play >= first_play),
                    price INTEGER NOT NULL CHECK (price >= 0),
                    artist_part INTEGER NOT NULL CHECK (artist_part >= 0),
                    cooperative_part INTEGER NOT NULL CHECK (cooperative_part >= 0),
                    pricing_version INTEGER NOT NULL REFERENCES ledger_pricing_versions(version),
                    wallet_balance_after INTEGER NOT NULL CHECK (wallet_balance_after >= 0),
                    bought_at_ms INTEGER NOT NULL,
                    recorded_at_ms INTEGER NOT NULL,
                    UNIQUE (listener_id, track_id),
                    CHECK (artist_part + cooperative_part = price),
                    CHECK (listener_id <> artist_id)
                );
                CREATE TRIGGER ledger_purchases_no_update BEFORE UPDATE ON ledger_purchases
                    BEGIN SELECT RAISE(ABORT, 'ledger_purchases is append-only'); END;
                CREATE TRIGGER ledger_purchases_no_delete BEFORE DELETE ON ledger_purchases
                    BEGIN SELECT RAISE(ABORT, 'ledger_purchases is append-only'); END;
                """)
        }
    }
}
