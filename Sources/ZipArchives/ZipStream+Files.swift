#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ZipStream {
    /// A file on disk to stream into an archive.
    public struct FileSource: Sendable {
        public var entry: ZipStreamEntry
        /// Where the bytes are read from.
        public var path: String

        public init(entry: ZipStreamEntry, path: String) {
            self.entry = entry
            self.path = path
        }
    }

    /// Streams `files` as one archive to `sink`, 64 KiB at a time; returns the bytes written,
    /// which equal the `contentLength` announced for the same entries. A file that changed
    /// length since its entry was made throws `ZipStreamError.sizeMismatch` mid-stream.
    @discardableResult
    public static func write(_ files: [FileSource], to sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Int64 {
        var zip = try ZipStream(entries: files.map(\.entry))
        var written: Int64 = 0
        func send(_ bytes: [UInt8]) throws {
            try bytes.withUnsafeBytes { try sink($0) }
            written += Int64(bytes.count)
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        defer { buffer.deallocate() }
        for file in files {
            try send(try zip.beginEntry())
            let descriptor = open(file.path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw ZipStreamFileError(path: file.path, code: errno) }
            defer { close(descriptor) }
            while true {
                let count = read(descriptor, buffer.baseAddress, buffer.count)
                if count < 0 && errno == EINTR { continue }
                guard count >= 0 else { throw ZipStreamFileError(path: file.path, code: errno) }
                if count == 0 { break }
                let chunk = UnsafeRawBufferPointer(rebasing: buffer[..<count])
                try zip.append(chunk)
                try sink(chunk)
                written += Int64(count)
            }
            try send(try zip.endEntry())
        }
        try send(try zip.finish())
        return written
    }
}

/// A file named in a `ZipStream.FileSource` could not be read.
public struct ZipStreamFileError: Error, CustomStringConvertible {
    public var path: String
    public var code: Int32
    public var description: String { "\(path): \(String(cString: strerror(code)))" }
}
