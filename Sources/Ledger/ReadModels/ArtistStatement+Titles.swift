import Foundation

extension ArtistStatement {
    /// The statement as CSV (RFC 4180) with each track's title beside its id, for people
    /// reading it in a spreadsheet: one line per play and a final totals line. Times are ISO
    /// 8601 UTC with milliseconds; amounts in units and, beside, in credits.
    ///
    /// A title that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`,
    /// tab or CR) is written with a leading `'`.
    ///
    /// - Parameter trackTitles: Titles by track id; a missing one is left empty.
    public func csv(trackTitles: [String: String]) -> String {
        var csv = CSV(header: [
            "play_id", "track_id", "track_title", "played_at", "price_units", "artist_part_units", "cooperative_part_units",
            "pricing_version", "price_credits", "artist_part_credits", "cooperative_part_credits",
        ])
        let format = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        for row in rows {
            csv.append([
                row.playID, row.trackID, Self.inert(trackTitles[row.trackID] ?? ""), row.playedAt.formatted(format),
                String(row.price), String(row.artistPart), String(row.cooperativePart), String(row.pricingVersion),
                Money.format(row.price), Money.format(row.artistPart), Money.format(row.cooperativePart),
            ])
        }
        csv.append([
            "total", "", "", "", String(totalPrice), String(totalArtistPart), String(totalCooperativePart), "",
            Money.format(totalPrice), Money.format(totalArtistPart), Money.format(totalCooperativePart),
        ])
        return csv.text
    }

    /// `text` with a leading `'` if a spreadsheet would treat it as a formula.
    static func inert(_ text: String) -> String {
        guard let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return text }
        return "'" + text
    }
}
