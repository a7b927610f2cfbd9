import Foundation
import GRDB
import Ledger
import MediaStore
import Testing
import TuttiTestSupport

/// `tutti backup s3://...` and `tutti restore s3://...`: a backup put into a bucket of the
/// suite's SeaweedFS (real SigV4, real objects), checked and restored from it.
@Suite("Backups to object storage", .seaweedFS(buckets: ["tutti-backups"]))
struct ObjectStorageBackupTests {
    static let bucket = "tutti-backups"  // the suite's bucket, above

    private static func tutti(_ arguments: [String]) async throws -> ThirdPartyTools.Output {
        try await ThirdPartyTools.run(Fixtures.tuttiExecutable, arguments)
    }

    /// The `s3://` location of `prefix` in the suite's bucket, its credentials in a file.
    private static func location(_ prefix: String) throws -> String {
        let weed = try #require(SeaweedFS.current)
        let credentials = Fixtures.scratch("s3-credentials").appendingPathComponent("credentials")
        try "[default]\naws_access_key_id = \(weed.accessKey)\naws_secret_access_key = \(weed.secretKey)\n"
            .write(to: credentials, atomically: true, encoding: .utf8)
        return "s3://\(bucket)/\(prefix)?endpoint=\(weed.endpoint)&region=\(weed.region)&credentials-file=\(credentials.path)"
    }

    @Test("a backup of a running service into a bucket: checked whole, restored into a fresh folder whose ledger verifies at the same head and which streams the same bytes; never over a backup; a changed object or a prefix without a manifest is refused")
    func backupToBucketAndRestore() async throws {
        let demo = Fixtures.repository.appendingPathComponent("media/demo").path
        let server = try await ServerProcess.start(arguments: ["--demo", demo])
        let tracks = try await server.publishedTracks(count: 3)
        let prefix = "b-" + UUID().uuidString.lowercased().prefix(8)
        let destination = try Self.location(String(prefix))

        let taken = try await Self.tutti(["backup", "--data", server.data.path, destination])
        try #require(taken.status == 0, "tutti backup: \(taken.stdout) \(taken.stderr)")

        // The bucket holds the manifest, the database and every media file it lists.
        let store = try MediaStoreLocation(parsing: destination, environment: [:]).makeStore(environment: [:])
        let manifestCopy = Fixtures.scratch("manifest").appendingPathComponent("manifest.json").path
        try await store.download(try MediaKey("manifest.json"), to: manifestCopy)
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifestCopy))) as? [String: Any])
        let media = try #require(manifest["media"] as? [[String: Any]])
        #expect(media.count == 9, "three originals and six renditions")
        let head = try #require((manifest["ledger"] as? [String: Any])?["headSequence"] as? Int)
        #expect(try await store.info(try MediaKey("tutti.sqlite")) != nil)
        for file in media {
            let key = try #require(file["key"] as? String)
            let info = try await store.info(try MediaKey(key))
            #expect(info?.size == (file["bytes"] as? NSNumber)?.int64Value, "\(key) in the bucket")
        }

        // Never over a backup.
        let again = try await Self.tutti(["backup", "--data", server.data.path, destination])
        #expect(again.status != 0)
        #expect(again.stderr.contains("already holds a backup"), "\(again.stderr)")

        let checked = try await Self.tutti(["restore", destination, "--check"])
        #expect(checked.status == 0, "tutti restore --check: \(checked.stdout) \(checked.stderr)")

        let restoredFolder = Fixtures.scratch("restored").appendingPathComponent("data")
        let restored = try await Self.tutti(["restore", destination, "--data", restoredFolder.path])
        #expect(restored.status == 0, "tutti restore: \(restored.stdout) \(restored.stderr)")
        // Both keys come back: links signed before, and apps' sign-ins, keep working.
        for key in ["url-signing.key", "app-passwords.key"] {
            let live = try Data(contentsOf: server.data.appendingPathComponent(key))
            #expect(try Data(contentsOf: restoredFolder.appendingPathComponent(key)) == live, "\(key) restored from the bucket")
        }
        let copy = try DatabasePool(path: restoredFolder.appendingPathComponent("tutti.sqlite").path, configuration: Ledger.configuration())
        let report = try Ledger.verify(copy)
        #expect(report.isIntact, "\(report)")
        #expect(report.headSequence == Int64(head))
        try copy.close()

        // The restored service streams the free track's bytes as the live one does.
        let restoredServer = try await ServerProcess.start(data: restoredFolder)
        #expect(try await restoredServer.publishedTracks(count: 3).count == 3)
        let free = try #require(tracks.first { $0["free"] as? Bool == true }?["id"] as? String)
        let (liveStatus, liveBody) = try await server.get("/api/v1/tracks/\(free)/audio/standard")
        let (restoredStatus, restoredBody) = try await restoredServer.get("/api/v1/tracks/\(free)/audio/standard")
        #expect(liveStatus == 200 && restoredStatus == 200)
        #expect(!liveBody.isEmpty && liveBody == restoredBody, "the restore streams the same bytes")
        try await restoredServer.stop()
        try await server.stop()

        // One media object changed in the bucket: --check names it.
        let key = try #require(media.first { ($0["key"] as? String)?.hasPrefix("media/") == true }?["key"] as? String)
        let changed = Fixtures.scratch("changed").appendingPathComponent("object").path
        try Data("not the rendition".utf8).write(to: URL(fileURLWithPath: changed))
        let staged = try await store.stage(fileAt: changed, contentType: "audio/ogg")
        try await store.finalize(staged, as: try MediaKey(key))
        let damaged = try await Self.tutti(["restore", destination, "--check"])
        #expect(damaged.status == 1)
        #expect(damaged.stderr.contains(key), "--check names the changed object: \(damaged.stderr)")

        // A prefix without a manifest holds no backup.
        let empty = try await Self.tutti(["restore", try Self.location("nothing-here"), "--check"])
        #expect(empty.status != 0)
        #expect(empty.stderr.contains("not a complete backup"), "\(empty.stderr)")
        try await store.shutdown()
    }
}
