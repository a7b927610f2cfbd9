import Foundation
@testable import MediaStore
import Testing
import TuttiTestSupport

@Suite("Media store locations, credentials, keys and S3 documents")
struct ConfigurationTests {
    @Test("a folder, a file URL and an s3 URL with every parameter")
    func parsing() throws {
        #expect(try MediaStoreLocation(parsing: "/srv/tutti") == .local(path: "/srv/tutti"))
        #expect(try MediaStoreLocation(parsing: "data") == .local(path: "data"))
        #expect(try MediaStoreLocation(parsing: "file:///srv/tutti") == .local(path: "/srv/tutti"))

        let seaweed = try MediaStoreLocation(
            parsing: "s3://media-bucket/tutti?endpoint=http://127.0.0.1:8333&region=eu-west-1&credentials-file=/etc/tutti/s3&profile=tutti",
            environment: [:])
        #expect(seaweed == .s3(.init(
            bucket: "media-bucket", keyPrefix: "tutti/", scheme: "http", host: "127.0.0.1", port: 8333, region: "eu-west-1",
            addressing: .path, credentialsFile: "/etc/tutti/s3", profile: "tutti")))

        // AWS by default: virtual-host addressing at the region's endpoint; region from the environment.
        let aws = try MediaStoreLocation(parsing: "s3://media-bucket", environment: ["AWS_REGION": "eu-central-1"])
        #expect(aws == .s3(.init(
            bucket: "media-bucket", keyPrefix: "", scheme: "https", host: "s3.eu-central-1.amazonaws.com", port: nil,
            region: "eu-central-1", addressing: .virtualHost, credentialsFile: nil, profile: "default")))
        guard case let .s3(forced) = try MediaStoreLocation(parsing: "s3://b-1.x?endpoint=https://minio.example&addressing=virtual", environment: [:]) else {
            Issue.record("not s3")
            return
        }
        #expect(forced.addressing == .virtualHost && forced.region == "us-east-1" && forced.port == nil)
        #expect(forced.shortReadConnections == nil)
        guard case let .s3(pooled) = try MediaStoreLocation(parsing: "s3://b-1?endpoint=http://h:1&short-read-connections=256", environment: [:]) else {
            Issue.record("not s3")
            return
        }
        #expect(pooled.shortReadConnections == 256)
    }

    @Test("bad locations are refused with a sentence saying why", arguments: [
        ("s3://KEY:SECRET@bucket", "must not carry credentials"),
        ("s3://bucket?endpoint=http://h:1&secret=x", "unknown parameter secret"),
        ("s3://bucket?region=a&region=b", "given twice"),
        ("s3://Bucket_Name", "3 to 63 characters"),
        ("s3://bucket?endpoint=ftp://h", "endpoint must be http(s)"),
        ("s3://bucket?endpoint=http://h:9000/path", "endpoint must be http(s)"),
        ("s3://bucket?addressing=dns", "addressing is path or virtual"),
        ("s3://bucket?short-read-connections=0", "short-read-connections is a whole number from 1 to 1024"),
        ("s3://bucket?short-read-connections=many", "short-read-connections is a whole number"),
        ("s3://bucket?short-read-connections=5000", "short-read-connections is a whole number"),
        ("s3://bucket:9000", "a port belongs in endpoint="),
        ("s3://bucket/../x", "not usable"),
        ("gs://bucket", "use a folder"),
        ("", "is empty"),
    ])
    func refused(location: String, reason: String) {
        #expect {
            try MediaStoreLocation(parsing: location, environment: [:])
        } throws: { error in
            guard case let .misconfigured(message) = error as? MediaStoreError else { return false }
            return message.contains(reason)
        }
    }

    @Test("credentials: from the environment, from a shared-credentials file, and never shown")
    func credentials() throws {
        #expect(try AWSCredentials.fromEnvironment([:]) == nil)
        #expect(try AWSCredentials.fromEnvironment(["AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK"])
            == AWSCredentials(accessKeyID: "AK", secretAccessKey: "SK"))
        #expect(throws: AWSCredentialsError.self) { try AWSCredentials.fromEnvironment(["AWS_ACCESS_KEY_ID": "AK"]) }

        let file = Fixtures.scratch().appendingPathComponent("credentials")
        try """
            # comment
            [default]
            aws_access_key_id = DEFAULTKEY
            aws_secret_access_key = default/secret+x
            [tutti]
            aws_access_key_id=TUTTIKEY
            aws_secret_access_key=tutti-secret
            aws_session_token = token
            """.write(to: file, atomically: true, encoding: .utf8)
        #expect(try AWSCredentials.fromFile(file.path) == AWSCredentials(accessKeyID: "DEFAULTKEY", secretAccessKey: "default/secret+x"))
        let tutti = try AWSCredentials.fromFile(file.path, profile: "tutti")
        #expect(tutti == AWSCredentials(accessKeyID: "TUTTIKEY", secretAccessKey: "tutti-secret", sessionToken: "token"))
        #expect(!tutti.description.contains("tutti-secret") && tutti.description.contains("TUTTIKEY"))
        #expect { try AWSCredentials.fromFile(file.path, profile: "missing") } throws: { error in
            (error as? AWSCredentialsError)?.description.contains("[missing]") == true
        }

        // The location resolves them when the store is made; without any, it says what to set.
        let location = try MediaStoreLocation(parsing: "s3://bucket?endpoint=http://127.0.0.1:1", environment: [:])
        #expect { try location.makeStore(environment: [:]) } throws: { error in
            guard case let .misconfigured(message) = error as? MediaStoreError else { return false }
            return message.contains("AWS_ACCESS_KEY_ID")
        }
    }

    @Test("media keys: the service's own names only", arguments: [
        ("originals/0192f1b2-7c3e-7000-8000-000000000001.flac", true),
        ("media/track/standard-1.opus", true),
        ("a", true),
        ("", false), ("/abs", false), ("a//b", false), ("a/", false), ("../x", false), ("a/./b", false),
        (".staging/x", false), ("a b", false), ("ü", false), ("a\\b", false), ("a?b", false),
    ])
    func keys(key: String, valid: Bool) {
        #expect(((try? MediaKey(key)) != nil) == valid, valid ? "should be valid" : "should be refused")
    }

    @Test("S3 error documents become typed errors; a HEAD's status alone does too")
    func errorDocuments() {
        let document = Data("""
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>a/b</Key><RequestId>4442587FB7D0A2F9</RequestId></Error>
            """.utf8)
        let error = S3Error.from(status: 404, body: document, operation: "GetObject", key: "a/b", requestID: nil)
        #expect(error.code == .noSuchKey && error.message == "The specified key does not exist." && error.requestID == "4442587FB7D0A2F9")
        #expect(MediaStoreError.from(error, operation: "read", key: "a/b") == .notFound(key: "a/b"))

        let head = S3Error.from(status: 403, body: Data(), operation: "HeadObject", key: "k", requestID: "r")
        #expect(head.code == .accessDenied && head.requestID == "r")
        #expect(S3Error.from(status: 503, body: Data("busy".utf8), operation: "PutObject", key: "k", requestID: nil).isTransient)
        #expect(S3Client.embeddedError(in: Data("<CompleteMultipartUploadResult/>".utf8), status: 200, operation: "x", key: nil) == nil)
        #expect(S3Client.embeddedError(in: document, status: 200, operation: "CopyObject", key: "a/b")?.code == .noSuchKey)

        // A store that says it is full: the service answers 507 for it (Problem+MediaStore).
        for code in ["QuotaExceeded", "EntityTooLarge"] {
            let full = S3Error.from(status: 403, body: Data("<Error><Code>\(code)</Code><Message>no room</Message></Error>".utf8),
                                    operation: "PutObject", key: "k", requestID: nil)
            guard case .storageFull = MediaStoreError.from(full, operation: "write", key: "k") else {
                Issue.record("\(code) is not storageFull: \(MediaStoreError.from(full, operation: "write", key: "k"))")
                continue
            }
        }
    }

    @Test("Content-Range values")
    func contentRange() {
        #expect(S3Client.parseContentRange("bytes 0-9/100").map { $0.range == 0...9 && $0.total == 100 } == true)
        #expect(S3Client.parseContentRange("bytes 5-4/100") == nil)
        #expect(S3Client.parseContentRange("bytes */100") == nil)
        #expect(S3Client.parseContentRange("items 0-9/100") == nil)
    }

    @Test("HTTP dates (Last-Modified): the fixed form read by hand, as the formatter reads it")
    func httpDates() {
        let known: [(String, TimeInterval)] = [
            ("Wed, 12 Oct 2009 17:50:00 GMT", 1_255_369_800), ("Mon, 07 Dec 2026 04:11:59 GMT", 1_796_616_719),
            ("Tue, 29 Feb 2028 23:59:59 GMT", 1_835_481_599), ("Thu, 01 Jan 1970 00:00:00 GMT", 0),
        ]
        for (text, seconds) in known {
            #expect(S3Dates.parseIMFFixdate(text) == Date(timeIntervalSince1970: seconds), "\(text)")
            #expect(S3Dates.parseHTTPDate(text) == Date(timeIntervalSince1970: seconds), "\(text)")
        }
        for bad in ["Wed, 12 Foo 2009 17:50:00 GMT", "Wed, 12 Oct 2009 17:50:00 UTC", "Wed, 1x Oct 2009 17:50:00 GMT", "", "Wed, 12 Oct 2009 25:50:00 GMT"] {
            #expect(S3Dates.parseIMFFixdate(bad) == nil, "\(bad)")
        }
    }

    @Test("path-style and virtual-host URLs and Host headers")
    func addressing() {
        let credentials = AWSCredentials(accessKeyID: "a", secretAccessKey: "s")
        let path = S3Configuration(scheme: "http", host: "127.0.0.1", port: 8333, region: "us-east-1", bucket: "media", addressing: .path, credentials: credentials)
        #expect(path.hostHeader == "127.0.0.1:8333")
        #expect(path.encodedPath(key: "a b/c+d") == "/media/a%20b/c%2Bd")
        #expect(path.url(encodedPath: path.encodedPath(key: "k"), encodedQuery: "x=1") == "http://127.0.0.1:8333/media/k?x=1")
        let aws = S3Configuration.aws(region: "eu-west-1", bucket: "media", credentials: credentials)
        #expect(aws.hostHeader == "media.s3.eu-west-1.amazonaws.com")
        #expect(aws.encodedPath(key: "k") == "/k")
        #expect(aws.encodedPath(key: nil) == "/")
    }
}
