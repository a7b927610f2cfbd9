import Foundation
import Governance
import Testing
import TuttiTestSupport

@Suite("tutti governance", .ownThreads)
struct GovernanceCommandTests {
    @Test("list shows a proposal past its close as closing; tally shows a provisional count; close tallies it once and creates the version")
    func listTallyClose() async throws {
        // Ten days ago, so that the command (on the real clock) finds the proposal due.
        let fixture = try GovernanceFixture(start: Date().addingTimeInterval(-10 * 24 * 3600))
        let members = try fixture.members(3)
        let proposal = try fixture.governance.propose(fixture.draft(PricingChange(basePrice: 1_000), title: "Cheaper first plays"), by: members[0])
        _ = try fixture.governance.vote(on: proposal.id, by: members[1], choice: .yes)
        let data = URL(fileURLWithPath: fixture.path).deletingLastPathComponent().path
        let tutti = Fixtures.tuttiExecutable

        let list = try await ThirdPartyTools.run(tutti, ["governance", "list", "--data", data])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains(proposal.id) && list.stdout.contains("closing") && list.stdout.contains("\"Cheaper first plays\""))
        #expect(list.stdout.contains("turnout 1/3") && list.stdout.contains("base price 1000 units"))

        let provisional = try await ThirdPartyTools.run(tutti, ["governance", "tally", proposal.id, "--data", data])
        #expect(provisional.status == 0, "\(provisional.stderr)")
        #expect(provisional.stdout.contains("yes: 1  no: 0") && provisional.stdout.contains("provisional"))

        let close = try await ThirdPartyTools.run(tutti, ["governance", "close", "--data", data])
        #expect(close.status == 0, "\(close.stderr)")
        #expect(close.stdout.contains("outcome: passed") && close.stdout.contains("pricing version: 2"))
        let again = try await ThirdPartyTools.run(tutti, ["governance", "close", "--data", data])
        #expect(again.stdout.contains("no proposal is due"))
        #expect(try fixture.ledger.pricingVersions().count == 2)
        #expect(try fixture.ledger.pricingVersions()[1].effectiveFrom == proposal.closesAt)

        let unknown = try await ThirdPartyTools.run(tutti, ["governance", "tally", "no-such-proposal", "--data", data])
        #expect(unknown.status == 1 && unknown.stderr.contains("there is no such proposal"))
    }
}
