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

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}
