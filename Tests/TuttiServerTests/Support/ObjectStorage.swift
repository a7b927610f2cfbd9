import Catalog
import Foundation
import MediaStore
import Testing
@testable import TuttiServer
import TuttiTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A media location in the suite's SeaweedFS (`@Suite(.seaweedFS(buckets: [ObjectStorage.bucket]))`),
/// under a key prefix of its own, with its credentials in a file (as an operator would give
/// them: never on the command line).
struct ObjectStorage: Sendable {
    static let bucket = "tutti-media"

    let weed: SeaweedFS
    /// `PREFIX/`, this test's part of the bucket.
    let prefix: String
    /// The `--media` text.
    let text: String
    let location: MediaStoreLocation

    /// - Parameter identity: Access key and secret, if not the instance's own (all rights).
    init(prefix: String = "t-" + UUID().uuidString.lowercased().prefix(12), identity: (String, String)? = nil) throws {
        weed = try #require(SeaweedFS.current, "the suite needs .seaweedFS(buckets: [ObjectStorage.bucket])")
        self.prefix = prefix + "/"
        let (accessKey, secretKey) = identity ?? (weed.accessKey, weed.secretKey)
        let credentials = Fixtures.scratch("s3-credentials").appendingPathComponent("credentials")
        try "[default]\naws_access_key_id = \(accessKey)\naws_secret_access_key = \(secretKey)\n"
            .write(to: credentials, atomically: true, encoding: .utf8)
        text = "s3://\(Self.bucket)/\(prefix)?endpoint=\(weed.endpoint)&region=\(weed.region)&credentials-file=\(credentials.path)"
        location = try MediaStoreLocation(parsing: text, environment: [:])
    }

    /// A store on the location, for the test's own look at the bucket (shut it down after).
    func store() throws -> any MediaStore {
        try location.makeStore(environment: [:])
    }

    /// Every key under this test's prefix, staged objects included.
    func keys() async throws -> [String] {
        let store = try store()
        do {
            let keys = try await store.list(prefix: "").collect().map(\.key)
            try await store.shutdown()
            return keys
        } catch {
            try? await store.shutdown()
            throw error
        }
    }

    /// The object's bytes as curl fetches them from SeaweedFS (a second, independent client).
    func curlObject(_ key: String) async throws -> Data {
        let file = Fixtures.scratch("s3-object").appendingPathComponent("object")
        let output = try await ThirdPartyTools.run("curl", [
            "-sS", "--max-time", "60", "--aws-sigv4", "aws:amz:\(weed.region):s3", "--user", "\(weed.accessKey):\(weed.secretKey)",
            "-o", file.path, "-w", "%{http_code}", "\(weed.endpoint)/\(Self.bucket)/\(prefix)\(key)",
        ])
        #expect(output.status == 0 && output.stdout == "200", "curl GET \(key): \(output.stdout) \(output.stderr)")
        return try Data(contentsOf: file)
    }
}

extension TestService {
    /// A service whose media live at `storage`.
    init(storage: ObjectStorage, transcoder: String = Fixtures.tuttiExecutable, configure: (inout ServerConfiguration) -> Void = { _ in }) {
        self.init(transcoder: transcoder) { configuration in
            configuration.media = storage.location
            configuration.mediaEnvironment = [:]
            configure(&configuration)
        }
    }
}

/// nginx (the Debian binary) in front of a test server, as an operator runs it with
/// `--accel-redirect /_media`: everything proxied to the node, and an internal location that
/// fetches the presigned object the node names from the store, Range passed through, the
/// listener's credentials not forwarded.
final class FrontNginx: @unchecked Sendable {
    let port: Int
    private let process: Spawned
    private let folder: URL

