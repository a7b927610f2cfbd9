import Crypto
import FoundationEssentials

/// Server-generated identifiers: random, unguessable, safe in paths and URLs.
public enum Identifier {
    /// A new lowercase UUID string, e.g. for users and tracks.
    public static func make() -> String { UUID().uuidString.lowercased() }

    /// Whether `text` has the shape of an identifier this module made; anything else (a path,
    /// an injection attempt) is rejected before it reaches the database or the file system.
    public static func isValid(_ text: some StringProtocol) -> Bool {
        isValid(utf8: text.utf8)
    }

    /// ``isValid(_:)`` for text still in bytes (e.g. a request target, before it is decoded).
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
