import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFileSystem
import Synchronization

/// A multipart upload in progress, handed to the closure of ``S3Client/uploadMultipart(key:contentType:_:)``.
/// Parts may be sent one after another or concurrently, in any order.
public final class S3MultipartUpload: Sendable {
    public let key: String
    public let uploadID: String
    let client: S3Client
    /// Part numbers and their ETags, as they were stored.
    private let stored = Mutex<[(number: Int, etag: String)]>([])

    init(key: String, uploadID: String, client: S3Client) {
        self.key = key
        self.uploadID = uploadID
        self.client = client
    }

    /// The parts stored so far, by number (what completing the upload lists).
    var parts: [(number: Int, etag: String)] {
        stored.withLock { $0 }.sorted { $0.number < $1.number }
    }

    /// Sends part `number` (1 to 10,000) from `bytes`.
    public func send(part number: Int, bytes: ByteBuffer) async throws {
        try await send(part: number, stream: OneBuffer(buffer: bytes), length: Int64(bytes.readableBytes))
    }

    /// Sends part `number` from exactly `length` bytes of `stream`, `aws-chunked` (each
    /// 64 KiB signed as it passes).
    public func send(part number: Int, stream: some AsyncSequence<ByteBuffer, some Error> & Sendable, length: Int64) async throws {
        let response = try await client.sendChunked(
            operation: "UploadPart", key: key, query: [(name: "partNumber", value: String(number)), (name: "uploadId", value: uploadID)],
            headers: [], stream: stream, length: length)
        let etag = try client.etag(of: response, part: number, key: key)
        stored.withLock { $0.append((number, etag)) }
    }
}

/// An upload begun and neither completed nor aborted (a crashed writer leaves these; they
/// hold storage until aborted).
public struct S3PendingUpload: Sendable, Equatable {
    public let key: String
    public let uploadID: String
    public let initiated: Date?
}

extension S3Client {
    /// Runs a multipart upload to `key`: creates it, lets `body` send the parts, completes it;
    /// if `body` or the completion throws, or the task is cancelled, aborts it (the abort runs
    /// even then) and rethrows. Nothing appears at `key` unless the whole upload completes.
    public func uploadMultipart(key: String, contentType: String? = nil, _ body: (S3MultipartUpload) async throws -> Void) async throws {
        let uploadID = try await createMultipartUpload(key: key, contentType: contentType)
        let upload = S3MultipartUpload(key: key, uploadID: uploadID, client: self)
        do {
            try await body(upload)
            try Task.checkCancellation()
            try await completeMultipartUpload(key: key, uploadID: uploadID, parts: upload.parts)
        } catch {
            // Not a child of this (possibly cancelled) task, so a cancellation does not stop it.
            let abort = Task.detached { [self] in try await abortMultipartUpload(key: key, uploadID: uploadID) }
            do {
                try await abort.value
            } catch let abortError {
                logger.warning("could not abort multipart upload \(uploadID) of \(key): \(abortError); the sweeper will")
            }
            throw error
        }
    }

    /// Begins a multipart upload; returns its id.
    public func createMultipartUpload(key: String, contentType: String? = nil) async throws -> String {
        let (response, body) = try await sendCollecting(Call(
            operation: "CreateMultipartUpload", method: .POST, key: key, query: [(name: "uploads", value: "")],
            headers: Self.contentTypeHeader(contentType)))
        guard let root = S3XMLElement.parse(body), let uploadID = root.value("UploadId"), !uploadID.isEmpty else {
            throw S3Error(code: .init("MalformedResponse"), status: Int(response.status.code),
                          message: "no UploadId in the answer", operation: "CreateMultipartUpload", key: key)
        }
        return uploadID
    }

    func etag(of response: HTTPClientResponse, part number: Int, key: String) throws -> String {
        guard let etag = response.headers.first(name: "ETag") else {
            throw S3Error(code: .init("MalformedResponse"), status: Int(response.status.code),
                          message: "no ETag for part \(number)", operation: "UploadPart", key: key)
        }
        return etag
    }

    /// Joins the parts into the object at `key`.
    public func completeMultipartUpload(key: String, uploadID: String, parts: [(number: Int, etag: String)]) async throws {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts {
            xml += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(Self.xmlEscaped(part.etag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let (response, body) = try await sendCollecting(Call(
            operation: "CompleteMultipartUpload", method: .POST, key: key, query: [(name: "uploadId", value: uploadID)],
            headers: [(name: "Content-Type", value: "application/xml")],
            body: .bytes(ByteBuffer(string: xml)), payload: .bytes(Array(xml.utf8)),
            // The store may take a while to assemble a large object.
            deadline: .now() + .seconds(max(configuration.requestTimeout, configuration.slowOperationTimeout)), patient: true))
        if let error = Self.embeddedError(in: body, status: Int(response.status.code), operation: "CompleteMultipartUpload", key: key) {
            throw error
        }
    }

    /// Abandons an upload and frees its parts.
    public func abortMultipartUpload(key: String, uploadID: String) async throws {
        _ = try await sendCollecting(Call(
            operation: "AbortMultipartUpload", method: .DELETE, key: key, query: [(name: "uploadId", value: uploadID)]))
    }

    /// Uploads begun under `prefix` and not finished (neither completed nor aborted).
    public func listMultipartUploads(prefix: String = "") async throws -> [S3PendingUpload] {
        var uploads: [S3PendingUpload] = []
        var keyMarker: String?
        var uploadIDMarker: String?
        while true {
            var query: [(name: String, value: String)] = [(name: "uploads", value: ""), (name: "prefix", value: prefix)]
            if let keyMarker { query.append((name: "key-marker", value: keyMarker)) }
            if let uploadIDMarker { query.append((name: "upload-id-marker", value: uploadIDMarker)) }
            let (response, body) = try await sendCollecting(Call(operation: "ListMultipartUploads", method: .GET, query: query))
            guard let root = S3XMLElement.parse(body) else {
                throw S3Error(code: .init("MalformedResponse"), status: Int(response.status.code),
                              message: "unreadable upload listing", operation: "ListMultipartUploads", key: nil)
            }
            for upload in root.children("Upload") {
                guard let key = upload.value("Key"), let id = upload.value("UploadId") else { continue }
                uploads.append(S3PendingUpload(key: key, uploadID: id, initiated: upload.value("Initiated").flatMap(S3Dates.parseISO8601)))
            }
            guard root.value("IsTruncated") == "true" else { return uploads }
            keyMarker = root.value("NextKeyMarker")
            uploadIDMarker = root.value("NextUploadIdMarker")
            guard keyMarker != nil else { return uploads }
        }
    }

    static func xmlEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
