import Catalog
import Foundation
import GRDB
import HTTPTypes
import Ledger
import Testing
@testable import TuttiServer
import TuttiTestSupport

@Suite("Listening history: newest first, keyset pages, erasable without touching the ledger")
struct HistoryTests {
    @Test("plays and previews newest first, page by page with a cursor; a seek on an index, never a sort")
    func pages() async throws {
        try await TestService().run { api in
            let ada = try await api.account("ada", role: "artist")
            let lena = try await api.account("lena")
            let max = try await api.account("max")
            let tracks = try await api.publishedTracks(2, by: ada)
            try await api.fund(lena, 1_000_000)
            var opened: [String] = []
            for n in 0..<7 {
                let session = try await api.request(.post, "/api/v1/tracks/\(tracks[n % 2])/plays", token: lena.token)
                opened.append(try #require(try session.json()["id"] as? String))
            }
            _ = try await api.request(.post, "/api/v1/tracks/\(tracks[0])/plays", token: max.token)
            // The third session's play counts, as the meter counts it.
            let counted = try #require(try await api.services.playSessions.session(id: opened[2]))
            let charge = try await api.services.ledger.chargePlay(PlayChargeRequest(
                playID: counted.id, listenerID: lena.id, artistID: ada.id, trackID: counted.trackID, at: api.configuration.now()))
            guard case .charged(let played) = charge else { Issue.record("not charged"); return }
            _ = try await api.services.playSessions.markCounted(counted, at: played.playedAt, price: played.price, pricingVersion: played.pricingVersion)

            var seen: [[String: Any]] = []
            var next: String? = "/api/v1/listeners/\(lena.id)/history?limit=3"
            var pages = 0
            while let url = next {
                let response = try await api.request(.get, url, token: lena.token)
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                let page = try response.json()
                seen += page["items"] as? [[String: Any]] ?? []
                next = page["next"] as? String
                pages += 1
            }
            #expect(pages == 3)
            #expect(seen.compactMap { $0["id"] as? String } == opened.reversed())
            let entry = try #require(seen.first { $0["id"] as? String == opened[2] })
            #expect(entry["kind"] as? String == "play" && entry["price"] as? Int == 2_000 && entry["title"] as? String == "Song 1")
            #expect(seen.filter { $0["kind"] as? String == "preview" }.count == 6)
            // A cursor that is not one is a 400.
            #expect(try await api.request(.get, "/api/v1/listeners/\(lena.id)/history?cursor=bm90LWEtY3Vyc29y", token: lena.token).status == .badRequest)

            // The plan of a page: a search of playSessions_listener read backwards, no sort, no scan.
            let plan = try await api.services.database.read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + ListeningHistory.pageSQL, arguments: [lena.id, "2026-12-01 00:00:00.000", 5, 21])
                    .map { $0["detail"] as String }
            }
            #expect(plan.contains { $0.contains("SEARCH playSessions USING INDEX playSessions_listener (listenerID=? AND") }, "\(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") || $0.contains("SCAN playSessions") }, "\(plan)")
        }
    }

    @Test("erasing part, one entry, then all: no listening detail is left outside the ledger, which keeps its charges and verifies")
    func erase() async throws {
        try await TestService().run { api in
            let ada = try await api.account("ada", role: "artist")
            let lena = try await api.account("lena")
            let max = try await api.account("max")
            let tracks = try await api.publishedTracks(1, by: ada)
            try await api.fund(lena, 1_000_000)
            var opened: [String] = []
            for _ in 0..<4 {
                opened.append(try #require(try await api.request(.post, "/api/v1/tracks/\(tracks[0])/plays", token: lena.token).json()["id"] as? String))
            }
            let maxSession = try #require(try await api.request(.post, "/api/v1/tracks/\(tracks[0])/plays", token: max.token).json()["id"] as? String)
            for id in opened.prefix(2) {
                let session = try #require(try await api.services.playSessions.session(id: id))
                let charge = try await api.services.ledger.chargePlay(PlayChargeRequest(
                    playID: id, listenerID: lena.id, artistID: ada.id, trackID: tracks[0], at: api.configuration.now()))
                guard case .charged(let played) = charge else { Issue.record("not charged"); return }
                _ = try await api.services.playSessions.markCounted(session, at: played.playedAt, price: played.price, pricingVersion: played.pricingVersion)
            }
            let history = "/api/v1/listeners/\(lena.id)/history"
            // One entry; then nothing before the year 2000 (no entry); then all.
            #expect(try await api.request(.delete, "\(history)/\(opened[3])", token: lena.token).status == .noContent)
            #expect(try await api.request(.delete, "\(history)/\(opened[3])", token: lena.token).status == .notFound)
            #expect(try await api.request(.delete, "\(history)/\(maxSession)", token: lena.token).status == .notFound)
            #expect(try await api.request(.delete, "\(history)?to=2000-01-01", token: lena.token).json()["erased"] as? Int == 0)
            #expect(try await api.items(try await api.request(.get, history, token: lena.token)).count == 3)
            // The erased session's stream URL no longer works.
            #expect(try await api.services.playSessions.session(id: opened[3]) == nil)
            let erased = try await api.request(.delete, history, token: lena.token)
            #expect(try erased.json()["erased"] as? Int == 3)
            #expect(try await api.items(try await api.request(.get, history, token: lena.token)).isEmpty)

            // Outside the ledger, no row anywhere names both lena and the track (Max's history stays).
            let leftovers = try await api.services.database.read { db -> [String] in
                var found: [String] = []
                for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'ledger_%' AND name NOT LIKE 'sqlite_%'") {
                    for row in try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\"") {
                        let values = row.databaseValues.compactMap { String.fromDatabaseValue($0) }
                        if values.contains(lena.id) && values.contains(tracks[0]) { found.append(table) }
                    }
                }
                return found
            }
            #expect(leftovers.isEmpty, "listening details left in \(leftovers)")
            #expect(try await api.services.playSessions.session(id: maxSession) != nil)
            // The ledger keeps both charges and verifies; the wallet paid for them.
            let plays = try await api.services.database.read { db in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM ledger_plays WHERE listener_id = ?", arguments: [lena.id]) ?? -1
            }
            #expect(plays == 2)
            #expect(try await api.walletBalance(lena) == 1_000_000 - 6_000)
            let report = try api.services.ledger.verify()
            #expect(report.isIntact, "\(report)")
        }
    }
}
