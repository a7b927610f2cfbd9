import Foundation
import HTTPTypes
import Ledger
import NIOCore
import Testing
import TuttiServer
import TuttiTestSupport

@Suite("Money in and out: wallet, statement, payouts over live HTTP")
struct MoneyFlowTests {
    /// Charges `count` counted plays of `track` by `listener` through the ledger.
    static func play(_ ledger: Ledger, listener: TestAPI.Account, artist: TestAPI.Account, track: String, count: Int, session: String) async throws {
        for n in 1...count {
            let result = try await ledger.chargePlay(PlayChargeRequest(
                playID: "\(session)-\(n)", listenerID: listener.id, artistID: artist.id, trackID: track, at: Date()))
            guard case .charged = result else { Issue.record("play \(n) was not charged: \(result)"); return }
        }
    }

    static func headers(key: String) -> HTTPFields { [HTTPField.Name("Idempotency-Key")!: key] }

    @Test("an admin credits a wallet by hand, idempotently; plays show in history, ownership and the artist's statement (JSON and CSV)")
    func walletAndStatement() async throws {
        try await TestService.withPayments().run { api in
            let lena = try await api.account("lena")
            let ada = try await api.account("ada", role: "artist")
            let root = try await api.adminAccount("root")
            let track = try await api.publishedTrack(Fixtures.media("sine-1000-48000-mono.wav"), title: "Sine, \"quoted\"", by: ada)
            let ledger = try api.ledger()

            // 2 credits by hand; the retry with the same key books nothing more.
            let body: [String: Any] = ["amount": 2_000_000, "reason": "bank transfer REF-1"]
            let credit = try await api.request(.post, "/api/v1/admin/wallets/\(lena.id)/credits", token: root.token, headers: Self.headers(key: "k-1"), json: body)
            #expect(credit.status == .ok, "\(String(buffer: credit.body))")
            let credited = try credit.json()
            #expect(credited["transferID"] as? String == "admin-credit:k-1")
            #expect(credited["balance"] as? Int == 2_000_000)
            #expect(credited["type"] as? String == "admin_credit")
            let retry = try await api.request(.post, "/api/v1/admin/wallets/\(lena.id)/credits", token: root.token, headers: Self.headers(key: "k-1"), json: body)
            #expect(retry.status == .ok)
            #expect(try retry.json()["sequence"] as? Int == credited["sequence"] as? Int)
            let conflicting = try await api.request(.post, "/api/v1/admin/wallets/\(lena.id)/credits", token: root.token, headers: Self.headers(key: "k-1"),
                                                    json: ["amount": 3_000_000, "reason": "bank transfer REF-1"])
            #expect(conflicting.status == .conflict)
            #expect(try await api.request(.post, "/api/v1/admin/wallets/\(lena.id)/credits", token: root.token, json: body).status == .badRequest)
            #expect(try await api.request(.post, "/api/v1/admin/wallets/\(lena.id)/credits", token: root.token, headers: Self.headers(key: "k-2"),
                                          json: ["amount": 0, "reason": "x"]).status == .unprocessableContent)
            #expect(try await api.request(.post, "/api/v1/admin/wallets/\(lena.id)/credits", token: root.token, headers: Self.headers(key: "k-3"),
                                          json: ["amount": 5, "reason": "  "]).status == .unprocessableContent)
            #expect(try await api.request(.post, "/api/v1/admin/wallets/\(root.id)/credits", token: root.token, headers: Self.headers(key: "k-4"),
                                          json: body).status == .forbidden)
            #expect(try await api.walletBalance(lena) == 2_000_000)

            // Before any play: the next play costs the base price.
            let before = try await api.request(.get, "/api/v1/tracks/\(track)/ownership", token: lena.token).json()
            #expect(before["countedPlays"] as? Int == 0)
            #expect(before["nextPrice"] as? Int == 2_000)
            #expect(before["playsRemainingToOwn"] as? Int == 9)
            #expect(before["trackTitle"] as? String == "Sine, \"quoted\"")
            let own = try await api.request(.get, "/api/v1/tracks/\(track)/ownership", token: ada.token).json()
            #expect(own["ownTrack"] as? Bool == true)
            #expect(own["nextPrice"] as? Int == 0)

            // Three counted plays: 2,000 + 4,000 + 8,000 units.
            try await Self.play(ledger, listener: lena, artist: ada, track: track, count: 3, session: "s")
            #expect(try await api.walletBalance(lena) == 2_000_000 - 14_000)
            let status = try await api.request(.get, "/api/v1/tracks/\(track)/ownership", token: lena.token).json()
            #expect(status["countedPlays"] as? Int == 3)
            #expect(status["nextPrice"] as? Int == 16_000)
            #expect(status["owned"] as? Bool == false)
            #expect(status["pricingVersion"] as? Int == 1)
            let tracks = try await api.request(.get, "/api/v1/wallet/tracks", token: lena.token).json()["items"] as? [[String: Any]]
            #expect(tracks?.map { $0["trackID"] as? String } == [track])

            // History: 6 play transfers and the credit, newest first, paged by cursor.
            var seen: [[String: Any]] = []
            var next: String? = "/api/v1/wallet/history?limit=4"
            while let url = next {
                let page = try await api.request(.get, url, token: lena.token).json()
                seen += page["items"] as? [[String: Any]] ?? []
                next = page["next"] as? String
            }
            #expect(seen.count == 7)
            #expect(seen.map { $0["sequence"] as! Int } == seen.map { $0["sequence"] as! Int }.sorted(by: >))
            #expect(seen.reduce(0) { $0 + ($1["change"] as! Int) } == 2_000_000 - 14_000)
            #expect(seen.last?["reason"] as? String == "bank transfer REF-1")
            #expect(seen.first?["trackTitle"] as? String == "Sine, \"quoted\"")
            // Each play's two charges name its session.
            #expect(seen.compactMap { $0["playID"] as? String } == ["s-3", "s-3", "s-2", "s-2", "s-1", "s-1"])
            #expect(try await api.request(.get, "/api/v1/wallet/history?limit=0", token: lena.token).status == .badRequest)
            #expect(try await api.request(.get, "/api/v1/wallet/history?before=x", token: lena.token).status == .badRequest)

            // The artist's statement: 70 % of each price, rounded down; the rest to the cooperative.
            let statement = try await api.request(.get, "/api/v1/earnings/statement", token: ada.token).json()
            let rows = try #require(statement["rows"] as? [[String: Any]])
            #expect(rows.map { $0["price"] as? Int } == [2_000, 4_000, 8_000])
            #expect(rows.map { $0["artistPart"] as? Int } == [1_400, 2_800, 5_600])
            #expect(rows.map { $0["cooperativePart"] as? Int } == [600, 1_200, 2_400])
            #expect(rows.allSatisfy { $0["trackTitle"] as? String == "Sine, \"quoted\"" && $0["pricingVersion"] as? Int == 1 })
            let totals = try #require(statement["totals"] as? [String: Any])
            #expect(totals["plays"] as? Int == 3)
            #expect(totals["artistPart"] as? Int == 9_800)
            #expect(statement["balance"] as? Int == 9_800)
            let earnings = try await api.request(.get, "/api/v1/earnings", token: ada.token).json()
            #expect(earnings["balance"] as? Int == 9_800)
            #expect(earnings["earned"] as? Int == 9_800)

            // A period before the plays is empty, and so is one that ends before it starts; an unreadable time is refused.
            let empty = try await api.request(.get, "/api/v1/earnings/statement?from=2020-01-01&until=2020-02-01", token: ada.token).json()
            #expect((empty["rows"] as? [Any])?.isEmpty == true)
            #expect(try await api.request(.get, "/api/v1/earnings/statement?from=yesterday", token: ada.token).status == .badRequest)
            let reversed = try await api.request(.get, "/api/v1/earnings/statement?from=2099-01-01&until=2020-01-01", token: ada.token)
            #expect(reversed.status == .ok)
            #expect((try reversed.json()["rows"] as? [Any])?.isEmpty == true)

            // CSV, by query or by Accept: RFC 4180 quoting, a totals line, as an attachment.
            for (url, headers) in [("/api/v1/earnings/statement?format=csv", HTTPFields()),
                                   ("/api/v1/earnings/statement", [.accept: "text/csv"] as HTTPFields)] {
                let csv = try await api.request(.get, url, token: ada.token, headers: headers)
                #expect(csv.status == .ok)
                #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
                #expect(csv.headers[.contentDisposition]?.hasPrefix("attachment") == true)
                let lines = String(buffer: csv.body).components(separatedBy: "\r\n").filter { !$0.isEmpty }
                #expect(lines.count == 5)
                #expect(lines.first?.hasPrefix("play_id,track_id,track_title,played_at,price_units") == true)
                #expect(lines[1].contains(",\(track),\"Sine, \"\"quoted\"\"\",") == true)
                #expect(lines[1].contains(",2000,1400,600,1,0.002000,0.001400,0.000600") == true)
                #expect(lines.last == "total,,,,14000,9800,4200,,0.014000,0.009800,0.004200")
            }
            #expect(try ledger.verify().isIntact)
        }
    }

    @Test("payouts: listed above a threshold (JSON and CSV), booked once per key, never more than is owed")
    func payouts() async throws {
        try await TestService.withPayments().run { api in
            let lena = try await api.account("lena")
            let ada = try await api.account("ada", role: "artist")
            let bela = try await api.account("bela", role: "artist")
            let root = try await api.adminAccount("root")
            let ledger = try api.ledger()
            #expect(try await api.deliver(TestAPI.paymentEvent(id: "evt_1", user: lena.id, amount: 3_000_000)).status == .ok)
            // Ada's track is owned outright (9 plays: 1.022 credits, 715,400 to Ada); one play of Bela's (1,400 to Bela).
            try await Self.play(ledger, listener: lena, artist: ada, track: "ada-track", count: 9, session: "a")
            try await Self.play(ledger, listener: lena, artist: bela, track: "bela-track", count: 1, session: "b")
            #expect(try await api.walletBalance(lena) == 3_000_000 - 1_022_000 - 2_000)

            // Nobody reaches the default 10 credits.
            let none = try await api.request(.get, "/api/v1/admin/payouts", token: root.token).json()
            #expect(none["threshold"] as? Int == 10_000_000)
            #expect((none["items"] as? [Any])?.isEmpty == true)
            let due = try await api.request(.get, "/api/v1/admin/payouts?threshold=1000", token: root.token).json()
            let items = try #require(due["items"] as? [[String: Any]])
            #expect(items.map { $0["artistID"] as? String } == [ada.id, bela.id])
            #expect(items.map { $0["balance"] as? Int } == [715_400, 1_400])
            #expect(items.first?["username"] as? String == "ada")
            #expect(due["total"] as? Int == 716_800)
            let csv = try await api.request(.get, "/api/v1/admin/payouts?threshold=1000&format=csv", token: root.token)
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(String(buffer: csv.body) == "artist_id,balance_units,balance_credits\r\n\(ada.id),715400,0.715400\r\n\(bela.id),1400,0.001400\r\n")
            #expect(try await api.request(.get, "/api/v1/admin/payouts?threshold=-1", token: root.token).status == .badRequest)

            // Paid 0.7 credits to Ada by bank transfer.
            let paid = try await api.request(.post, "/api/v1/admin/payouts/\(ada.id)/paid", token: root.token, headers: Self.headers(key: "pay-1"),
                                             json: ["amount": 700_000, "reference": "SEPA 42"])
            #expect(paid.status == .ok, "\(String(buffer: paid.body))")
            let booked = try paid.json()
            #expect(booked["balance"] as? Int == 15_400)
            #expect(booked["reference"] as? String == "SEPA 42")
            #expect(booked["type"] as? String == "payout")
            // The same request again: the same transfer, the balance does not move.
            let again = try await api.request(.post, "/api/v1/admin/payouts/\(ada.id)/paid", token: root.token, headers: Self.headers(key: "pay-1"),
                                              json: ["amount": 700_000, "reference": "SEPA 42"])
            #expect(again.status == .ok)
            #expect(try again.json()["sequence"] as? Int == booked["sequence"] as? Int)
            #expect(try ledger.balance(of: .artistEarnings(ada.id)).balance == 15_400)
            #expect(try ledger.balance(of: .payouts).balance == 700_000)
            let earnings = try await api.request(.get, "/api/v1/earnings", token: ada.token).json()
            #expect(earnings["balance"] as? Int == 15_400)
            #expect(earnings["paidOut"] as? Int == 700_000)

            // Same key, other amount: 409. More than owed: 409 (the balance refuses it, not the request's form). Not an artist: 404. No key: 400.
            let conflict = try await api.request(.post, "/api/v1/admin/payouts/\(ada.id)/paid", token: root.token, headers: Self.headers(key: "pay-1"),
                                                 json: ["amount": 10_000, "reference": "SEPA 42"])
            #expect(conflict.status == .conflict)
            let tooMuch = try await api.request(.post, "/api/v1/admin/payouts/\(ada.id)/paid", token: root.token, headers: Self.headers(key: "pay-2"),
                                                json: ["amount": 15_401])
            #expect(tooMuch.status == .conflict)
            #expect(try tooMuch.problem()["available"] as? Int == 15_400)
            #expect(try await api.request(.post, "/api/v1/admin/payouts/\(lena.id)/paid", token: root.token, headers: Self.headers(key: "pay-3"),
                                          json: ["amount": 1]).status == .notFound)
            #expect(try await api.request(.post, "/api/v1/admin/payouts/\(ada.id)/paid", token: root.token, json: ["amount": 1]).status == .badRequest)
            #expect(try ledger.balance(of: .artistEarnings(ada.id)).balance == 15_400)
            #expect(try ledger.verify().isIntact)
        }
    }
}
