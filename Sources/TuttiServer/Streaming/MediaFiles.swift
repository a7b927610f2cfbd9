import Hummingbird
import MediaStore
import NIOCore
import NIOPosix
import Prometheus
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A media file mapped into memory and kept open, unmapped and closed when the last user
/// lets go: the mapping serves copies of its bytes, the descriptor serves `sendfile`.
///
/// Renditions never change once written (a new transcode writes a new file), so a mapping
/// stays valid for as long as anyone holds it, even if the file is later removed.
final class MappedFile: Sendable {
    let size: Int64
    private nonisolated(unsafe) let base: UnsafeRawPointer?
    /// The open file (-1 for an empty one), duplicated for each `FileRegion`.
    private let descriptor: CInt

    init(base: UnsafeRawPointer?, size: Int64, descriptor: CInt) {
        self.base = base
        self.size = size
        self.descriptor = descriptor
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), Int(size)) }
        if descriptor >= 0 { close(descriptor) }
    }

    /// A descriptor of its own for the file, for the kernel to send regions of it (`sendfile`)
    /// to one connection, which closes it once they are written: a NIO file handle refuses to
    /// be used by two event loops at once (EBUSY), and connections of one file are on several;
    /// one connection's writes are all on its own. Nil for an empty file, or with no
    /// descriptor to spare.
    func sendingHandle() -> NIOFileHandle? {
        guard descriptor >= 0 else { return nil }
        let copy = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
        guard copy >= 0 else { return nil }
        return NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: copy)
    }

    /// A copy of `count` bytes at `offset` (the range must lie inside the file).
    func bytes(offset: Int64, count: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        precondition(offset >= 0 && offset + Int64(count) <= size, "range outside the file")
        guard let base, count > 0 else { return allocator.buffer(capacity: 0) }
        var buffer = allocator.buffer(capacity: count)
        buffer.writeBytes(UnsafeRawBufferPointer(start: base + Int(offset), count: count))
        return buffer
    }
}

/// Reads media files for streaming from memory mappings and descriptors kept between
/// requests: a range request is one copy from the page cache into the response, or none
/// (``SendfileHandler``), with no thread hop and no file opened once the file is cached.
final class MediaFiles: Sendable {
    /// Bytes copied and sent per write.
    static let chunkLength = 128 * 1024
    /// Files kept open at once (each holds a descriptor; `tutti serve` raises its limit).
    private static let cacheLimit = 512

    private let threadPool: NIOThreadPool
    let allocator = ByteBufferAllocator()
    private let cache = Mutex<[String: MappedFile]>([:])
    /// Where the files live (chosen at start-up).
    let store: any MediaStore
    /// The local store's folder, whose files are mapped and sent with `sendfile`; nil when
    /// the store is remote (its objects are proxied, see ``MediaSource``).
    let localRoot: String?
    /// The store, when it is remote.
    let remote: (any RemoteMediaStore)?

    init(store: any MediaStore, threadPool: NIOThreadPool = .singleton) {
        self.store = store
        self.threadPool = threadPool
        self.localRoot = (store as? LocalMediaStore)?.root
        self.remote = store as? any RemoteMediaStore
    }

    /// The path of a stored file (a key such as `media/ID/standard-3.opus`) on this machine,
    /// or nil when the store is remote.
    func localPath(_ key: String) -> String? {
        localRoot.map { $0 + "/" + key }
    }

    /// Where the bytes of the stored file `key` come from: the mapped file (a local store; nil
    /// if it is missing) or the remote object, whose size the database recorded
    /// (`recordedSize` bytes; a store holding another size is found out when it is opened).
    func source(_ key: String, recordedSize: Int64) async throws -> MediaSource? {
        if let path = localPath(key) {
            return try await open(path).map(MediaSource.file)
        }
        guard let mediaKey = try? MediaKey(key) else { return nil }
        return .object(mediaKey, size: recordedSize)
    }

    /// The mapped file of stored file `key` if it is already open (never blocks: for the
    /// event loop); nil for a remote store.
    func cachedFile(_ key: String) -> MappedFile? {
        guard let root = localRoot else { return nil }
        return cached(root + "/" + key)
    }

