import Foundation
import NIOCore
import NIOFileSystem

#if canImport(Glibc)
import Glibc
#endif

/// Media as files under one folder (the data folder): the key is the path relative to it.
/// Today's layout, so an existing data folder works as it is; the server sends these files
/// with `sendfile` (``localFile(_:)``).
///
/// Staged files go to `ROOT/.staging/` (same file system, so finalizing is a `rename`):
/// written through a hidden temporary file, synced, linked in when complete; the rename and
/// the directory are synced before ``finalize(_:as:)`` returns.
public struct LocalMediaStore: MediaStore {
    /// The folder, absolute.
    public let root: String

    /// - Parameter root: The folder (created if missing, with the staging folder in it).
    public init(root: String) throws(MediaStoreError) {
        let absolute = URL(fileURLWithPath: root).standardizedFileURL.path
        self.root = absolute
        do {
            try FileManager.default.createDirectory(atPath: absolute + "/" + StagedMedia.stagingPrefix, withIntermediateDirectories: true)
        } catch {
            throw .misconfigured("cannot create the media folder \(absolute): \(error.localizedDescription)")
        }
    }

    public var description: String { "local folder \(root)" }

    func path(_ key: String) -> String { root + "/" + key }

    // MARK: Writing

    public func stage(fileAt source: String, contentType: String?) async throws -> StagedMedia {
        let key = StagedMedia.newKey()
        let destination = path(key)
        do {
            // A hard link costs no copy when the file is on the same file system.
            let linked = try await LocalFiles.blocking { () throws -> Bool in
                if link(source, destination) == 0 { return true }
                let code = errno
                if code == EXDEV || code == EPERM || code == EMLINK { return false }
                throw LocalFiles.errnoError("link", source, code)
            }
            if linked {
                let (size, sha256) = try await LocalFiles.digest(of: destination)
                try await LocalFiles.blocking { try LocalFiles.syncDirectory(self.path(StagedMedia.stagingPrefix)) }
                return StagedMedia(stagingKey: key, size: size, sha256: sha256)
            }
            let (size, sha256) = try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(source)) { file in
                try await LocalFiles.write(file.readChunks(chunkLength: .kibibytes(256)), to: destination)
            }
            return StagedMedia(stagingKey: key, size: size, sha256: sha256)
        } catch {
            throw LocalFiles.mapped(error, key: nil)
        }
    }

    public func stage(
        _ bytes: some AsyncSequence<ByteBuffer, some Error> & Sendable, length: Int64?, contentType: String?
    ) async throws -> StagedMedia {
        let key = StagedMedia.newKey()
        do {
            let (size, sha256) = try await LocalFiles.write(bytes, to: path(key), expectedLength: length)
            return StagedMedia(stagingKey: key, size: size, sha256: sha256)
        } catch {
            throw LocalFiles.mapped(error, key: nil)
        }
    }

    public func finalize(_ staged: StagedMedia, as key: MediaKey) async throws {
        let source = path(staged.stagingKey)
        let destination = path(key.rawValue)
        let folder = (destination as NSString).deletingLastPathComponent
        try await LocalFiles.blocking {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw MediaStoreError.failed(operation: "finalize", detail: "cannot create \(folder): \(error.localizedDescription)")
            }
            guard rename(source, destination) == 0 else {
                let code = errno
                if code == ENOENT { throw MediaStoreError.notFound(key: staged.stagingKey) }
                throw LocalFiles.errnoError("rename", "\(source) to \(destination)", code)
            }
            // A rename keeps the staged file's time (and a hard-linked one its source's, maybe
            // years old). The sweeper judges by age: the object must count as written now, or
            // one finalized while a sweep lists could pass for an old orphan before its row commits.
            guard utimes(destination, nil) == 0 else { throw LocalFiles.errnoError("utimes", destination) }
            try LocalFiles.syncDirectory(folder)
        }
    }

    public func discard(_ staged: StagedMedia) async throws {
        try await remove(staged.stagingKey)
    }

    public func delete(_ key: MediaKey) async throws {
        try await remove(key.rawValue)
    }

    private func remove(_ key: String) async throws {
        let target = path(key)
        try await LocalFiles.blocking {
            guard unlink(target) == 0 || errno == ENOENT else { throw LocalFiles.errnoError("unlink", target) }
        }
    }

    // MARK: Reading

    public func info(_ key: MediaKey) async throws -> MediaObjectInfo? {
        let target = path(key.rawValue)
        return try await LocalFiles.blocking { try Self.info(key: key.rawValue, path: target) }
    }

    /// - Parameter followingLinks: false to skip symbolic links (listings).
    static func info(key: String, path: String, followingLinks: Bool = true) throws -> MediaObjectInfo? {
        var status = stat()
        guard (followingLinks ? stat(path, &status) : lstat(path, &status)) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw LocalFiles.errnoError("stat", path)
        }
        guard status.st_mode & S_IFMT == S_IFREG else { return nil }
        let modified = Date(timeIntervalSince1970: TimeInterval(status.st_mtim.tv_sec) + TimeInterval(status.st_mtim.tv_nsec) / 1e9)
        return MediaObjectInfo(key: key, size: Int64(status.st_size), lastModified: modified)
    }

    public func read<Result>(_ key: MediaKey, range: ClosedRange<Int64>?, _ body: (MediaContent) async throws -> Result) async throws -> Result {
        let file: ReadFileHandle
        let fileInfo: FileInfo
        do {
            file = try await FileSystem.shared.openFile(forReadingAt: FilePath(path(key.rawValue)), options: .init())
            do {
                fileInfo = try await file.info()
            } catch {
                try? await file.close()
                throw error
            }
        } catch {
            throw LocalFiles.mapped(error, key: key.rawValue)
        }
        let size = fileInfo.size
        let offset = range?.lowerBound ?? 0
        let end = min(size, range.map { $0.upperBound + 1 } ?? size)
        guard offset >= 0, offset < size || (range == nil && size == 0) else {
            try? await file.close()
            throw MediaStoreError.rangeNotSatisfiable(key: key.rawValue, size: size)
        }
        let modified = fileInfo.lastDataModificationTime
        let content = MediaContent(
            key: key, offset: offset, length: end - offset, totalSize: size,
            lastModified: Date(timeIntervalSince1970: TimeInterval(modified.seconds) + TimeInterval(modified.nanoseconds) / 1e9),
            etag: nil,
            chunks: MediaChunks(
                ExactLengthBody(base: file.readChunks(in: offset..<end, chunkLength: .kibibytes(128)), key: key.rawValue, expected: end - offset),
                operation: "read", key: key.rawValue))
        do {
            let result = try await body(content)
            try? await file.close()
            return result
        } catch {
            try? await file.close()
            throw error
        }
    }

    public func list(prefix: String) -> MediaListing {
        let root = self.root
        return MediaListing {
            var objects: [MediaObjectInfo]?
            return {
                if objects == nil {
                    objects = try await LocalFiles.blocking { try Self.walk(root: root, prefix: prefix) }.reversed()
                }
                return objects?.popLast()
            }
        }
    }

    /// Every regular file under `root` whose relative path starts with `prefix`, sorted.
    static func walk(root: String, prefix: String) throws -> [MediaObjectInfo] {
        // Walk only the folder the prefix names (the part up to its last /).
        let folder = prefix.lastIndex(of: "/").map { String(prefix[...$0]) } ?? ""
        let start = root + "/" + folder
        guard let enumerator = FileManager.default.enumerator(atPath: start) else { return [] }
        var objects: [MediaObjectInfo] = []
        while let relative = enumerator.nextObject() as? String {
            let key = folder + relative
            guard key.hasPrefix(prefix), let info = try info(key: key, path: root + "/" + key, followingLinks: false) else { continue }
            objects.append(info)
        }
        return objects.sorted { $0.key < $1.key }
    }

    public func localFile(_ key: MediaKey) -> String? { path(key.rawValue) }

    public func presignedURL(_ key: MediaKey, expires: Int, now: Date?) -> String? { nil }

    public func abortUploads(startedBefore date: Date) async throws -> Int { 0 }

    public func shutdown() async throws {}
}
