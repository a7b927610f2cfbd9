import FoundationEssentials

/// Reads the two instant forms the API accepts, exactly as JSON Schema's `date-time` and
/// `date` formats define them (RFC 3339 §5.6): `2026-03-01T12:00:00Z`,
/// `2026-03-01T12:00:00.250+01:00` (`t` and `z` in either case, any number of fraction
/// digits, offsets up to ±23:59) and `2026-03-01` (midnight UTC).
///
/// Written by hand because Foundation's `ISO8601FormatStyle` does not read that grammar: it
/// accepts text after the time zone (`…00Z junk`), hour 24, day 30 of February and offsets
/// without a colon, and refuses offsets beyond ±18 hours, so the API would have refused
/// instants its document allows and accepted others it excludes.
enum RFC3339 {
    /// The instant `text` names, or nil if it is neither a `date-time` nor a `date`.
    static func instant(_ text: String) -> Date? {
        var reader = Reader(Array(text.utf8))
        guard let day = reader.fullDate() else { return nil }
        if reader.atEnd { return Date(timeIntervalSince1970: Double(day * 86_400)) }
        guard reader.take(anyOf: "Tt"), let time = reader.fullTime(), reader.atEnd else { return nil }
        return Date(timeIntervalSince1970: Double(day * 86_400 + time.seconds - time.offset) + time.fraction)
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { index == bytes.count }

        mutating func take(anyOf characters: String) -> Bool {
            guard index < bytes.count, characters.utf8.contains(bytes[index]) else { return false }
            index += 1
            return true
        }

        /// Exactly `count` decimal digits.
        mutating func number(_ count: Int) -> Int64? {
            guard index + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[index..<(index + count)] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            index += count
            return value
        }

        /// `YYYY-MM-DD` with a day that exists in that month: days since 1970-01-01.
        mutating func fullDate() -> Int64? {
            guard let year = number(4), take(anyOf: "-"), let month = number(2), take(anyOf: "-"), let day = number(2),
                  (1...12).contains(month), (1...RFC3339.days(inMonth: month, year: year)).contains(day) else { return nil }
            return RFC3339.daysFromCivil(year: year, month: month, day: day)
        }

        /// `HH:MM:SS[.fraction](Z|±HH:MM)`: seconds into the day, the fraction, and the
        /// offset from UTC in seconds.
        mutating func fullTime() -> (seconds: Int64, fraction: Double, offset: Int64)? {
            guard let hour = number(2), take(anyOf: ":"), let minute = number(2), take(anyOf: ":"), let second = number(2),
                  hour <= 23, minute <= 59, second <= 59 else { return nil }
            var fraction = 0.0
            if take(anyOf: ".") {
                let start = index
                var scale = 0.1
                while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                    fraction += Double(bytes[index] - UInt8(ascii: "0")) * scale
                    scale /= 10
                    index += 1
                }
                guard index > start else { return nil }
            }
            let offset: Int64
            if take(anyOf: "Zz") {
                offset = 0
            } else {
                guard index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") else { return nil }
                let sign: Int64 = bytes[index] == UInt8(ascii: "-") ? -1 : 1
                index += 1
                guard let hours = number(2), take(anyOf: ":"), let minutes = number(2), hours <= 23, minutes <= 59 else { return nil }
                offset = sign * (hours * 3_600 + minutes * 60)
            }
            return (hour * 3_600 + minute * 60 + second, fraction, offset)
        }
    }

    static func days(inMonth month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
