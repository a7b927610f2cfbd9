import Catalog
import Foundation
import GRDB
import Testing
import TuttiTestSupport

@Suite("Play sessions", .ownThreads)
struct PlaySessionsTests {
    @Test("first audio and counting are recorded once: a second call with a stale session gets the session as stored")
    func recordedOnce() async throws {
        let path = Fixtures.scratch().appendingPathComponent("s.sqlite").path
        let pool = try TuttiDatabase.open(path: path)
        try await pool.write { db in
            for (id, role) in [("lena", "listener"), ("ari", "artist")] {
                try db.execute(sql: "INSERT INTO users (id, username, displayName, passwordHash, role, createdAt) VALUES (?, ?, ?, '-', ?, ?)",
                               arguments: [id, id, id, role, Date()])
            }
            _ = try Tracks.insert(.record(id: "song", artistID: "ari", title: "Song", status: .ready, published: true, originalPath: "-", at: Date()),
                                  placement: .single, now: Date(), db)
        }
        let sessions = PlaySessions(database: pool, now: { Date(timeIntervalSince1970: 1_800_000_000) })
        let opened = try await sessions.open(trackID: "song", artistID: "ari", listenerID: "lena", access: .metered, previewSeconds: 45, lifetime: 600)
        #expect(Identifier.isValid(opened.id))

        let first = Date(timeIntervalSince1970: 1_800_000_001)
        let heard = try await sessions.markFirstAudio(opened, at: first)
        #expect(heard.firstAudioAt == first)
        // `opened` is stale now: the stored time stays.
        #expect(try await sessions.markFirstAudio(opened, at: first.addingTimeInterval(5)).firstAudioAt == first)

        let counted = try await sessions.markCounted(heard, at: first.addingTimeInterval(45), price: 2_000, pricingVersion: 1)
        #expect(counted.price == 2_000 && counted.pricingVersion == 1 && counted.isCounted)
        let again = try await sessions.markCounted(heard, at: first.addingTimeInterval(50), price: 4_000, pricingVersion: 2)
        #expect(again == counted)
        // A stale session marked for first audio after counting comes back counted.
        #expect(try await sessions.markFirstAudio(opened, at: first).isCounted)

        // Durable: another instance over a fresh pool reads the same row.
        try pool.close()
        let reopened = PlaySessions(database: try TuttiDatabase.open(path: path), now: { Date() })
        #expect(try await reopened.session(id: opened.id) == counted)
    }
}
