import ArgumentParser
import Catalog
import FoundationEssentials
import Ledger
import PostgresStorage

extension LedgerCommand.Bench {
    /// What a run on PostgreSQL measured.
    struct PostgresResult: Encodable {
        var backend = "postgres"
        var mode: String
        var plays: Int
        var listeners: Int
        var concurrency: Int
        var charged: Int
        var seconds: Double
        var playsPerSecond: Double
        var commitLatencyMs: [String: Double]
        var commits: Int
        var playsPerCommit: Double
        /// The server's durability settings as it reported them (`SHOW`).
        var settings: [String: String]
        var serverVersion: String
        var verified: Bool?
    }

    /// The same plan as on SQLite (``measure(_:)``), charged into the PostgreSQL database at
    /// `url` through ``PostgresLedgerStore`` (group commit). The database must be empty or
    /// hold only earlier bench runs (each run uses new listeners and tracks).
    func runOnPostgres(url: String) async throws {
        guard mode == .group else { throw ValidationError("--mode single is measured on SQLite only") }
        guard !sessions, splitParties == 1, !sqliteCheckpoints, !syncInCommit else {
            throw ValidationError("--sessions, --split-parties, --sqlite-checkpoints and --sync-in-commit are SQLite's (PostgreSQL has neither play sessions nor split sheets yet)")
        }
        let database = try PostgresDatabase(url: url, maximumConnections: 4)
        let result: PostgresResult
        do {
            try await database.checkReachable()
            let store = PostgresLedgerStore(client: database.client)
            try await store.migrate()
            result = try await measure(store, database)
        } catch {
            await database.close()
            printError("tutti ledger bench: \(error)")
            throw ExitCode(1)
        }
        await database.close()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(result), as: UTF8.self))
        if result.charged != plays || result.verified == false {
            printError("tutti ledger bench: charged \(result.charged) of \(plays) plays, verified: \(result.verified.map(String.init) ?? "-")")
            throw ExitCode(1)
        }
    }

    private func measure(_ store: PostgresLedgerStore, _ database: PostgresDatabase) async throws -> PostgresResult {
        let runID = UUID().uuidString.lowercased().prefix(8)
        let pricing = try await store.pricing(at: Date()).pricing
        let listenerIDs = (0..<listeners).map { _ in UUID().uuidString.lowercased() }
        let trackIDs = (0..<((plays / listeners) / pricing.playsToOwn + 1)).map { _ in UUID().uuidString.lowercased() }
        let artistIDs = (0..<artists).map { _ in UUID().uuidString.lowercased() }
        var topUps: [TransferRequest] = []
        for (index, listener) in listenerIDs.enumerated() {
            let count = plays / listeners + (index < plays % listeners ? 1 : 0)
            let cost = (0..<count).reduce(Int64(0)) { $0 + pricing.price(ofPlay: $1 % pricing.playsToOwn + 1) }
            guard cost > 0 else { continue }
            topUps.append(TransferRequest(
                id: "bench-\(runID)-topup-\(index)", debit: .paymentsClearing, credit: .listenerWallet(listener),
                amount: cost, code: .topUp, details: TransferDetails(reference: "tutti ledger bench")))
        }
        for start in stride(from: 0, to: topUps.count, by: 500) {
            try await store.submit(Array(topUps[start..<min(start + 500, topUps.count)]))
        }

        let (plays, listeners, concurrency, randomPlayIDs) = (self.plays, self.listeners, self.concurrency, self.randomPlayIDs)
        func request(_ i: Int) -> PlayChargeRequest {
            let track = (i / listeners) / pricing.playsToOwn
            return PlayChargeRequest(
                playID: randomPlayIDs ? Identifier.make() : Identifier.makeTimeOrdered(), listenerID: listenerIDs[i % listeners],
                artistID: artistIDs[track % artistIDs.count], trackID: trackIDs[track], at: Date())
        }
        let before = store.playCommitStatistics()
        let clock = ContinuousClock()
        let started = clock.now
        let (latencies, charged) = try await withThrowingTaskGroup(of: ([Duration], Int).self) { group in
            for worker in 0..<min(concurrency, plays) {
                group.addTask {
                    var latencies: [Duration] = []
                    var charged = 0
                    for i in stride(from: worker, to: plays, by: concurrency) {
                        let call = clock.now
                        if case .charged = try await store.chargePlay(request(i)) { charged += 1 }
                        latencies.append(clock.now - call)
                    }
                    return (latencies, charged)
                }
            }
            var all: [Duration] = []
            var charged = 0
            for try await (latencies, count) in group {
                all += latencies
                charged += count
            }
            return (all, charged)
        }
        let elapsed = Self.seconds(clock.now - started)
        let after = store.playCommitStatistics()
        let sorted = latencies.sorted()
        func percentile(_ p: Double) -> Double {
            Self.seconds(sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]) * 1000
        }
        let settings = try await database.settings(["synchronous_commit", "fsync", "wal_sync_method", "full_page_writes", "server_version"])
        let version = settings["server_version"] ?? "?"
        let commits = after.commits - before.commits
        return PostgresResult(
            mode: "group", plays: plays, listeners: listeners, concurrency: concurrency, charged: charged, seconds: elapsed,
            playsPerSecond: Double(plays) / elapsed,
            commitLatencyMs: ["p50": percentile(0.50), "p99": percentile(0.99), "max": percentile(1.0)],
            commits: commits, playsPerCommit: Double(plays) / Double(max(commits, 1)), settings: settings.filter { $0.key != "server_version" }, serverVersion: version,
            verified: verify ? try await store.verify(anchors: []).isIntact : nil)
    }
}
