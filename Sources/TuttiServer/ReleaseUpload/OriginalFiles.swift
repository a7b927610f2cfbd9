import Crypto
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// The whole-release upload's file work on the data folder: hashing an original it moves into
/// place and syncing the folder after the moves. (Single-track uploads and transcodes go
/// through the media store, which does both itself; release uploads do not yet, so they
/// work on the local store only: see README, "Media storage".)
enum OriginalFiles {
    static func sha256(ofFileAt path: String) throws -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ChildProcessError.call("open \(path)", errno) }
        defer { close(descriptor) }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 { throw ChildProcessError.call("read \(path)", errno) }
            if count == 0 { break }
            hasher.update(data: buffer[..<count])
        }
        return Hex.string(hasher.finalize())
    }

    static func syncDirectory(_ path: String) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor >= 0 {
            fsync(descriptor)
            close(descriptor)
        }
    }
}
