#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An archive opened for positioned reads.
final class ArchiveFile {
    let path: String
    let descriptor: Int32
    /// The file's length in bytes.
    let size: UInt64

    init(path: String) throws(ZipExtractionError) {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .io(path: path, detail: String(cString: strerror(errno))) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let detail = String(cString: strerror(errno))
            close(descriptor)
            throw .io(path: path, detail: detail)
        }
        size = UInt64(status.st_size)
    }

    deinit { close(descriptor) }

    /// Exactly `count` bytes at `offset`; a read past the end is damage, not a short read.
    func read(_ count: Int, at offset: UInt64) throws(ZipExtractionError) -> [UInt8] {
        guard count >= 0, offset <= size, UInt64(count) <= size - offset else {
            throw .damaged(detail: "a record points past the end of the file")
        }
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
            }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { throw .io(path: path, detail: got < 0 ? String(cString: strerror(errno)) : "file shrank while reading") }
            done += got
        }
        return bytes
    }

    /// Up to `buffer.count` bytes at `offset` into `buffer`; returns how many were read.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(ZipExtractionError) -> Int {
        while true {
            let got = pread(descriptor, buffer.baseAddress, buffer.count, off_t(offset))
            if got < 0 && errno == EINTR { continue }
            guard got >= 0 else { throw .io(path: path, detail: String(cString: strerror(errno))) }
            return got
        }
    }
}
