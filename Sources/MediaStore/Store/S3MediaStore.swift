import Crypto
import Foundation
import NIOCore
import NIOFileSystem

/// Media as objects in an S3-compatible bucket, under an optional key prefix (so one bucket
/// can hold several services, and the sweeper touches only this one's objects).
///
/// Staging writes the object under `PREFIX.staging/…` (a plain `PUT` or a multipart upload,
/// which S3 makes visible only when complete); finalizing copies it to its key on the store
/// (a server-side copy: no bytes pass through the service; S3 copies up to 5 GiB so) and
/// deletes the staged one.
public struct S3MediaStore: RemoteMediaStore {
    public let client: S3Client
    /// Prepended to every key: `""` or a folder such as `tutti/`.
    public let keyPrefix: String

    public init(client: S3Client, keyPrefix: String = "") {
        self.client = client
        self.keyPrefix = keyPrefix.isEmpty || keyPrefix.hasSuffix("/") ? keyPrefix : keyPrefix + "/"
    }

    public var description: String {
        let configuration = client.configuration
        return "s3://\(configuration.bucket)/\(keyPrefix) at \(configuration.scheme)://\(configuration.host)\(configuration.port.map { ":\($0)" } ?? "") (\(configuration.addressing.rawValue)-style, \(configuration.region))"
    }

    func objectKey(_ key: String) -> String { keyPrefix + key }

    // MARK: Writing

    public func stage(fileAt path: String, contentType: String?) async throws -> StagedMedia {
        let key = StagedMedia.newKey()
        return try await writing("stage", key: key) {
            let digest = DigestState()
            do {
                try await client.putObject(key: objectKey(key), fileAt: path, contentType: contentType, digest: digest)
            } catch let error as FileSystemError {
                throw LocalFiles.mapped(error, key: nil)
            }
            let (size, sha256) = digest.result()
            return StagedMedia(stagingKey: key, size: size, sha256: sha256)
        }
    }

    public func stage(
        _ bytes: some AsyncSequence<ByteBuffer, some Error> & Sendable, length: Int64?, contentType: String?
    ) async throws -> StagedMedia {
        let key = StagedMedia.newKey()
        let digest = DigestState()
        let source = DigestingSequence(base: bytes, state: digest)
        return try await writing("stage", key: key) {
            if let length {
                try await client.putObject(key: objectKey(key), stream: source, length: length, contentType: contentType)
            } else {
                try await client.putObject(key: objectKey(key), stream: source, contentType: contentType)
            }
            let (size, sha256) = digest.result()
            return StagedMedia(stagingKey: key, size: size, sha256: sha256)
        }
    }

    public func finalize(_ staged: StagedMedia, as key: MediaKey) async throws {
        try await writing("finalize", key: key.rawValue) {
            do {
                try await client.copyObject(from: objectKey(staged.stagingKey), to: objectKey(key.rawValue))
            } catch let error as S3Error where error.code == .noSuchKey {
                throw MediaStoreError.notFound(key: staged.stagingKey)
            }
        }
        do {
            try await client.deleteObject(key: objectKey(staged.stagingKey))
        } catch {
            // The object is already whole at its key; the sweeper removes the staged copy.
            client.logger.warning("finalized \(key) but could not delete \(staged.stagingKey): \(error)")
        }
    }

    public func discard(_ staged: StagedMedia) async throws {
        try await mappingErrors("discard", key: staged.stagingKey) { try await client.deleteObject(key: objectKey(staged.stagingKey)) }
    }

    public func delete(_ key: MediaKey) async throws {
        try await mappingErrors("delete", key: key.rawValue) { try await client.deleteObject(key: objectKey(key.rawValue)) }
    }

    /// A write, its errors mapped as ``mappingErrors(_:key:_:)`` does, except that a plain
    /// `AccessDenied` means the bucket is read-only to these credentials (they may read: a
    /// read-only identity, a bucket policy denying writes): ``MediaStoreError/readOnly(detail:)``.
    /// Bad credentials (a wrong secret or key id) stay ``MediaStoreError/accessDenied(key:detail:)``.
    private func writing<Result>(_ operation: String, key: String, _ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let error as S3Error where error.code == .accessDenied {
            throw MediaStoreError.readOnly(detail: "\(operation) \(key): \(error)")
        } catch let error as MediaStoreError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw MediaStoreError.from(error, operation: operation, key: key)
        }
    }

    // MARK: Reading

    public func info(_ key: MediaKey) async throws -> MediaObjectInfo? {
        try await mappingErrors("info", key: key.rawValue) {
            try await client.headObject(key: objectKey(key.rawValue)).map {
                MediaObjectInfo(key: key.rawValue, size: $0.size, lastModified: $0.lastModified ?? .distantPast, etag: $0.etag)
            }
        }
    }

    public func read<Result>(_ key: MediaKey, range: ClosedRange<Int64>?, _ body: (MediaContent) async throws -> Result) async throws -> Result {
        // The caller's own errors pass through as they are.
        try await body(try await open(key, range: range))
    }

    public func open(_ key: MediaKey, range: ClosedRange<Int64>?) async throws -> MediaContent {
        let object: S3ObjectContent = try await mappingErrors("read", key: key.rawValue) {
            do {
                return try await client.getObject(key: objectKey(key.rawValue), range: range)
            } catch let error as S3Error where error.code == .invalidRange {
                let size = try await client.headObject(key: objectKey(key.rawValue))?.size ?? 0
                throw MediaStoreError.rangeNotSatisfiable(key: key.rawValue, size: size)
            }
        }
        let content = MediaContent(
            key: key, offset: object.range?.lowerBound ?? 0, length: object.contentLength, totalSize: object.totalSize,
            lastModified: object.lastModified, etag: object.etag,
            chunks: MediaChunks(object.body, operation: "read", key: key.rawValue))
        return content
    }

    public func list(prefix: String) -> MediaListing {
        let listing = client.listAllObjects(prefix: objectKey(prefix))
        let keyPrefix = self.keyPrefix
        return MediaListing {
            var iterator = listing.makeAsyncIterator()
            return {
                try await mappingErrors("list", key: nil) {
                    try await iterator.next().map {
                        MediaObjectInfo(key: String($0.key.dropFirst(keyPrefix.count)), size: $0.size, lastModified: $0.lastModified ?? .distantPast, etag: $0.etag)
                    }
                }
            }
        }
    }

    public func localFile(_ key: MediaKey) -> String? { nil }

    public func presignedURL(_ key: MediaKey, expires: Int, now: Date?) -> String? {
        client.presignedGetURL(key: objectKey(key.rawValue), expires: expires, now: now)
    }

    public func shutdown() async throws {
        try await client.shutdown()
    }

    public func abortUploads(startedBefore date: Date) async throws -> Int {
        try await mappingErrors("abort uploads", key: nil) {
            var aborted = 0
            // An upload without a start time is left alone: it may be some writer's, in progress.
            for upload in try await client.listMultipartUploads(prefix: keyPrefix) where upload.initiated.map({ $0 < date }) == true {
                try await client.abortMultipartUpload(key: upload.key, uploadID: upload.uploadID)
                aborted += 1
            }
            return aborted
        }
    }
}
