import AudioCore
import FoundationEssentials
import GRDB

/// The transcode job queue, in the database so nothing uploaded is lost to a crash.
///
/// Several workers may take jobs from one queue (`tutti serve --role worker`). A worker holds
/// a job it runs by a lease (``claimNext(worker:lease:)``) and renews it while the job runs
/// (``renew(_:lease:)``); a job whose lease has passed is taken by the next worker that asks,
/// as a new attempt. Everything that ends or returns a job names the attempt it was given
/// (the job's `attempts` when claimed), so a worker that lost its job (it stalled past its
/// lease and another took over) can record nothing: its ``complete(_:trackID:result:renditions:)``
/// and ``fail(_:trackID:reason:)`` throw ``CatalogError/jobTakenOver(jobID:)`` and change no row.
public struct JobQueue: Sendable {
    private let database: any DatabaseWriter
    private let now: @Sendable () -> Date

    package init(database: any DatabaseWriter, now: @escaping @Sendable () -> Date) {
        self.database = database
        self.now = now
    }

    static func register(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("jobs-1-leases") { db in
            try db.alter(table: "transcodeJobs") { t in
                t.add(column: "worker", .text)
                t.add(column: "leaseExpiresAt", .datetime)
            }
        }
    }

    /// Puts back in the queue, at once, the running jobs whose worker `workerIsGone` says has
    /// stopped (given the worker's name; jobs claimed before leases name none); the others keep
    /// running under their leases. A node calls it as it starts, to take back what it ran
    /// before a crash without waiting for the leases to pass.
    @discardableResult
    public func requeueInterrupted(workerIsGone: @Sendable (String?) -> Bool = { _ in true }) async throws -> Int {
        try await database.write { db in
            var requeued = 0
            for row in try Row.fetchAll(db, sql: "SELECT id, worker FROM transcodeJobs WHERE state = ?", arguments: [JobState.running.rawValue])
            where workerIsGone(row["worker"]) {
                let id: Int64 = row["id"]
                requeued += try TranscodeJob.filter(Column("id") == id && Column("state") == JobState.running.rawValue)
                    .updateAll(db, Column("state").set(to: JobState.queued.rawValue), Column("leaseExpiresAt").set(to: nil))
            }
            return requeued
        }
    }

    /// Takes the oldest job that is queued, or running under a lease that has passed, and
    /// marks it running for `worker` until `lease` from now, as its next attempt.
    public func claimNext(worker: String, lease: Duration) async throws -> (TranscodeJob, Track)? {
        let instant = now()
        let expires = instant.addingTimeInterval(Self.seconds(lease))
        return try await database.write { db in
            guard var job = try TranscodeJob
                .filter(sql: "state = ? OR (state = ? AND (leaseExpiresAt IS NULL OR leaseExpiresAt < ?))",
                        arguments: [JobState.queued.rawValue, JobState.running.rawValue, instant])
                .order(Column("id")).fetchOne(db)
            else { return nil }
            job.state = .running
            job.attempts += 1
            job.startedAt = instant
            job.worker = worker
            job.leaseExpiresAt = expires
            try job.update(db)
            guard let track = try Track.fetchOne(db, key: job.trackID) else {
                job.state = .failed
                job.error = "track missing"
                try job.update(db)
                return nil
            }
            return (job, track)
        }
    }

    /// Extends the lease of `job` (as claimed) to `lease` from now; false if the worker no
    /// longer holds it (the job was taken over, or ended).
    public func renew(_ job: TranscodeJob, lease: Duration) async throws -> Bool {
        let expires = now().addingTimeInterval(Self.seconds(lease))
        return try await database.write { db in
            try Self.held(job).updateAll(db, Column("leaseExpiresAt").set(to: expires)) == 1
        }
    }

    /// The job's row while this attempt holds it.
    private static func held(_ job: TranscodeJob) -> QueryInterfaceRequest<TranscodeJob> {
        TranscodeJob.filter(Column("id") == job.id && Column("state") == JobState.running.rawValue && Column("attempts") == job.attempts)
    }

