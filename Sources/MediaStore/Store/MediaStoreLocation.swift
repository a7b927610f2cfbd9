import Foundation
import Logging

/// Where media live, as the operator writes it (`--media`):
///
/// - a folder: `/srv/tutti`, `./data`, `file:///srv/tutti`: ``LocalMediaStore``;
/// - a bucket: `s3://BUCKET[/PREFIX]?endpoint=URL&region=REGION&addressing=path|virtual`
///   `&credentials-file=PATH&profile=NAME&short-read-connections=N`: ``S3MediaStore``.
///
/// Credentials never appear in the location (a `s3://KEY:SECRET@...` is refused): they come
/// from `credentials-file` (the AWS shared-credentials format) or else from
/// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` in the environment. Without `endpoint` the
/// bucket is on AWS (`https://s3.REGION.amazonaws.com`, virtual-host addressing); with one,
/// addressing defaults to path-style (SeaweedFS, MinIO). `region` defaults to `AWS_REGION`,
/// then `AWS_DEFAULT_REGION`, then `us-east-1`.
public enum MediaStoreLocation: Sendable, Equatable {
    case local(path: String)
    case s3(S3Location)

    /// The parts of an `s3://` location (without credentials, which are resolved when the
    /// store is made).
    public struct S3Location: Sendable, Equatable {
        public var bucket: String
        /// `""` or a folder ending in `/`.
        public var keyPrefix: String
        public var scheme: String
        public var host: String
        public var port: Int?
        public var region: String
        public var addressing: S3Configuration.Addressing
        public var credentialsFile: String?
        public var profile: String
        /// ``S3Configuration/shortReadConnections``, if not its default.
        public var shortReadConnections: Int? = nil
    }

    static let s3Parameters = ["endpoint", "region", "addressing", "credentials-file", "profile", "short-read-connections"]

    /// - Throws: ``MediaStoreError/misconfigured(_:)`` saying what is wrong and what would be right.
    public init(parsing text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(MediaStoreError) {
        if text.hasPrefix("s3://") {
            self = .s3(try Self.parseS3(text, environment: environment))
        } else if text.hasPrefix("file://") {
            guard let url = URL(string: text), url.isFileURL, url.host == nil || url.host == "" || url.host == "localhost", !url.path.isEmpty else {
                throw .misconfigured("--media \(text): a file URL is file:///absolute/path")
            }
            self = .local(path: url.path)
        } else if text.contains("://") {
            throw .misconfigured("--media \(text): use a folder, file:///path or s3://bucket?endpoint=...")
        } else {
            guard !text.isEmpty else { throw .misconfigured("--media is empty: give a folder or s3://bucket") }
            self = .local(path: text)
        }
    }

    private static func parseS3(_ text: String, environment: [String: String]) throws(MediaStoreError) -> S3Location {
        guard let components = URLComponents(string: text), let bucket = components.host, !bucket.isEmpty else {
            throw .misconfigured("--media \(text): expected s3://BUCKET[/PREFIX]?endpoint=...&region=...")
        }
        guard components.user == nil, components.password == nil else {
            throw .misconfigured("--media must not carry credentials (they would show in the process list): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or credentials-file=PATH")
        }
        guard components.port == nil else { throw .misconfigured("--media \(text): a port belongs in endpoint=, not after the bucket") }
        guard bucket.count >= 3, bucket.count <= 63,
              bucket.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 46 })
        else {
            throw .misconfigured("--media \(text): a bucket name is 3 to 63 characters of a-z 0-9 . -")
        }
        var parameters: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard s3Parameters.contains(item.name) else {
                throw .misconfigured("--media \(text): unknown parameter \(item.name) (known: \(s3Parameters.joined(separator: ", ")))")
            }
            guard parameters[item.name] == nil else { throw .misconfigured("--media \(text): \(item.name) is given twice") }
            parameters[item.name] = item.value ?? ""
        }
        let region = parameters["region"] ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1"
        guard !region.isEmpty else { throw .misconfigured("--media \(text): region is empty") }

        var prefix = String(components.path.drop { $0 == "/" })
        if !prefix.isEmpty, !prefix.hasSuffix("/") { prefix += "/" }
        if !prefix.isEmpty, let reason = MediaKey.problem(with: String(prefix.dropLast())) {
            throw .misconfigured("--media \(text): the key prefix \(prefix) is not usable: \(reason)")
        }

        var location = S3Location(
            bucket: bucket, keyPrefix: prefix, scheme: "https", host: "s3.\(region).amazonaws.com", port: nil, region: region,
            addressing: .virtualHost, credentialsFile: parameters["credentials-file"], profile: parameters["profile"] ?? "default")
        if let endpoint = parameters["endpoint"] {
            guard let url = URLComponents(string: endpoint), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  let host = url.host, !host.isEmpty, url.path.isEmpty || url.path == "/", url.query == nil, url.user == nil
            else {
                throw .misconfigured("--media \(text): endpoint must be http(s)://HOST[:PORT] with nothing after it")
            }
            location.scheme = scheme
            location.host = host
            location.port = url.port
            location.addressing = .path
        }
        if let addressing = parameters["addressing"] {
            guard let value = S3Configuration.Addressing(rawValue: addressing) else {
                throw .misconfigured("--media \(text): addressing is path or virtual, not \(addressing)")
            }
            location.addressing = value
        }
        if let text = parameters["short-read-connections"] {
            let limit = S3Configuration.Defaults.maximumConnections
            guard let count = Int(text), (1...limit).contains(count) else {
                throw .misconfigured("--media: short-read-connections is a whole number from 1 to \(limit), not \(text)")
            }
            location.shortReadConnections = count
        }
        return location
    }

    /// Opens the store this location names; for S3, resolves the credentials now.
    public func makeStore(environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger = Logger(label: "tutti.media")) throws(MediaStoreError) -> any MediaStore {
        switch self {
        case let .local(path):
            return try LocalMediaStore(root: path)
        case let .s3(location):
            let credentials = try location.credentials(environment: environment)
            var configuration = S3Configuration(
                scheme: location.scheme, host: location.host, port: location.port, region: location.region,
                bucket: location.bucket, addressing: location.addressing, credentials: credentials)
            if let shortReads = location.shortReadConnections { configuration.shortReadConnections = shortReads }
            return S3MediaStore(client: S3Client(configuration: configuration, logger: logger), keyPrefix: location.keyPrefix)
        }
    }
}

extension MediaStoreLocation.S3Location {
    /// From `credentials-file` if given, else from the environment.
    func credentials(environment: [String: String]) throws(MediaStoreError) -> AWSCredentials {
        do {
            if let credentialsFile {
                return try AWSCredentials.fromFile(credentialsFile, profile: profile)
            }
            if let fromEnvironment = try AWSCredentials.fromEnvironment(environment) { return fromEnvironment }
        } catch {
            throw .misconfigured("S3 credentials: \(error.description)")
        }
        throw .misconfigured("S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add credentials-file=PATH to --media")
    }
}
