import Crypto
import FoundationEssentials

/// Server-generated identifiers: random, unguessable, safe in paths and URLs.
public enum Identifier {
    /// A new lowercase UUID string, e.g. for users and tracks.
    public static func make() -> String { UUID().uuidString.lowercased() }

    /// A new lowercase UUID string whose first 48 bits are the milliseconds since 1970 (a
    /// version 7 UUID, RFC 9562 §5.7), the other 74 random: for rows written at a high rate,
    /// such as play sessions. New ids sort after older ones, so rows that arrive in about the
    /// order their ids were made land at the right edge of a B-tree index on them, a few pages
    /// per commit instead of one page per row. Still unguessable (74 random bits); the first
    /// 48 bits tell when the id was made.
    public static func makeTimeOrdered(milliseconds: UInt64 = UInt64(Date().timeIntervalSince1970 * 1_000)) -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - index))) }
        bytes[6] = 0x70 | (bytes[6] & 0x0F)
        bytes[8] = 0x80 | (bytes[8] & 0x3F)
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
            .uuidString.lowercased()
    }

    /// Whether `text` has the shape of an identifier this module made; anything else (a path,
    /// an injection attempt) is rejected before it reaches the database or the file system.
    @inlinable
    public static func isValid(_ text: some StringProtocol) -> Bool {
        isValid(utf8: text.utf8)
    }

    /// ``isValid(_:)`` for text still in bytes (e.g. a request target, before it is decoded).
    ///
    /// Inlinable so that it is specialized for the caller's collection: the streaming path
    /// checks every request's id with it, and unspecialized (a protocol call per byte) it cost
    /// that path about a quarter of its requests per second (BENCHMARKS.md, streaming).
    @inlinable
    public static func isValid(utf8 bytes: some Collection<UInt8>) -> Bool {
        guard bytes.count == 36 else { return false }
        for (index, byte) in bytes.enumerated() {
            switch index {
            case 8, 13, 18, 23: guard byte == UInt8(ascii: "-") else { return false }
            default: guard (48...57).contains(byte) || (97...102).contains(byte) else { return false }
            }
        }
        return true
    }
}

/// A secret handed to a client once; only its SHA-256 digest is stored.
public enum Secret {
    /// 32 random bytes as unpadded base64url (43 characters).
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Hex SHA-256 of `secret`, the form stored and looked up.
    public static func digest(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
