import Foundation
import HTTPTypes
import Ledger
import NIOCore
import Testing
import TuttiServer
import TuttiTestSupport

@Suite("Authorization of the money routes: every route, every role")
struct MoneyAuthorizationTests {
    typealias Caller = AuthorizationTests.Caller

    @Test("each caller gets what its role allows; nobody sees another's wallet or earnings")
    func matrix() async throws {
        try await TestService.withPayments().run { api in
            let listener = try await api.account("lena")
            let owner = try await api.account("ada", role: "artist")
            let other = try await api.account("bela", role: "artist")
            let admin = try await api.adminAccount("root")
            let published = try await api.publishedTrack(Fixtures.media("sine-1000-48000-mono.wav"), title: "Public", by: owner)
            let draftID = try await api.upload(Fixtures.media("sine-1000-48000-mono.wav"), title: "Draft", by: owner)
            _ = try await api.waitUntilProcessed(draftID, token: owner.token)
            // Lena has money and one counted play of Ada's track, so Ada has earnings to pay out.
            #expect(try await api.deliver(TestAPI.paymentEvent(id: "evt_1", user: listener.id, amount: 1_000_000)).status == .ok)
            let ledger = try api.ledger()
            try await MoneyFlowTests.play(ledger, listener: listener, artist: owner, track: published, count: 1, session: "auth")

            let tokens: [Caller: String?] = [
                .anonymous: nil, .badToken: "not-a-real-token", .listener: listener.token,
                .owner: owner.token, .otherArtist: other.token, .admin: admin.token,
            ]
            func status(_ caller: Caller, _ method: HTTPRequest.Method, _ uri: String, key: String?, json: Any?) async throws -> Int {
                var headers = HTTPFields()
                if let key { headers[HTTPField.Name("Idempotency-Key")!] = key }
                return Int(try await api.request(method, uri, token: tokens[caller]!, headers: headers, json: json).status.code)
            }
            // Expected statuses per caller, in Caller.allCases order:
            // anonymous, badToken, listener, owner (artist), otherArtist, admin.
            let cases: [(String, HTTPRequest.Method, String, String?, Any?, [Int])] = [
                ("wallet", .get, "/api/v1/wallet", nil, nil, [401, 401, 200, 200, 200, 200]),
                ("wallet history", .get, "/api/v1/wallet/history", nil, nil, [401, 401, 200, 200, 200, 200]),
                ("wallet tracks", .get, "/api/v1/wallet/tracks", nil, nil, [401, 401, 200, 200, 200, 200]),
                ("published ownership", .get, "/api/v1/tracks/\(published)/ownership", nil, nil, [401, 401, 200, 200, 200, 200]),
                ("draft ownership", .get, "/api/v1/tracks/\(draftID)/ownership", nil, nil, [401, 401, 404, 200, 404, 200]),
                ("earnings", .get, "/api/v1/earnings", nil, nil, [401, 401, 403, 200, 200, 403]),
                ("statement", .get, "/api/v1/earnings/statement", nil, nil, [401, 401, 403, 200, 200, 403]),
                ("statement csv", .get, "/api/v1/earnings/statement?format=csv", nil, nil, [401, 401, 403, 200, 200, 403]),
                ("payouts", .get, "/api/v1/admin/payouts", nil, nil, [401, 401, 403, 403, 403, 200]),
                ("payouts csv", .get, "/api/v1/admin/payouts?format=csv", nil, nil, [401, 401, 403, 403, 403, 200]),
                ("admin credit", .post, "/api/v1/admin/wallets/\(listener.id)/credits", "m-1", ["amount": 5, "reason": "test"], [401, 401, 403, 403, 403, 200]),
                ("mark paid", .post, "/api/v1/admin/payouts/\(owner.id)/paid", "m-2", ["amount": 1_000], [401, 401, 403, 403, 403, 200]),
                // The webhook is authenticated by its signature, not a token: unsigned is malformed for everyone.
                ("unsigned webhook", .post, "/api/v1/payments/webhook", nil, ["id": "evt_x"], [400, 401, 400, 400, 400, 400]),
            ]
            for (name, method, uri, key, json, expected) in cases {
                var got: [Int] = []
                for caller in Caller.allCases {
                    got.append(try await status(caller, method, uri, key: key, json: json))
                }
                #expect(got == expected, "\(name): \(Caller.allCases.map(\.rawValue)) → \(got)")
            }

            // Each sees only their own money.
            #expect(try await api.walletBalance(listener) == 1_000_000 - 2_000 + 5)
            for account in [owner, other, admin] { #expect(try await api.walletBalance(account) == 0) }
            let otherStatement = try await api.request(.get, "/api/v1/earnings/statement", token: other.token).json()
            #expect((otherStatement["rows"] as? [Any])?.isEmpty == true)
            #expect(try await api.request(.get, "/api/v1/earnings", token: other.token).json()["balance"] as? Int == 0)
            let ownerStatement = try await api.request(.get, "/api/v1/earnings/statement", token: owner.token).json()
            #expect((ownerStatement["rows"] as? [Any])?.count == 1)
            #expect(try await api.request(.get, "/api/v1/earnings", token: owner.token).json()["balance"] as? Int == 400)
            let otherTracks = try await api.request(.get, "/api/v1/wallet/tracks", token: other.token).json()
            #expect((otherTracks["items"] as? [Any])?.isEmpty == true)
            let otherHistory = try await api.request(.get, "/api/v1/wallet/history", token: other.token).json()
            #expect((otherHistory["items"] as? [Any])?.isEmpty == true)
            // Money in JSON is always an integer.
            let wallet = try await api.request(.get, "/api/v1/wallet", token: listener.token)
            #expect(String(buffer: wallet.body).contains("\"balance\":998005"))
            #expect(try ledger.verify().isIntact)
        }
    }
}

extension MoneyAuthorizationTests {
    @Test("split sheets and split earnings: only the owner proposes, only parties see and answer a sheet, each sees only their own earnings")
    func splitMatrix() async throws {
        try await TestService().run { api in
            let listener = try await api.account("lena")  // a party without being an artist
            let owner = try await api.account("ada", role: "artist")
            let other = try await api.account("bela", role: "artist")
            let admin = try await api.adminAccount("root")
            let published = try await api.publishedTrack(Fixtures.media("sine-1000-48000-mono.wav"), title: "Public", by: owner)
            let releaseID = try #require(try await api.request(.get, "/api/v1/tracks/\(published)").json()["releaseID"] as? String)
            let sheet = try await api.request(.post, "/api/v1/releases/\(releaseID)/split-sheets", token: owner.token, json: [
                "parties": [["username": "ada", "shareBasisPoints": 7_000, "role": "vocals"],
                            ["username": "lena", "shareBasisPoints": 3_000, "role": "producer"]],
            ])
            let sheetID = try #require(try sheet.json()["id"] as? Int)
            let tokens: [Caller: String?] = [
                .anonymous: nil, .badToken: "not-a-real-token", .listener: listener.token,
                .owner: owner.token, .otherArtist: other.token, .admin: admin.token,
            ]
            // Stays pending (Lena does not answer): the first sheet stays in force.
            let proposal: [String: Any] = ["parties": [["username": "ada", "shareBasisPoints": 5_000, "role": "vocals"],
                                                       ["username": "lena", "shareBasisPoints": 5_000, "role": "producer"]]]
            // anonymous, badToken, listener (a party), owner (proposer and party), otherArtist, admin.
            let cases: [(String, HTTPRequest.Method, String, Any?, [Int])] = [
                ("release's sheets", .get, "/api/v1/releases/\(releaseID)/split-sheets", nil, [401, 401, 403, 200, 403, 403]),
                ("my sheets", .get, "/api/v1/split-sheets", nil, [401, 401, 200, 200, 200, 200]),
                ("one sheet", .get, "/api/v1/split-sheets/\(sheetID)", nil, [401, 401, 200, 200, 404, 404]),
                // The owner accepted by proposing; Lena's acceptance makes it take effect.
                ("accept", .post, "/api/v1/split-sheets/\(sheetID)/accept", nil, [401, 401, 200, 409, 404, 404]),
                ("decline", .post, "/api/v1/split-sheets/\(sheetID)/decline", nil, [401, 401, 409, 409, 404, 404]),
                ("split earnings", .get, "/api/v1/split-earnings", nil, [401, 401, 200, 200, 200, 200]),
                ("split statement", .get, "/api/v1/split-earnings/statement", nil, [401, 401, 200, 200, 200, 200]),
                ("split statement csv", .get, "/api/v1/split-earnings/statement?format=csv", nil, [401, 401, 200, 200, 200, 200]),
                ("propose", .post, "/api/v1/releases/\(releaseID)/split-sheets", proposal, [401, 401, 403, 201, 403, 403]),
            ]
            for (name, method, uri, json, expected) in cases {
                var got: [Int] = []
                for caller in Caller.allCases {
                    got.append(Int(try await api.request(method, uri, token: tokens[caller]!, json: json).status.code))
                }
                #expect(got == expected, "\(name): \(Caller.allCases.map(\.rawValue)) → \(got)")
            }

            // A play under the sheet: each party sees its own part, nobody else anything.
            let ledger = try api.ledger()
            _ = try ledger.topUp(transferID: "split-auth", user: other.id, amount: 1_000_000)
            let charged = try await ledger.chargePlay(PlayChargeRequest(
                playID: "split-auth-1", listenerID: other.id, artistID: owner.id, trackID: published, at: Date(), releaseID: releaseID))
            guard case .charged(let charge) = charged else { Issue.record("not charged: \(charged)"); return }
            #expect(charge.split?.parts.map { $0.amount } == [980, 420])
            func rows(_ account: TestAPI.Account) async throws -> [[String: Any]]? {
                try await api.request(.get, "/api/v1/split-earnings/statement", token: account.token).json()["rows"] as? [[String: Any]]
            }
            #expect(try await rows(listener)?.map { $0["part"] as? Int } == [420])
            #expect(try await rows(owner)?.map { $0["part"] as? Int } == [980])
            #expect(try await rows(other)?.isEmpty == true)
            #expect(try await rows(admin)?.isEmpty == true)
            #expect(try await api.request(.get, "/api/v1/split-earnings", token: listener.token).json()["balance"] as? Int == 420)
            #expect(try await api.request(.get, "/api/v1/split-earnings", token: other.token).json()["balance"] as? Int == 0)
            let otherList = try await api.request(.get, "/api/v1/split-sheets", token: other.token).json()
            #expect((otherList["items"] as? [Any])?.isEmpty == true)
            let adminList = try await api.request(.get, "/api/v1/split-sheets", token: admin.token).json()
            #expect((adminList["items"] as? [Any])?.isEmpty == true)
            #expect(try ledger.verify().isIntact)
        }
    }
}
