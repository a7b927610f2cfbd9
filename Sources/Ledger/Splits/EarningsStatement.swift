import Foundation
import GRDB

/// Every part of an artist part one account earned in a period, whoever owns the tracks:
/// plays of its own tracks under the default sheet (all of the artist part) and plays
/// divided by split sheets that name it (its part by the rule).
public struct EarningsStatement: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        public let playID: String
        public let trackID: String
        public let playedAt: Date
        /// Minor units paid by the listener.
        public let price: Int64
        /// The artist part of the play, before division.
        public let artistPart: Int64
        /// The sheet that divided it; nil for the default sheet (all to the track's owner).
        public let sheetID: Int64?
        public let sheetScope: SplitScope?
        /// The sheet's version for its scope; 0 for the default sheet.
        public let sheetVersion: Int
        /// This account's share, in basis points (10,000 under the default sheet).
        public let shareBasisPoints: Int
        /// This account's role on the sheet ("owner" under the default sheet).
        public let role: String
        /// This account's part, in minor units.
        public let part: Int64
    }

    public let userID: String
    /// Oldest first.
    public let rows: [Row]
    public var totalPart: Int64 { rows.reduce(0) { $0 + $1.part } }

    /// The statement as CSV (RFC 4180), one line per play and a final totals line: play,
    /// track, release (from `releases`, by track id), sheet version, share and part. Times
    /// are ISO 8601 UTC with milliseconds; amounts in units and, beside, in credits. Titles
    /// that a spreadsheet would run as formulas are written with a leading `'`.
    public func csv(trackTitles: [String: String] = [:], releases: [String: (id: String, title: String)] = [:]) -> String {
        var csv = CSV(header: [
            "play_id", "track_id", "track_title", "release_id", "release_title", "played_at", "sheet_version", "role",
            "share_bp", "artist_part_units", "part_units", "part_credits",
        ])
        let format = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        for row in rows {
            let release = releases[row.trackID]
            csv.append([
                row.playID, row.trackID, ArtistStatement.inert(trackTitles[row.trackID] ?? ""), release?.id ?? "",
                ArtistStatement.inert(release?.title ?? ""), row.playedAt.formatted(format), String(row.sheetVersion),
                ArtistStatement.inert(row.role), String(row.shareBasisPoints), String(row.artistPart), String(row.part),
                Money.format(row.part),
            ])
        }
        csv.append(["total", "", "", "", "", "", "", "", "", String(rows.reduce(0) { $0 + $1.artistPart }), String(totalPart), Money.format(totalPart)])
        return csv.text
    }
}

extension Ledger {
    /// `user`'s earnings from plays counted in `from..<until` (default: all time), oldest
    /// first: see ``EarningsStatement``.
    public func earningsStatement(of user: String, from: Date? = nil, until: Date? = nil) throws(LedgerError) -> EarningsStatement {
        try Identifiers.check(user, "user id")
        let start = try from.map { date throws(LedgerError) in try Timestamp.milliseconds(date) } ?? Int64.min
        let end = try until.map { date throws(LedgerError) in try Timestamp.milliseconds(date) } ?? Int64.max
        return try read { db in
            var rows: [(sequence: Int64, row: EarningsStatement.Row)] = []
            let own = try GRDB.Row.fetchCursor(db, sql: """
                SELECT p.sequence, p.play_id, p.track_id, p.played_at_ms, p.price, p.artist_part FROM ledger_plays p
                WHERE p.artist_id = ? AND p.played_at_ms >= ? AND p.played_at_ms < ?
                  AND p.split_sheet_id IS NULL
                """, arguments: [user, start, end])
            while let row = try own.next() {
                let sequence: Int64 = row[0]
                rows.append((sequence, EarningsStatement.Row(
                    playID: row[1], trackID: row[2], playedAt: Timestamp.date(row[3]), price: row[4], artistPart: row[5],
                    sheetID: nil, sheetScope: nil, sheetVersion: 0, shareBasisPoints: SplitRule.wholeBasisPoints, role: "owner",
                    part: row[5])))
            }
            let sheetIDs = try Int64.fetchAll(db, sql: "SELECT sheet_id FROM ledger_split_parties WHERE party_id = ?", arguments: [user])
            for sheetID in sheetIDs {
                guard let sheet = try SplitSheetStore.load(db, id: sheetID),
                      let position = sheet.parties.firstIndex(where: { $0.userID == user }) else { continue }
                do { try SplitRule.validate(sheet.shares) } catch { throw LedgerError.database("split sheet \(sheetID) is not a whole: \(error)") }
                let party = sheet.parties[position]
                let plays = try GRDB.Row.fetchCursor(db, sql: """
                    SELECT p.sequence, p.play_id, p.track_id, p.played_at_ms, p.price, p.artist_part
                    FROM ledger_plays p
                    WHERE p.artist_id IN (SELECT artist_id FROM ledger_split_sheet_artists WHERE sheet_id = ?)
                      AND p.played_at_ms >= ? AND p.played_at_ms < ? AND p.split_sheet_id = ?
                    """, arguments: [sheetID, start, end, sheetID])
                while let row = try plays.next() {
                    let artistPart: Int64 = row[5]
                    let sequence: Int64 = row[0]
                    rows.append((sequence, EarningsStatement.Row(
                        playID: row[1], trackID: row[2], playedAt: Timestamp.date(row[3]), price: row[4], artistPart: artistPart,
                        sheetID: sheet.id, sheetScope: sheet.scope, sheetVersion: sheet.version, shareBasisPoints: party.shareBasisPoints,
                        role: party.role, part: SplitRule.divide(artistPart, by: sheet.shares)[position])))
                }
            }
            rows.sort { ($0.row.playedAt, $0.sequence) < ($1.row.playedAt, $1.sequence) }
            return EarningsStatement(userID: user, rows: rows.map(\.row))
        }
    }
}
