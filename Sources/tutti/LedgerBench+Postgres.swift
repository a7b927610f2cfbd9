import ArgumentParser
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

    /// Charges the plan (``LedgerBenchPlan``) into the PostgreSQL ledger.
    private func measure(_ store: PostgresLedgerStore, _ database: PostgresDatabase) async throws -> PostgresResult {
        let pricing = try await store.pricing(at: Date()).pricing
        let plan = LedgerBenchPlan(plays: plays, listeners: listeners, artists: artists, pricing: pricing, randomPlayIDs: randomPlayIDs)
        for topUps in plan.topUps { try await store.submit(topUps) }
        let before = store.playCommitStatistics()
        let measured = try await LedgerBenchPlan.charge(plays: plays, concurrency: concurrency) { i in
            if case .charged = try await store.chargePlay(plan.request(i)) { return true }
            return false
        }
        let after = store.playCommitStatistics()
        let settings = try await database.settings(["synchronous_commit", "fsync", "wal_sync_method", "full_page_writes", "server_version"])
        let commits = after.commits - before.commits
        return PostgresResult(
            mode: "group", plays: plays, listeners: listeners, concurrency: concurrency, charged: measured.charged,
            seconds: measured.seconds, playsPerSecond: Double(plays) / measured.seconds, commitLatencyMs: measured.latencyMilliseconds,
            commits: commits, playsPerCommit: Double(plays) / Double(max(commits, 1)),
            settings: settings.filter { $0.key != "server_version" }, serverVersion: settings["server_version"] ?? "?",
            verified: verify ? try await store.verify(anchors: []).isIntact : nil)
    }
}
