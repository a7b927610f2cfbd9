import Foundation

/// Instants are stored as whole milliseconds since 1970 (`Int64`), like the ledger's.
enum Timestamp {
    static func milliseconds(_ date: Date) throws(GovernanceError) -> Int64 {
        let value = (date.timeIntervalSince1970 * 1000).rounded()
        guard value.isFinite, abs(value) < 4.6e18 else { throw .invalid("time \(date) is out of range") }
        return Int64(value)
    }

    static func date(_ milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
