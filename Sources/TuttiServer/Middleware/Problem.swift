import AudioCore
import Catalog
import FoundationEssentials
import Hummingbird
import Ledger
import Logging
import NIOCore
import TuttiStorage

/// An RFC 9457 problem: every error Tutti's API returns has this shape.
public struct Problem: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var title: String
    /// A sentence for a person: what went wrong and what to do.
    public var detail: String
    /// Extra members, e.g. the price and balance of a 402.
    public var extensions: [String: ProblemValue]
    public var headers: HTTPFields
    /// The problem type (RFC 9457 §3.1.1): `about:blank` unless a problem has a type of its own,
    /// such as ``ProblemType/spendingLimit``.
    public var type = "about:blank"

    public init(_ status: HTTPResponse.Status, title: String, detail: String, extensions: [String: ProblemValue] = [:], headers: HTTPFields = [:]) {
        self.status = status
        self.title = title
        self.detail = detail
        self.extensions = extensions
        self.headers = headers
    }

    public static let mediaType = "application/problem+json"

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var body: [String: ProblemValue] = extensions
        body["type"] = .string(type)
        body["title"] = .string(title)
        body["status"] = .int(Int64(status.code))
        body["detail"] = .string(detail)
        body["instance"] = .string(request.uri.path)
        let data = try JSONEncoder.tutti.encode(body)
        var headers = self.headers
        headers[.contentType] = Self.mediaType
        // A HEAD response carries the headers only.
        let buffer = request.method == .head ? ByteBuffer() : ByteBuffer(bytes: data)
        if request.method == .head { headers[.contentLength] = String(data.count) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
    }
}

/// A JSON value in a problem's extension members.
public enum ProblemValue: Encodable, Sendable, Equatable {
    case string(String)
    case int(Int64)
    case bool(Bool)

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        }
    }
}

/// Turns every error a handler throws into a problem+json response, so clients see one
/// shape and a human sentence, and nothing internal leaks.
public struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            return try problem.response(from: request, context: context)
        } catch {
            return try Self.problem(for: error, context: context).response(from: request, context: context)
        }
    }

    static func problem(for error: any Error, context: Context) -> Problem {
        switch error {
        case let error as CatalogError:
            return Problem(for: error)
        case let error as LedgerError:
            if case .database = error {
                context.logger.error("ledger database error", metadata: ["error": "\(error)"])
            }
            return Problem(for: error)
        case is NIOTooManyBytesError:
            return Problem(.contentTooLarge, title: "Content Too Large", detail: "The request body is too large.")
        case let error as HTTPError:
            return Problem(for: error)
        case let error as DecodingError:
            return Problem(.badRequest, title: "Malformed request body", detail: Self.describe(error))
        case let error where Storage.isFull(error):
            context.logger.warning("disk full: a database write was refused", metadata: ["error": "\(error)"])
            return .storageFull(nothing: "nothing was saved")
        case let error as UploadFileError where error.isOutOfSpace:
            context.logger.warning("disk full: an upload was refused", metadata: ["error": "\(error)"])
            return Problem(HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"), title: "Storage full",
                           detail: "The server's disk is full, so the upload was not kept; try again once an operator has made room.")
        default:
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            return Problem(.internalServerError, title: "Internal error", detail: "Something went wrong on our side; it has been logged.")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): "The field '\(key.stringValue)' is missing."
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            "The field '\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type."
        case .dataCorrupted(let context):
            context.codingPath.isEmpty ? "The body is not valid JSON." : "The field '\(context.codingPath.map(\.stringValue).joined(separator: "."))' is not valid."
        @unknown default: "The body could not be read."
        }
    }
}

extension Problem {
    init(for error: CatalogError) {
        switch error {
        case .invalidUsername, .invalidPassword, .invalidField:
            self.init(.unprocessableContent, title: "Invalid value", detail: error.description.prefix(1).uppercased() + error.description.dropFirst() + ".")
        case .usernameTaken:
            self.init(.conflict, title: "Username taken", detail: "That username is taken; choose another.")
        case .invalidCredentials:
            self.init(.unauthorized, title: "Wrong username or password", detail: "The username or the password is wrong.")
        case .notFound(let kind, _):
            self.init(.notFound, title: "Not found", detail: "There is no such \(kind), or it is not visible to you.")
        case .forbidden(let reason):
            self.init(.forbidden, title: "Not allowed", detail: reason.prefix(1).uppercased() + reason.dropFirst() + ".")
        case .conflict(let reason):
            self.init(.conflict, title: "Conflict", detail: reason.prefix(1).uppercased() + reason.dropFirst() + ".")
        case .jobTakenOver:
            // The transcode queue's own: no request handler meets it.
            self.init(.internalServerError, title: "Internal error", detail: "The server failed; try again.")
        }
    }

    init(for error: HTTPError) {
        let status = error.status
        let detail: String
        switch status {
        case .notFound: detail = "There is nothing at this address."
        case .methodNotAllowed: detail = "This address does not accept that method."
        case .contentTooLarge: detail = "The request body is too large."
        case .unauthorized: detail = "Sign in first."
        default: detail = error.body ?? (status.reasonPhrase.isEmpty ? "The request failed." : status.reasonPhrase + ".")
        }
        self.init(status, title: status.reasonPhrase, detail: error.body ?? detail, headers: error.headers)
    }
}
