import Hummingbird
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A read-only descriptor of a media file, closed when the last user lets go.
final class OpenFile: Sendable {
    let descriptor: Int32
    let size: Int64

    init(descriptor: Int32, size: Int64) {
        self.descriptor = descriptor
        self.size = size
    }

    deinit { close(descriptor) }
}

/// Reads media files for streaming: descriptors stay open between requests (renditions
/// never change once written) and reads run on a thread pool, off the event loops.
final class MediaFiles: Sendable {
    /// Bytes read and sent per chunk.
    static let chunkLength = 64 * 1024
    private static let cacheLimit = 512

    private let threadPool: NIOThreadPool
    private let allocator = ByteBufferAllocator()
    private let cache = Mutex<[String: OpenFile]>([:])

    init(threadPool: NIOThreadPool = .singleton) {
        self.threadPool = threadPool
    }

    /// The open file at `path`, or nil if there is none.
    func open(_ path: String) async throws -> OpenFile? {
        if let file = cache.withLock({ $0[path] }) { return file }
        let file = try await threadPool.runIfActive { () -> OpenFile? in
            let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { return nil }
            var status = stat()
            guard fstat(descriptor, &status) == 0 else {
                close(descriptor)
                return nil
            }
            return OpenFile(descriptor: descriptor, size: Int64(status.st_size))
        }
        guard let file else { return nil }
        cache.withLock { cache in
            if cache.count >= Self.cacheLimit { cache.removeAll() }
            cache[path] = file
        }
        return file
    }

    /// Forgets a cached descriptor (the file was replaced or removed).
    func forget(_ path: String) {
        _ = cache.withLock { $0.removeValue(forKey: path) }
    }

    /// Reads `count` bytes at `offset` (fewer only at the end of the file).
    func read(_ file: OpenFile, offset: Int64, count: Int) async throws -> ByteBuffer {
        let allocator = self.allocator
        return try await threadPool.runIfActive {
            var buffer = allocator.buffer(capacity: count)
            let got = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { pointer in
                var total = 0
                while total < count {
                    let n = pread(file.descriptor, pointer.baseAddress! + total, count - total, off_t(offset) + off_t(total))
                    if n <= 0 { break }
                    total += n
                }
                return total
            }
            guard got == count else { throw MediaFileError.shortRead(expected: count, got: got) }
            return buffer
        }
    }

    /// A response body carrying `range` of `file`, read in chunks as the client takes them.
    func body(_ file: OpenFile, range: ClosedRange<Int64>, metrics: TuttiMetrics) -> ResponseBody {
        ResponseBody(contentLength: Int(range.count)) { writer in
            var offset = range.lowerBound
            while offset <= range.upperBound {
                let count = Int(min(Int64(Self.chunkLength), range.upperBound - offset + 1))
                let buffer = try await self.read(file, offset: offset, count: count)
                try await writer.write(buffer)
                metrics.bytesStreamed.increment(by: Int64(count))
                offset += Int64(count)
            }
            try await writer.finish(nil)
        }
    }
}

enum MediaFileError: Error {
    case shortRead(expected: Int, got: Int)
}
