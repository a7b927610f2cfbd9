import Catalog
import Foundation
import GRDB
import Logging
import Synchronization
import Testing
@testable import TuttiServer
import TuttiTestSupport

/// What a transcode job leaves behind: all its renditions or none, its progress written in
/// order and finished before the job ends, and a database that fails loudly.
@Suite("Transcode jobs: all or nothing, ordered progress, a failing queue seen")
struct TranscodeOutcomeTests {
    /// A stand-in transcoder that runs `before` (a shell snippet that knows `$data`, `$track`
    /// and `$job`) and then the real `tutti transcode` with the same arguments.
    static func wrappedTranscoder(_ before: String) throws -> String {
        try transcoderScript("""
            work=$(dirname "$3"); job=${work##*job-}; data=$(dirname "$(dirname "$work")")
            original=$(basename "$2"); track=${original%.*}
            \(before)
            exec "\(Fixtures.tuttiExecutable)" "$@"
            """)
    }

    @Test("a rendition that cannot be moved into place fails the track and leaves none of its renditions behind")
    func allOrNothing() async throws {
        // The low rendition's destination is taken by a folder, so its rename fails after the
        // standard one's succeeded.
        let script = try Self.wrappedTranscoder(#"mkdir -p "$data/media/$track/low-$job.opus/taken""#)
        try await TestService(transcoder: script).run { api in
            let artist = try await api.account("ada", role: "artist")
            let id = try await api.upload(Fixtures.media("sine-1000-48000-mono.wav"), title: "Blocked", by: artist)
            let track = try await api.waitUntilProcessed(id, token: artist.token)
            #expect(track["status"] as? String == "failed", "\(track)")
            #expect((track["failureReason"] as? String)?.contains("could not store") == true, "\(track)")
            let folder = api.configuration.absolute("media/\(id)")
            let left = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
            #expect(left.allSatisfy { !$0.hasPrefix("standard-") }, "renditions left on disk: \(left)")
            #expect(left.count == 1 && left.first?.hasPrefix("low-") == true, "only the folder in the way: \(left)")
            let renditions = try await api.request(.get, "/api/v1/tracks/\(id)/audio/standard", token: artist.token)
            #expect(renditions.status == .notFound)
        }
    }

    @Test("progress is written in order, ends at 100 and is all written before the track is ready")
    func orderedProgress() async throws {
        let lines = stride(from: 5, through: 95, by: 5).map { "echo progress \($0) >&2" }.joined(separator: "; ")
        let script = try Self.wrappedTranscoder(lines)
        try await TestService(transcoder: script).run { api in
            // Every write of a track's progress, in the order the database took them.
            let database = api.services.database
            try await database.write { db in
                try db.execute(sql: """
                    CREATE TABLE test_progress_log (id INTEGER PRIMARY KEY, progress INTEGER, status TEXT);
                    CREATE TRIGGER test_progress_log AFTER UPDATE OF progress ON tracks BEGIN
                        INSERT INTO test_progress_log (progress, status) VALUES (NEW.progress, NEW.status);
                    END;
                    """)
            }
            let artist = try await api.account("ada", role: "artist")
            let id = try await api.upload(Fixtures.media("sine-440-44100-stereo.flac"), title: "Progress", by: artist)
            let track = try await api.waitUntilProcessed(id, token: artist.token)
            #expect(track["status"] as? String == "ready", "\(track)")
            let log = try await database.read { db in
                try Row.fetchAll(db, sql: "SELECT progress, status FROM test_progress_log ORDER BY id").map {
                    (progress: $0["progress"] as Int, status: $0["status"] as String)
                }
            }
            let processing = log.filter { $0.status == "processing" }.map(\.progress)
            #expect(processing == processing.sorted(), "progress went back: \(processing)")
            #expect(processing.last == 100, "the last progress is written before the job completes: \(log)")
            #expect(log.last?.status == "ready", "nothing is written after the track is ready: \(log)")
            #expect(log.filter { $0.status == "ready" }.count == 1, "\(log)")
        }
    }

    @Test("a queue that cannot be read is logged as an error, counted, and retried ever more slowly; it recovers")
    func failingQueue() async throws {
        let logs = LogCapture()
        var service = TestService { $0.jobConcurrency = 1 }
        service.logger = Logger(label: "tutti-test") { _ in logs }
        try await service.run { api in
            let artist = try await api.account("ada", role: "artist")
            let database = api.services.database
            // The queue's table goes missing under the running server.
            try await database.write { try $0.execute(sql: "ALTER TABLE transcodeJobs RENAME TO transcodeJobs_away") }
            try await waitUntil("three failed reads of the queue, retried at least 2 s apart", every: .milliseconds(100)) {
                let metrics = try await api.metrics().values
                return (metrics["tutti_job_queue_errors_total"] ?? 0) >= 3 && (metrics["tutti_job_queue_retry_seconds"] ?? 0) >= 2
            }
            #expect(logs.messages(at: .error).contains { $0.contains("transcode queue") }, "\(logs.messages(at: .error))")
            // Once the table is back, the retry succeeds and jobs run again.
            try await database.write { try $0.execute(sql: "ALTER TABLE transcodeJobs_away RENAME TO transcodeJobs") }
            try await waitUntil("the retry delay back at 0", every: .milliseconds(100)) {
                try await api.metric("tutti_job_queue_retry_seconds") == 0
            }
            let id = try await api.upload(Fixtures.media("sine-1000-48000-mono.wav"), title: "After", by: artist)
            let track = try await api.waitUntilProcessed(id, token: artist.token)
            #expect(track["status"] as? String == "ready", "\(track)")
        }
    }
}

/// Keeps what is logged, for a test to read.
final class LogCapture: LogHandler, Sendable {
    private let entries = Mutex<[(Logger.Level, String)]>([])

    func messages(at level: Logger.Level) -> [String] {
        entries.withLock { $0.filter { $0.0 == level }.map(\.1) }
    }

    func log(event: LogEvent) {
        entries.withLock { $0.append((event.level, "\(event.message) \(event.metadata.map { "\($0)" } ?? "")")) }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }

    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }

    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }
}
