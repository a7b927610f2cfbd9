import Foundation
import HTTPTypes
import Ledger
import Testing
@testable import TuttiServer
import TuttiTestSupport

/// Royalty splits over live HTTP on the hand-moved clock: a band's sheet, its consents, and
/// the counted plays it divides.
@Suite("Royalty splits over HTTP")
struct SplitFlowTests {
    /// Counts one play of `track` by `listener` through the server: a session, then a seek past
    /// the preview (which counts it at once).
    static func countPlay(_ track: MeteredTrack, by listener: TestAPI.Account, _ api: TestAPI) async throws -> String {
        let session = try await api.openPlay(track.id, as: listener)
        let middle = track.freeEnd + 20_000
        let seek = try await api.request(.get, session.standardURL, headers: [.range: "bytes=\(middle)-\(middle + 1_023)"])
        #expect(seek.status == .partialContent)
        #expect(try await api.playStatus(session.id, as: listener)["counted"] as? Bool == true)
        return session.id
    }

    static func proposal(_ parties: [(String, Int, String)], trackID: String? = nil) -> [String: Any] {
        var body: [String: Any] = ["parties": parties.map { ["username": $0.0, "shareBasisPoints": $0.1, "role": $0.2] }]
        if let trackID { body["trackID"] = trackID }
        return body
    }

    @Test("a band proposes 50/30/20: plays before the last acceptance pay the owner alone, after pay all three; a later declined sheet changes nothing")
    func bandSplit() async throws {
        let metered = MeteredService()
        try await metered.service.run { api in
            let clock = metered.clock
            let track = try await MeteredTrack.make(api, artistName: "ada")
            let ada = track.artist
            let bea = try await api.account("bea", role: "artist")
            let cal = try await api.account("cal")  // a producer with a listener's account
            let lena = try await api.account("lena")
            try await metered.fund(lena, 10_000_000, api)
            let releaseID = try #require(try await api.request(.get, "/api/v1/tracks/\(track.id)").json()["releaseID"] as? String)

            let proposed = try await api.request(.post, "/api/v1/releases/\(releaseID)/split-sheets", token: ada.token,
                                                 json: Self.proposal([("ada", 5_000, "vocals"), ("bea", 3_000, "guitar"), ("cal", 2_000, "producer")]))
            #expect(proposed.status == .created, "\(String(buffer: proposed.body))")
            let sheet = try proposed.json()
            let sheetID = try #require(sheet["id"] as? Int)
            #expect(sheet["status"] as? String == "pending")
            #expect(proposed.headers[.location] == "/api/v1/split-sheets/\(sheetID)")

            // Bea and Cal see it pending on their lists, with Ada's acceptance.
            let pending = try await api.request(.get, "/api/v1/split-sheets", token: cal.token).json()
            let items = try #require(pending["items"] as? [[String: Any]])
            #expect(items.map { $0["id"] as? Int } == [sheetID])
            let consents = (items.first?["parties"] as? [[String: Any]])?.map { "\($0["username"] ?? "")=\($0["decision"] ?? "none")" }
            #expect(consents == ["ada=accepted", "bea=none", "cal=none"])

            // Play 1 while pending; Bea accepts; play 2 still before the last acceptance.
            clock.advance(by: 60)
            let play1 = try await Self.countPlay(track, by: lena, api)
            #expect(try await api.request(.post, "/api/v1/split-sheets/\(sheetID)/accept", token: bea.token).json()["status"] as? String == "pending")
            clock.advance(by: 60)
            let play2 = try await Self.countPlay(track, by: lena, api)
            clock.advance(by: 60)
            let accepted = try await api.request(.post, "/api/v1/split-sheets/\(sheetID)/accept", token: cal.token)
            #expect(accepted.status == .ok)
            #expect(try accepted.json()["status"] as? String == "in_force")
            // Play 3 (8,000 units: artist part 5,600) after it: 2,800 / 1,680 / 1,120.
            clock.advance(by: 60)
            let play3 = try await Self.countPlay(track, by: lena, api)

            func earnings(_ account: TestAPI.Account) async throws -> Int? {
                try await api.request(.get, "/api/v1/split-earnings", token: account.token).json()["balance"] as? Int
            }
            #expect(try await earnings(ada) == 1_400 + 2_800 + 2_800)
            #expect(try await earnings(bea) == 1_680)
            #expect(try await earnings(cal) == 1_120)

            // A later sheet, declined by Bea: nothing changes.
            clock.advance(by: 60)
            let later = try await api.request(.post, "/api/v1/releases/\(releaseID)/split-sheets", token: ada.token,
                                              json: Self.proposal([("ada", 9_000, "vocals"), ("bea", 1_000, "guitar")]))
            let laterID = try #require(try later.json()["id"] as? Int)
            #expect(try later.json()["version"] as? Int == 2)
            let declined = try await api.request(.post, "/api/v1/split-sheets/\(laterID)/decline", token: bea.token)
            #expect(try declined.json()["status"] as? String == "declined")
            let again = try await api.request(.post, "/api/v1/split-sheets/\(laterID)/accept", token: bea.token)
            #expect(again.status == .conflict)
            #expect(again.headers[.contentType] == "application/problem+json")
            clock.advance(by: 60)
            let play4 = try await Self.countPlay(track, by: lena, api)  // 16,000: artist part 11,200 → 5,600 / 3,360 / 2,240
            #expect(try await earnings(ada) == 1_400 + 2_800 + 2_800 + 5_600)
            #expect(try await earnings(bea) == 1_680 + 3_360)
            #expect(try await earnings(cal) == 1_120 + 2_240)
            #expect(try await api.request(.get, "/api/v1/split-sheets/\(sheetID)", token: cal.token).json()["status"] as? String == "in_force")

            // Statements: Cal's parts with the sheet version and share; Ada's with her two
            // plays under the default sheet; CSV too.
            let calStatement = try await api.request(.get, "/api/v1/split-earnings/statement", token: cal.token).json()
            let calRows = try #require(calStatement["rows"] as? [[String: Any]])
            #expect(calRows.map { $0["playID"] as? String } == [play3, play4])
            #expect(calRows.map { $0["part"] as? Int } == [1_120, 2_240])
            #expect(calRows.allSatisfy { $0["sheetVersion"] as? Int == 1 && $0["shareBasisPoints"] as? Int == 2_000 && $0["releaseID"] as? String == releaseID })
            let adaRows = try #require(try await api.request(.get, "/api/v1/split-earnings/statement", token: ada.token).json()["rows"] as? [[String: Any]])
            #expect(adaRows.map { $0["playID"] as? String } == [play1, play2, play3, play4])
            #expect(adaRows.map { $0["sheetVersion"] as? Int } == [0, 0, 1, 1])
            let csv = try await api.request(.get, "/api/v1/split-earnings/statement?format=csv", token: bea.token)
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            let lines = String(buffer: csv.body).split(separator: "\r\n")
            #expect(lines.first == "play_id,track_id,track_title,release_id,release_title,played_at,sheet_version,role,share_bp,artist_part_units,part_units,part_credits")
            #expect(lines.count == 4)
            #expect(lines.dropFirst().first?.hasPrefix("\(play3),\(track.id),River,\(releaseID),") == true)
            #expect(lines.last == "total,,,,,,,,,16800,5040,0.005040")
            // The artist's own statement keeps the default sheet's plays.
            let old = try await api.request(.get, "/api/v1/earnings/statement", token: ada.token).json()
            #expect((old["rows"] as? [[String: Any]])?.map { $0["playID"] as? String } == [play1, play2])

            let report = try metered.ledger().verify()
            #expect(report.isIntact, "\(report)")
        }
    }

