import Crypto
import FoundationEssentials
import HTTPTypes

/// The payment provider's signature of a webhook delivery, Stripe-style:
/// `Tutti-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>`.
///
/// Several `v1=` entries may be present (the provider signs with the old and the new secret
/// while one is rotated); one matching is enough. Entries of other schemes are ignored.
struct WebhookSignature: Equatable {
    static let headerName = HTTPField.Name("Tutti-Signature")!
    /// The header as a provider sends it (the API document's pattern); the reader below also
    /// takes other orders, spaces and other schemes' entries.
    static let headerPattern = "^t=[0-9]{1,12}(,v1=[0-9a-fA-F]{64}){1,8}$"

    /// The signed timestamp, seconds since 1970-01-01T00:00:00Z.
    let timestamp: Int64
    /// The candidate HMAC-SHA256 values, 32 bytes each.
    let signatures: [[UInt8]]

    enum Failure: Error, Equatable {
        /// The header is missing or cannot be read.
        case malformed(String)
        /// No `v1` entry is the HMAC of this body and timestamp under the secret.
        case mismatch
        /// Authentic, but signed too long ago (or too far ahead): a replay or a wrong clock.
        case outsideTolerance(ageSeconds: Int64, toleranceSeconds: Int64)
    }

    /// Reads `t=...,v1=...[,v1=...]`.
    init(header: String?) throws(Failure) {
        guard let header, !header.isEmpty else { throw .malformed("the Tutti-Signature header is missing") }
        guard header.utf8.count <= 2_048 else { throw .malformed("the Tutti-Signature header is too long") }
        var timestamp: Int64?
        var signatures: [[UInt8]] = []
        for item in header.split(separator: ",", omittingEmptySubsequences: false) {
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { throw .malformed("'\(item.prefix(40))' is not a key=value entry") }
            let key = Self.trimmed(pair[0])
            let value = Self.trimmed(pair[1])
            switch key {
            case "t":
                guard timestamp == nil else { throw .malformed("t= appears twice") }
                guard !value.isEmpty, value.utf8.count <= 12, value.utf8.allSatisfy({ (48...57).contains($0) }), let seconds = Int64(value) else {
                    throw .malformed("t= must be whole seconds since 1970")
                }
                timestamp = seconds
            case "v1":
                guard let bytes = Self.hexBytes(value), bytes.count == SHA256.byteCount else {
                    throw .malformed("v1= must be 64 hexadecimal digits")
                }
                signatures.append(bytes)
            default:
                continue
            }
        }
        guard let timestamp else { throw .malformed("t= is missing") }
        guard !signatures.isEmpty else { throw .malformed("no v1= signature") }
        guard signatures.count <= 8 else { throw .malformed("more than 8 v1= signatures") }
        self.timestamp = timestamp
        self.signatures = signatures
    }

    /// Checks the signature of `body` under `secret`, then that it was made within
    /// `tolerance` seconds of `now`. Every candidate is compared in constant time.
    func verify(body: some Collection<UInt8>, secret: String, now: Date, tolerance: Int64) throws(Failure) {
        let expected = Self.signature(body: body, timestamp: timestamp, secret: secret)
        var matched = false
        for candidate in signatures where Self.constantTimeEqual(candidate, expected) { matched = true }
        guard matched else { throw .mismatch }
        let age = Int64(now.timeIntervalSince1970.rounded(.down)) - timestamp
        guard age.magnitude <= tolerance.magnitude else { throw .outsideTolerance(ageSeconds: age, toleranceSeconds: tolerance) }
    }

    /// HMAC-SHA256 of `"<timestamp>." + body` keyed with the UTF-8 bytes of `secret`.
    static func signature(body: some Collection<UInt8>, timestamp: Int64, secret: String) -> [UInt8] {
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: Array(secret.utf8)))
        hmac.update(data: Array("\(timestamp).".utf8))
        hmac.update(data: Array(body))
        return Array(hmac.finalize())
    }

    /// The header value a provider would send for `body` at `timestamp`.
    static func header(body: some Collection<UInt8>, timestamp: Int64, secrets: [String]) -> String {
        (["t=\(timestamp)"] + secrets.map { "v1=" + Hex.string(signature(body: body, timestamp: timestamp, secret: $0)) }).joined(separator: ",")
    }

    /// Equal lengths and bytes, in time that depends only on the length (which is public).
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    private static func trimmed(_ text: Substring) -> String {
        String(text.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }

    static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case 48...57: digit - 48
        case 97...102: digit - 87
        case 65...70: digit - 55
        default: nil
        }
    }

}
