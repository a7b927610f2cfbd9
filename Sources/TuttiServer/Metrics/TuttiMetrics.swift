import Ledger
import Prometheus
import Synchronization

/// The service's Prometheus metrics, on a registry of its own (tests run many servers in
/// one process, so nothing is bootstrapped globally).
public final class TuttiMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let bytesStreamed: Counter
    let sendfileResponses: Counter
    let sendfileParts: Counter
    let jobsQueued: Gauge
    let jobsRunning: Gauge
    let jobsFailed: Counter
    let jobsCompleted: Counter
    let jobsTakenOver: Counter
    let transcodeSeconds: DurationHistogram
    /// Failed reads of the transcode queue (the database failing), and the wait before the
    /// next try (0 when the last read succeeded).
    let jobQueueErrors: Counter
    let jobQueueRetrySeconds: Gauge
    let playsCounted: Counter
    /// Failures of the media store, by operation (read, write, sweep) and kind (unavailable,
    /// failed, full, read-only, missing, truncated: a read that failed after its head went out).
    private let mediaStoreFailureCounters = Mutex<[String: Counter]>([:])
    /// Objects the sweeper removed (orphans, stale staged objects) and rows whose object it
    /// found missing at its last sweep.
    let mediaSweptObjects: Counter
    let mediaMissingObjects: Gauge
    let mediaSweeps: Counter
    /// Audio requests handed to nginx in front (`--accel-redirect`).
    let accelRedirects: Counter
    let playsRefused: Counter
    let playsWaiting: Gauge
    /// The database log's checkpoints (see the ledger's `WALCheckpointer`), brought up to date
    /// from its statistics when metrics are read.
    let checkpointsBackground: Counter
    let checkpointsWriter: Counter
    let checkpointsFailed: Counter
    let walLargestPages: Gauge
    private let publishedCheckpoints = Mutex(CheckpointStatistics())

    public init() {
        bytesStreamed = registry.makeCounter(descriptor: Self.name("streamed_bytes", "total", "Audio bytes sent to listeners"))
        sendfileResponses = registry.makeCounter(
            descriptor: Self.name("sendfile_responses", "total", "Audio responses sent by the kernel below the router (part of the requests counted)"))
        sendfileParts = registry.makeCounter(
            descriptor: Self.name("sendfile_parts", "total", "Ranges of audio files in responses of the router sent by the kernel instead of copied"))
        jobsQueued = registry.makeGauge(descriptor: Self.name("jobs_queued", "", "Transcode jobs waiting"))
        jobsRunning = registry.makeGauge(descriptor: Self.name("jobs_running", "", "Transcode jobs running"))
        jobsFailed = registry.makeCounter(descriptor: Self.name("jobs_failed", "total", "Transcode jobs that failed"))
        jobsCompleted = registry.makeCounter(descriptor: Self.name("jobs_completed", "total", "Transcode jobs that finished"))
        jobsTakenOver = registry.makeCounter(
            descriptor: Self.name("jobs_taken_over", "total", "Transcode jobs this node stopped because its lease passed and another worker took them"))
        jobQueueErrors = registry.makeCounter(
            descriptor: Self.name("job_queue_errors", "total", "Failed reads of the transcode queue (the database); each is retried after a growing delay"))
        jobQueueRetrySeconds = registry.makeGauge(
            descriptor: Self.name("job_queue_retry", "seconds", "Delay before the transcode queue is read again after a failure (0: it is readable)"))
        playsCounted = registry.makeCounter(descriptor: Self.name("plays_counted", "total", "Plays counted and charged"))
        mediaSweptObjects = registry.makeCounter(
            descriptor: Self.name("media_swept_objects", "total", "Objects the media sweeper removed: unnamed by any row, or staged and never finished, for over an hour"))
        mediaMissingObjects = registry.makeGauge(
            descriptor: Self.name("media_missing_objects", "", "Media files the database names that the store lacked at the last sweep"))
        accelRedirects = registry.makeCounter(
            descriptor: Self.name("accel_redirects", "total", "Audio requests handed to nginx in front with X-Accel-Redirect to a presigned URL"))
        mediaSweeps = registry.makeCounter(descriptor: Self.name("media_sweeps", "total", "Sweeps of the media store completed"))
        playsRefused = registry.makeCounter(descriptor: Self.name("plays_refused", "total", "Plays refused for want of credit (402)"))
        playsWaiting = registry.makeGauge(descriptor: Self.name("plays_waiting", "", "Streams held at the end of the preview"))
        let checkpoints = Self.name("wal_checkpoints", "total", "Checkpoints of the database log, by who ran them")
        checkpointsBackground = registry.makeCounter(descriptor: checkpoints, labels: [("by", "background")])
        checkpointsWriter = registry.makeCounter(descriptor: checkpoints, labels: [("by", "writer")])
        checkpointsFailed = registry.makeCounter(
            descriptor: Self.name("wal_checkpoints_failed", "total", "Checkpoints of the database log that failed (its pages stay in the log)"))
        walLargestPages = registry.makeGauge(descriptor: Self.name("wal_largest", "pages", "The most pages the database log has held after a commit"))
        transcodeSeconds = registry.makeDurationHistogram(
            descriptor: Self.name("transcode", "seconds", "Wall time of transcode jobs"),
            buckets: [.milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300)])
    }

    /// Brings the checkpoint metrics up to `statistics` (totals since the ledger started).
    func publish(_ statistics: CheckpointStatistics) {
        let before = publishedCheckpoints.withLock { published in
            defer { published = statistics }
            return published
        }
        checkpointsBackground.increment(by: Int64(max(0, statistics.background - before.background)))
        checkpointsWriter.increment(by: Int64(max(0, statistics.writer - before.writer)))
        checkpointsFailed.increment(by: Int64(max(0, statistics.failed - before.failed)))
        walLargestPages.set(Double(statistics.largestLog))
    }

    /// Counts one failure of the media store.
    func countMediaStoreFailure(operation: String, kind: String) {
        let key = operation + "/" + kind
        let counter = mediaStoreFailureCounters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(
                descriptor: Self.name("media_store_failures", "total", "Failures of the media store by operation and kind"),
                labels: [("operation", operation), ("kind", kind)])
            counters[key] = counter
            return counter
        }
        counter.increment()
    }

    private let requestCounters = Mutex<[RequestKey: Counter]>([:])

    private struct RequestKey: Hashable {
        var method: String
        var route: String
        var status: Int
    }

    /// Counts one request by method, route and status; counters are made once per label set.
    func countRequest(method: String, route: String, status: Int) {
        requestCounter(method: method, route: route, status: status).increment()
    }

    /// The counter of requests with these labels, made on first use (a caller that counts
    /// many requests alike can keep it instead of looking it up each time).
    func requestCounter(method: String, route: String, status: Int) -> Counter {
        let key = RequestKey(method: method, route: route, status: status)
        if let counter = requestCounters.withLock({ $0[key] }) { return counter }
        let counter = registry.makeCounter(
            descriptor: Self.name("http_requests", "total", "HTTP requests by method, route and status"),
            labels: [("method", method), ("route", route), ("status", String(status))])
        requestCounters.withLock { $0[key] = counter }
        return counter
    }

    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "tutti", metricName: metric, unitName: unit, helpText: help)
    }

    /// The metrics in Prometheus text format.
    public func exposition() -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
