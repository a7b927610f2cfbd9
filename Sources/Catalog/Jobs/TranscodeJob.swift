import FoundationEssentials
import GRDB

public enum JobState: String, Codable, Sendable {
    case queued, running, done, failed
}

/// A durable request to transcode one upload.
public struct TranscodeJob: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "transcodeJobs"

    public var id: Int64?
    public var trackID: String
    public var state: JobState
    /// Times a worker has started it (a restart mid-job starts it again).
    public var attempts: Int
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var error: String?
    /// The worker holding the job while it runs (a name unique to one process).
    public var worker: String? = nil
    /// Until when the worker's hold lasts: it renews it while the job runs; once it has
    /// passed, another worker may take the job (the holder died or lost the database).
    public var leaseExpiresAt: Date? = nil

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}
