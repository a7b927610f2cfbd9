import Foundation
import Ledger
import Testing
import TuttiTestSupport

@Suite("The split rule: floors, then the largest remainders", .ownThreads)
struct SplitRuleTests {
    struct Example: Sendable, CustomTestStringConvertible {
        let amount: Int64
        let shares: [Int]
        let parts: [Int64]
        var testDescription: String { "\(amount) by \(shares)" }
    }

    static let workedExamples: [Example] = [
        Example(amount: 1_400, shares: [5_000, 3_000, 2_000], parts: [700, 420, 280]),
        Example(amount: 1, shares: [3_334, 3_333, 3_333], parts: [1, 0, 0]),
        Example(amount: 2, shares: [3_334, 3_333, 3_333], parts: [1, 1, 0]),
        Example(amount: 1, shares: [5_000, 5_000], parts: [1, 0]),
        Example(amount: 3, shares: [2_500, 2_500, 2_500, 2_500], parts: [1, 1, 1, 0]),
        // 7 × 0.1 = 0.7 and 7 × 0.9 = 6.3: the 0.7 remainder beats the 0.3 one.
        Example(amount: 7, shares: [1_000, 9_000], parts: [1, 6]),
        Example(amount: 0, shares: [1, 9_999], parts: [0, 0]),
        Example(amount: 10_000, shares: [1, 9_999], parts: [1, 9_999]),
        Example(amount: 1_000_000_000_000_000, shares: [1, 9_998, 1], parts: [100_000_000_000, 999_800_000_000_000, 100_000_000_000]),
        Example(amount: Int64.max, shares: [10_000], parts: [Int64.max]),
    ]

    @Test("worked examples: exact shares, leftovers to the largest remainders, ties by sheet order", arguments: workedExamples)
    func examples(example: Example) {
        #expect(SplitRule.divide(example.amount, by: example.shares) == example.parts)
    }

    static let refusals: [(shares: [Int], reason: String)] = [
        ([], "at least one party"),
        ([10_000, 0], "at least 1 basis point"),
        ([5_000, 4_999], "sum to exactly 10,000"),
        ([10_001, -1], "at least 1 basis point"),
        ([Int.max, Int.max, 2], "sum to exactly 10,000"),
        (Array(repeating: 200, count: 50) + [1], "at most 50 parties"),
    ]

