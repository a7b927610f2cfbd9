import GRDB

/// A sheet's terms as a charge uses them: immutable once stored, so a transaction may keep
/// them for all its plays.
struct SplitTerms {
    let id: Int64
    let scope: SplitScope
    let version: Int
    let parties: [SplitParty]
    let shares: [Int]

    /// `artistPart` divided among the parties by ``SplitRule``.
    func divide(_ artistPart: Int64) -> SplitDivision {
        let amounts = SplitRule.divide(artistPart, by: shares)
        return SplitDivision(sheetID: id, scope: scope, version: version, parts: zip(parties, amounts).map { (party: $0, amount: $1) })
    }
}

/// What one ledger transaction has learned of split sheets. Sheets only take effect in
/// transactions of their own (``Ledger/answerSplitSheet(_:party:decision:)``), so within a
/// play transaction nothing here goes stale.
struct SplitSheetCache {
    /// Whether any sheet has ever taken effect: while none has, a play looks nothing up.
    var anyInForce: Bool?
    /// Activations of a scope, oldest first: (effective from in ms, sheet id).
    var activations: [SplitScope: [(from: Int64, sheetID: Int64)]] = [:]
    var terms: [Int64: SplitTerms] = [:]
}

extension LedgerTransaction {
    /// The sheet dividing a play of `track` (on `release`) at `at` (ms): the track's own
    /// sheet in force then, or else its release's; nil for the default sheet.
    func splitTerms(track: String, release: String?, at: Int64) throws -> SplitTerms? {
        if splitSheets.anyInForce == nil {
            // A file migrated only part of the way (tests of older schemas) has no sheets.
            splitSheets.anyInForce = try db.tableExists("ledger_split_activations")
                && Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM ledger_split_activations)")) ?? false
        }
        guard splitSheets.anyInForce == true else { return nil }
        for scope in [SplitScope.track(track)] + (release.map { [SplitScope.release($0)] } ?? []) {
            if let sheetID = try sheetInForce(scope, at: at) { return try terms(of: sheetID) }
        }
        return nil
    }

    private func sheetInForce(_ scope: SplitScope, at: Int64) throws -> Int64? {
        if splitSheets.activations[scope] == nil {
            let rows = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT effective_from_ms, sheet_id FROM ledger_split_activations WHERE scope_kind = ? AND scope_id = ?
                ORDER BY effective_from_ms, sheet_id
                """), arguments: [scope.kind, scope.id])
            splitSheets.activations[scope] = rows.map { row -> (from: Int64, sheetID: Int64) in (row[0], row[1]) }
        }
        return splitSheets.activations[scope]?.last(where: { $0.from <= at })?.sheetID
    }

    private func terms(of sheetID: Int64) throws -> SplitTerms {
        if let known = splitSheets.terms[sheetID] { return known }
        guard let sheet = try SplitSheetStore.load(db, id: sheetID) else {
            throw LedgerError.database("split sheet \(sheetID) took effect but is missing")
        }
        // The database keeps each share in 1...10,000 but cannot check their sum: refuse to
        // charge by a sheet edited into something the rule cannot divide by.
        do { try SplitRule.validate(sheet.shares) } catch { throw LedgerError.database("split sheet \(sheetID) is not a whole: \(error)") }
        let terms = SplitTerms(id: sheet.id, scope: sheet.scope, version: sheet.version, parties: sheet.parties, shares: sheet.shares)
        splitSheets.terms[sheetID] = terms
        return terms
    }

    /// Records that `division`'s sheet divided the play stored at `playSequence`.
    func recordSplit(_ division: SplitDivision, playSequence: Int64) throws {
        try db.cachedStatement(sql: "INSERT INTO ledger_play_splits (play_sequence, sheet_id) VALUES (?, ?)")
            .execute(arguments: [playSequence, division.sheetID])
    }

    /// The division recorded for the play with this id, if it was charged under a sheet.
    func recordedSplit(playID: String) throws -> SplitDivision? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT s.sheet_id, p.artist_part FROM ledger_play_splits s JOIN ledger_plays p ON p.sequence = s.play_sequence
            WHERE p.play_id = ?
            """), arguments: [playID]) else { return nil }
        return try terms(of: row[0]).divide(row[1])
    }
}
