import Foundation
import NIOCore

/// Where the service keeps its files (originals, renditions, images, downloads): the local
/// data folder (``LocalMediaStore``) or an S3-compatible bucket (``S3MediaStore``), chosen at
/// start-up from a location (``MediaStoreLocation``). Callers see only this protocol.
///
/// ## Crash-safe writes
/// A file is never written where readers look for it. It is first *staged* under a temporary
/// name (``stage(fileAt:contentType:)``), then *finalized* under its key (``finalize(_:as:)``),
/// and only then is the database row that points to the key committed:
///
/// ```swift
/// let staged = try await store.stage(fileAt: upload.path, contentType: "audio/flac")
/// try await store.finalize(staged, as: key)     // the object is now at `key`, whole
/// try database.write { ... insert the row naming `key` ... }
/// ```
///
/// A crash before the finalize leaves a staged object; a crash between the finalize and the
/// commit leaves an object no row names. ``MediaSweeper`` removes both once they are an hour
/// old. A row therefore never names a missing object unless something outside this protocol
/// removed it (the sweeper reports those). An interrupted staging leaves nothing visible.
///
/// ## Errors
/// Every method throws ``MediaStoreError`` (or `CancellationError`).
public protocol MediaStore: Sendable {
    /// For logs: `local folder /srv/tutti` or `s3://bucket/prefix at http://127.0.0.1:8333`.
    var description: String { get }

    /// Copies the file at `path` into the store's staging area; the caller's file is left as
    /// it was (the local store may hard-link it: do not modify it afterwards; removing it is
    /// fine).
    ///
    /// - Parameter contentType: The MIME type kept with the object (S3), e.g. `audio/ogg`.
    func stage(fileAt path: String, contentType: String?) async throws -> StagedMedia

    /// Copies what `bytes` yields into the staging area, with bounded memory.
    ///
    /// - Parameter length: The number of bytes `bytes` will yield, if known (lets the S3
    ///   store send it in one streamed request); a source that yields another number fails
    ///   with ``MediaStoreError/lengthMismatch(expected:received:)`` and stages nothing.
    func stage(
        _ bytes: some AsyncSequence<ByteBuffer, some Error> & Sendable, length: Int64?, contentType: String?
    ) async throws -> StagedMedia

    /// Makes a staged object visible at `key` (replacing what was there), whole or not at
    /// all, and durable when this returns. The staged object is gone afterwards.
    func finalize(_ staged: StagedMedia, as key: MediaKey) async throws

    /// Removes a staged object that will not be finalized (missing is fine).
    func discard(_ staged: StagedMedia) async throws

    /// Facts about the object at `key`, or nil if there is none.
    func info(_ key: MediaKey) async throws -> MediaObjectInfo?

    /// Reads `range` (inclusive byte offsets; nil for all) of the object at `key` and hands
    /// its bytes to `body` as they come, memory bounded whatever the object's size. A range
    /// running past the end is cut to it, as HTTP does.
    ///
    /// The bytes are exactly ``MediaContent/length`` or an error is thrown while reading
    /// them (``MediaStoreError/truncated(key:expected:received:)``): never a short read
    /// presented as complete.
    ///
    /// - Throws: ``MediaStoreError/notFound(key:)``,
    ///   ``MediaStoreError/rangeNotSatisfiable(key:size:)`` for a range starting at or past
    ///   the end, ``MediaStoreError/unavailable(detail:)``...
    func read<Result>(_ key: MediaKey, range: ClosedRange<Int64>?, _ body: (MediaContent) async throws -> Result) async throws -> Result

    /// Removes the object at `key` (missing is fine).
    func delete(_ key: MediaKey) async throws

    /// The objects whose keys start with `prefix` (a string prefix, not only a folder), in
    /// key order, including staged ones under ``StagedMedia/stagingPrefix``.
    func list(prefix: String) -> MediaListing

    /// The file holding `key` on this machine, for the server to send with `sendfile` or map
    /// into memory; nil for a remote store (read it with ``read(_:range:_:)`` instead).
    func localFile(_ key: MediaKey) -> String?

    /// A URL that lets whoever holds it GET the object at `key` (with Range) until `expires`
    /// seconds after `now`; nil when the store cannot sign URLs (the local folder).
    func presignedURL(_ key: MediaKey, expires: Int, now: Date?) -> String?

    /// Abandons uploads begun before `date` and never finished (S3 multipart uploads of a
    /// writer that crashed); returns how many. The local store has none.
    func abortUploads(startedBefore date: Date) async throws -> Int

    /// Releases what the store holds (the S3 client's connections); call it once, last.
    func shutdown() async throws
}