    @Test("shares that are not a whole are refused with the reason", arguments: refusals)
    func refused(shares: [Int], reason: String) {
        #expect {
            try SplitRule.validate(shares)
        } throws: { error in
            guard case .invalidSplit(let text) = error as? LedgerError else { return false }
            return text.contains(reason)
        }
    }

    /// One million random charges on random sheets of 2–12 parties, prices from 1 unit to
    /// 10^15 (log-uniform, so small prices where rounding matters are common): the parts sum
    /// to the amount, each is its exact share rounded down or up (strictly within one unit),
    /// the units rounded up go to the largest remainders with ties by sheet order, and
    /// dividing the same charge again gives the same parts.
    ///
    /// The seed is printed with any failure; `SPLIT_RULE_SEED=n` replays it.
    @Test("a million random charges on random sheets keep every unit and each party within one unit of its share")
    func property() throws {
        let seed = ProcessInfo.processInfo.environment["SPLIT_RULE_SEED"].flatMap(UInt64.init)
            ?? UInt64(truncatingIfNeeded: Int64(Date().timeIntervalSince1970 * 1_000))
        var random = SplitMix(seed: seed)
        let charges = 1_000_000
        var firstFailure: String?
        var maximumPartiesSeen = 0
        var roundedUp = 0
        var shares = [Int](repeating: 0, count: 12)
        var weights = [UInt64](repeating: 0, count: 12)
        for index in 0..<charges {
            // A random sheet of 2–12 parties: random weights scaled to shares of at least 1
            // basis point, the rest of the 10,000 to a random party; or (one time in eight)
            // shares as equal as they can be, where ties decide.
            let parties = 2 + Int(random.next() % 11)
            maximumPartiesSeen = max(maximumPartiesSeen, parties)
            shares.removeAll(keepingCapacity: true)
            if random.next() % 8 == 0 {
                for party in 0..<parties { shares.append(10_000 / parties + (party < 10_000 % parties ? 1 : 0)) }
            } else {
                var total: UInt64 = 0
                for party in 0..<parties {
                    weights[party] = 1 + random.next() % 1_000_000
                    total += weights[party]
                }
                var given = 0
                for party in 0..<parties {
                    let share = 1 + Int(weights[party] * UInt64(10_000 - parties) / total)
                    shares.append(share)
                    given += share
                }
                shares[Int(random.next() % UInt64(parties))] += 10_000 - given
            }
            // A price of 1...10^15 units: a random number of digits, then a random value.
            var ceiling: UInt64 = 10
            for _ in 0..<(random.next() % 15) { ceiling *= 10 }
            let amount: Int64 = switch random.next() % 64 {
            case 0: 1
            case 1: 1_000_000_000_000_000
            default: Int64(1 + random.next() % ceiling)
            }

            let parts = SplitRule.divide(amount, by: shares)
            switch Self.check(amount: amount, shares: shares, parts: parts) {
            case .failure(let problem):
                firstFailure = "seed \(seed), charge \(index): \(amount) by \(shares) gave \(parts): \(problem)"
            case .success(let up):
                roundedUp += up
                if SplitRule.divide(amount, by: shares) != parts {
                    firstFailure = "seed \(seed), charge \(index): \(amount) by \(shares) divided twice gave different parts"
                }
            }
            if firstFailure != nil { break }
        }
        #expect(firstFailure == nil, "\(firstFailure ?? "") (replay with SPLIT_RULE_SEED=\(seed))")
        // The generator really made the cases the property is about.
        #expect(maximumPartiesSeen == 12, "seed \(seed)")
        #expect(roundedUp > charges / 2, "seed \(seed): few charges had a remainder to hand out")
    }

    struct Problem: Error { let text: String }

    /// Whether `parts` is the rule's division of `amount` (at most 10^15) by `shares`, and how
    /// many parts were rounded up. Worked out independently of the rule, in unsigned 64-bit
    /// integers (10^15 × 10,000 fits), without allocating.
    static func check(amount: Int64, shares: [Int], parts: [Int64]) -> Result<Int, Problem> {
        guard parts.count == shares.count else { return .failure(Problem(text: "\(parts.count) parts for \(shares.count) shares")) }
        var sum: Int64 = 0
        var up = 0
        // The weakest party rounded up (smallest remainder, latest on the sheet among equals)
        // and the strongest rounded down (largest remainder, earliest among equals).
        var weakestUp: (remainder: UInt64, index: Int)?
        var strongestDown: (remainder: UInt64, index: Int)?
        var index = 0
        while index < shares.count {
            let exact = UInt64(amount) * UInt64(shares[index])  // the exact share, times 10,000
            let scaled = UInt64(parts[index]) * 10_000
            sum += parts[index]
            let remainder = exact % 10_000
            if scaled > exact {
                guard scaled - exact < 10_000 else { return .failure(Problem(text: "party \(index) got a unit or more above its exact share")) }
                up += 1
                if weakestUp.map({ remainder <= $0.remainder }) ?? true { weakestUp = (remainder, index) }
            } else {
                guard exact - scaled < 10_000 else { return .failure(Problem(text: "party \(index) got a unit or more below its exact share")) }
                if strongestDown.map({ remainder > $0.remainder }) ?? true { strongestDown = (remainder, index) }
            }
            index += 1
        }
        guard sum == amount else { return .failure(Problem(text: "the parts sum to \(sum)")) }
        // Every party rounded up must beat every party rounded down: a larger remainder, or an
        // equal one and an earlier place on the sheet.
        if let weakest = weakestUp, let strongest = strongestDown,
           weakest.remainder < strongest.remainder || (weakest.remainder == strongest.remainder && weakest.index > strongest.index) {
            return .failure(Problem(text: "party \(weakest.index) got a leftover unit before party \(strongest.index)"))
        }
        return .success(up)
    }
}
