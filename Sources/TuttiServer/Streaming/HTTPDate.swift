import FoundationEssentials

/// HTTP-dates (RFC 9110 §5.6.7): IMF-fixdate out; IMF-fixdate, RFC 850 and asctime in.
///
/// Hummingbird has a formatter like this, but it is internal to that package.
enum HTTPDate {
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// "Sun, 06 Nov 1994 08:49:37 GMT"
    static func format(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let (dayNumber, secondOfDay) = (floorDiv(seconds, 86_400), floorMod(seconds, 86_400))
        let (year, month, day) = civil(fromDays: dayNumber)
        let weekday = Int(floorMod(dayNumber + 4, 7))
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[weekday]), \(two(day)) \(months[Int(month) - 1]) \(year) \(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)) GMT"
    }

    /// Parses any of the three HTTP-date forms; nil if it is none of them.
    static func parse(_ text: String) -> Date? {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "-" }).map(String.init)
        var day: Int64?, month: Int64?, year: Int64?, time: [Int64]?
        switch parts.count {
        case 6 where parts[5] == "GMT":  // IMF-fixdate, or RFC 850 split at its dashes
            (day, month, year, time) = (Int64(parts[1]), monthNumber(parts[2]), Int64(parts[3]), clock(parts[4]))
            if let two = year, parts[3].count == 2 { year = two < 70 ? 2000 + two : 1900 + two }
        case 5:  // asctime: "Sun Nov  6 08:49:37 1994"
            (month, day, time, year) = (monthNumber(parts[1]), Int64(parts[2]), clock(parts[3]), Int64(parts[4]))
        default:
            return nil
        }
        guard let day, let month, let year, let time, (1...31).contains(day), time[0] < 24, time[1] < 60, time[2] < 61 else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        return Date(timeIntervalSince1970: Double(days * 86_400 + time[0] * 3600 + time[1] * 60 + time[2]))
    }

    private static func monthNumber(_ name: String) -> Int64? {
        months.firstIndex(of: name).map { Int64($0) + 1 }
    }

    private static func clock(_ text: String) -> [Int64]? {
        let fields = text.split(separator: ":").compactMap { Int64($0) }
        return fields.count == 3 ? fields : nil
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { (a - floorMod(a, b)) / b }
    private static func floorMod(_ a: Int64, _ b: Int64) -> Int64 { ((a % b) + b) % b }

    // Howard Hinnant's civil-from-days algorithms (proleptic Gregorian calendar).
    private static func civil(fromDays z: Int64) -> (Int64, Int64, Int64) {
        let z = z + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