    private static func seconds(_ duration: Duration) -> TimeInterval {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Records progress (percent) of a running job's track.
    public func progress(trackID: String, percent: Int) async throws {
        _ = try await database.write { db in
            try Track.filter(Column("id") == trackID && Column("status") == TrackStatus.processing.rawValue)
                .updateAll(db, Column("progress").set(to: max(0, min(100, percent))))
        }
    }

    /// Marks the job done and the track ready, with what transcoding learned; nothing if the
    /// attempt no longer holds the job (``CatalogError/jobTakenOver(jobID:)``).
    public func complete(_ job: TranscodeJob, trackID: String, result: TranscodeResult, renditions: [Rendition]) async throws {
        let instant = now()
        let peaks = try JSONEncoder().encode(result.peaks)
        try await database.write { db in
            guard try Self.held(job).updateAll(db, [
                Column("state").set(to: JobState.done.rawValue), Column("finishedAt").set(to: instant), Column("error").set(to: nil),
                Column("leaseExpiresAt").set(to: nil),
            ]) == 1 else { throw CatalogError.jobTakenOver(jobID: job.id ?? 0) }
            for rendition in renditions { try rendition.save(db) }
            try Track.filter(Column("id") == trackID).updateAll(db, [
                Column("status").set(to: TrackStatus.ready.rawValue),
                Column("progress").set(to: 100),
                Column("failureReason").set(to: nil),
                Column("durationSamples").set(to: result.samples),
                Column("sourceSampleRate").set(to: result.source.sampleRate),
                Column("sourceChannels").set(to: result.source.channels),
                Column("loudnessLUFS").set(to: result.loudness.integratedLUFS),
                Column("truePeakDBTP").set(to: result.loudness.truePeakDBTP),
                Column("trackGainQ78").set(to: Int(result.loudness.trackGainQ78)),
                Column("peaks").set(to: peaks),
                Column("updatedAt").set(to: instant),
            ])
        }
    }

    /// Marks the job failed and the track failed with `reason`, in the musician's words;
    /// nothing if the attempt no longer holds the job (``CatalogError/jobTakenOver(jobID:)``).
    public func fail(_ job: TranscodeJob, trackID: String, reason: String) async throws {
        let instant = now()
        try await database.write { db in
            guard try Self.held(job).updateAll(db, [
                Column("state").set(to: JobState.failed.rawValue), Column("finishedAt").set(to: instant), Column("error").set(to: reason),
                Column("leaseExpiresAt").set(to: nil),
            ]) == 1 else { throw CatalogError.jobTakenOver(jobID: job.id ?? 0) }
            try Track.filter(Column("id") == trackID).updateAll(db, [
                Column("status").set(to: TrackStatus.failed.rawValue),
                Column("failureReason").set(to: reason),
                Column("updatedAt").set(to: instant),
            ])
        }
    }

    /// Returns a running job to the queue (the server is stopping), if this attempt holds it.
    public func requeue(_ job: TranscodeJob) async throws {
        _ = try await database.write { db in
            try Self.held(job).updateAll(db, Column("state").set(to: JobState.queued.rawValue), Column("leaseExpiresAt").set(to: nil))
        }
    }

    /// Returns a running job to the queue at once, even from a cancelled task (shutdown), if
    /// this attempt holds it.
    public func requeueNow(_ job: TranscodeJob) throws {
        _ = try database.write { db in
            try Self.held(job).updateAll(db, Column("state").set(to: JobState.queued.rawValue), Column("leaseExpiresAt").set(to: nil))
        }
    }

    /// Jobs per state.
    public func counts() async throws -> [JobState: Int] {
        try await database.read { db in
            var counts: [JobState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM transcodeJobs GROUP BY state") {
                if let state = JobState(rawValue: row["state"]) { counts[state] = row["n"] }
            }
            return counts
        }
    }
}
