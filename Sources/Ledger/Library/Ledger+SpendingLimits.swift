import Foundation
import GRDB

extension Ledger {
    /// Sets (or replaces) the listener's monthly spending limit, counting calendar months in
    /// `timeZone` (IANA name). What the listener already spent this month counts against it.
    ///
    /// - Throws: ``LedgerError/invalidRequest(_:)`` for a negative limit or an unknown time zone.
    @discardableResult
    public func setSpendingLimit(listener: String, monthlyLimit: Int64, timeZone identifier: String) throws(LedgerError) -> SpendingLimit {
        try Identifiers.check(listener, "listener id")
        guard monthlyLimit >= 0 else { throw .invalidRequest("the monthly limit must not be negative, got \(monthlyLimit)") }
        guard let timeZone = CalendarMonth.timeZone(identifier) else { throw .invalidRequest("unknown time zone '\(identifier.prefix(64))'") }
        return try write { transaction in
            let month = try CalendarMonth.containing(transaction.now, in: timeZone)
            let spent = try transaction.spentByPlays(listener: listener, from: month.start, to: month.end)
            try transaction.db.execute(sql: """
                INSERT INTO ledger_spending_limits (listener_id, monthly_limit, time_zone, period_start_ms, period_end_ms, spent, updated_at_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (listener_id) DO UPDATE SET monthly_limit = excluded.monthly_limit, time_zone = excluded.time_zone,
                    period_start_ms = excluded.period_start_ms, period_end_ms = excluded.period_end_ms, spent = excluded.spent,
                    updated_at_ms = excluded.updated_at_ms
                """, arguments: [listener, monthlyLimit, timeZone.identifier, month.start, month.end, spent, transaction.now])
            return SpendingLimit(listenerID: listener, monthlyLimit: monthlyLimit, timeZone: timeZone.identifier,
                                 monthStart: Timestamp.date(month.start), monthEnd: Timestamp.date(month.end), spent: spent)
        }
    }

    /// Removes the listener's limit; true if there was one.
    @discardableResult
    public func removeSpendingLimit(listener: String) throws(LedgerError) -> Bool {
        try Identifiers.check(listener, "listener id")
        return try write { transaction in
            try transaction.db.execute(sql: "DELETE FROM ledger_spending_limits WHERE listener_id = ?", arguments: [listener])
            return transaction.db.changesCount > 0
        }
    }

    /// The listener's limit as it stands now (the month rolled over if a new one began), or nil.
    public func spendingLimit(listener: String) throws(LedgerError) -> SpendingLimit? {
        try Identifiers.check(listener, "listener id")
        let now = try self.now()
        return try read { db in try LedgerTransaction.limitState(listener: listener, at: now, db).map(\.limit) }
    }
}

extension LedgerTransaction {
    /// A limit row and the month a charge at some instant falls in.
    struct LimitState {
        let limit: SpendingLimit
        let periodStart: Int64
        let periodEnd: Int64
    }

    /// The listener's limit with the month containing `milliseconds` (a month later than the
    /// stored one starts from zero; a charge stamped before the stored month counts in it).
    static func limitState(listener: String, at milliseconds: Int64, _ db: Database) throws -> LimitState? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT monthly_limit, time_zone, period_start_ms, period_end_ms, spent FROM ledger_spending_limits WHERE listener_id = ?
            """), arguments: [listener]) else { return nil }
        let zoneName: String = row["time_zone"]
        var start: Int64 = row["period_start_ms"]
        var end: Int64 = row["period_end_ms"]
        var spent: Int64 = row["spent"]
        if milliseconds >= end, let timeZone = CalendarMonth.timeZone(zoneName) {
            (start, end) = try CalendarMonth.containing(milliseconds, in: timeZone)
            spent = 0
        }
        let limit = SpendingLimit(listenerID: listener, monthlyLimit: row["monthly_limit"], timeZone: zoneName,
                                  monthStart: Timestamp.date(start), monthEnd: Timestamp.date(end), spent: spent)
        return LimitState(limit: limit, periodStart: start, periodEnd: end)
    }

    /// Whether any listener has a limit: read once per transaction, so that a commit of plays
    /// where nobody set one costs one lookup in all, not one per play.
    private func anySpendingLimit() throws -> Bool {
        if let known = spendingLimitsExist { return known }
        // A database migrated only part of the way (an older ledger, in tests) has no limits.
        let exists = try db.tableExists("ledger_spending_limits")
            && (try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM ledger_spending_limits)")) ?? false)
        spendingLimitsExist = exists
        return exists
    }

    /// The refusal of a charge of `amount` at `milliseconds` that would take the listener past
    /// their monthly limit, or nil if it fits (or they have none). Writes nothing.
    func spendingLimitRefusal(listener: String, amount: Int64, at milliseconds: Int64) throws -> LedgerError? {
        guard amount > 0, try anySpendingLimit(), let state = try Self.limitState(listener: listener, at: milliseconds, db) else { return nil }
        let after = state.limit.spent.addingReportingOverflow(amount)
        guard after.overflow || after.partialValue > state.limit.monthlyLimit else { return nil }
        return .spendingLimitReached(listener: listener, limit: state.limit.monthlyLimit, spent: state.limit.spent, needed: amount,
                                     resetsAt: state.limit.monthEnd)
    }

    /// Adds a recorded charge to the listener's month (if they have a limit), in this
    /// transaction: the limit holds however many charges one commit carries.
    func addSpending(listener: String, amount: Int64, at milliseconds: Int64) throws {
        guard amount > 0, try anySpendingLimit(), let state = try Self.limitState(listener: listener, at: milliseconds, db) else { return }
        let after = state.limit.spent.addingReportingOverflow(amount)
        guard !after.overflow else { throw LedgerError.overflow(account: .listenerWallet(listener)) }
        try db.cachedStatement(sql: """
            UPDATE ledger_spending_limits SET period_start_ms = ?, period_end_ms = ?, spent = ?, updated_at_ms = ? WHERE listener_id = ?
            """).execute(arguments: [state.periodStart, state.periodEnd, after.partialValue, now, listener])
    }

    /// What the listener's plays (purchases included: their plays are rows too) took from the
    /// wallet between two instants. Reads the listener's plays through the plays' unique index (listener first):
    /// used when a limit is set, never while charging.
    func spentByPlays(listener: String, from start: Int64, to end: Int64) throws -> Int64 {
        try Int64.fetchOne(db, sql: """
            SELECT coalesce(sum(price), 0) FROM ledger_plays WHERE listener_id = ? AND played_at_ms >= ? AND played_at_ms < ?
            """, arguments: [listener, start, end]) ?? 0
    }
}