/// A store reached over the network (S3), whose reads a server can start before it answers
/// and finish while it writes the body: a store that fails or lacks the object is known
/// before any header goes out (a 502/503 or 404, never a 200 cut short), and the bytes then
/// pass through with bounded memory.
public protocol RemoteMediaStore: MediaStore {
    /// Starts reading `range` of the object at `key` (as ``MediaStore/read(_:range:_:)``) and
    /// returns once the store has answered. The content's ``MediaContent/chunks`` must be read
    /// in the same task, to their end or not at all (dropping them closes the connection).
    func open(_ key: MediaKey, range: ClosedRange<Int64>?) async throws -> MediaContent
}

/// An object written to the staging area, waiting to be finalized or discarded.
public struct StagedMedia: Sendable, Hashable {
    /// Where staged objects live, relative to the store: a name no ``MediaKey`` can have.
    public static let stagingPrefix = ".staging/"

    /// The staged object's key (under ``stagingPrefix``).
    public let stagingKey: String
    /// Bytes.
    public let size: Int64
    /// The content's SHA-256, lowercase hex.
    public let sha256: String

    public init(stagingKey: String, size: Int64, sha256: String) {
        self.stagingKey = stagingKey
        self.size = size
        self.sha256 = sha256
    }

    static func newKey() -> String {
        stagingPrefix + UUID().uuidString.lowercased()
    }
}

/// Facts about a stored object.
public struct MediaObjectInfo: Sendable, Equatable {
    /// The key as stored (listings may show keys that are not valid ``MediaKey``s, such as
    /// staged objects or files someone else put there).
    public let key: String
    /// Bytes.
    public let size: Int64
    /// The last write (a file's modification time, an object's `Last-Modified`).
    public let lastModified: Date
    /// The store's entity tag (S3), or nil.
    public let etag: String?

    public init(key: String, size: Int64, lastModified: Date, etag: String? = nil) {
        self.key = key
        self.size = size
        self.lastModified = lastModified
        self.etag = etag
    }
}

/// The bytes of a read, as ``MediaStore/read(_:range:_:)`` hands them out.
public struct MediaContent {
    public let key: MediaKey
    /// The first byte served.
    public let offset: Int64
    /// Bytes served.
    public let length: Int64
    /// The whole object's size, in bytes.
    public let totalSize: Int64
    public let lastModified: Date?
    public let etag: String?
    /// The bytes, in order, exactly ``length`` of them or an error.
    public let chunks: MediaChunks

    /// The served bytes as an inclusive range, nil when none are.
    public var range: ClosedRange<Int64>? { length > 0 ? offset...(offset + length - 1) : nil }
}

/// The bytes of a ``MediaContent``, whichever store they come from (an erased
/// `AsyncSequence` of `ByteBuffer`s that throws ``MediaStoreError``).
public struct MediaChunks: AsyncSequence {
    public typealias Element = ByteBuffer
    private let makeNext: () -> () async throws -> ByteBuffer?

    init<Base: AsyncSequence>(_ base: Base, operation: String, key: String) where Base.Element == ByteBuffer {
        makeNext = {
            var iterator = base.makeAsyncIterator()
            return {
                try await mappingErrors(operation, key: key) { try await iterator.next() }
            }
        }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let nextChunk: () async throws -> ByteBuffer?
        public mutating func next() async throws -> ByteBuffer? { try await nextChunk() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(nextChunk: makeNext()) }

    /// Everything left, gathered in one buffer (for tests and small objects only).
    public func collect() async throws -> ByteBuffer {
        var all = ByteBuffer()
        for try await var chunk in self { all.writeBuffer(&chunk) }
        return all
    }
}

/// The objects of a ``MediaStore/list(prefix:)``, fetched as they are iterated.
public struct MediaListing: AsyncSequence, Sendable {
    public typealias Element = MediaObjectInfo
    private let makeNext: @Sendable () -> () async throws -> MediaObjectInfo?

    init(_ makeNext: @escaping @Sendable () -> () async throws -> MediaObjectInfo?) {
        self.makeNext = makeNext
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let nextObject: () async throws -> MediaObjectInfo?
        public mutating func next() async throws -> MediaObjectInfo? { try await nextObject() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(nextObject: makeNext()) }

    /// All of it, in an array.
    public func collect() async throws -> [MediaObjectInfo] {
        var all: [MediaObjectInfo] = []
        for try await object in self { all.append(object) }
        return all
    }
}

extension MediaStore {
    /// Reads the whole object at `key` into `path` (replaced atomically when complete):
    /// how a transcode job fetches an original from a remote store.
    public func download(_ key: MediaKey, to path: String) async throws {
        _ = try await read(key, range: nil) { content in
            try await LocalFiles.write(content.chunks, to: path)
        }
    }

    /// The whole object at `key` in memory (small objects and tests).
    public func bytes(of key: MediaKey) async throws -> ByteBuffer {
        try await read(key, range: nil) { try await $0.chunks.collect() }
    }
}
