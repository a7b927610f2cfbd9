import Foundation

/// A listener's monthly spending limit and where they stand in the current month.
public struct SpendingLimit: Sendable, Equatable {
    public let listenerID: String
    /// The most plays and purchases may take from the wallet in one calendar month, minor units.
    public let monthlyLimit: Int64
    /// The IANA time zone whose calendar months the limit counts.
    public let timeZone: String
    /// Start and end of the month `spent` counts (end excluded).
    public let monthStart: Date
    public let monthEnd: Date
    /// Taken by plays and purchases in that month, minor units.
    public let spent: Int64

    /// Whether `identifier` names a time zone this server knows (IANA, e.g. `Europe/Berlin`).
    public static func isKnownTimeZone(_ identifier: String) -> Bool {
        CalendarMonth.timeZone(identifier) != nil
    }

    /// What may still be spent this month, minor units.
    public var remaining: Int64 { max(0, monthlyLimit - spent) }
}

/// Calendar months in a time zone, as milliseconds since 1970.
enum CalendarMonth {
    /// The time zone named `identifier` (IANA, e.g. `Europe/Berlin`), or nil if unknown.
    static func timeZone(_ identifier: String) -> TimeZone? {
        guard !identifier.isEmpty, identifier.utf8.count <= 64 else { return nil }
        return TimeZone(identifier: identifier)
    }

    /// The month containing `milliseconds` in `timeZone`: its start and the next month's start.
    static func containing(_ milliseconds: Int64, in timeZone: TimeZone) throws(LedgerError) -> (start: Int64, end: Int64) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let instant = Timestamp.date(milliseconds)
        let components = calendar.dateComponents([.year, .month], from: instant)
        guard let start = calendar.date(from: components), let end = calendar.date(byAdding: .month, value: 1, to: start) else {
            throw .invalidRequest("no calendar month contains \(instant) in \(timeZone.identifier)")
        }
        return (try Timestamp.milliseconds(start), try Timestamp.milliseconds(end))
    }
}
