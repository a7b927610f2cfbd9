/// Amounts of money are `Int64` minor units: 1 credit = 1,000,000 units.
public enum Money {
    /// Minor units in one credit.
    public static let unitsPerCredit: Int64 = 1_000_000

    /// `units` as a decimal number of credits with six places, e.g. 1_022_000 → "1.022000",
    /// computed with integers only.
    public static func format(_ units: Int64) -> String {
        let sign = units < 0 ? "-" : ""
        let magnitude = units.magnitude
        let perCredit = UInt64(unitsPerCredit)
        let fraction = String(magnitude % perCredit)
        return "\(sign)\(magnitude / perCredit).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)"
    }
}
