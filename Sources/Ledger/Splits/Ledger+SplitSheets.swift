import Foundation
import GRDB

extension Ledger {
    /// Records a proposed split sheet for `scope`, with the next version of that scope.
    ///
    /// The sheet takes effect when its last party accepts (``answerSplitSheet(_:party:decision:)``);
    /// a proposer who is a party has accepted by proposing. A sheet whose only party is the
    /// proposer therefore takes effect at once. A pending sheet of the same scope ends
    /// (superseded); the sheet in force stays until this one takes effect.
    ///
    /// Whether `proposer` may propose for `scope` (owns the release) is the caller's to
    /// decide: the ledger does not know releases.
    ///
    /// - Throws: ``LedgerError/invalidSplit(_:)`` for shares that are not a whole, a party
    ///   named twice, an empty or overlong id or role.
    public func proposeSplitSheet(scope: SplitScope, proposer: String, parties: [SplitParty]) throws(LedgerError) -> SplitSheet {
        try Identifiers.check(proposer, "proposer id")
        try Identifiers.check(scope.id, "\(scope.kind) id")
        try SplitRule.validate(parties.map(\.shareBasisPoints))
        for party in parties {
            try Identifiers.check(party.userID, "party id")
            let role = party.role.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !role.isEmpty, role.count <= SplitParty.maximumRoleLength, role == party.role else {
                throw .invalidSplit("each party's role is 1 to \(SplitParty.maximumRoleLength) characters without surrounding spaces")
            }
        }
        guard Set(parties.map(\.userID)).count == parties.count else { throw .invalidSplit("a party is named twice") }
        return try write { transaction in
            let db = transaction.db
            let latest = try Int.fetchOne(db, sql: """
                SELECT max(version) FROM ledger_split_sheets WHERE scope_kind = ? AND scope_id = ?
                """, arguments: [scope.kind, scope.id]) ?? 0
            try db.execute(sql: """
                INSERT INTO ledger_split_sheets (scope_kind, scope_id, version, proposer_id, party_count, proposed_at_ms)
                VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [scope.kind, scope.id, latest + 1, proposer, parties.count, transaction.now])
            let sheetID = db.lastInsertedRowID
            for (position, party) in parties.enumerated() {
                try db.execute(sql: """
                    INSERT INTO ledger_split_parties (sheet_id, position, party_id, share_bp, role) VALUES (?, ?, ?, ?, ?)
                    """, arguments: [sheetID, position, party.userID, party.shareBasisPoints, party.role])
            }
            if parties.contains(where: { $0.userID == proposer }) {
                try SplitSheetStore.record(.accepted, sheetID: sheetID, party: proposer, in: transaction)
            }
            guard let sheet = try SplitSheetStore.load(db, id: sheetID) else { throw LedgerError.database("split sheet \(sheetID) vanished") }
            return sheet
        }
    }

    /// Records `party`'s answer to sheet `sheetID`. The last acceptance makes the sheet take
    /// effect now; a decline ends it (the sheet in force stays).
    ///
    /// - Throws: ``LedgerError/unknownSplitSheet(sheetID:)`` if the sheet does not name
    ///   `party`; ``LedgerError/splitSheetClosed(sheetID:reason:)`` if the party answered
    ///   already or the sheet is no longer pending.
    @discardableResult
    public func answerSplitSheet(_ sheetID: Int64, party: String, decision: SplitConsent.Decision) throws(LedgerError) -> SplitSheet {
        try Identifiers.check(party, "party id")
        return try write { transaction in
            try SplitSheetStore.record(decision, sheetID: sheetID, party: party, in: transaction)
            guard let sheet = try SplitSheetStore.load(transaction.db, id: sheetID) else {
                throw LedgerError.database("split sheet \(sheetID) vanished")
            }
            return sheet
        }
    }

    /// The sheet with this id, if any.
    public func splitSheet(id: Int64) throws(LedgerError) -> SplitSheet? {
        try read { db in try SplitSheetStore.load(db, id: id) }
    }

    /// Every sheet that names `user` as a party or was proposed by `user`, newest first.
    public func splitSheets(concerning user: String) throws(LedgerError) -> [SplitSheet] {
        try Identifiers.check(user, "user id")
        return try read { db in
            let ids = try Int64.fetchAll(db, sql: """
                SELECT sheet_id FROM ledger_split_parties WHERE party_id = ?
                UNION SELECT id FROM ledger_split_sheets WHERE proposer_id = ?
                ORDER BY 1 DESC
                """, arguments: [user, user])
            return try ids.compactMap { try SplitSheetStore.load(db, id: $0) }
        }
    }

    /// Every sheet of `scope`, newest version first.
    public func splitSheets(scope: SplitScope) throws(LedgerError) -> [SplitSheet] {
        try read { db in
            let ids = try Int64.fetchAll(db, sql: """
                SELECT id FROM ledger_split_sheets WHERE scope_kind = ? AND scope_id = ? ORDER BY version DESC
                """, arguments: [scope.kind, scope.id])
            return try ids.compactMap { try SplitSheetStore.load(db, id: $0) }
        }
    }

    /// The sheet of `scope` in force at `date`, or nil for the default sheet (everything to
    /// the owner). Only `scope` itself is looked at: a track's sheet, if any, overrides its
    /// release's in charges.
    public func splitSheetInForce(scope: SplitScope, at date: Date) throws(LedgerError) -> SplitSheet? {
        let at = try Timestamp.milliseconds(date)
        return try read { db in
            guard let id = try Int64.fetchOne(db, sql: """
                SELECT sheet_id FROM ledger_split_activations WHERE scope_kind = ? AND scope_id = ? AND effective_from_ms <= ?
                ORDER BY effective_from_ms DESC, sheet_id DESC LIMIT 1
                """, arguments: [scope.kind, scope.id, at]) else { return nil }
            return try SplitSheetStore.load(db, id: id)
        }
    }
}

/// Reading and writing split sheets in a database transaction.
enum SplitSheetStore {
    /// Records `party`'s `decision` on sheet `sheetID` in `transaction`, and the sheet's
    /// activation if it was the last acceptance. Refuses an answer the sheet no longer waits for.
    static func record(_ decision: SplitConsent.Decision, sheetID: Int64, party: String, in transaction: LedgerTransaction) throws {
        let db = transaction.db
        guard let sheet = try load(db, id: sheetID), sheet.parties.contains(where: { $0.userID == party }) else {
            throw LedgerError.unknownSplitSheet(sheetID: sheetID)
        }
        if let answered = sheet.consents.first(where: { $0.userID == party }) {
            throw LedgerError.splitSheetClosed(sheetID: sheetID, reason: "you \(answered.decision.rawValue) this sheet already")
        }
        switch sheet.status {
        case .pending: break
        case .inForce, .replaced: throw LedgerError.splitSheetClosed(sheetID: sheetID, reason: "it has taken effect already")
        case .declined: throw LedgerError.splitSheetClosed(sheetID: sheetID, reason: "a party declined it")
        case .superseded: throw LedgerError.splitSheetClosed(sheetID: sheetID, reason: "a newer sheet was proposed since")
        }
        try db.execute(sql: """
            INSERT INTO ledger_split_consents (sheet_id, party_id, decision, decided_at_ms) VALUES (?, ?, ?, ?)
            """, arguments: [sheetID, party, decision.rawValue, transaction.now])
        let accepted = sheet.consents.filter { $0.decision == .accepted }.count + (decision == .accepted ? 1 : 0)
        if decision == .accepted, accepted == sheet.parties.count {
            try db.execute(sql: """
                INSERT INTO ledger_split_activations (sheet_id, scope_kind, scope_id, effective_from_ms, after_play_sequence)
                VALUES (?, ?, ?, ?, (SELECT coalesce(max(sequence), 0) FROM ledger_plays))
                """, arguments: [sheetID, sheet.scope.kind, sheet.scope.id, transaction.now])
        }
    }

    /// The sheet with this id as stored, with its parties, consents and status.
    static func load(_ db: Database, id: Int64) throws -> SplitSheet? {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT scope_kind, scope_id, version, proposer_id, proposed_at_ms FROM ledger_split_sheets WHERE id = ?
            """, arguments: [id]) else { return nil }
        guard let scope = SplitScope(kind: row["scope_kind"], id: row["scope_id"]) else {
            throw LedgerError.database("split sheet \(id) has an unknown scope")
        }
        let parties = try Row.fetchAll(db, sql: """
            SELECT party_id, share_bp, role FROM ledger_split_parties WHERE sheet_id = ? ORDER BY position
            """, arguments: [id]).map { SplitParty(userID: $0["party_id"], shareBasisPoints: $0["share_bp"], role: $0["role"]) }
        let consents = try Row.fetchAll(db, sql: """
            SELECT party_id, decision, decided_at_ms FROM ledger_split_consents WHERE sheet_id = ? ORDER BY decided_at_ms, party_id
            """, arguments: [id]).map { row in
            SplitConsent(userID: row["party_id"], decision: SplitConsent.Decision(rawValue: row["decision"]) ?? .declined,
                         decidedAt: Timestamp.date(row["decided_at_ms"]))
        }
        let version: Int = row["version"]
        let effectiveFrom = try Int64.fetchOne(db, sql: "SELECT effective_from_ms FROM ledger_split_activations WHERE sheet_id = ?", arguments: [id])
        let status: SplitSheet.Status
        if let effectiveFrom {
            let later = try Bool.fetchOne(db, sql: """
                SELECT EXISTS (SELECT 1 FROM ledger_split_activations WHERE scope_kind = ? AND scope_id = ?
                    AND (effective_from_ms > ? OR (effective_from_ms = ? AND sheet_id > ?)))
                """, arguments: [scope.kind, scope.id, effectiveFrom, effectiveFrom, id]) ?? false
            status = later ? .replaced : .inForce
        } else if consents.contains(where: { $0.decision == .declined }) {
            status = .declined
        } else if try Bool.fetchOne(db, sql: """
            SELECT EXISTS (SELECT 1 FROM ledger_split_sheets WHERE scope_kind = ? AND scope_id = ? AND version > ?)
            """, arguments: [scope.kind, scope.id, version]) ?? false {
            status = .superseded
        } else {
            status = .pending
        }
        return SplitSheet(
            id: id, scope: scope, version: version, proposerID: row["proposer_id"], proposedAt: Timestamp.date(row["proposed_at_ms"]),
            parties: parties, consents: consents, status: status, effectiveFrom: effectiveFrom.map(Timestamp.date))
    }
}
