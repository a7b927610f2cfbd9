import Catalog
import FoundationEssentials
import HTTPTypes
import Hummingbird

extension AppServices {
    /// Titles of `ids`, deleted tracks included: plays and payments keep their history.
    func trackTitles(_ ids: some Collection<String>) async throws -> [String: String] {
        try await tracks.titles(of: ids)
    }

    /// The users of `ids` that exist, by id.
    func users(_ ids: some Collection<String>) async throws -> [String: User] {
        try await accounts.users(ids)
    }
}

/// What the money routes read from requests, refused with a clear problem when malformed.
enum MoneyRequest {
    static let idempotencyKeyHeader = HTTPField.Name("Idempotency-Key")!

    /// What `idempotencyKey(_:)` accepts, as the document declares it.
    static let idempotencyKeyPattern = "^[!-~]{1,200}$"

    /// The `Idempotency-Key` header: 1 to 200 visible ASCII characters, required.
    static func idempotencyKey(_ request: Request) throws -> String {
        guard let key = request.headers[idempotencyKeyHeader] else {
            throw Problem(.badRequest, title: "Idempotency-Key required",
                          detail: "Send an 'Idempotency-Key' header with a value unique to this request (e.g. a UUID), so a retry cannot book it twice.")
        }
        guard (1...200).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else {
            throw Problem(.badRequest, title: "Malformed Idempotency-Key", detail: "The Idempotency-Key must be 1 to 200 visible ASCII characters.")
        }
        return key
    }

    /// Whether the client asked for CSV: `?format=csv` or an `Accept` naming `text/csv`.
    static func wantsCSV(_ request: Request) throws -> Bool {
        switch request.uri.queryParameters.get("format") {
        case "csv": return true
        case "json": return false
        case nil: return request.headers[.accept]?.lowercased().contains("text/csv") ?? false
        case let other?:
            throw Problem(.badRequest, title: "Unknown format", detail: "format must be 'json' or 'csv', got '\(other.prefix(20))'.")
        }
    }

    /// A CSV download.
    static func csv(_ text: String, filename: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(filename)\""],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
