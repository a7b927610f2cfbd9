import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOFileSystem

extension S3Client {
    /// Stores `bytes` at `key` in one request (`aws-chunked`, like every upload here).
    public func putObject(key: String, bytes: ByteBuffer, contentType: String? = nil) async throws {
        try await putObject(key: key, stream: OneBuffer(buffer: bytes), length: Int64(bytes.readableBytes), contentType: contentType)
    }

    /// Stores the file at `path` at `key`, read once, in chunks (memory stays bounded whatever
    /// its size). Files up to ``S3Configuration/multipartThreshold`` go in one `PUT`, larger
    /// ones as a multipart upload of ``S3Configuration/partSize`` parts, aborted if any step
    /// fails or the task is cancelled. Bodies go `aws-chunked`, every 64 KiB signed, so the
    /// store refuses bytes changed on the way (SeaweedFS checks these chunk signatures, but
    /// not the `x-amz-content-sha256` of a plain signed body).
    ///
    /// The object appears at `key` only once complete: an interrupted upload leaves nothing
    /// there (an abandoned multipart upload is listed by ``listMultipartUploads(prefix:)``).
    public func putObject(key: String, fileAt path: String, contentType: String? = nil) async throws {
        try await putObject(key: key, fileAt: path, contentType: contentType, digest: nil)
    }

    /// The same, feeding every byte read, in order, to `digest`.
    func putObject(key: String, fileAt path: String, contentType: String?, digest: DigestState?) async throws {
        try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { file in
            let size = try await file.info().size
            func chunks(_ range: Range<Int64>) -> DigestingSequence<FileChunks> {
                DigestingSequence(base: file.readChunks(in: range, chunkLength: .kibibytes(256)), state: digest ?? DigestState())
            }
            if size > configuration.multipartThreshold {
                try await uploadMultipart(key: key, contentType: contentType) { upload in
                    var offset: Int64 = 0
                    var number = 1
                    while offset < size {
                        let range = offset..<min(size, offset + configuration.partSize)
                        try await upload.send(part: number, stream: chunks(range), length: Int64(range.count))
                        offset = range.upperBound
                        number += 1
                    }
                }
            } else {
                try await putObject(key: key, stream: chunks(0..<size), length: size, contentType: contentType)
            }
        }
    }

    /// Stores exactly `length` bytes read from `stream` at `key` in one request, signed chunk
    /// by chunk as they pass (`aws-chunked`, no hashing pass, nothing buffered beyond 64 KiB).
    /// For a source that can be read only once and whose length is known (an HTTP upload
    /// with `Content-Length`).
    ///
    /// - Throws: ``AWSChunkedBodyLengthMismatch`` if `stream` yields more or fewer bytes
    ///   (the store then keeps nothing at `key`).
    public func putObject(
        key: String, stream: some AsyncSequence<ByteBuffer, some Error> & Sendable, length: Int64, contentType: String? = nil
    ) async throws {
        _ = try await sendChunked(operation: "PutObject", key: key, headers: Self.contentTypeHeader(contentType), stream: stream, length: length)
    }

    /// Sends `stream` (exactly `length` bytes) as an `aws-chunked` body, each chunk signed
    /// from the request's signature on; returns the response, whose body was read.
    func sendChunked(
        operation: String, key: String, query: [(name: String, value: String)] = [], headers: [(name: String, value: String)],
        stream: some AsyncSequence<ByteBuffer, some Error> & Sendable, length: Int64
    ) async throws -> HTTPClientResponse {
        let encodedLength = SigV4ChunkSigner.encodedLength(ofDecodedLength: length, chunkLength: awsChunkLength)
        let unsigned = SigV4Request(
            method: "PUT", encodedPath: configuration.encodedPath(key: key), query: query,
            headers: [
                (name: "Host", value: configuration.hostHeader),
                (name: "Content-Encoding", value: "aws-chunked"),
                (name: "x-amz-decoded-content-length", value: String(length)),
            ] + headers)
        let date = clock()
        let seed = signer.sign(unsigned, payload: .streaming, date: date)
        let body = AWSChunkedBody(
            base: stream, signer: SigV4ChunkSigner(signer: signer, seedSignature: seed.signature, date: date), decodedLength: length)
        var request = HTTPClientRequest(url: configuration.url(encodedPath: unsigned.encodedPath, encodedQuery: unsigned.canonicalQuery))
        request.method = .PUT
        for (name, value) in seed.headers { request.headers.add(name: name, value: value) }
        request.body = .stream(body, length: .known(encodedLength))
        // The source may be a listener's upload, slower than the store: allow 64 KiB/s.
        let response = try await http.execute(request, deadline: uploadDeadline(bytes: length, bytesPerSecond: 64 * 1024), logger: logger)
        guard (200..<300).contains(response.status.code) else {
            throw await Self.error(of: response, operation: operation, key: key)
        }
        _ = try await response.body.collect(upTo: 1024 * 1024)
        return response
    }

    /// Stores everything `stream` yields at `key` when its length is not known in advance:
    /// bytes are gathered into parts of ``S3Configuration/partSize`` (the only buffering, one
    /// part at a time); a stream that fits in one part is sent in one `PUT`, a longer one as
    /// a multipart upload (aborted on failure).
    ///
    /// - Returns: The number of bytes stored.
    @discardableResult
    public func putObject(key: String, stream: some AsyncSequence<ByteBuffer, some Error>, contentType: String? = nil) async throws -> Int64 {
        let partSize = Int(configuration.partSize)
        var iterator = stream.makeAsyncIterator()
        var part = ByteBuffer()
        var ended = false
        func fill() async throws {
            while part.readableBytes < partSize {
                guard var next = try await iterator.next() else {
                    ended = true
                    return
                }
                part.writeBuffer(&next)
            }
        }
        try await fill()
        if ended {
            try await putObject(key: key, bytes: part, contentType: contentType)
            return Int64(part.readableBytes)
        }
        var total: Int64 = 0
        try await uploadMultipart(key: key, contentType: contentType) { upload in
            var number = 1
            while part.readableBytes > 0 {
                let count = min(partSize, part.readableBytes)
                // Checked above: the buffer holds at least `count` readable bytes.
                let slice = part.readSlice(length: count) ?? ByteBuffer()
                try await upload.send(part: number, bytes: slice)
                total += Int64(count)
                number += 1
                part.discardReadBytes()
                if !ended { try await fill() }
            }
        }
        return total
    }

    // MARK: Helpers

    static func contentTypeHeader(_ contentType: String?) -> [(name: String, value: String)] {
        contentType.map { [(name: "Content-Type", value: $0)] } ?? []
    }

    /// Until the response head of an upload of `bytes`: the request timeout plus the time the
    /// bytes take at `bytesPerSecond` (a floor on the store's speed, not an estimate).
    func uploadDeadline(bytes: Int64, bytesPerSecond: Int64 = 256 * 1024) -> NIODeadline {
        .now() + .seconds(configuration.requestTimeout + bytes / bytesPerSecond)
    }
}

/// One buffer as a byte stream.
struct OneBuffer: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let buffer: ByteBuffer

    struct AsyncIterator: AsyncIteratorProtocol {
        var buffer: ByteBuffer?
        mutating func next() async throws -> ByteBuffer? {
            defer { buffer = nil }
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(buffer: buffer) }
}
