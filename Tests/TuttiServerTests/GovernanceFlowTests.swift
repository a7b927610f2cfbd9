import Foundation
import HTTPTypes
import Ledger
import Testing
import TuttiServer
import TuttiTestSupport

/// Artist-governed pricing over live HTTP, on a clock the test moves by hand: members
/// propose and vote, the server closes the proposal at its time, and prices change for
/// plays counted after the close only.
@Suite("Governance: members vote on prices")
struct GovernanceFlowTests {
    @Test("members vote a lower base price and a higher artist share: plays before the close at version 1, after it at version 2, both on the statement")
    func fullCycle() async throws {
        let metered = MeteredService()
        try await metered.service.run { api in
            let track = try await MeteredTrack.make(api)
            let artist = track.artist
            var members = [artist]
            for name in ["member2", "member3", "member4", "member5"] { members.append(try await api.member(name)) }
            let first = try await api.account("first")
            let second = try await api.account("second")
            try await metered.fund(first, 1_000_000, api)
            try await metered.fund(second, 1_000_000, api)

            let before = try await api.playBySeeking(track, as: first)
            #expect(before["price"] as? Int == 2_000 && before["pricingVersion"] as? Int == 1)

            let proposal = try await api.propose(["basePrice": 1_000, "artistShareBasisPoints": 8_000], by: artist)
            let id = try #require(proposal["id"] as? String)
            #expect(proposal["status"] as? String == "open" && proposal["rollSize"] as? Int == 5)
            #expect((proposal["changes"] as? [String: Any])?["playsToOwn"] is NSNull, "unchanged values are null")
            #expect(try await api.vote(id, "yes", by: members[0]).status == .created)
            #expect(try await api.vote(id, "yes", by: members[1]).status == .created)
            #expect(try await api.vote(id, "no", by: members[2]).status == .created)
            let open = try await api.proposal(id, as: members[3])
            #expect(open["turnout"] as? Int == 3 && open["quorumReached"] as? Bool == true)
            #expect(open["tally"] == nil, "no tally before the close")

            // An hour before the close: still version 1.
            metered.clock.advance(by: 23 * 3600)
            let stillOld = try await api.playBySeeking(track, as: first)
            #expect(stillOld["price"] as? Int == 4_000 && stillOld["pricingVersion"] as? Int == 1)

            // Past the close: the next play is priced by version 2, whoever closes the proposal first.
            metered.clock.advance(by: 3600)
            let after = try await api.playBySeeking(track, as: second)
            #expect(after["price"] as? Int == 1_000 && after["pricingVersion"] as? Int == 2)

            let closed = try await api.proposal(id, as: members[4])
            #expect(closed["status"] as? String == "closed")
            let tally = try #require(closed["tally"] as? [String: Any])
            #expect(tally["outcome"] as? String == "passed" && tally["yes"] as? Int == 2 && tally["no"] as? Int == 1)
            #expect(tally["pricingVersion"] as? Int == 2)

            let versions = try await api.request(.get, "/api/v1/pricing/versions").json()
            #expect(versions["current"] as? Int == 2)
            let items = try #require(versions["items"] as? [[String: Any]])
            #expect(items.map { $0["version"] as? Int } == [1, 2])
            #expect(items[1]["proposalID"] as? String == id && items[1]["proposalTitle"] as? String == "Fairer prices")
            #expect(items[1]["basePrice"] as? Int == 1_000 && items[1]["artistShareBasisPoints"] as? Int == 8_000)

            let statement = try await api.request(.get, "/api/v1/earnings/statement", token: artist.token).json()
            let rows = try #require(statement["rows"] as? [[String: Any]])
            #expect(rows.map { $0["pricingVersion"] as? Int } == [1, 1, 2])
            #expect(rows.map { $0["artistPart"] as? Int } == [1_400, 2_800, 800])
            let csv = try await api.request(.get, "/api/v1/earnings/statement?format=csv", token: artist.token)
            #expect(String(buffer: csv.body).split(whereSeparator: \.isNewline).dropFirst().prefix(3).map { $0.split(separator: ",")[7] } == ["1", "1", "2"])
            #expect(try metered.ledger().verify().isIntact)
        }
    }

