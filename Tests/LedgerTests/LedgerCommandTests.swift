import Foundation
import GRDB
import Ledger
import Testing
import TuttiTestSupport

@Suite("tutti ledger verify", .ownThreads)
struct LedgerCommandTests {
    @Test("exit 0 and the report for an intact ledger; exit 1 and one line naming the broken transfer otherwise")
    func verifyCommand() async throws {
        let fixture = try await VerificationTests.populated()
        let intact = try await ThirdPartyTools.run(Fixtures.tuttiExecutable, ["ledger", "verify", "--database", fixture.path])
        #expect(intact.status == 0, "\(intact.stderr)")
        #expect(intact.stdout.contains("transfers: 51"))
        #expect(intact.stdout.contains("intact"))
        #expect(intact.stderr.isEmpty)

        let head = try fixture.ledger.verify()
        let anchor = "\(head.headSequence):\(try #require(head.headHash))"
        #expect(try await ThirdPartyTools.run(Fixtures.tuttiExecutable, ["ledger", "verify", "--database", fixture.path, "--anchor", anchor]).status == 0)

        try fixture.sql("DROP TRIGGER ledger_transfers_no_update")
        try fixture.sql("UPDATE ledger_transfers SET amount = amount + 1 WHERE sequence = 7")
        let id = try await fixture.pool.read { try String.fetchOne($0, sql: "SELECT id FROM ledger_transfers WHERE sequence = 7") ?? "" }
        let broken = try await ThirdPartyTools.run(Fixtures.tuttiExecutable, ["ledger", "verify", "--database", fixture.path])
        #expect(broken.status == 1)
        let lines = broken.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(broken.stderr)")
        #expect(lines.first == "tutti ledger verify: \(fixture.path): hashChain: transfer #7 '\(id)': hash does not match the transfer's contents (altered after booking)")
        #expect(broken.stdout.contains("BROKEN"))
    }

    @Test("a missing file or a malformed anchor is refused before any work", arguments: [
        ["--database", "/nonexistent/ledger.sqlite"],
        ["--database", "PATH", "--anchor", "12:abc"],
    ])
    func badOptions(arguments: [String]) async throws {
        let fixture = try LedgerFixture()
        let run = try await ThirdPartyTools.run(Fixtures.tuttiExecutable, ["ledger", "verify"] + arguments.map { $0 == "PATH" ? fixture.path : $0 })
        #expect(run.status != 0)
        #expect(!run.stderr.isEmpty)
    }
}

@Suite("tutti ledger bench", .ownThreads)
struct LedgerBenchCommandTests {
    @Test("charges every play, verifies, and reports the checkpointer's work; --sqlite-checkpoints leaves checkpoints to SQLite; play ids are time-ordered unless --random-play-ids", arguments: [false, true])
    func bench(sqliteCheckpoints: Bool) async throws {
        // One run of each option is enough: the second run uses both.
        let randomIDs = sqliteCheckpoints
        let path = Fixtures.scratch("bench-\(sqliteCheckpoints)").appendingPathComponent("ledger.sqlite").path
        let run = try await ThirdPartyTools.run(Fixtures.tuttiExecutable, [
            "ledger", "bench", "--database", path, "--plays", "2000", "--listeners", "50", "--mode", "group",
            "--concurrency", "32", "--verify",
        ] + (sqliteCheckpoints ? ["--sqlite-checkpoints"] : []) + (randomIDs ? ["--random-play-ids"] : []))
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(report["charged"] as? Int == 2000)
        #expect(report["verified"] as? Bool == true)
        let pragmas = try #require(report["pragmas"] as? [String: String])
        #expect(pragmas["synchronous"] == "2")
        // SQLite reports 0 when a WAL hook other than its own is installed.
        #expect(pragmas["wal_autocheckpoint"] == (sqliteCheckpoints ? "1000" : "0"))
        #expect((report["checkpoints"] == nil) == sqliteCheckpoints)
        #expect(report["playIDs"] as? String == (randomIDs ? "random" : "time-ordered"))
        // The UUID version digit: 7 (time-ordered, as the server makes sessions) or 4 (random).
        let versions = try await DatabaseQueue(path: path).read {
            try String.fetchAll($0, sql: "SELECT DISTINCT substr(play_id, 15, 1) FROM ledger_plays")
        }
        #expect(versions == [randomIDs ? "4" : "7"])
    }
    @Test("--sessions takes every play through a play session: opened, first audio, charged under the session id, counted")
    func sessions() async throws {
        let path = Fixtures.scratch("bench-sessions").appendingPathComponent("ledger.sqlite").path
        let run = try await ThirdPartyTools.run(Fixtures.tuttiExecutable, [
            "ledger", "bench", "--database", path, "--plays", "500", "--listeners", "20", "--mode", "group",
            "--concurrency", "16", "--sessions", "--verify",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(report["sessions"] as? Bool == true)
        #expect(report["verified"] as? Bool == true)
        let (sessions, counted, charged) = try await DatabaseQueue(path: path).read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM playSessions WHERE firstAudioAt IS NOT NULL"),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM playSessions s JOIN ledger_plays p ON p.play_id = s.id AND p.price = s.price"),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM ledger_plays"))
        }
        #expect(sessions == 500)
        #expect(counted == 500)
        #expect(charged == 500)
    }
}
