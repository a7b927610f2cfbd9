import Ledger
import Testing

@Suite("Credits typed by people, parsed exactly")
struct MoneyParsingTests {
    @Test("decimal credits become minor units with integers only", arguments: [
        ("1", Int64(1_000_000)), ("1.5", 1_500_000), ("0.002", 2_000), ("0.000001", 1), ("12.345678", 12_345_678),
        ("007.10", 7_100_000), ("0", 0), ("9223372036854.775807", Int64.max),
    ])
    func parses(text: String, units: Int64) {
        #expect(Money.units(fromCredits: text) == units)
        #expect(Money.units(fromCredits: Money.format(units)) == units)
    }

    @Test("anything else is refused rather than rounded", arguments: [
        "", ".5", "1.", "1.0000001", "-1", "+1", "1e3", "1,5", " 1", "1 ", "1.2.3", "0x10", "١", "9223372036854.775808",
        "99999999999999999999",
    ])
    func refuses(text: String) {
        #expect(Money.units(fromCredits: text) == nil)
    }
}
