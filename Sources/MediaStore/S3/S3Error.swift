import Foundation

/// What an S3-compatible store answered when it refused a request: the `<Error>` document of
/// its response (or, for a `HEAD`, which has no body, what the status alone says).
public struct S3Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// S3's error code, e.g. `NoSuchKey`. Codes not listed here keep their text.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let noSuchKey = Code("NoSuchKey")
        public static let noSuchBucket = Code("NoSuchBucket")
        public static let noSuchUpload = Code("NoSuchUpload")
        public static let accessDenied = Code("AccessDenied")
        public static let signatureDoesNotMatch = Code("SignatureDoesNotMatch")
        public static let invalidAccessKeyID = Code("InvalidAccessKeyId")
        public static let requestTimeTooSkewed = Code("RequestTimeTooSkewed")
        public static let expiredToken = Code("ExpiredToken")
        public static let invalidRange = Code("InvalidRange")
        public static let invalidPart = Code("InvalidPart")
        public static let entityTooSmall = Code("EntityTooSmall")
        public static let entityTooLarge = Code("EntityTooLarge")
        public static let badDigest = Code("BadDigest")
        public static let contentSHA256Mismatch = Code("XAmzContentSHA256Mismatch")
        public static let bucketAlreadyOwnedByYou = Code("BucketAlreadyOwnedByYou")
        public static let bucketAlreadyExists = Code("BucketAlreadyExists")
        public static let quotaExceeded = Code("QuotaExceeded")
        public static let slowDown = Code("SlowDown")
        public static let internalError = Code("InternalError")
        public static let serviceUnavailable = Code("ServiceUnavailable")
    }

    public let code: Code
    /// The HTTP status of the response.
    public let status: Int
    /// The store's sentence for a person.
    public let message: String
    /// What was asked: `GetObject`, `PutObject`, `UploadPart`...
    public let operation: String
    /// The object's key, when the request named one.
    public let key: String?
    /// The store's request id, for its logs.
    public let requestID: String?

    public init(code: Code, status: Int, message: String, operation: String, key: String?, requestID: String? = nil) {
        self.code = code
        self.status = status
        self.message = message
        self.operation = operation
        self.key = key
        self.requestID = requestID
    }

    public var description: String {
        "\(operation)\(key.map { " \($0)" } ?? ""): \(code) (HTTP \(status)): \(message)"
            + (requestID.map { " [request \($0)]" } ?? "")
    }

    /// Whether trying again later may succeed (the store was busy or failed inside).
    public var isTransient: Bool {
        status >= 500 || code == .slowDown || code == .requestTimeTooSkewed
    }

    /// The error an S3 response carries: its `<Error>` document if `body` holds one, else one
    /// made from the status.
    static func from(status: Int, body: Data, operation: String, key: String?, requestID: String?) -> S3Error {
        if let root = S3XMLElement.parse(body), root.name == "Error", let code = root.value("Code") {
            return S3Error(
                code: Code(code), status: status, message: root.value("Message") ?? "", operation: operation, key: key,
                requestID: root.value("RequestId") ?? requestID)
        }
        let code: Code = switch status {
        case 404: key == nil ? .noSuchBucket : .noSuchKey
        case 403: .accessDenied
        case 416: .invalidRange
        case 503: .serviceUnavailable
        case 500...: .internalError
        default: Code("HTTP\(status)")
        }
        let text = String(decoding: body.prefix(512), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return S3Error(code: code, status: status, message: text.isEmpty ? "no error document" : text, operation: operation, key: key, requestID: requestID)
    }
}
