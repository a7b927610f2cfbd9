import Foundation

/// Instants are stored as whole milliseconds since 1970-01-01T00:00:00Z (`Int64`), so they
/// hash and compare exactly.
package enum Timestamp {
    /// `date` to the nearest millisecond. Round-trips exactly with `date(_:)`.
    package static func milliseconds(_ date: Date) throws(LedgerError) -> Int64 {
        let value = (date.timeIntervalSince1970 * 1000).rounded()
        // ±2^62 ms is ±146 million years: far beyond any real instant, safely inside Int64.
        guard value.isFinite, abs(value) < 4.6e18 else { throw .invalidRequest("time \(date) is out of range") }
        return Int64(value)
    }

    package static func date(_ milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    /// `Date.distantPast` in milliseconds: when the default pricing version takes effect.
    package static let distantPast: Int64 = Int64((Date.distantPast.timeIntervalSince1970 * 1000).rounded())
}