    /// The mapped file at `path`, or nil if there is none.
    func open(_ path: String) async throws -> MappedFile? {
        if let file = cache.withLock({ $0[path] }) { return file }
        let file = try await threadPool.runIfActive { () -> MappedFile? in
            let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { return nil }
            var status = stat()
            guard fstat(descriptor, &status) == 0 else {
                close(descriptor)
                return nil
            }
            let size = Int64(status.st_size)
            guard size > 0 else {
                close(descriptor)
                return MappedFile(base: nil, size: 0, descriptor: -1)
            }
            let base = mmap(nil, Int(size), PROT_READ, MAP_SHARED, descriptor, 0)
            guard let base, base != MAP_FAILED else {
                close(descriptor)
                return nil
            }
            return MappedFile(base: UnsafeRawPointer(base), size: size, descriptor: descriptor)
        }
        guard let file else { return nil }
        cache.withLock { cache in
            if cache.count >= Self.cacheLimit { cache.removeAll() }
            cache[path] = file
        }
        return file
    }

    /// The file at `path` if it is already open; never blocks (for the event loop).
    func cached(_ path: String) -> MappedFile? {
        cache.withLock { $0[path] }
    }

    /// A response body carrying `range` of `file` on `channel`'s connection: sent by the kernel
    /// (``FileParts``), or, if the connection cannot, written in chunks as the client takes them.
    func body(_ file: MappedFile, range: ClosedRange<Int64>, channel: (any Channel)?, metrics: TuttiMetrics) -> ResponseBody {
        let allocator = self.allocator
        if range.count <= Self.chunkLength {
            let buffer = file.bytes(offset: range.lowerBound, count: Int(range.count), allocator: allocator)
            metrics.bytesStreamed.increment(by: Int64(range.count))
            return ResponseBody(byteBuffer: buffer)
        }
        return ResponseBody(contentLength: Int(range.count)) { writer in
            let parts: FileParts? = if let channel { await FileParts.of(channel) } else { nil }
            try await Self.write(file, range.lowerBound...range.upperBound, to: &writer, parts: parts, allocator: allocator, metrics: metrics)
            try await writer.finish(nil)
        }
    }

    /// A response body carrying `range` of `file` that stops before byte `gateOffset` until
    /// `gate` returns; if `gate` throws, the body ends there (the connection is closed, so the
    /// client sees a short response, never bytes it was not entitled to). Sent as
    /// ``body(_:range:channel:metrics:)`` is.
    func body(
        _ file: MappedFile, range: ClosedRange<Int64>, gateOffset: Int64, channel: (any Channel)?, metrics: TuttiMetrics,
        gate: @escaping @Sendable () async throws -> Void
    ) -> ResponseBody {
        let allocator = self.allocator
        return ResponseBody(contentLength: Int(range.count)) { writer in
            let parts: FileParts? = if let channel { await FileParts.of(channel) } else { nil }
            if gateOffset > range.lowerBound {
                try await Self.write(
                    file, range.lowerBound...min(range.upperBound, gateOffset - 1), to: &writer, parts: parts, allocator: allocator, metrics: metrics)
            }
            if gateOffset <= range.upperBound {
                try await gate()
                try await Self.write(file, max(range.lowerBound, gateOffset)...range.upperBound, to: &writer, parts: parts, allocator: allocator, metrics: metrics)
            }
            try await writer.finish(nil)
        }
    }

    /// Writes `range` of `file`: as one part for the connection's ``SendfileHandler`` to send
    /// (which counts its bytes once sent), or else copied, a chunk at a time.
    static func write(
        _ file: MappedFile, _ range: ClosedRange<Int64>, to writer: inout some ResponseBodyWriter, parts: FileParts?,
        allocator: ByteBufferAllocator, metrics: TuttiMetrics
    ) async throws {
        if let parts, range.count > chunkLength {
            try await writer.write(parts.token(for: file, range: range))
            return
        }
        var offset = range.lowerBound
        while offset <= range.upperBound {
            let count = Int(min(Int64(chunkLength), range.upperBound - offset + 1))
            try await writer.write(file.bytes(offset: offset, count: count, allocator: allocator))
            metrics.bytesStreamed.increment(by: Int64(count))
            offset += Int64(count)
        }
    }
}
