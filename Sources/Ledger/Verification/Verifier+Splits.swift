import GRDB

/// The split sheets as verify read them: each sheet's terms, when each took effect, and
/// which sheet divided which play.
struct VerifiedSplits {
    struct Sheet {
        let scope: SplitScope
        let version: Int64
        var parties: [SplitParty] = []
        /// Whether its shares are a whole the rule can divide by.
        var divisible = false
        var effectiveFrom: Int64?
        /// The last play recorded when it took effect: later plays only may use it.
        var afterPlaySequence: Int64?
    }

    var sheets: [Int64: Sheet] = [:]
    /// Sheet id by play sequence, for plays charged under a sheet.
    var playSheets: [Int64: Int64] = [:]
    /// Activations of each scope, oldest first.
    var activations: [SplitScope: [(from: Int64, sheetID: Int64, afterPlay: Int64)]] = [:]

    /// The sheet of `scope` in force for the play recorded at `playSequence` and played at
    /// `at` (ms): the one that took effect last at or before `at`, among those that took
    /// effect before the play was recorded.
    func inForce(_ scope: SplitScope, at: Int64, playSequence: Int64) -> Int64? {
        activations[scope]?.last(where: { $0.from <= at && $0.afterPlay < playSequence })?.sheetID
    }
}

extension Verifier {
    /// Reads the split sheets strictly and checks each one: shares of at least 1 basis point
    /// summing to 10,000, no party named twice, and a sheet that took effect had every party's
    /// acceptance, none after the moment it took effect.
    mutating func loadSplits() throws -> VerifiedSplits {
        var splits = VerifiedSplits()
        guard try db.tableExists("ledger_split_sheets") else { return splits }
        let sheets = try Row.fetchCursor(db, sql: "SELECT id, scope_kind, scope_id, version FROM ledger_split_sheets ORDER BY id")
        while let row = try sheets.next() {
            guard let id = Strict.int(row, 0), let kind = Strict.text(row, 1), let scopeID = Strict.text(row, 2),
                  let version = Strict.int(row, 3), let scope = SplitScope(kind: kind, id: scopeID)
            else {
                report.fail(.splits, "split sheet \(row[0] as DatabaseValue): a column has the wrong type or an unknown scope")
                continue
            }
            splits.sheets[id] = VerifiedSplits.Sheet(scope: scope, version: version)
        }
        let parties = try Row.fetchCursor(db, sql: """
            SELECT sheet_id, party_id, share_bp, role FROM ledger_split_parties ORDER BY sheet_id, position
            """)
        while let row = try parties.next() {
            guard let id = Strict.int(row, 0), let party = Strict.text(row, 1), let share = Strict.int(row, 2), let role = Strict.text(row, 3),
                  splits.sheets[id] != nil
            else {
                report.fail(.splits, "a party of split sheet \(row[0] as DatabaseValue) is malformed or its sheet is missing")
                continue
            }
            splits.sheets[id]?.parties.append(SplitParty(userID: party, shareBasisPoints: Int(truncatingIfNeeded: share), role: role))
        }
        for (id, sheet) in splits.sheets.sorted(by: { $0.key < $1.key }) {
            do {
                try SplitRule.validate(sheet.parties.map(\.shareBasisPoints))
                if Set(sheet.parties.map(\.userID)).count != sheet.parties.count { throw LedgerError.invalidSplit("a party is named twice") }
                splits.sheets[id]?.divisible = true
            } catch {
                report.fail(.splits, "split sheet \(id) (\(sheet.scope) version \(sheet.version)): \(error)")
            }
        }
        var accepted: [Int64: [String: Int64]] = [:]
        let consents = try Row.fetchCursor(db, sql: "SELECT sheet_id, party_id, decision, decided_at_ms FROM ledger_split_consents")
        while let row = try consents.next() {
            guard let id = Strict.int(row, 0), let party = Strict.text(row, 1), let decision = Strict.text(row, 2),
                  let decidedAt = Strict.int(row, 3), SplitConsent.Decision(rawValue: decision) != nil
            else {
                report.fail(.splits, "a consent to split sheet \(row[0] as DatabaseValue) is malformed")
                continue
            }
            if decision == SplitConsent.Decision.accepted.rawValue { accepted[id, default: [:]][party] = decidedAt }
        }
        let activations = try Row.fetchCursor(db, sql: """
            SELECT sheet_id, scope_kind, scope_id, effective_from_ms, after_play_sequence FROM ledger_split_activations
            ORDER BY effective_from_ms, sheet_id
            """)
        while let row = try activations.next() {
            guard let id = Strict.int(row, 0), let kind = Strict.text(row, 1), let scopeID = Strict.text(row, 2),
                  let from = Strict.int(row, 3), let afterPlay = Strict.int(row, 4), let sheet = splits.sheets[id]
            else {
                report.fail(.splits, "the activation of split sheet \(row[0] as DatabaseValue) is malformed or its sheet is missing")
                continue
            }
            if sheet.scope != SplitScope(kind: kind, id: scopeID) {
                report.fail(.splits, "split sheet \(id) took effect for \(kind) \(scopeID), not its own \(sheet.scope)")
            }
            let acceptances = accepted[id] ?? [:]
            if let missing = sheet.parties.first(where: { acceptances[$0.userID] == nil }) {
                report.fail(.splits, "split sheet \(id) took effect without the acceptance of \(missing.userID)")
            } else if let last = acceptances.values.max(), last > from {
                report.fail(.splits, "split sheet \(id) took effect at \(from) ms, before its last acceptance at \(last) ms")
            }
            splits.sheets[id]?.effectiveFrom = from
            splits.sheets[id]?.afterPlaySequence = afterPlay
            splits.activations[sheet.scope, default: []].append((from, id, afterPlay))
        }
        // A file not yet migrated to sheets on the plays' rows (ledger-6) keeps them apart.
        guard try !db.tableExists("ledger_play_splits") else {
            let plays = try Row.fetchCursor(db, sql: "SELECT play_sequence, sheet_id FROM ledger_play_splits")
            while let row = try plays.next() {
                guard let play = Strict.int(row, 0), let sheet = Strict.int(row, 1) else {
                    report.fail(.splits, "a row of ledger_play_splits is malformed")
                    continue
                }
                splits.playSheets[play] = sheet
            }
            return splits
        }
        // Every sheet's plays must be found by earnings statements: through a row naming the
        // sheet and the play's artist.
        var sheetArtists = Set<SheetArtist>()
        let named = try Row.fetchCursor(db, sql: "SELECT sheet_id, artist_id FROM ledger_split_sheet_artists")
        while let row = try named.next() {
            guard let sheet = Strict.int(row, 0), let artist = Strict.text(row, 1) else {
                report.fail(.splits, "a row of ledger_split_sheet_artists is malformed")
                continue
            }
            sheetArtists.insert(SheetArtist(sheetID: sheet, artistID: artist))
        }
        let plays = try Row.fetchCursor(db, sql: "SELECT sequence, split_sheet_id, artist_id, play_id FROM ledger_plays WHERE split_sheet_id IS NOT NULL")
        while let row = try plays.next() {
            guard let play = Strict.int(row, 0), let sheet = Strict.int(row, 1), let artist = Strict.text(row, 2) else {
                report.fail(.splits, "the split sheet of play #\(row[0] as DatabaseValue) is malformed")
                continue
            }
            splits.playSheets[play] = sheet
            if !sheetArtists.contains(SheetArtist(sheetID: sheet, artistID: artist)) {
                report.fail(.splits, playID: row[3] as String? ?? "#\(play)",
                            "was divided by split sheet \(sheet), which names no plays of artist \(artist): no earnings statement lists it")
            }
        }
        return splits
    }

