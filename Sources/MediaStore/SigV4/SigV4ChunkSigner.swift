import Crypto
import Foundation

/// Signs a body sent `aws-chunked` (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`): each chunk carries
/// a signature chained from the previous one, starting at the request's own signature (the
/// seed), so a body of known length streams without being hashed first and the store still
/// refuses bytes that were changed on the way.
///
/// On the wire each chunk is `HEX(size);chunk-signature=SIG\r\n` + the bytes + `\r\n`, and the
/// body ends with an empty chunk. The request carries `Content-Encoding: aws-chunked`,
/// `x-amz-decoded-content-length` (the object's length) and a `Content-Length` of the encoded
/// body (``encodedLength(ofDecodedLength:chunkLength:)``).
public struct SigV4ChunkSigner: Sendable {
    /// Every chunk but the last must be at least this long (8 KiB), in bytes.
    public static let minimumChunkLength = 8 * 1024

    /// The day's signing key (bytes: `SymmetricKey` is not `Sendable` in swift-crypto 3).
    private let key: [UInt8]
    private let dateTime: String
    private let scope: String
    /// The signature of the last chunk signed (the seed before the first).
    public private(set) var previousSignature: String

    /// - Parameters:
    ///   - signer: The signer that signed the request head.
    ///   - seed: That request's ``SigV4Signature``, whose signature starts the chain.
    ///   - date: The date the request was signed at.
    public init(signer: SigV4Signer, seedSignature: String, date: Date) {
        let (dateTime, day) = SigV4Encoding.timestamp(date)
        self.key = signer.signingKey(day: day).withUnsafeBytes { Array($0) }
        self.dateTime = dateTime
        self.scope = signer.scope(day: day)
        self.previousSignature = seedSignature
    }

    /// The signature of the next chunk, `bytes` (empty for the final chunk).
    public mutating func sign(chunk bytes: UnsafeRawBufferPointer) -> String {
        let stringToSign = [
            "AWS4-HMAC-SHA256-PAYLOAD", dateTime, scope, previousSignature,
            SigV4Encoding.emptySHA256, SigV4Encoding.hex(SHA256.hash(data: bytes)),
        ].joined(separator: "\n")
        previousSignature = SigV4Encoding.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: SymmetricKey(data: key)))
        return previousSignature
    }

    /// The line that opens a chunk of `length` bytes signed `signature`.
    public static func chunkHeader(length: Int, signature: String) -> String {
        String(length, radix: 16) + ";chunk-signature=" + signature + "\r\n"
    }

    /// The encoded body's length (`Content-Length`) for an object of `decodedLength` bytes sent
    /// in chunks of `chunkLength` (the last one shorter), in bytes.
    public static func encodedLength(ofDecodedLength decodedLength: Int64, chunkLength: Int) -> Int64 {
        precondition(chunkLength > 0 && decodedLength >= 0)
        func framed(_ length: Int64) -> Int64 {
            // hex size + ";chunk-signature=" + 64 hex + CRLF + data + CRLF
            Int64(String(length, radix: 16).utf8.count) + 17 + 64 + 2 + length + 2
        }
        let full = decodedLength / Int64(chunkLength)
        let rest = decodedLength % Int64(chunkLength)
        return full * framed(Int64(chunkLength)) + (rest > 0 ? framed(rest) : 0) + framed(0)
    }
}
