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
    ///
    /// It reads the header's UTF-8 bytes in place (every range request of a stream passes
    /// here, on the event loop for ``SendfileHandler``): the grammar is ASCII, so any other
    /// byte in a range-spec makes the header malformed.
    init(header: String?, size: Int64) {
        guard var header, header.utf8.count <= Self.maximumHeaderLength else { self = .whole; return }
        self = header.withUTF8 { Self.select(Self.trimmingWhitespace($0[...]), size: size) }
    }

    private static func select(_ header: Slice<UnsafeBufferPointer<UInt8>>, size: Int64) -> RangeSelection {
        let unit = "bytes=".utf8
        guard header.count >= unit.count,
              zip(header, unit).allSatisfy({ byte, expected in asciiLowercased(byte) == expected }) else { return .whole }
        let specs = header.dropFirst(unit.count).split(separator: UInt8(ascii: ","), maxSplits: maximumRanges, omittingEmptySubsequences: false)
        guard specs.count <= maximumRanges else { return .whole }
        var lower: Int64?
        var upper: Int64?
        for spec in specs {
            guard let range = parse(trimmingWhitespace(spec)) else { return .whole }
            guard let satisfiable = range.clamped(toSize: size) else { continue }
            lower = min(lower ?? satisfiable.lowerBound, satisfiable.lowerBound)
            upper = max(upper ?? satisfiable.upperBound, satisfiable.upperBound)
        }
        if let lower, let upper { return .partial(lower...upper) }
        return .unsatisfiable
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

    private static func parse(_ spec: Slice<UnsafeBufferPointer<UInt8>>) -> Spec? {
        guard let dash = spec.firstIndex(of: UInt8(ascii: "-")) else { return nil }
        let first = spec[..<dash]
        let last = spec[(dash + 1)...]
        if first.isEmpty {
            guard let length = ASCIIDecimal.value(last) else { return nil }
            return .suffix(length)
        }
        guard let start = ASCIIDecimal.value(first) else { return nil }
        if last.isEmpty { return .from(start, through: nil) }
        guard let end = ASCIIDecimal.value(last), end >= start else { return nil }
        return .from(start, through: end)
    }

    private static func asciiLowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }

    /// Without leading and trailing spaces and tabs (HTTP's OWS).
    private static func trimmingWhitespace(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Slice<UnsafeBufferPointer<UInt8>> {
        let isWhitespace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let start = bytes.firstIndex(where: { !isWhitespace($0) }), let last = bytes.lastIndex(where: { !isWhitespace($0) }) else {
            return bytes[bytes.endIndex...]
        }
        return bytes[start...last]
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

/// Decimal numbers in HTTP text (range bounds, a signed URL's expiry), read from bytes.
enum ASCIIDecimal {
    /// A non-negative decimal of 1 to 18 digits (so it cannot overflow Int64), nothing else.
    static func value(_ digits: some Collection<UInt8>) -> Int64? {
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        var value: Int64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return value
    }
}
