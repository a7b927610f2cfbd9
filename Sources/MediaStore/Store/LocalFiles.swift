import Crypto
import Foundation
import NIOCore
import NIOFileSystem
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// File operations the local store and downloads share.
enum LocalFiles {
    /// Runs blocking system calls on NIO's thread pool, off the cooperative threads.
    static func blocking<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await NIOThreadPool.singleton.runIfActive(work)
    }

    /// Writes what `chunks` yields to `path`, which appears (replacing any file there) only
    /// once everything is written and synced; on failure nothing appears. Returns the byte
    /// count and the SHA-256 of what was written.
    @discardableResult
    static func write(
        _ chunks: some AsyncSequence<ByteBuffer, some Error>, to path: String, expectedLength: Int64? = nil
    ) async throws -> (size: Int64, sha256: String) {
        try await FileSystem.shared.withFileHandle(
            forWritingAt: FilePath(path), options: .newFile(replaceExisting: true)
        ) { file in
            var hasher = SHA256()
            var offset: Int64 = 0
            for try await chunk in chunks {
                chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                try await file.write(contentsOf: chunk, toAbsoluteOffset: offset)
                offset += Int64(chunk.readableBytes)
                if let expectedLength, offset > expectedLength {
                    throw MediaStoreError.lengthMismatch(expected: expectedLength, received: offset)
                }
            }
            if let expectedLength, offset != expectedLength {
                throw MediaStoreError.lengthMismatch(expected: expectedLength, received: offset)
            }
            try await file.synchronize()
            return (offset, SigV4Encoding.hex(hasher.finalize()))
        }
    }

    /// Size and SHA-256 of the file at `path`, read in chunks; syncs it to disk on the way.
    static func digest(of path: String) async throws -> (size: Int64, sha256: String) {
        try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { file in
            var hasher = SHA256()
            var size: Int64 = 0
            for try await chunk in file.readChunks(chunkLength: .kibibytes(256)) {
                chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                size += Int64(chunk.readableBytes)
            }
            try await file.synchronize()
            return (size, SigV4Encoding.hex(hasher.finalize()))
        }
    }

    /// Flushes a directory's entries (a rename or link in it) to disk.
    static func syncDirectory(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw errnoError("open", path) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw errnoError("fsync", path) }
    }

    static func errnoError(_ call: String, _ path: String, _ code: Int32 = errno) -> MediaStoreError {
        classify(code: code, detail: "\(call) \(path): \(String(cString: strerror(code)))", key: nil)
    }

    /// A file-system failure in the store's terms.
    static func classify(code: Int32, detail: String, key: String?) -> MediaStoreError {
        switch code {
        case ENOENT: .notFound(key: key ?? detail)
        case EACCES, EPERM: .accessDenied(key: key, detail: detail)
        case ENOSPC, EDQUOT: .storageFull(detail: detail)
        case EROFS: .readOnly(detail: detail)
        default: .failed(operation: "file system", detail: detail)
        }
    }

    /// `error` (from NIOFileSystem or a system call) in the store's terms.
    static func mapped(_ error: any Error, key: String?) -> any Error {
        if error is CancellationError || error is MediaStoreError { return error }
        if let error = error as? FileSystemError {
            if let cause = error.cause as? FileSystemError.SystemCallError {
                return classify(code: cause.errno.rawValue, detail: error.description, key: key)
            }
            switch error.code {
            case .notFound: return MediaStoreError.notFound(key: key ?? error.message)
            case .permissionDenied: return MediaStoreError.accessDenied(key: key, detail: error.description)
            default: return MediaStoreError.failed(operation: "file system", detail: error.description)
            }
        }
        return MediaStoreError.failed(operation: "file system", detail: String(describing: error))
    }
}
