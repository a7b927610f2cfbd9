import AudioCore
import Catalog
import Foundation
import GRDB
import Testing
import TuttiTestSupport

/// Several workers on one transcode queue: a job is held by a lease, a dead worker's job is
/// taken by another once the lease has passed, and the worker that lost it records nothing.
@Suite("Transcode job leases", .ownThreads)
struct JobLeaseTests {
    let clock = ManualClock()
    let pool: DatabasePool
    let jobs: JobQueue

    init() throws {
        pool = try TuttiDatabase.open(path: Fixtures.scratch().appendingPathComponent("jobs.sqlite").path)
        let clock = self.clock
        jobs = JobQueue(database: pool, now: { clock.now })
    }

    /// A processing track and its queued job.
    func queue(_ track: String) async throws {
        let now = clock.now
        try await pool.write { db in
            if try Int.fetchOne(db, sql: "SELECT count(*) FROM users WHERE id = 'ari'") == 0 {
                try db.execute(sql: "INSERT INTO users (id, username, displayName, passwordHash, role, createdAt) VALUES ('ari', 'ari', 'Ari', '-', 'artist', ?)",
                               arguments: [now])
            }
            _ = try Tracks.insert(.record(id: track, artistID: "ari", title: track, status: .processing, published: false, originalPath: "-", at: now),
                                  placement: .single, now: now, db)
            try db.execute(sql: "INSERT INTO transcodeJobs (trackID, state, attempts, createdAt) VALUES (?, 'queued', 0, ?)", arguments: [track, now])
        }
    }

    func status(_ track: String) async throws -> String? {
        try await pool.read { db in try String.fetchOne(db, sql: "SELECT status FROM tracks WHERE id = ?", arguments: [track]) }
    }

    @Test("a held job is nobody else's until its lease passes; then the next worker takes it as a new attempt, and the first can record nothing")
    func takeover() async throws {
        try await queue("song")
        let (first, _) = try #require(try await jobs.claimNext(worker: "a", lease: .seconds(60)))
        #expect(first.attempts == 1 && first.worker == "a")
        clock.advance(by: 59)
        #expect(try await jobs.claimNext(worker: "b", lease: .seconds(60)) == nil)
        #expect(try await jobs.renew(first, lease: .seconds(60)))  // held until 119 s now
        clock.advance(by: 59)
        #expect(try await jobs.claimNext(worker: "b", lease: .seconds(60)) == nil)

        // Worker a stalls: no renewal; past its lease, b takes the job over.
        clock.advance(by: 2)
        let (second, _) = try #require(try await jobs.claimNext(worker: "b", lease: .seconds(60)))
        #expect(second.id == first.id && second.attempts == 2 && second.worker == "b")
        #expect(try await jobs.renew(first, lease: .seconds(60)) == false)
        await #expect(throws: CatalogError.jobTakenOver(jobID: first.id ?? 0)) {
            try await jobs.fail(first, trackID: "song", reason: "a's failure")
        }
        await #expect(throws: CatalogError.jobTakenOver(jobID: first.id ?? 0)) {
            try await jobs.complete(first, trackID: "song", result: Self.result, renditions: [])
        }
        try jobs.requeueNow(first)  // a stopping worker cannot hand back what it lost
        #expect(try await status("song") == "processing")
        #expect(try await jobs.counts()[.running] == 1)

        try await jobs.complete(second, trackID: "song", result: Self.result, renditions: [])
        #expect(try await status("song") == "ready")
        #expect(try await jobs.counts()[.done] == 1)
        // Done is done: an expired lease does not bring a finished job back.
        clock.advance(by: 3_600)
        #expect(try await jobs.claimNext(worker: "c", lease: .seconds(60)) == nil)
    }

    @Test("workers take different jobs; a job handed back at shutdown goes to the next worker at once")
    func distinctJobsAndRequeue() async throws {
        try await queue("one")
        try await queue("two")
        let (a, _) = try #require(try await jobs.claimNext(worker: "a", lease: .seconds(60)))
        let (b, _) = try #require(try await jobs.claimNext(worker: "b", lease: .seconds(60)))
        #expect(a.id != b.id)
        #expect(try await jobs.claimNext(worker: "c", lease: .seconds(60)) == nil)
        try await jobs.requeue(a)
        let (c, _) = try #require(try await jobs.claimNext(worker: "c", lease: .seconds(60)))
        #expect(c.id == a.id && c.attempts == 2)
        try await jobs.fail(c, trackID: c.trackID, reason: "damaged")
        #expect(try await status(c.trackID) == "failed")
    }

    @Test("a node that starts takes back at once the running jobs of workers that are gone, and leaves the others to their leases")
    func requeueInterrupted() async throws {
        try await queue("one")
        try await queue("two")
        let (a, _) = try #require(try await jobs.claimNext(worker: "dead", lease: .seconds(60)))
        let (b, _) = try #require(try await jobs.claimNext(worker: "alive", lease: .seconds(60)))
        #expect(try await jobs.requeueInterrupted(workerIsGone: { $0 == "dead" }) == 1)
        let (again, _) = try #require(try await jobs.claimNext(worker: "new", lease: .seconds(60)))
        #expect(again.id == a.id && again.attempts == 2)
        #expect(try await jobs.renew(b, lease: .seconds(60)))  // the live worker's job is still its own
        #expect(try await jobs.claimNext(worker: "new", lease: .seconds(60)) == nil)
    }

    /// What a transcode reports, as the child's manifest carries it.
    static let result = try! JSONDecoder().decode(TranscodeResult.self, from: Data("""
        {"source": {"format": "WAV", "encoding": "PCM 16-bit", "channels": 2, "sampleRate": 48000, "frames": 48000, "tags": {}},
         "samples": 48000, "tags": {}, "loudness": {"integratedLUFS": -14, "truePeakDBTP": -1},
         "peaks": {"minimums": [], "maximums": []}, "renditions": []}
        """.utf8))
}
