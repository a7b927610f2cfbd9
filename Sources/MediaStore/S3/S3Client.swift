import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// A client of one bucket of an S3-compatible store (AWS S3, SeaweedFS, MinIO...), signing
/// every request with AWS Signature Version 4, on AsyncHTTPClient.
///
/// Bodies stream both ways with backpressure: uploads read files in chunks, downloads hand
/// out the response's buffers as they arrive, so memory per transfer stays bounded (a stream
/// of unknown length holds one part, ``S3Configuration/partSize``).
///
/// Call ``shutdown()`` once done with it (it owns an `HTTPClient`).
public final class S3Client: Sendable {
    public let configuration: S3Configuration
    let signer: SigV4Signer
    let http: HTTPClient
    /// For operations during which the store works without sending a byte (a server-side
    /// copy, assembling a multipart object): the same client with a read timeout of
    /// ``S3Configuration/slowOperationTimeout``.
    let patientHTTP: HTTPClient
    /// For short reads (Range GETs of at most ``S3Configuration/shortReadLength`` bytes): the
    /// same client with a pool of ``S3Configuration/shortReadConnections``.
    let shortReadHTTP: HTTPClient
    let logger: Logger
    /// The time requests are signed at; tests move it.
    let clock: @Sendable () -> Date

    public init(configuration: S3Configuration, logger: Logger = Logger(label: "tutti.s3"), clock: @escaping @Sendable () -> Date = { Date() }) {
        self.configuration = configuration
        self.signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region, service: "s3")
        self.logger = logger
        self.clock = clock
        func client(readTimeout: Int64, connections: Int) -> HTTPClient {
            var http = HTTPClient.Configuration(
                redirectConfiguration: .disallow,
                timeout: .init(connect: .seconds(10), read: .seconds(readTimeout)),
                decompression: .disabled)
            http.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
            http.httpVersion = .http1Only
            http.dnsOverride = configuration.connectAddresses
            return HTTPClient(eventLoopGroupProvider: .singleton, configuration: http)
        }
        self.http = client(readTimeout: configuration.readTimeout, connections: configuration.maximumConnections)
        self.patientHTTP = client(readTimeout: max(configuration.readTimeout, configuration.slowOperationTimeout), connections: 64)
        self.shortReadHTTP = client(readTimeout: configuration.readTimeout, connections: configuration.shortReadConnections)
    }

    /// Closes the connections; the client cannot be used afterwards.
    public func shutdown() async throws {
        try await http.shutdown()
        try await patientHTTP.shutdown()
        try await shortReadHTTP.shutdown()
    }

    // MARK: Requests

    /// A request about to be signed and sent.
    struct Call {
        var operation: String
        var method: HTTPMethod
        var key: String?
        var query: [(name: String, value: String)] = []
        var headers: [(name: String, value: String)] = []
        var body: HTTPClientRequest.Body?
        var payload: SigV4Payload = .empty
        /// Until the response head; nil means ``S3Configuration/requestTimeout``.
        var deadline: NIODeadline?
        /// Whether the store may work long without answering (``S3Client/patientHTTP``).
        var patient = false
        /// Whether it is a short read (``S3Client/shortReadHTTP``).
        var short = false
    }

    /// Signs and sends `call`; returns the response if its status is 2xx (its body still to be
    /// read), and throws ``S3Error`` otherwise.
    func send(_ call: Call) async throws -> HTTPClientResponse {
        let encodedPath = configuration.encodedPath(key: call.key)
        let unsigned = SigV4Request(
            method: call.method.rawValue, encodedPath: encodedPath, query: call.query,
            headers: [(name: "Host", value: configuration.hostHeader)] + call.headers)
        let signed = signer.sign(unsigned, payload: call.payload, date: clock())
        var request = HTTPClientRequest(url: configuration.url(encodedPath: encodedPath, encodedQuery: unsigned.canonicalQuery))
        request.method = call.method
        for (name, value) in signed.headers { request.headers.add(name: name, value: value) }
        if let body = call.body { request.body = body }
        let deadline = call.deadline ?? .now() + .seconds(configuration.requestTimeout)
        let client = call.patient ? patientHTTP : call.short ? shortReadHTTP : http
        let response = try await client.execute(request, deadline: deadline, logger: logger)
        guard (200..<300).contains(response.status.code) else {
            throw await Self.error(of: response, operation: call.operation, key: call.key)
        }
        return response
    }

    /// Sends `call` and collects its whole body (small XML answers), up to `limit` bytes.
    func sendCollecting(_ call: Call, limit: Int = 16 * 1024 * 1024) async throws -> (HTTPClientResponse, Data) {
        let response = try await send(call)
        let buffer = try await response.body.collect(upTo: limit)
        return (response, Data(buffer.readableBytesView))
    }

    static func error(of response: HTTPClientResponse, operation: String, key: String?) async -> S3Error {
        // The error document is small; a body that fails to arrive still leaves the status.
        let body = (try? await response.body.collect(upTo: 64 * 1024)).map { Data($0.readableBytesView) } ?? Data()
        return S3Error.from(
            status: Int(response.status.code), body: body, operation: operation, key: key,
            requestID: response.headers.first(name: "x-amz-request-id"))
    }

    /// The `<Error>` document some operations (CompleteMultipartUpload, CopyObject) answer
    /// with status 200 when they fail after the head was sent.
    static func embeddedError(in body: Data, status: Int, operation: String, key: String?) -> S3Error? {
        guard let root = S3XMLElement.parse(body), root.name == "Error" else { return nil }
        return S3Error.from(status: status, body: body, operation: operation, key: key, requestID: nil)
    }

    // MARK: Bucket

    /// Creates the bucket (in ``S3Configuration/region``); succeeds if it is already ours.
    public func createBucket() async throws {
        var headers: [(name: String, value: String)] = []
        var body: HTTPClientRequest.Body?
        var payload = SigV4Payload.empty
        if configuration.region != "us-east-1" {
            let xml = "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>\(configuration.region)</LocationConstraint></CreateBucketConfiguration>"
            body = .bytes(ByteBuffer(string: xml))
            payload = .bytes(Array(xml.utf8))
            headers.append((name: "Content-Type", value: "application/xml"))
        }
        do {
            _ = try await sendCollecting(Call(operation: "CreateBucket", method: .PUT, headers: headers, body: body, payload: payload))
        } catch let error as S3Error where error.code == .bucketAlreadyOwnedByYou {
            return
        }
    }

    // MARK: Objects

    /// Facts about the object at `key`, or nil if there is none.
    public func headObject(key: String) async throws -> S3ObjectInfo? {
        do {
            let response = try await send(Call(operation: "HeadObject", method: .HEAD, key: key))
            return S3ObjectInfo(key: key, headers: response.headers)
        } catch let error as S3Error where error.code == .noSuchKey || error.status == 404 {
            return nil
        }
    }

    /// Removes the object at `key` (S3 answers the same whether or not it existed).
    public func deleteObject(key: String) async throws {
        _ = try await sendCollecting(Call(operation: "DeleteObject", method: .DELETE, key: key))
    }

    /// Copies the object at `source` to `destination` inside the bucket, on the store (no
    /// bytes pass through this process). S3 copies up to 5 GiB this way.
    public func copyObject(from source: String, to destination: String) async throws {
        let copySource = "/" + SigV4Encoding.uriEncode(configuration.bucket) + "/" + SigV4Encoding.uriEncode(source, keepingSlashes: true)
        let (response, body) = try await sendCollecting(Call(
            operation: "CopyObject", method: .PUT, key: destination, headers: [(name: "x-amz-copy-source", value: copySource)],
            deadline: .now() + .seconds(max(configuration.requestTimeout, configuration.slowOperationTimeout)), patient: true))
        if let error = Self.embeddedError(in: body, status: Int(response.status.code), operation: "CopyObject", key: destination) {
            throw error
        }
    }

    /// A URL that lets anyone `GET` the object at `key` (with any `Range`) without
    /// credentials, for `expires` seconds from `now` (1 s to 7 days). The store refuses it
    /// after that, and for any other key, bucket or method.
    public func presignedGetURL(key: String, expires: Int, now: Date? = nil) -> String {
        let encodedPath = configuration.encodedPath(key: key)
        let request = SigV4Request(method: "GET", encodedPath: encodedPath, headers: [(name: "Host", value: configuration.hostHeader)])
        let presigned = signer.presign(request, expires: expires, date: now ?? clock())
        return configuration.url(encodedPath: encodedPath, encodedQuery: presigned.encodedQuery)
    }
}

/// Facts about a stored object.
public struct S3ObjectInfo: Sendable, Equatable {
    public let key: String
    /// Bytes.
    public let size: Int64
    /// The entity tag, with its quotes (`"d41d8cd9..."`; a multipart object's ends `-N`).
    public let etag: String?
    public let lastModified: Date?
    public let contentType: String?

    public init(key: String, size: Int64, etag: String?, lastModified: Date?, contentType: String? = nil) {
        self.key = key
        self.size = size
        self.etag = etag
        self.lastModified = lastModified
        self.contentType = contentType
    }

    init(key: String, headers: HTTPHeaders) {
        self.key = key
        self.size = headers.first(name: "Content-Length").flatMap { Int64($0) } ?? 0
        self.etag = headers.first(name: "ETag")
        self.lastModified = headers.first(name: "Last-Modified").flatMap(S3Dates.parseHTTPDate)
        self.contentType = headers.first(name: "Content-Type")
    }
}
