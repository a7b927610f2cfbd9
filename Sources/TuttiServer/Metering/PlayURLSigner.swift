import Crypto
import FoundationEssentials
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Signs play sessions' stream URLs, so a browser `<audio>` or ffmpeg (which cannot send an
/// Authorization header) can fetch them, and nobody can forge or extend one.
///
/// The signature is HMAC-SHA256 over the session id and the expiry, keyed by 32 random
/// bytes kept in the data folder (made at first start, readable by the owner only), so URLs
/// survive a restart.
final class PlayURLSigner: Sendable {
    /// The key's bytes (SymmetricKey is not Sendable; a key is made per signature).
    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    init(keyBytes: [UInt8]) {
        self.keyBytes = keyBytes
    }

    /// Loads the key at `path`, creating it if there is none.
    init(keyPath path: String) throws {
        if let existing = try Self.load(path) {
            keyBytes = existing
            return
        }
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw ChildProcessError.call("create \(path)", errno) }
        defer { close(descriptor) }
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(descriptor) == 0 else { throw ChildProcessError.call("write \(path)", errno) }
        keyBytes = bytes
    }

    private static func load(_ path: String) throws -> [UInt8]? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw ChildProcessError.call("open \(path)", errno)
        }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: 64)
        let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count == 32 else { throw ChildProcessError.call("read \(path) (expected 32 bytes)", EINVAL) }
        return Array(bytes[..<32])
    }

    /// The signature of a session's URLs that expire at `expires` (Unix seconds).
    func signature(session: String, expires: Int64) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("play:\(session):\(expires)".utf8), using: key)
        return Hex.string(mac)
    }

    /// Whether `signature` is the one for this session and expiry (compared in constant time).
    /// Every range request of a stream checks its URL, so signatures already computed are
    /// remembered (by session and expiry) instead of computing the HMAC again.
    func isValid(_ signature: some StringProtocol, session: String, expires: Int64) -> Bool {
        let key = Verified(session: session, expires: expires)
        let expected = verified.withLock { $0[key] } ?? {
            let computed = Array(self.signature(session: session, expires: expires).utf8)
            verified.withLock { cache in
                if cache.count >= 100_000 { cache.removeAll() }
                cache[key] = computed
            }
            return computed
        }()
        return WebhookSignature.constantTimeEqual(Array(signature.utf8), expected)
    }

    private struct Verified: Hashable {
        var session: String
        var expires: Int64
    }

    private let verified = Mutex<[Verified: [UInt8]]>([:])

    /// The query string that authorizes a session's stream URLs.
    func query(session: String, expires: Int64) -> String {
        "expires=\(expires)&signature=\(signature(session: session, expires: expires))"
    }
}
