import Foundation

/// Where a bucket is and how to reach it.
public struct S3Configuration: Sendable {
    /// How the bucket appears in request URLs.
    public enum Addressing: String, Sendable, Equatable {
        /// `http://endpoint/BUCKET/KEY`: SeaweedFS, MinIO and any endpoint without wildcard DNS.
        case path
        /// `https://BUCKET.endpoint/KEY`: AWS's default (its only form for new buckets).
        case virtualHost = "virtual"
    }

    /// `http` or `https`.
    public var scheme: String
    /// The endpoint's host, e.g. `s3.eu-central-1.amazonaws.com` or `127.0.0.1`.
    public var host: String
    /// The endpoint's port, or nil for the scheme's default.
    public var port: Int?
    /// The signing region, e.g. `us-east-1` (SeaweedFS accepts any).
    public var region: String
    public var bucket: String
    public var addressing: Addressing
    public var credentials: AWSCredentials

    /// Objects up to this size are sent in one `PUT`; larger files go up in parts, in bytes.
    public var multipartThreshold: Int64 = 64 * 1024 * 1024
    /// The size of each part of a multipart upload but the last (S3: 5 MiB to 5 GiB), in bytes.
    /// A stream of unknown length holds one part in memory while it is sent.
    public var partSize: Int64 = 16 * 1024 * 1024
    /// Seconds from sending a request (small ones: HEAD, DELETE, LIST, the head of a GET) to
    /// its response head before it fails.
    public var requestTimeout: Int64 = 30
    /// Seconds a response may go without a byte arriving (a stalled store fails a stream in
    /// this time, rather than holding it forever).
    public var readTimeout: Int64 = 30
    /// Seconds a server-side copy or the completion of a multipart upload may take: the store
    /// works on the whole object before it answers (SeaweedFS copies the bytes of a copy, and
    /// sends nothing meanwhile).
    public var slowOperationTimeout: Int64 = 600
    /// Connections to the store at once. Every GET being streamed holds one until its body is
    /// read or dropped, so this bounds concurrent proxied streams (requests beyond it wait).
    public var maximumConnections: Int = Defaults.maximumConnections
    /// Range GETs of at most this many bytes are short reads: a player's probes and seeks,
    /// which a server gathers at once rather than streaming them at its client's pace.
    public var shortReadLength: Int64 = 128 * 1024
    /// Connections to the store at once for short reads (``shortReadLength``), a pool of their
    /// own: short reads are many and brief, so a few connections carry them (requests beyond
    /// it wait their turn), where one connection per read in flight would keep a connection,
    /// and its receive buffers, per listener probing at the time (a thousand connections and
    /// 176 MiB of a node's RSS in the stream benchmark at 1,000 listeners). Read a short read's
    /// body at once: one held at a client's pace holds one of these few.
    public var shortReadConnections: Int = 64
    /// The operator-facing limits' defaults.
    public enum Defaults {
        public static let maximumConnections = 1_024
    }

    /// Host names to connect to at a fixed address instead of resolving them, as curl's
    /// `--resolve` (`["media.s3.example": "10.0.0.5"]`): a virtual-host endpoint whose bucket
    /// names have no DNS records. TLS still checks the certificate against the host name.
    public var connectAddresses: [String: String] = [:]

    public init(
        scheme: String = "https", host: String, port: Int? = nil, region: String, bucket: String,
        addressing: Addressing, credentials: AWSCredentials
    ) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.region = region
        self.bucket = bucket
        self.addressing = addressing
        self.credentials = credentials
    }

    /// AWS S3 in `region`, virtual-host addressing.
    public static func aws(region: String, bucket: String, credentials: AWSCredentials) -> S3Configuration {
        S3Configuration(host: "s3.\(region).amazonaws.com", region: region, bucket: bucket, addressing: .virtualHost, credentials: credentials)
    }

    /// The `Host` header of requests to the bucket (with the port unless it is the default).
    public var hostHeader: String {
        let name = addressing == .virtualHost ? "\(bucket).\(host)" : host
        guard let port, port != (scheme == "https" ? 443 : 80) else { return name }
        return "\(name):\(port)"
    }

    /// The path of `key` on the wire (percent-encoded; `nil` is the bucket itself).
    public func encodedPath(key: String?) -> String {
        let bucketPart = addressing == .path ? "/" + SigV4Encoding.uriEncode(bucket) : ""
        guard let key else { return bucketPart.isEmpty ? "/" : bucketPart }
        return bucketPart + "/" + SigV4Encoding.uriEncode(key, keepingSlashes: true)
    }

    /// The URL of `encodedPath` with `encodedQuery`.
    public func url(encodedPath: String, encodedQuery: String) -> String {
        "\(scheme)://\(hostHeader)\(encodedPath)\(encodedQuery.isEmpty ? "" : "?" + encodedQuery)"
    }
}
