import FoundationEssentials
import Hummingbird

/// Reads query parameters the way the OpenAPI document declares them: a parameter that is
/// present but not a value its schema allows (empty, a word where a number goes, out of
/// range, not one of the choices) is refused with a 400 problem naming it, never replaced
/// by the default. Absent parameters take their default.
///
/// The document's side of each reader is in `OpenAPIDocument` (`pagingParameters`,
/// `integerQuery`, `choiceQuery`, `instantQuery`): a route that reads a parameter here
/// declares it there with the same bounds.
enum RequestQuery {
    /// An optional integer within `range`: decimal digits with an optional leading '-'.
    static func integer(_ request: Request, _ name: String, in range: ClosedRange<Int64>) throws -> Int64? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        guard Self.isDecimal(text), let value = Int64(text), range.contains(value) else {
            throw Problem(.badRequest, title: "Invalid \(name)", detail: "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound).")
        }
        return value
    }

    /// Paging of a list: `limit` (1 to `maximumLimit`, default `defaultLimit`) and `offset`
    /// (0 or more, default 0).
    static func paging(_ request: Request, defaultLimit: Int = 20, maximumLimit: Int = 100) throws -> (limit: Int, offset: Int) {
        let limit = try integer(request, "limit", in: 1...Int64(maximumLimit)).map(Int.init) ?? defaultLimit
        let offset = try integer(request, "offset", in: 0...Int64(Int32.max)).map(Int.init) ?? 0
        return (limit, offset)
    }

    /// An optional parameter that must be one of `choices`.
    static func choice(_ request: Request, _ name: String, among choices: [String]) throws -> String? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        guard choices.contains(text) else {
            throw Problem(.badRequest, title: "Invalid \(name)",
                          detail: "\(name) must be \(choices.map { "'\($0)'" }.joined(separator: ", ")); got '\(text.prefix(20))'.")
        }
        return text
    }

    /// An optional instant: an RFC 3339 time (`2026-03-01T12:00:00Z`, optionally with
    /// fractional seconds and an offset) or a day (`2026-03-01`, midnight UTC).
    static func instant(_ request: Request, _ name: String) throws -> Date? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        if let date = parseInstant(text) { return date }
        throw Problem(.badRequest, title: "Invalid \(name)",
                      detail: "\(name) must be an RFC 3339 time such as 2026-03-01T12:00:00Z or a day such as 2026-03-01.")
    }

    /// JSON Schema's `date-time` or `date` (see ``RFC3339``).
    static func parseInstant(_ text: String) -> Date? {
        RFC3339.instant(text)
    }

    /// `-?[0-9]+`: Swift's `Int64("+5")` also reads a leading '+', which a JSON Schema
    /// integer in a query string does not allow.
    private static func isDecimal(_ text: String) -> Bool {
        let digits = text.utf8.first == UInt8(ascii: "-") ? text.utf8.dropFirst() : text.utf8[...]
        return !digits.isEmpty && digits.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}
