import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// A 32-byte secret key kept in the data folder: made at first start (random, readable by the
/// owner only), read as it is after that, so what it signs or seals survives a restart.
enum KeyFile {
    static let length = 32

    /// The key at `path`, created if there is none.
    static func loadOrCreate(_ path: String) throws -> [UInt8] {
        if let existing = try load(path) { return existing }
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw ChildProcessError.call("create \(path)", errno) }
        defer { close(descriptor) }
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(descriptor) == 0 else { throw ChildProcessError.call("write \(path)", errno) }
        return bytes
    }

    private static func load(_ path: String) throws -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw ChildProcessError.call("open \(path)", errno)
        }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: 2 * length)
        let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count == length else { throw ChildProcessError.call("read \(path) (expected \(length) bytes)", EINVAL) }
        return Array(bytes[..<length])
    }
}
