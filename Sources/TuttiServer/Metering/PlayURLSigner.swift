import Crypto
import FoundationEssentials
import Synchronization

/// Signs play sessions' stream URLs, so a browser `<audio>` or ffmpeg (which cannot send an
/// Authorization header) can fetch them, and nobody can forge or extend one.
///
/// The signature is HMAC-SHA256 over the session id and the expiry, keyed by 32 random
/// bytes kept in the data folder (``KeyFile``), so URLs survive a restart.
final class PlayURLSigner: Sendable {
    /// The key's bytes (SymmetricKey is not Sendable; a key is made per signature).
    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    init(keyBytes: [UInt8]) {
        self.keyBytes = keyBytes
    }

    /// Loads the key at `path`, creating it if there is none (see ``KeyFile``).
    init(keyPath path: String) throws {
        keyBytes = try KeyFile.loadOrCreate(path)
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
