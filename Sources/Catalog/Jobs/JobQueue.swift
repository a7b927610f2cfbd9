import AudioCore
import FoundationEssentials
import GRDB

/// The transcode job queue, in the database so nothing uploaded is lost to a crash.
public struct JobQueue: Sendable {
    private let database: any DatabaseWriter
    private let now: @Sendable () -> Date

    package init(database: any DatabaseWriter, now: @escaping @Sendable () -> Date) {
        self.database = database
        self.now = now
    }

    /// Puts jobs that were running when the server stopped back in the queue.
    @discardableResult
    public func requeueInterrupted() async throws -> Int {
        try await database.write { db in
            try TranscodeJob.filter(Column("state") == JobState.running.rawValue)
                .updateAll(db, Column("state").set(to: JobState.queued.rawValue))
        }
    }

    /// Takes the oldest queued job and marks it running.
    public func claimNext() async throws -> (TranscodeJob, Track)? {
        let instant = now()
        return try await database.write { db in
            guard var job = try TranscodeJob.filter(Column("state") == JobState.queued.rawValue).order(Column("id")).fetchOne(db) else {
                return nil
            }
            job.state = .running
            job.attempts += 1
            job.startedAt = instant
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

    /// Records progress (percent) of a running job's track.
    public func progress(trackID: String, percent: Int) async throws {
        _ = try await database.write { db in
            try Track.filter(Column("id") == trackID && Column("status") == TrackStatus.processing.rawValue)
                .updateAll(db, Column("progress").set(to: max(0, min(100, percent))))
        }
    }

    /// Marks the job done and the track ready, with what transcoding learned.
    public func complete(jobID: Int64, trackID: String, result: TranscodeResult, renditions: [Rendition]) async throws {
        let instant = now()
        let peaks = try JSONEncoder().encode(result.peaks)
        try await database.write { db in
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
            try TranscodeJob.filter(Column("id") == jobID).updateAll(db, [
                Column("state").set(to: JobState.done.rawValue), Column("finishedAt").set(to: instant), Column("error").set(to: nil),
            ])
        }
    }

    /// Marks the job failed and the track failed with `reason`, in the musician's words.
    public func fail(jobID: Int64, trackID: String, reason: String) async throws {
        let instant = now()
        try await database.write { db in
            try Track.filter(Column("id") == trackID).updateAll(db, [
                Column("status").set(to: TrackStatus.failed.rawValue),
                Column("failureReason").set(to: reason),
                Column("updatedAt").set(to: instant),
            ])
            try TranscodeJob.filter(Column("id") == jobID).updateAll(db, [
                Column("state").set(to: JobState.failed.rawValue), Column("finishedAt").set(to: instant), Column("error").set(to: reason),
            ])
        }
    }

    /// Returns a running job to the queue (the server is stopping).
    public func requeue(jobID: Int64) async throws {
        _ = try await database.write { db in
            try TranscodeJob.filter(Column("id") == jobID && Column("state") == JobState.running.rawValue)
                .updateAll(db, Column("state").set(to: JobState.queued.rawValue))
        }
    }

    /// Returns a running job to the queue at once, even from a cancelled task (shutdown).
    public func requeueNow(jobID: Int64) throws {
        _ = try database.write { db in
            try TranscodeJob.filter(Column("id") == jobID && Column("state") == JobState.running.rawValue)
                .updateAll(db, Column("state").set(to: JobState.queued.rawValue))
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
