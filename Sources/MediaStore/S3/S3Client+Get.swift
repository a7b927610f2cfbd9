import AsyncHTTPClient
import Foundation
import NIOCore

/// An object (or a range of it) being received: its facts from the response head and its
/// bytes as they arrive.
public struct S3ObjectContent: Sendable {
    public let key: String
    /// The bytes this response carries (the range's length, or the whole size).
    public let contentLength: Int64
    /// The range served (`Content-Range`), or nil when the whole object is.
    public let range: ClosedRange<Int64>?
    /// The whole object's size, in bytes.
    public let totalSize: Int64
    public let etag: String?
    public let lastModified: Date?
    public let contentType: String?
    /// The bytes, exactly ``contentLength`` of them or an error: never fewer presented as all.
    public let body: S3ObjectBody
}

/// The body of a GET as it arrives from the store, in the store's buffers (no copy, no
/// whole-object buffering: the next buffer is read when the consumer asks for it). A
/// connection that closes early, a store that dies mid-transfer or stalls past
/// ``S3Configuration/readTimeout`` end it with ``TruncatedBody``.
public typealias S3ObjectBody = ExactLengthBody<HTTPClientResponse.Body>

extension S3Client {
    /// Starts receiving the object at `key`, or the bytes `range` of it (inclusive offsets; a
    /// range running past the end is cut to it, as HTTP does).
    ///
    /// The response stays open until ``S3ObjectContent/body`` is read to its end or dropped
    /// (dropping it closes the connection): read it in the same task. A range of at most
    /// ``S3Configuration/shortReadLength`` bytes is a short read, on a pool of its own: read its
    /// body at once.
    ///
    /// - Throws: ``S3Error`` (`NoSuchKey`, `InvalidRange` for a range that starts past the
    ///   end, `AccessDenied`...), or a transport error.
    public func getObject(key: String, range: ClosedRange<Int64>? = nil) async throws -> S3ObjectContent {
        var headers: [(name: String, value: String)] = []
        if let range { headers.append((name: "Range", value: "bytes=\(range.lowerBound)-\(range.upperBound)")) }
        let short = range.map { Int64($0.count) <= configuration.shortReadLength } ?? false
        let response = try await send(Call(operation: "GetObject", method: .GET, key: key, headers: headers, short: short))
        guard let length = response.headers.first(name: "Content-Length").flatMap({ Int64($0) }) else {
            throw S3Error(code: .init("MissingContentLength"), status: Int(response.status.code),
                          message: "the response has no Content-Length, so a short body could not be told from a whole one",
                          operation: "GetObject", key: key)
        }
        var served: ClosedRange<Int64>?
        var total = length
        if response.status == .partialContent, let contentRange = response.headers.first(name: "Content-Range") {
            guard let parsed = Self.parseContentRange(contentRange) else {
                throw S3Error(code: .init("BadContentRange"), status: 206, message: "unreadable Content-Range \(contentRange)", operation: "GetObject", key: key)
            }
            served = parsed.range
            total = parsed.total
        }
        return S3ObjectContent(
            key: key, contentLength: length, range: served, totalSize: total,
            etag: response.headers.first(name: "ETag"),
            lastModified: response.headers.first(name: "Last-Modified").flatMap(S3Dates.parseHTTPDate),
            contentType: response.headers.first(name: "Content-Type"),
            body: S3ObjectBody(base: response.body, key: key, expected: length))
    }

    /// `bytes FIRST-LAST/TOTAL`.
    static func parseContentRange(_ value: String) -> (range: ClosedRange<Int64>, total: Int64)? {
        guard value.hasPrefix("bytes ") else { return nil }
        let rest = value.dropFirst(6)
        let parts = rest.split(separator: "/")
        guard parts.count == 2, let total = Int64(parts[1]) else { return nil }
        let bounds = parts[0].split(separator: "-")
        guard bounds.count == 2, let first = Int64(bounds[0]), let last = Int64(bounds[1]), first <= last else { return nil }
        return (first...last, total)
    }
}
