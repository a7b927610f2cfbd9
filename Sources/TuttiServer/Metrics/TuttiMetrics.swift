import Prometheus
import Synchronization

/// The service's Prometheus metrics, on a registry of its own (tests run many servers in
/// one process, so nothing is bootstrapped globally).
public final class TuttiMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let bytesStreamed: Counter
    let sendfileResponses: Counter
    let jobsQueued: Gauge
    let jobsRunning: Gauge
    let jobsFailed: Counter
    let jobsCompleted: Counter
    let transcodeSeconds: DurationHistogram
    let playsCounted: Counter
    let playsRefused: Counter
    let playsWaiting: Gauge

    public init() {
        bytesStreamed = registry.makeCounter(descriptor: Self.name("streamed_bytes", "total", "Audio bytes sent to listeners"))
        sendfileResponses = registry.makeCounter(
            descriptor: Self.name("sendfile_responses", "total", "Audio responses sent by the kernel below the router (part of the requests counted)"))
        jobsQueued = registry.makeGauge(descriptor: Self.name("jobs_queued", "", "Transcode jobs waiting"))
        jobsRunning = registry.makeGauge(descriptor: Self.name("jobs_running", "", "Transcode jobs running"))
        jobsFailed = registry.makeCounter(descriptor: Self.name("jobs_failed", "total", "Transcode jobs that failed"))
        jobsCompleted = registry.makeCounter(descriptor: Self.name("jobs_completed", "total", "Transcode jobs that finished"))
        playsCounted = registry.makeCounter(descriptor: Self.name("plays_counted", "total", "Plays counted and charged"))
        playsRefused = registry.makeCounter(descriptor: Self.name("plays_refused", "total", "Plays refused for want of credit (402)"))
        playsWaiting = registry.makeGauge(descriptor: Self.name("plays_waiting", "", "Streams held at the end of the preview"))
        transcodeSeconds = registry.makeDurationHistogram(
            descriptor: Self.name("transcode", "seconds", "Wall time of transcode jobs"),
            buckets: [.milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300)])
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
