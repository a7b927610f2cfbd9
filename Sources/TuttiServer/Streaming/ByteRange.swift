/// What a `Range` header asks of a representation of `size` bytes (RFC 9110 §14).
enum RangeSelection: Equatable {
    /// No usable Range header: send the whole representation (200).
    case whole
    /// Send these bytes (206). Several requested ranges are coalesced into the one range
    /// that spans them, which RFC 9110 §14.2 allows a server to send as a single part.
    case partial(ClosedRange<Int64>)
    /// No requested range overlaps the representation (416 with `bytes */size`).
    case unsatisfiable

    /// More ranges than this in one header are treated as abuse and the header is ignored.
    static let maximumRanges = 64
    /// Longest Range header considered, in bytes.
    static let maximumHeaderLength = 1_024

    /// Interprets `header` for a representation of `size` bytes. A header that is malformed,
    /// uses another unit, or is absurdly long is ignored, as RFC 9110 §14.2 requires.
    init(header: String?, size: Int64) {
        guard let header, header.utf8.count <= Self.maximumHeaderLength else { self = .whole; return }
        let trimmed = header.trimmingWhitespace()
        guard trimmed.lowercased().hasPrefix("bytes=") else { self = .whole; return }
        let specs = trimmed.dropFirst(6).split(separator: ",", omittingEmptySubsequences: false)
        guard !specs.isEmpty, specs.count <= Self.maximumRanges else { self = .whole; return }
        var lower: Int64?
        var upper: Int64?
        for spec in specs {
            guard let range = Self.parse(spec.trimmingWhitespace()) else { self = .whole; return }
            guard let satisfiable = range.clamped(toSize: size) else { continue }
            lower = min(lower ?? satisfiable.lowerBound, satisfiable.lowerBound)
            upper = max(upper ?? satisfiable.upperBound, satisfiable.upperBound)
        }
        if let lower, let upper { self = .partial(lower...upper) } else { self = .unsatisfiable }
    }

    /// One range-spec: "first-last", "first-" or "-suffixLength".
    private enum Spec {
        case from(Int64, through: Int64?)
        case suffix(Int64)

        /// The bytes of a `size`-byte representation it selects, or nil when none.
        func clamped(toSize size: Int64) -> ClosedRange<Int64>? {
            switch self {
            case .from(let first, let last):
                guard first < size else { return nil }
                return first...min(last ?? (size - 1), size - 1)
            case .suffix(let length):
                guard length > 0, size > 0 else { return nil }
                return max(0, size - length)...(size - 1)
            }
        }
    }

    private static func parse(_ spec: Substring) -> Spec? {
        guard let dash = spec.firstIndex(of: "-") else { return nil }
        let first = spec[..<dash]
        let last = spec[spec.index(after: dash)...]
        if first.isEmpty {
            guard let length = number(last) else { return nil }
            return .suffix(length)
        }
        guard let start = number(first) else { return nil }
        if last.isEmpty { return .from(start, through: nil) }
        guard let end = number(last), end >= start else { return nil }
        return .from(start, through: end)
    }

    /// A non-negative decimal of at most 18 digits (so it cannot overflow Int64).
    private static func number(_ text: Substring) -> Int64? {
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int64(text)
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (HTTP's OWS).
    func trimmingWhitespace() -> Substring {
        let string = Substring(self)
        let start = string.firstIndex { $0 != " " && $0 != "\t" } ?? string.endIndex
        let end = string.lastIndex { $0 != " " && $0 != "\t" }.map { string.index(after: $0) } ?? start
        return string[start..<Swift.max(start, end)]
    }
}