    @Test("listeners and anonymous users cannot propose or vote; a replayed vote is counted once")
    func authorization() async throws {
        try await TestService().run { api in
            let member = try await api.member("member")
            let other = try await api.member("other")
            let listener = try await api.account("listener")
            let artistWithoutTracks = try await api.account("newartist", role: "artist")
            let admin = try await api.adminAccount("admin")
            let proposal = try await api.propose(["previewSeconds": 30], closingIn: 25 * 3600, by: member)
            let id = try #require(proposal["id"] as? String)
            let body: [String: Any] = ["title": "x", "rationale": "y", "closesAt": "2099-01-01T00:00:00Z", "changes": ["basePrice": 1]]

            #expect(try await api.request(.post, "/api/v1/governance/proposals", json: body).status == .unauthorized)
            #expect(try await api.request(.post, "/api/v1/governance/proposals/\(id)/votes", json: ["choice": "yes"]).status == .unauthorized)
            #expect(try await api.request(.get, "/api/v1/governance/proposals").status == .unauthorized)
            for outsider in [listener, artistWithoutTracks, admin] {
                let proposed = try await api.request(.post, "/api/v1/governance/proposals", token: outsider.token, json: body)
                #expect(proposed.status == .forbidden)
                _ = try proposed.problem()
                #expect(try await api.vote(id, "yes", by: outsider).status == .forbidden)
            }
            #expect(try await api.request(.get, "/api/v1/governance/proposals", token: listener.token).status == .forbidden)
            #expect(try await api.request(.get, "/api/v1/governance/members", token: admin.token).status == .ok)

            // Replays: the first vote is recorded, the same vote again records nothing.
            #expect(try await api.vote(id, "yes", by: other).status == .created)
            for _ in 0..<3 { #expect(try await api.vote(id, "yes", by: other).status == .ok) }
            let invalid = try await api.vote(id, "maybe", by: other)
            #expect(invalid.status == .unprocessableContent)
            #expect(try invalid.problem()["detail"] as? String == "choice must be 'yes', 'no' or 'abstain'.")
            let votes = try await api.request(.get, "/api/v1/governance/proposals/\(id)/votes", token: member.token).json()
            let items = try #require(votes["items"] as? [[String: Any]])
            #expect(items.count == 1)
            #expect(items[0]["choice"] is NSNull, "others' choices are hidden while the proposal is open")
            #expect(try await api.proposal(id, as: member)["turnout"] as? Int == 1)
            let mine = try await api.request(.get, "/api/v1/governance/votes/mine", token: other.token).json()
            #expect((mine["items"] as? [[String: Any]])?.first?["choice"] as? String == "yes")

            // Only admins suspend; a suspended member can neither vote nor propose.
            #expect(try await api.request(.post, "/api/v1/governance/members/\(other.id)/suspend", token: member.token, json: ["reason": "x"]).status == .forbidden)
            let suspended = try await api.request(.post, "/api/v1/governance/members/\(other.id)/suspend", token: admin.token, json: ["reason": "Abusive uploads"])
            #expect(suspended.status == .ok)
            let suspension = try #require(try suspended.json()["suspension"] as? [String: Any])
            #expect(suspension["actorID"] as? String == admin.id && suspension["reason"] as? String == "Abusive uploads")
            let refused = try await api.vote(id, "no", by: other)
            #expect(refused.status == .forbidden)
            #expect(try refused.problem()["title"] as? String == "Membership suspended")
            #expect(try await api.request(.post, "/api/v1/governance/proposals", token: other.token, json: body).status == .forbidden)
            #expect(try await api.request(.post, "/api/v1/governance/members/\(other.id)/restore", token: admin.token, json: ["reason": "Resolved"]).status == .ok)
            #expect(try await api.vote(id, "no", by: other).status == .created)
        }
    }

    @Test("a vote one second after the close, and one by a member admitted after the opening, are refused; bad values get a sentence")
    func refusals() async throws {
        let metered = MeteredService()
        try await metered.service.run { api in
            let first = try await api.member("first")
            let second = try await api.member("second")
            let proposal = try await api.propose(["multiplier": 3], by: first)
            let id = try #require(proposal["id"] as? String)
            let late = try await api.member("late")
            let notOnRoll = try await api.vote(id, "yes", by: late)
            #expect(notOnRoll.status == .forbidden)
            #expect(try notOnRoll.problem()["title"] as? String == "Not on the voter roll")

            metered.clock.advance(by: 24 * 3600 - 1)
            #expect(try await api.vote(id, "yes", by: first).status == .created, "the last second still counts")
            metered.clock.advance(by: 2)
            let closed = try await api.vote(id, "no", by: second)
            #expect(closed.status == .conflict)
            #expect(try closed.problem()["title"] as? String == "Voting closed")
            let result = try await api.proposal(id, as: second)
            #expect((result["tally"] as? [String: Any])?["outcome"] as? String == "passed")

            let share = try await api.request(.post, "/api/v1/governance/proposals", token: first.token, json: [
                "title": "All to artists", "rationale": "r", "closesAt": metered.clock.now.addingTimeInterval(48 * 3600).formatted(.iso8601),
                "changes": ["artistShareBasisPoints": 10_001],
            ])
            #expect(share.status == .unprocessableContent)
            #expect(try share.problem()["detail"] as? String == "The artist share must be 0 to 10000 basis points (0 to 100 %), got 10001.")
            let soon = try await api.request(.post, "/api/v1/governance/proposals", token: first.token, json: [
                "title": "Quick", "rationale": "r", "closesAt": metered.clock.now.addingTimeInterval(3600).formatted(.iso8601),
                "changes": ["playsToOwn": 5],
            ])
            // A closing time is refused by the clock, not by its form: a conflict, not invalid content.
            #expect(soon.status == .conflict)
            #expect((try soon.problem()["detail"] as? String)?.contains("at least 24 hours") == true)
        }
    }

    @Test("the closer closes a proposal at its time with no request, and at start-up after a restart across the closing time")
    func closerAndRestart() async throws {
        let metered = MeteredService()
        let (first, second) = try await metered.service.run { api in
            let first = try await api.member("first")
            let second = try await api.member("second")
            let proposal = try await api.propose(["basePrice": 1_500], by: first)
            _ = try await api.vote(try #require(proposal["id"] as? String), "yes", by: second)
            #expect(try await metered.clock.waitForSleepers(1), "the closer sleeps until the closing time")
            metered.clock.advance(by: 24 * 3600)
            #expect(try await metered.waitForPricingVersions(2), "closed by the service, without any request")
            let later = try await api.propose(["basePrice": 1_200], by: first)
            _ = try await api.vote(try #require(later["id"] as? String), "yes", by: first)
            return (first, later["id"] as! String)
        }
        // The server is down across the second proposal's closing time.
        metered.clock.advance(by: 48 * 3600)
        #expect(try metered.pricingVersions().count == 2)
        try await metered.service.run { api in
            #expect(try await metered.waitForPricingVersions(3), "closed at start-up")
            let versions = try metered.pricingVersions()
            #expect(versions[2].proposalID == second && versions[2].pricing.basePrice == 1_200)
            let closed = try await api.proposal(second, as: first)
            #expect(closed["closesAt"] as? String == versions[2].effectiveFrom.formatted(.iso8601), "effective at the closing time, not at the restart")
        }
    }
}
