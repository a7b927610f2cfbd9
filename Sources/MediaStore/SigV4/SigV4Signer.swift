import Crypto
import Foundation
import Synchronization

/// How a request's body is signed: the last line of the canonical request, and the value of
/// `x-amz-content-sha256` when the signer sends that header.
public enum SigV4Payload: Sendable, Equatable {
    /// No body (the SHA-256 of no bytes).
    case empty
    /// A body whose SHA-256 (lowercase hex) the caller computed; the store recomputes it and
    /// refuses the request if the bytes it received differ.
    case sha256(String)
    /// `UNSIGNED-PAYLOAD`: the body is not covered by the signature (presigned URLs; a body
    /// protected by TLS).
    case unsigned
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: the body is sent `aws-chunked`, each chunk signed
    /// in turn (see ``SigV4ChunkSigner``).
    case streaming

    /// The payload of `bytes`, hashed.
    public static func bytes(_ bytes: some DataProtocol) -> SigV4Payload {
        .sha256(SigV4Encoding.sha256Hex(bytes))
    }

    /// The value signed (and sent as `x-amz-content-sha256`).
    public var hash: String {
        switch self {
        case .empty: SigV4Encoding.emptySHA256
        case let .sha256(hex): hex
        case .unsigned: "UNSIGNED-PAYLOAD"
        case .streaming: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
        }
    }
}

/// An HTTP request as Signature Version 4 sees it.
public struct SigV4Request: Sendable {
    /// `GET`, `PUT`, ...
    public var method: String
    /// The path exactly as it goes on the wire, percent-encoded once (for S3, each key segment
    /// through ``SigV4Encoding/uriEncode(_:keepingSlashes:)`` with slashes kept). S3 signs it
    /// as it is, without normalising `.` or `//`.
    public var encodedPath: String
    /// Query parameters, not encoded (a parameter without a value has `""`).
    public var query: [(name: String, value: String)]
    /// Request headers; `host` must be among them, as sent (with the port unless it is the
    /// scheme's default).
    public var headers: [(name: String, value: String)]

    public init(method: String, encodedPath: String, query: [(name: String, value: String)] = [], headers: [(name: String, value: String)]) {
        self.method = method
        self.encodedPath = encodedPath
        self.query = query
        self.headers = headers
    }

    /// The query string SigV4 signs, which is also the one to send: names and values
    /// percent-encoded, sorted by name then value, joined with `&`.
    public var canonicalQuery: String {
        query.map { (SigV4Encoding.uriEncode($0.name), SigV4Encoding.uriEncode($0.value)) }
            .sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }
}

/// The result of signing a request with headers (the `Authorization` header way).
public struct SigV4Signature: Sendable {
    /// The canonical request (method, path, query, headers, signed header names, payload hash).
    public let canonicalRequest: String
    /// `AWS4-HMAC-SHA256`, the time, the scope and the canonical request's SHA-256.
    public let stringToSign: String
    /// The signature, lowercase hex.
    public let signature: String
    /// The signed header names, lowercase, sorted, joined with `;`.
    public let signedHeaders: String
    /// The `Authorization` header's value.
    public let authorization: String
    /// Every header to send: the request's own, the `x-amz-*` headers the signer added, and
    /// `Authorization`.
    public let headers: [(name: String, value: String)]
}

/// The result of presigning a request (the query-parameter way): a URL anyone can use
/// until it expires, without credentials.
public struct SigV4Presignature: Sendable {
    public let canonicalRequest: String
    public let stringToSign: String
    public let signature: String
    /// The query string to send: the request's parameters and the `X-Amz-*` ones, encoded and
    /// sorted, with `X-Amz-Signature` last.
    public let encodedQuery: String
}

/// AWS Signature Version 4 (`AWS4-HMAC-SHA256`) for one key pair, region and service.
///
/// Written by hand on swift-crypto because no AWS SDK for Swift is in our package set (Soto is
/// not mirrored); its tests reproduce AWS's published test-suite and S3 example signatures.
public struct SigV4Signer: Sendable {
    public static let algorithm = "AWS4-HMAC-SHA256"
    /// The longest a presigned URL may live: 7 days, in seconds.
    public static let maximumPresignedLifetime = 604_800

    public let credentials: AWSCredentials
    /// e.g. `us-east-1`.
    public let region: String
    /// e.g. `s3`.
    public let service: String
    /// Whether header-signed requests carry (and sign) `x-amz-content-sha256`, as S3 requires.
    public let sendsContentHash: Bool

    /// The last day's signing key: it changes once a day, and deriving it takes four HMACs
    /// (a proxied Range GET signs one request each, so they add up).
    private let keyCache = SigningKeyCache()

