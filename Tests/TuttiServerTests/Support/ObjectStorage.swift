import Foundation
import MediaStore
import Testing
@testable import TuttiServer
import TuttiTestSupport

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

    init(prefix: String = "t-" + UUID().uuidString.lowercased().prefix(12)) throws {
        weed = try #require(SeaweedFS.current, "the suite needs .seaweedFS(buckets: [ObjectStorage.bucket])")
        self.prefix = prefix + "/"
        let credentials = Fixtures.scratch("s3-credentials").appendingPathComponent("credentials")
        try "[default]\naws_access_key_id = \(weed.accessKey)\naws_secret_access_key = \(weed.secretKey)\n"
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
