extension Money {
    /// `text` as a number of credits with up to six decimal places (e.g. "1.5", "0.002",
    /// "12") converted exactly to minor units, with integers only: "1.5" → 1_500_000.
    ///
    /// Accepts digits, optionally a point and one to six more digits; no sign, exponent,
    /// grouping or spaces. Returns nil for anything else, for more than six decimals (a
    /// fraction of a unit cannot be booked) and for amounts beyond `Int64`.
    public static func units(fromCredits text: String) -> Int64? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count == 2 ? parts[1] : ""
        guard !whole.isEmpty, whole.utf8.allSatisfy(isDigit) else { return nil }
        if parts.count == 2 {
            guard (1...6).contains(fraction.utf8.count), fraction.utf8.allSatisfy(isDigit) else { return nil }
        }
        guard let credits = Int64(whole) else { return nil }
        let padded = fraction + String(repeating: "0", count: 6 - fraction.utf8.count)
        guard let units = Int64(padded) else { return nil }
        let scaled = credits.multipliedReportingOverflow(by: unitsPerCredit)
        guard !scaled.overflow else { return nil }
        let total = scaled.partialValue.addingReportingOverflow(units)
        return total.overflow ? nil : total.partialValue
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (48...57).contains(byte) }
}
