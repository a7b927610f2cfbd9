import FoundationEssentials
import Hummingbird

/// A Subsonic request's parameters: the query string and, for a POST, a form body
/// (`application/x-www-form-urlencoded`), in order, names repeated where a list is meant
/// (`id=1&id=2`).
struct SubsonicParameters: Sendable {
    private(set) var pairs: [(String, String)]

    /// Form bodies are small: credentials and a few ids.
    static let bodyLimit = 64 * 1024

    init(pairs: [(String, String)]) {
        self.pairs = pairs
    }

    /// The parameters of `request`, reading a form body if there is one.
    static func read(_ request: Request) async throws -> SubsonicParameters {
        var pairs = parse(request.uri.query ?? "")
        if request.method == .post {
            let type = request.headers[.contentType]?.lowercased() ?? ""
            let body = try await request.body.collect(upTo: bodyLimit)
            if type.hasPrefix("application/x-www-form-urlencoded") || (type.isEmpty && body.readableBytes > 0) {
                pairs += parse(String(buffer: body))
            }
        }
        return SubsonicParameters(pairs: pairs)
    }

    /// `name=value&...`, percent-decoded, `+` as a space; malformed escapes kept as they are.
    static func parse(_ text: String) -> [(String, String)] {
        text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), utf8.count >= 2, let high = hexValue(utf8[utf8.startIndex]),
                      let low = hexValue(utf8[utf8.startIndex + 1]) {
                bytes.append(high << 4 | low)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    func first(_ name: String) -> String? {
        pairs.first { $0.0 == name }?.1
    }

    func all(_ name: String) -> [String] {
        pairs.filter { $0.0 == name }.map(\.1)
    }

    func contains(_ name: String) -> Bool {
        pairs.contains { $0.0 == name }
    }

    /// A parameter that must be there (error 10 otherwise).
    func required(_ name: String) throws(SubsonicError) -> String {
        guard let value = first(name) else { throw .missing(name) }
        return value
    }

    /// An integer in `range`; `fallback` when absent (error 0 for text or a number out of range).
    func integer(_ name: String, in range: ClosedRange<Int>, default fallback: Int? = nil) throws(SubsonicError) -> Int? {
        guard let text = first(name) else { return fallback }
        guard let value = Int(text.trimmingWhitespace()), range.contains(value) else {
            throw .invalid(name, "expected a whole number from \(range.lowerBound) to \(range.upperBound), got '\(text.prefix(40))'")
        }
        return value
    }

    /// `true` / `false` (any case); `fallback` when absent.
    func boolean(_ name: String, default fallback: Bool) throws(SubsonicError) -> Bool {
        guard let text = first(name) else { return fallback }
        switch text.lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        default: throw .invalid(name, "expected true or false")
        }
    }
}
