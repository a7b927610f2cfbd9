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
    /// How many times sheets have taken effect, once this transaction has counted: while
    /// none has, a play looks nothing up.
    var activationCount: Int64?
    /// Activations of a scope read by this transaction, oldest first: (effective from in ms,
    /// sheet id). Scopes the writer's memory knows at the same count are not read again.
    var activations: WriterMemory.Activations = [:]
    /// Terms of sheets read by this transaction (the memory's are not read again).
    var terms: [Int64: SplitTerms] = [:]
    /// Rows of `ledger_split_sheet_artists` this transaction wrote or found.
    var artists: Set<SheetArtist> = []
}

/// A split sheet and an artist whose plays it divided: a row of `ledger_split_sheet_artists`,
/// where earnings statements look for the sheet's plays.
struct SheetArtist: Hashable {
    let sheetID: Int64
    let artistID: String
}

extension LedgerTransaction {
    /// The sheet dividing a play of `track` (on `release`) at `at` (ms): the track's own
    /// sheet in force then, or else its release's; nil for the default sheet.
    func splitTerms(track: String, release: String?, at: Int64) throws -> SplitTerms? {
        if splitSheets.activationCount == nil {
            // A file migrated only part of the way (tests of older schemas) has no sheets.
            let count = try db.tableExists("ledger_split_activations")
                ? Int64.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM ledger_split_activations")) ?? 0 : 0
            splitSheets.activationCount = count
        }
        guard splitSheets.activationCount ?? 0 > 0 else { return nil }
        if let sheetID = try sheetInForce(.track(track), at: at) { return try terms(of: sheetID) }
        if let release, let sheetID = try sheetInForce(.release(release), at: at) { return try terms(of: sheetID) }
        return nil
    }

    private func sheetInForce(_ scope: SplitScope, at: Int64) throws -> Int64? {
        // Activations are append-only: the same count means the same rows.
        let known = splitSheets.activations[scope]
            ?? (remembered.activations.count == splitSheets.activationCount ? remembered.activations.byScope[scope] : nil)
        if let known { return known.last(where: { $0.from <= at })?.sheetID }
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT effective_from_ms, sheet_id FROM ledger_split_activations WHERE scope_kind = ? AND scope_id = ?
            ORDER BY effective_from_ms, sheet_id
            """), arguments: [scope.kind, scope.id])
        let activations = rows.map { row -> (from: Int64, sheetID: Int64) in (row[0], row[1]) }
        splitSheets.activations[scope] = activations
        return activations.last(where: { $0.from <= at })?.sheetID
    }

    private func terms(of sheetID: Int64) throws -> SplitTerms {
        if let known = splitSheets.terms[sheetID] ?? remembered.splitTerms[sheetID] { return known }
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

    /// Makes sure `ledger_split_sheet_artists` names `artist` for `sheetID`, in this
    /// transaction: written once per sheet and artist, then known to the writer.
    func noteSheetArtist(_ sheetID: Int64, artist: String) throws {
        let pair = SheetArtist(sheetID: sheetID, artistID: artist)
        if splitSheets.artists.contains(pair) || remembered.sheetArtists.contains(pair) { return }
        let insert = try raw(.insertSheetArtist)
        insert.bind(sheetID, at: 1)
        insert.bind(artist, at: 2)
        try insert.step()
        splitSheets.artists.insert(pair)
    }

    /// The division recorded for the play with this id, if it was charged under a sheet.
    func recordedSplit(playID: String) throws -> SplitDivision? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT split_sheet_id, artist_part FROM ledger_plays WHERE play_id = ? AND split_sheet_id IS NOT NULL
            """), arguments: [playID]) else { return nil }
        return try terms(of: row[0]).divide(row[1])
    }
}