    init(nodePort: Int, storeEndpoint: String) async throws {
        folder = Fixtures.scratch("nginx")
        port = try Self.freePort()
        let store = try #require(URL(string: storeEndpoint))
        let storeHost = "\(store.host ?? "127.0.0.1"):\(store.port ?? 80)"
        let temp = folder.path
        let config = """
            daemon off; master_process off; worker_processes 1;
            pid \(temp)/nginx.pid; error_log \(temp)/error.log;
            events { worker_connections 256; }
            http {
              access_log off;
              client_body_temp_path \(temp); proxy_temp_path \(temp); fastcgi_temp_path \(temp); uwsgi_temp_path \(temp); scgi_temp_path \(temp);
              server {
                listen 127.0.0.1:\(port);
                location / { proxy_pass http://127.0.0.1:\(nodePort); proxy_buffering off; proxy_read_timeout 600s; }
                location /_media/ {
                  internal;
                  proxy_pass http://\(storeHost)/; proxy_buffering off;
                  proxy_set_header Host \(storeHost); proxy_set_header Authorization "";
                }
              }
            }
            """
        let configPath = folder.appendingPathComponent("nginx.conf").path
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        process = try Spawned("/usr/sbin/nginx", ["-c", configPath, "-p", temp])
        let port = self.port
        try await waitUntil("nginx to listen on \(port)") {
            (try? RawConnection(port: port)) != nil
        }
    }

    /// Kills nginx. It does not wait: SIGKILL cannot be refused, ``Spawned`` reaps the child
    /// on a thread of its own, and a wait here would hold one of the threads every test and
    /// in-process server shares.
    func stop() {
        process.send(SIGKILL)
    }

    deinit { stop() }

    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else { throw RawConnectionError.connect(errno) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

extension TestAPI {
    /// The stored file `key` as a file on this machine: the local store's own, or the object
    /// fetched from the bucket into a scratch folder.
    func storedCopy(_ key: String) async throws -> String {
        let mediaKey = try MediaKey(key)
        if let path = services.store.localFile(mediaKey) { return path }
        let copy = Fixtures.scratch("stored-copy").appendingPathComponent((key as NSString).lastPathComponent).path
        try await services.store.download(mediaKey, to: copy)
        return copy
    }
}

/// The media of a service run on the suite's SeaweedFS: after a test body written for either
/// store, everything it stored is in the bucket, whole, and nothing in the data folder.
struct BucketCheck {
    let service: TestService
    let storage: ObjectStorage

    /// A service with its media at a fresh prefix of the suite's bucket.
    init(configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        storage = try ObjectStorage()
        service = TestService(storage: storage, configure: configure)
    }

    /// Every key the database names (originals, renditions, images) is in the bucket; none
    /// is staged; the data folder holds no media; returns the keys.
    /// - Parameter named: Whether the database must name files at all.
    @discardableResult
    func expectEverythingInBucket(named expectNamed: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String] {
        let keys = try await storage.keys()
        #expect(!keys.contains { $0.hasPrefix(StagedMedia.stagingPrefix) }, "staged objects left: \(keys)", sourceLocation: sourceLocation)
        let database = try TuttiDatabase.open(path: service.configuration.databasePath)
        let named = try await Tracks(database: database, now: { Date() }).storedFiles()
            + (try await Images(database: database, now: { Date() }).storedFiles())
        #expect(named.isEmpty != expectNamed, "\(named.count) files named", sourceLocation: sourceLocation)
        let store = try storage.store()
        for file in named {
            let info = try await store.info(try MediaKey(file.key))
            #expect(info?.size == file.bytes, "\(file.key) in the bucket: \(String(describing: info))", sourceLocation: sourceLocation)
        }
        try await store.shutdown()
        let data = service.configuration.dataDirectory
        for folder in ["originals", "media", "images", "uploads", "work"] {
            let left = (try? FileManager.default.contentsOfDirectory(atPath: "\(data)/\(folder)")) ?? []
            #expect(left.isEmpty, "\(folder) in the data folder holds \(left)", sourceLocation: sourceLocation)
        }
        return keys
    }
}