    /// - Parameter sendsContentHash: nil means "if `service` is `s3`".
    public init(credentials: AWSCredentials, region: String, service: String = "s3", sendsContentHash: Bool? = nil) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.sendsContentHash = sendsContentHash ?? (service == "s3")
    }

    /// `DAY/REGION/SERVICE/aws4_request`.
    public func scope(day: String) -> String {
        "\(day)/\(region)/\(service)/aws4_request"
    }

    /// The key of one day: HMAC chained over the day, region, service and `aws4_request`,
    /// starting from `"AWS4" + secret`.
    public func signingKey(day: String) -> SymmetricKey {
        if let key = keyCache.key(day: day) { return key }
        let key = Self.deriveKey(secret: credentials.secretAccessKey, day: day, region: region, service: service)
        keyCache.store(key, day: day)
        return key
    }

    static func deriveKey(secret: String, day: String, region: String, service: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array("AWS4\(secret)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return key
    }

    /// The canonical request and the signed header names of `request`.
    public func canonicalRequest(_ request: SigV4Request, payloadHash: String) -> (text: String, signedHeaders: String) {
        var merged: [String: [String]] = [:]
        for (name, value) in request.headers {
            merged[name.lowercased(), default: []].append(Self.trimmed(value))
        }
        let names = merged.keys.sorted()
        let headerLines = names.map { "\($0):\(merged[$0, default: []].joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let text = [request.method, request.encodedPath, request.canonicalQuery, headerLines, signedHeaders, payloadHash]
            .joined(separator: "\n")
        return (text, signedHeaders)
    }

    /// `AWS4-HMAC-SHA256\nTIME\nSCOPE\nSHA256(canonical request)`.
    public func stringToSign(canonicalRequest: String, dateTime: String, day: String) -> String {
        [Self.algorithm, dateTime, scope(day: day), SigV4Encoding.sha256Hex(Array(canonicalRequest.utf8))].joined(separator: "\n")
    }

    /// HMAC-SHA256 of `stringToSign` under the day's signing key, lowercase hex.
    public func signature(stringToSign: String, day: String) -> String {
        SigV4Encoding.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: signingKey(day: day)))
    }

    /// Signs `request` at `date`: adds `x-amz-date`, `x-amz-content-sha256` (if
    /// ``sendsContentHash``) and `x-amz-security-token` (temporary credentials), signs every
    /// header then present, and returns the `Authorization` header with everything to send.
    public func sign(_ request: SigV4Request, payload: SigV4Payload, date: Date) -> SigV4Signature {
        let (dateTime, day) = SigV4Encoding.timestamp(date)
        var request = request
        let added = ["x-amz-date", "x-amz-content-sha256", "x-amz-security-token"]
        request.headers.removeAll { added.contains($0.name.lowercased()) }
        request.headers.append((name: "x-amz-date", value: dateTime))
        if sendsContentHash { request.headers.append((name: "x-amz-content-sha256", value: payload.hash)) }
        if let token = credentials.sessionToken { request.headers.append((name: "x-amz-security-token", value: token)) }

        let (canonical, signedHeaders) = canonicalRequest(request, payloadHash: payload.hash)
        let toSign = stringToSign(canonicalRequest: canonical, dateTime: dateTime, day: day)
        let signature = signature(stringToSign: toSign, day: day)
        let authorization = "\(Self.algorithm) Credential=\(credentials.accessKeyID)/\(scope(day: day)), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return SigV4Signature(
            canonicalRequest: canonical, stringToSign: toSign, signature: signature, signedHeaders: signedHeaders,
            authorization: authorization, headers: request.headers + [(name: "Authorization", value: authorization)])
    }

    /// Presigns `request` (its headers, normally just `host`, are signed) for `expires`
    /// seconds from `date`: the returned query string authorises exactly this method, path,
    /// query and host until then.
    ///
    /// - Parameters:
    ///   - expires: Seconds the URL stays valid, 1 to 604,800 (7 days).
    ///   - payload: ``SigV4Payload/unsigned`` for S3 (whoever holds the URL sends the body).
    public func presign(_ request: SigV4Request, expires: Int, date: Date, payload: SigV4Payload = .unsigned) -> SigV4Presignature {
        precondition((1...Self.maximumPresignedLifetime).contains(expires), "a presigned URL lives 1 s to 7 days")
        let (dateTime, day) = SigV4Encoding.timestamp(date)
        var request = request
        let signedHeaderNames = Set(request.headers.map { $0.name.lowercased() }).sorted().joined(separator: ";")
        request.query += [
            (name: "X-Amz-Algorithm", value: Self.algorithm),
            (name: "X-Amz-Credential", value: "\(credentials.accessKeyID)/\(scope(day: day))"),
            (name: "X-Amz-Date", value: dateTime),
            (name: "X-Amz-Expires", value: String(expires)),
            (name: "X-Amz-SignedHeaders", value: signedHeaderNames),
        ]
        if let token = credentials.sessionToken { request.query.append((name: "X-Amz-Security-Token", value: token)) }
        let (canonical, _) = canonicalRequest(request, payloadHash: payload.hash)
        let toSign = stringToSign(canonicalRequest: canonical, dateTime: dateTime, day: day)
        let signature = signature(stringToSign: toSign, day: day)
        return SigV4Presignature(
            canonicalRequest: canonical, stringToSign: toSign, signature: signature,
            encodedQuery: request.canonicalQuery + "&X-Amz-Signature=" + signature)
    }

    /// A header value as canonical headers carry it: outer spaces removed, inner runs of
    /// spaces and tabs collapsed to one space.
    static func trimmed(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }
}

/// One day's signing key, shared by the copies of a ``SigV4Signer`` (kept as bytes:
/// `SymmetricKey` is not `Sendable`).
final class SigningKeyCache: Sendable {
    private let entry = Mutex<(day: String, key: [UInt8])?>(nil)

    func key(day: String) -> SymmetricKey? {
        let bytes = entry.withLock { $0?.day == day ? $0?.key : nil }
        return bytes.map { SymmetricKey(data: $0) }
    }

    func store(_ key: SymmetricKey, day: String) {
        let bytes = key.withUnsafeBytes { Array($0) }
        entry.withLock { $0 = (day, bytes) }
    }
}
