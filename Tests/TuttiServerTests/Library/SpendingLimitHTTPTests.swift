import Foundation
import HTTPTypes
import Ledger
import Testing
@testable import TuttiServer
import TuttiTestSupport

@Suite("Monthly spending limit over HTTP: plays and purchases past it are 402 of their own type")
struct SpendingLimitHTTPTests {
    @Test("set, read, stopped by it (a seek, then own it now), removed")
    func limit() async throws {
        let metered = MeteredService()
        try await metered.service.run { api in
            let (track, listener) = try await metered.trackAndListener(api, funds: 2_000_000)
            let url = "/api/v1/listeners/\(listener.id)/spending-limit"
            #expect(try await api.request(.get, url, token: listener.token).status == .notFound)
            #expect(try await api.request(.put, url, token: listener.token, json: ["monthlyLimit": 5_000, "timeZone": "Mars/Base"]).status == .unprocessableContent)
            #expect(try await api.request(.put, url, token: listener.token, json: ["monthlyLimit": -1]).status == .unprocessableContent)
            let set = try await api.request(.put, url, token: listener.token, json: ["monthlyLimit": 5_000, "timeZone": "America/New_York"])
            #expect(set.status == .ok, "\(String(buffer: set.body))")
            let limit = try set.json()
            #expect(limit["monthlyLimit"] as? Int == 5_000 && limit["spent"] as? Int == 0 && limit["timeZone"] as? String == "America/New_York")
            // The time zone is kept with the account: a later limit without one uses it.
            let reset = try await api.request(.put, url, token: listener.token, json: ["monthlyLimit": 5_000])
            #expect(try reset.json()["timeZone"] as? String == "America/New_York")

            // The first play (2,000) fits; the second (4,000) would pass 5,000: refused, though the wallet holds plenty.
            let first = try await api.openPlay(track.id, as: listener)
            let seek = track.freeEnd + 20_000
            #expect(try await api.request(.get, first.standardURL, headers: [.range: "bytes=\(seek)-\(seek + 1_023)"]).status == .partialContent)
            let second = try await api.openPlay(track.id, as: listener)
            let refused = try await api.request(.get, second.standardURL, headers: [.range: "bytes=\(seek)-\(seek + 1_023)"])
            #expect(refused.status.code == 402)
            let problem = try refused.problem()
            #expect(problem["type"] as? String == "urn:tutti:problem:spending-limit")
            #expect(problem["limit"] as? Int == 5_000 && problem["spent"] as? Int == 2_000 && problem["needed"] as? Int == 4_000)
            #expect((problem["detail"] as? String)?.contains("monthly limit") == true)
            #expect(try await api.playStatus(second.id, as: listener)["counted"] as? Bool == false)
            #expect(try metered.balance(listener) == 1_998_000)
            #expect(try await api.request(.get, url, token: listener.token).json()["remaining"] as? Int == 3_000)

            // Own it now is refused by the limit too, with the same type.
            let buy = try await api.request(.post, "/api/v1/tracks/\(track.id)/purchase", token: listener.token, json: ["requestID": "buy-1"])
            #expect(buy.status.code == 402)
            #expect(try buy.problem()["type"] as? String == "urn:tutti:problem:spending-limit")
            #expect(try metered.balance(listener) == 1_998_000)

            // Removed: the play and the purchase go through.
            #expect(try await api.request(.delete, url, token: listener.token).status == .noContent)
            #expect(try await api.request(.get, url, token: listener.token).status == .notFound)
            let third = try await api.openPlay(track.id, as: listener)
            #expect(try await api.request(.get, third.standardURL, headers: [.range: "bytes=\(seek)-\(seek + 1_023)"]).status == .partialContent)
            #expect(try await api.request(.post, "/api/v1/tracks/\(track.id)/purchase", token: listener.token, json: ["requestID": "buy-2"]).status == .ok)
            #expect(try metered.balance(listener) == 2_000_000 - 1_022_000)
            #expect(try metered.ledger().verify().isIntact)
        }
    }
}