    /// The artist parts a play charged under split sheet `sheetID` must have, as (position on
    /// the sheet, part, party): the rule's division of `artistPart` by the sheet. Reports
    /// a sheet that does not exist, cannot divide, had not taken effect when the play counted
    /// or was not the sheet in force for it then; nil if the parts cannot be worked out.
    mutating func splitParts(
        _ splits: VerifiedSplits, sheetID: Int64, playID: String, playSequence: Int64, track: String, artistPart: Int64, playedAt: Int64
    ) -> [(position: Int, amount: Int64, party: String)]? {
        func fail(_ detail: String) { report.fail(.splits, playID: playID, detail) }
        guard let sheet = splits.sheets[sheetID] else {
            fail("was divided by split sheet \(sheetID), which does not exist")
            return nil
        }
        guard sheet.divisible, artistPart >= 0 else {
            fail("was divided by split sheet \(sheetID), whose shares the rule cannot divide by")
            return nil
        }
        if case .track(let sheetTrack) = sheet.scope, sheetTrack != track {
            fail("was divided by split sheet \(sheetID) of track \(sheetTrack), not of its own track \(track)")
        }
        if let from = sheet.effectiveFrom, let afterPlay = sheet.afterPlaySequence {
            if from > playedAt {
                fail("was divided by split sheet \(sheetID), which took effect only at \(from) ms, after the play at \(playedAt) ms")
            } else if afterPlay >= playSequence {
                fail("was divided by split sheet \(sheetID), which took effect only after the play was recorded")
            } else if let inForce = splits.inForce(sheet.scope, at: playedAt, playSequence: playSequence), inForce != sheetID {
                fail("was divided by split sheet \(sheetID) but sheet \(inForce) of \(sheet.scope) was in force when it was played")
            }
        } else {
            fail("was divided by split sheet \(sheetID), which never took effect")
        }
        let amounts = SplitRule.divide(artistPart, by: sheet.parties.map(\.shareBasisPoints))
        return zip(sheet.parties, amounts).enumerated().map { position, part in (position, part.1, part.0.userID) }
    }
}
