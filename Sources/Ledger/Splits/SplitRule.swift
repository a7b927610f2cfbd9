/// The rule that divides an amount among a split sheet's parties (PRODUCT.md, "Royalty
/// splits"): each party gets its share rounded down, and the units left over go one each to
/// the parties with the largest remainders, ties going to the party earlier on the sheet.
/// The parts always sum to the amount, and each is within one unit of its exact share.
public enum SplitRule {
    /// The whole, in basis points: shares sum to exactly this.
    public static let wholeBasisPoints = 10_000

    /// `amount` divided by `shares` (basis points, in sheet order), one part per share, in
    /// the same order.
    ///
    /// Works at double width: any amount up to `Int64.max` divides without overflow.
    ///
    /// - Precondition: `amount >= 0`; every share is at least 1 and they sum to 10,000
    ///   (``validate(_:)`` checks this for input that came from outside).
    public static func divide(_ amount: Int64, by shares: [Int]) -> [Int64] {
        precondition(amount >= 0, "amounts to divide are never negative")
        let count = shares.count
        var parts = [Int64](repeating: 0, count: count)
        // Kept off the heap: the rule runs once per play under a sheet.
        return withUnsafeTemporaryAllocation(of: Int64.self, capacity: count) { remainders in
            var given: Int64 = 0
            var total = 0
            var index = 0
            while index < count {
                let share = shares[index]
                precondition(share >= 1 && share <= wholeBasisPoints, "shares are at least 1 basis point each and sum to 10,000")
                total += share
                let product = amount.multipliedFullWidth(by: Int64(share))
                let (quotient, remainder) = Int64(wholeBasisPoints).dividingFullWidth(product)
                parts[index] = quotient
                remainders[index] = remainder
                given += quotient  // at most `amount`: the floors of shares summing to the whole
                index += 1
            }
            precondition(total == wholeBasisPoints, "shares are at least 1 basis point each and sum to 10,000")
            // Fewer leftover units than parties: the fractional parts sum to less than their
            // count. Each goes to the largest remainder not served yet, the earliest on the
            // sheet among equals (a strict `>` keeps the first); a served one is marked -1.
            var leftover = amount - given
            while leftover > 0 {
                var best = 0
                var candidate = 1
                while candidate < count {
                    if remainders[candidate] > remainders[best] { best = candidate }
                    candidate += 1
                }
                parts[best] += 1
                remainders[best] = -1
                leftover -= 1
            }
            return parts
        }
    }

    /// The most parties a sheet may name.
    public static let maximumParties = 50

    /// Refuses shares the rule cannot divide by: none, more than ``maximumParties``, a share
    /// below 1 basis point, or a total other than 10,000.
    public static func validate(_ shares: [Int]) throws(LedgerError) {
        guard !shares.isEmpty else { throw .invalidSplit("a split sheet names at least one party") }
        guard shares.count <= maximumParties else {
            throw .invalidSplit("a split sheet names at most \(maximumParties) parties, got \(shares.count)")
        }
        if let low = shares.first(where: { $0 < 1 }) {
            throw .invalidSplit("each share is at least 1 basis point, got \(low)")
        }
        guard shares.allSatisfy({ $0 <= wholeBasisPoints }), shares.reduce(0, +) == wholeBasisPoints else {
            throw .invalidSplit("shares must sum to exactly 10,000 basis points, got \(shares.reduce(0) { $0 &+ $1 })")
        }
    }
}