    @Test("bad proposals are clear 4xx problems: shares not a whole, unknown party, someone else's release")
    func badProposals() async throws {
        let metered = MeteredService()
        try await metered.service.run { api in
            let track = try await MeteredTrack.make(api, artistName: "ada")
            let ada = track.artist
            let bea = try await api.account("bea", role: "artist")
            let releaseID = try #require(try await api.request(.get, "/api/v1/tracks/\(track.id)").json()["releaseID"] as? String)
            let path = "/api/v1/releases/\(releaseID)/split-sheets"
            let cases: [(TestAPI.Account, Any, Int)] = [
                (ada, Self.proposal([("ada", 5_000, "vocals"), ("bea", 4_000, "guitar")]), 422),
                (ada, Self.proposal([("ada", 5_000, "vocals"), ("nobody", 5_000, "guitar")]), 422),
                (ada, Self.proposal([("ada", 5_000, "vocals"), ("ada", 5_000, "guitar")]), 422),
                (ada, Self.proposal([("ada", 10_000, " ")]), 422),
                (ada, Self.proposal([]), 422),
                (ada, ["parties": "everyone"], 400),
                (ada, Self.proposal([("ada", 10_000, "all")], trackID: "00000000-0000-0000-0000-000000000000"), 422),
                (bea, Self.proposal([("bea", 10_000, "thief")]), 403),
            ]
            for (caller, body, status) in cases {
                let response = try await api.request(.post, path, token: caller.token, json: body)
                #expect(Int(response.status.code) == status, "\(body): \(String(buffer: response.body))")
                #expect(response.headers[.contentType] == "application/problem+json")
            }
            #expect(try await api.request(.get, "/api/v1/split-sheets/abc", token: ada.token).status == .notFound)
            #expect(try await api.request(.post, "/api/v1/split-sheets/999/accept", token: ada.token).status == .notFound)
            #expect(try metered.ledger().splitSheets(scope: .release(releaseID)).isEmpty)
        }
    }
}
