import Ledger
import Testing
@testable import TuttiServer

@Suite("Checkpoint metrics")
struct CheckpointMetricsTests {
    static func values(_ metrics: TuttiMetrics) -> [String: Double] {
        Dictionary(metrics.exposition().split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line -> (String, Double)? in
            let parts = line.split(separator: " ")
            return parts.count == 2 ? (String(parts[0]), Double(parts[1]) ?? -1) : nil
        }, uniquingKeysWith: { first, _ in first })
    }

    @Test("each scrape brings the counters up to the ledger's totals, counting nothing twice")
    func totals() {
        let metrics = TuttiMetrics()
        var statistics = CheckpointStatistics()
        statistics.background = 5
        statistics.writer = 1
        statistics.largestLog = 9_000
        metrics.publish(statistics)
        metrics.publish(statistics)
        var values = Self.values(metrics)
        #expect(values["tutti_wal_checkpoints_total{by=\"background\"}"] == 5)
        #expect(values["tutti_wal_checkpoints_total{by=\"writer\"}"] == 1)
        #expect(values["tutti_wal_checkpoints_failed_total"] == 0)
        #expect(values["tutti_wal_largest_pages"] == 9_000)

        statistics.background = 8
        statistics.failed = 2
        metrics.publish(statistics)
        values = Self.values(metrics)
        #expect(values["tutti_wal_checkpoints_total{by=\"background\"}"] == 8)
        #expect(values["tutti_wal_checkpoints_total{by=\"writer\"}"] == 1)
        #expect(values["tutti_wal_checkpoints_failed_total"] == 2)
    }
}
