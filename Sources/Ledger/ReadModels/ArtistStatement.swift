import Foundation
import GRDB

/// Every counted play of an artist's tracks in a period, with totals.
public struct ArtistStatement: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        public let playID: String
        public let trackID: String
        public let playedAt: Date
        /// Minor units paid by the listener.
        public let price: Int64
        public let artistPart: Int64
        public let cooperativePart: Int64
        public let pricingVersion: Int
    }

    public let artistID: String
    /// Oldest first.
    public let rows: [Row]
    public var totalPrice: Int64 { rows.reduce(0) { $0 + $1.price } }
    public var totalArtistPart: Int64 { rows.reduce(0) { $0 + $1.artistPart } }
    public var totalCooperativePart: Int64 { rows.reduce(0) { $0 + $1.cooperativePart } }

    /// The statement as CSV (RFC 4180), one line per play and a final totals line. Times are
    /// ISO 8601 UTC with milliseconds; amounts in units and, beside, in credits.
    public func csv() -> String {
        var csv = CSV(header: [
            "play_id", "track_id", "played_at", "price_units", "artist_part_units", "cooperative_part_units",
            "pricing_version", "price_credits", "artist_part_credits",
        ])
        let format = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        for row in rows {
            csv.append([
                row.playID, row.trackID, row.playedAt.formatted(format), String(row.price), String(row.artistPart),
                String(row.cooperativePart), String(row.pricingVersion), Money.format(row.price), Money.format(row.artistPart),
            ])
        }
        csv.append([
            "total", "", "", String(totalPrice), String(totalArtistPart), String(totalCooperativePart), "",
            Money.format(totalPrice), Money.format(totalArtistPart),
        ])
        return csv.text
    }
}

extension Ledger {
    /// The counted plays of `artist`'s tracks played in `from..<until` (default: all time),
    /// oldest first, whose artist part went to `artist` alone (the default split sheet).
    /// Plays divided by a split sheet are in each party's ``earningsStatement(of:from:until:)``.
    public func statement(artist: String, from: Date? = nil, until: Date? = nil) throws(LedgerError) -> ArtistStatement {
        try Identifiers.check(artist, "artist id")
        let start = try from.map { date throws(LedgerError) in try Timestamp.milliseconds(date) } ?? Int64.min
        let end = try until.map { date throws(LedgerError) in try Timestamp.milliseconds(date) } ?? Int64.max
        return try read { db in
            let rows = try GRDB.Row.fetchAll(db, sql: """
                SELECT play_id, track_id, played_at_ms, price, artist_part, cooperative_part, pricing_version
                FROM ledger_plays p WHERE artist_id = ? AND played_at_ms >= ? AND played_at_ms < ?
                  AND split_sheet_id IS NULL
                ORDER BY played_at_ms, sequence
                """, arguments: [artist, start, end])
            return ArtistStatement(artistID: artist, rows: rows.map { row in
                ArtistStatement.Row(
                    playID: row["play_id"], trackID: row["track_id"], playedAt: Timestamp.date(row["played_at_ms"]),
                    price: row["price"], artistPart: row["artist_part"], cooperativePart: row["cooperative_part"],
                    pricingVersion: row["pricing_version"])
            })
        }
    }
}
