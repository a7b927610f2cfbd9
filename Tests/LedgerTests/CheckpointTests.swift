import Foundation
import GRDB
@testable import Ledger
import Testing

@Suite("WAL checkpoints off the writer")
struct CheckpointTests {
    @Test("a commit that fills the WAL past the threshold is checkpointed by the ledger's own connection")
    func backgroundCheckpoint() async throws {
        let fixture = try LedgerFixture()
        let checkpointer = try #require(fixture.ledger.checkpointer)
        #expect(checkpointer.pages == 1_000)  // SQLite's default, taken over from the writer
        let settings = try fixture.ledger.durabilitySettings()
        #expect(settings["wal_autocheckpoint"] == "0")
        #expect(settings["wal_checkpoint"]?.contains("background") == true)
        #expect(settings["synchronous"] == "2")

        let fileSize = { (try FileManager.default.attributesOfItem(atPath: fixture.path)[.size] as? Int) ?? 0 }
        let before = try fileSize()
        // About 1,300 pages in one commit, in a table of the test's own.
        try fixture.sql("CREATE TABLE filler (data BLOB)")
        try fixture.sql("INSERT INTO filler VALUES (randomblob(5000000))")
        var waited = 0
        while checkpointer.checkpointsCompleted == 0, waited < 200 {
            try await Task.sleep(for: .milliseconds(50))
            waited += 1
        }
        #expect(checkpointer.checkpointsCompleted >= 1)
        #expect(try fileSize() >= before + 5_000_000)  // the pages reached the database file
        try fixture.ledger.topUp(transferID: "pay-1", user: "lena", amount: 2_000)
        _ = try await fixture.ledger.chargePlay(fixture.play("p1", listener: "lena", track: "song"))
        #expect(try fixture.ledger.verify().isIntact)
    }
}
