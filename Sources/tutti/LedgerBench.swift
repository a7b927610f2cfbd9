import ArgumentParser
import Catalog
import FoundationEssentials
import Ledger
import PostgresStorage
import TuttiStorage
#if canImport(Glibc)
import Glibc
#endif

extension LedgerCommand {
    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Charge counted plays as fast as the ledger commits them and print what was measured, as JSON.",
            discussion: """
                Opens (creating and migrating) DATABASE, tops up the listeners' wallets with exactly what their \
                plays will cost, then charges N counted plays from C concurrent callers: each listener plays \
                tracks 1, 2, 3... up to the plays to own of each, so every play is charged. --mode group uses \
                group commit (many plays per transaction); --mode single commits each play alone. Latency is \
                from a call to its durable result. Durability is never lowered: a play is reported once the log \
                holding it is synced (synchronous=FULL, or group commits synced off the writer before their \
                callers are woken; --sync-in-commit syncs inside each commit instead). Play ids \
                are time-ordered UUIDs, as the server makes play sessions; --random-play-ids makes them random.
                """
        )

        enum Mode: String, ExpressibleByArgument, CaseIterable { case group, single }

        @OptionGroup var options: DatabaseOption

        @Option(help: "Counted plays to charge.")
        var plays: Int

        @Option(help: "Listeners the plays are spread over.")
        var listeners: Int

        @Option(help: "group (group commit) or single (one transaction per play).")
        var mode: Mode

        @Option(help: "Concurrent callers.")
        var concurrency: Int = 64

        @Option(help: "Artists the tracks belong to.")
        var artists: Int = 20

        @Flag(help: "Let SQLite checkpoint the log on the writer after commits (its default) instead of the ledger's background checkpointer, for comparison.")
        var sqliteCheckpoints = false

        @Flag(name: .customLong("random-play-ids"), help: "Give plays random ids (version 4 UUIDs) instead of time-ordered ones, as the server makes play sessions.")
        var randomPlayIDs = false

        @Flag(help: "Take each play through a play session as the server does: the session is opened, its first audio marked, the play charged with the session id as play id, and the session marked counted (three durable session writes around the charge). Latency covers all four.")
        var sessions = false

        @Flag(name: .customLong("sync-in-commit"), help: "Sync the log inside each group commit (synchronous=FULL on the writer) instead of on a thread of its own while the writer goes on, for comparison.")
        var syncInCommit = false

        @Option(help: "Log size in pages from which the writer checkpoints the log so that it starts again (the log stays under about twice this).")
        var logPages: Int = 4_096

        @Option(help: "New log pages that wake a checkpoint off the writer (default: the ledger's, 1,000).")
        var checkpointPages: Int?

        @Flag(help: "Verify the whole ledger afterwards (not timed) and report the result.")
        var verify = false

        @Option(help: "Divide every play's artist part by a split sheet of this many parties (the track's artist and others, in force before the first play): the artist part's transfer gets one leg per party. 1: the default sheet.")
        var splitParties: Int = 1

        func validate() throws {
            guard plays >= 1 else { throw ValidationError("--plays must be at least 1") }
            guard listeners >= 1 else { throw ValidationError("--listeners must be at least 1") }
            guard (1...100_000).contains(concurrency) else { throw ValidationError("--concurrency must be 1...100000") }
            guard artists >= 1 else { throw ValidationError("--artists must be at least 1") }
            guard (2_000...1_000_000).contains(logPages) else { throw ValidationError("--log-pages must be 2000...1000000") }
            guard checkpointPages.map({ (1..<logPages).contains($0) }) ?? true else { throw ValidationError("--checkpoint-pages must be 1...(--log-pages - 1)") }
            guard (1...SplitRule.maximumParties).contains(splitParties) else {
                throw ValidationError("--split-parties must be 1...\(SplitRule.maximumParties)")
            }
        }

        func run() async throws {
            Transcode.dieWithParentIfAsked()  // a test that starts a long bench and dies must not leave it writing
            let path = options.database
            if PostgresLocation.isURL(path) {
                try await runOnPostgres(url: path)
                return
            }
            do {
                let database = try LedgerBenchDatabase.open(
                    path: path, withCatalog: sessions, syncsPlaysOffWriter: !syncInCommit, logPagesBeforeRestart: logPages,
                    backgroundCheckpointPages: checkpointPages)
                if sqliteCheckpoints {
                    // Installs SQLite's own WAL hook on the writer in place of the ledger's.
                    try await database.useSQLiteCheckpoints()
                }
                let result = try await measure(database)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(result), as: UTF8.self))
                if result.charged != plays || result.verified == false {
                    printError("tutti ledger bench: \(path): charged \(result.charged) of \(plays) plays, verified: \(result.verified.map(String.init) ?? "-")")
                    throw ExitCode(1)
                }
            } catch let error as LedgerError {
                printError("tutti ledger bench: \(path): \(error)")
                throw ExitCode(1)
            }
        }

        struct Result: Encodable {
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
            var pragmas: [String: String]
            /// "time-ordered" (as the server makes play sessions) or "random".
            var playIDs: String
            /// Whether each play went through a play session's writes (`--sessions`).
            var sessions: Bool
            /// Checkpoints of the log by the ledger's checkpointer during the whole run (nil with
            /// `--sqlite-checkpoints`, whose checkpoints SQLite does not count).
            var checkpoints: CheckpointStatistics?
            /// Log syncs off the writer and the group commits they made durable (nil with
            /// `--sync-in-commit` or `--mode single`, whose commits sync themselves).
            var logSyncs: LogSyncStatistics?
            var sqliteVersion: String
            var verified: Bool?
            /// Bytes this process had written to storage (`write_bytes` of /proc/self/io: the log,
            /// the checkpoints' copies into the database file) per play charged, during the
            /// charging; nil where the kernel does not count it (and 0 on tmpfs, which is memory).
            var bytesWrittenPerPlay: Double?
            /// Parties of the split sheet dividing every play (1: the default sheet).
            var splitParties: Int
        }

        /// Bytes this process caused to be written to storage so far (Linux), or nil.
        static func storageBytesWritten() -> Int? {
            #if canImport(Glibc)
            // /proc files report a size of 0: read until the end, not by size.
            guard let file = fopen("/proc/self/io", "r") else { return nil }
            defer { fclose(file) }
            var buffer = [CChar](repeating: 0, count: 256)
            while fgets(&buffer, Int32(buffer.count), file) != nil {
                let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if line.hasPrefix("write_bytes:") { return Int(String(line.dropFirst("write_bytes:".count).filter(\.isNumber))) }
            }
            #endif
            return nil
        }

        /// Charges the plan (``LedgerBenchPlan``) into the SQLite ledger.
        func measure(_ database: LedgerBenchDatabase) async throws -> Result {
            let ledger = database.ledger
            let pricing = try ledger.pricing(at: Date()).pricing
            let plan = LedgerBenchPlan(plays: plays, listeners: listeners, artists: artists, pricing: pricing, randomPlayIDs: randomPlayIDs)
            for topUps in plan.topUps { try ledger.submit(topUps) }
            if splitParties > 1 { try Self.proposeSplitSheets(ledger, tracks: plan.trackIDs, artists: plan.artistIDs, parties: splitParties) }
            let playSessions = sessions
                ? try await database.sessionCatalog(listeners: plan.listenerIDs, artists: plan.artistIDs, tracks: plan.trackIDs) : nil

            let mode = self.mode
            let before = await ledger.playCommitStatistics()
            let writtenBefore = Self.storageBytesWritten()
            let measured = try await LedgerBenchPlan.charge(plays: plays, concurrency: concurrency) { i in
                var play = plan.request(i)
                var session: PlaySession?
                if let playSessions {
                    let opened = try await playSessions.open(
                        trackID: play.trackID, artistID: play.artistID, listenerID: play.listenerID, access: .metered,
                        previewSeconds: pricing.previewSeconds, lifetime: 3_600)
                    session = try await playSessions.markFirstAudio(opened, at: Date())
                    play.playID = opened.id
                }
                let result = switch mode {
                case .group: try await ledger.chargePlay(play)
                case .single: try await ledger.chargePlayAlone(play)
                }
                if let playSessions, let session, case .charged(let charge) = result {
                    _ = try await playSessions.markCounted(session, at: charge.playedAt, price: charge.price, pricingVersion: charge.pricingVersion)
                }
                if case .charged = result { return true }
                return false
            }
            let after = await ledger.playCommitStatistics()
            let writtenAfter = Self.storageBytesWritten()
            let commits = mode == .group ? after.commits - before.commits : plays
            return Result(
                mode: mode.rawValue, plays: plays, listeners: listeners, concurrency: concurrency, charged: measured.charged,
                seconds: measured.seconds, playsPerSecond: Double(plays) / measured.seconds,
                commitLatencyMs: measured.latencyMilliseconds,
                commits: commits, playsPerCommit: Double(plays) / Double(max(commits, 1)),
                pragmas: try ledger.durabilitySettings(), playIDs: randomPlayIDs ? "random" : "time-ordered", sessions: sessions,
                checkpoints: sqliteCheckpoints ? nil : ledger.checkpointStatistics(),
                logSyncs: mode == .group ? ledger.logSyncStatistics() : nil,
                sqliteVersion: try await database.sqliteVersion(),
                verified: verify ? try ledger.verify().isIntact : nil,
                bytesWrittenPerPlay: writtenBefore.flatMap { before in writtenAfter.map { Double($0 - before) / Double(plays) } },
                splitParties: splitParties)
        }

        /// A sheet for each track, in force at once: the track's artist and `parties − 1`
        /// others, with shares as equal as basis points allow.
        static func proposeSplitSheets(_ ledger: Ledger, tracks: [String], artists: [String], parties: Int) throws {
            for (index, track) in tracks.enumerated() {
                let artist = artists[index % artists.count]
                let others = (1..<parties).map { _ in UUID().uuidString.lowercased() }
                let shares = (0..<parties).map { 10_000 / parties + ($0 < 10_000 % parties ? 1 : 0) }
                let sheet = try ledger.proposeSplitSheet(scope: .track(track), proposer: artist, parties: zip([artist] + others, shares).map {
                    SplitParty(userID: $0.0, shareBasisPoints: $0.1, role: "bench")
                })
                for other in others { try ledger.answerSplitSheet(sheet.id, party: other, decision: .accepted) }
            }
        }
    }
}
