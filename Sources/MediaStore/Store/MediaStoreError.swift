import Foundation

/// What went wrong with a media store, in the service's words; the server maps each case to
/// one HTTP answer (a missing file is a 404, a store that fails is a 502/503, never a 200).
public enum MediaStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A key that breaks ``MediaKey``'s rules.
    case invalidKey(String, reason: String)
    /// Nothing is stored at the key.
    case notFound(key: String)
    /// The range starts at or past the end of the object (`size` bytes).
    case rangeNotSatisfiable(key: String, size: Int64)
    /// The store refused the credentials or the operation (a 403, a file the service may not
    /// open): a configuration problem, not the listener's.
    case accessDenied(key: String?, detail: String)
    /// The store could not be reached, failed inside, or was too slow: try later.
    case unavailable(detail: String)
    /// A read ended before the announced length: the store or the connection failed midway.
    /// The bytes already handed out are not the whole range.
    case truncated(key: String, expected: Int64, received: Int64)
    /// An upload's source yielded a different number of bytes than announced.
    case lengthMismatch(expected: Int64, received: Int64)
    /// No room left (a full disk, a bucket over its quota).
    case storageFull(detail: String)
    /// The store accepts no writes (a read-only file system or bucket).
    case readOnly(detail: String)
    /// A bad `--media` location or missing credentials.
    case misconfigured(String)
    /// Anything else, with the operation that failed.
    case failed(operation: String, detail: String)

    public var description: String {
        switch self {
        case let .invalidKey(key, reason): "invalid media key \"\(key)\": \(reason)"
        case let .notFound(key): "no media stored at \(key)"
        case let .rangeNotSatisfiable(key, size): "the range starts past the end of \(key) (\(size) bytes)"
        case let .accessDenied(key, detail): "the media store refused access\(key.map { " to \($0)" } ?? ""): \(detail)"
        case let .unavailable(detail): "the media store is unavailable: \(detail)"
        case let .truncated(key, expected, received): "reading \(key) failed after \(received) of \(expected) bytes"
        case let .lengthMismatch(expected, received): "the upload announced \(expected) bytes but its source gave \(received)"
        case let .storageFull(detail): "the media store is full: \(detail)"
        case let .readOnly(detail): "the media store is read-only: \(detail)"
        case let .misconfigured(detail): detail
        case let .failed(operation, detail): "\(operation) failed: \(detail)"
        }
    }

    /// `error` in these terms: a ``MediaStoreError`` as it is, an ``S3Error`` or transport
    /// error classified by what it means for the service.
    static func from(_ error: any Error, operation: String, key: String?) -> MediaStoreError {
        switch error {
        case let error as MediaStoreError:
            return error
        case let error as S3Error:
            switch error.code {
            case .noSuchKey: return .notFound(key: key ?? error.key ?? "")
            case .noSuchBucket: return .misconfigured("the bucket does not exist: \(error)")
            case .accessDenied, .signatureDoesNotMatch, .invalidAccessKeyID, .expiredToken:
                return .accessDenied(key: key, detail: error.description)
            case .quotaExceeded, .entityTooLarge: return .storageFull(detail: error.description)
            default:
                return error.isTransient ? .unavailable(detail: error.description) : .failed(operation: operation, detail: error.description)
            }
        case let error as TruncatedBody:
            return .truncated(key: key ?? error.key, expected: error.expected, received: error.received)
        case let error as AWSChunkedBodyLengthMismatch:
            return .lengthMismatch(expected: error.declared, received: error.produced)
        default:
            // Connection refused or reset, timeouts, TLS: the store is out of reach.
            return .unavailable(detail: "\(operation)\(key.map { " \($0)" } ?? ""): \(error)")
        }
    }
}

/// Runs `body`, turning what it throws into a ``MediaStoreError`` (a cancellation stays a
/// `CancellationError`).
func mappingErrors<Result>(_ operation: String, key: String?, _ body: () async throws -> Result) async throws -> Result {
    do {
        return try await body()
    } catch is CancellationError {
        throw CancellationError()
    } catch {
        throw MediaStoreError.from(error, operation: operation, key: key)
    }
}
