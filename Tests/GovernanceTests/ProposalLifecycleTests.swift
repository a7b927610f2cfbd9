import Foundation
import Governance
import Ledger
import Testing
import TuttiTestSupport

@Suite("Governance: proposals, votes and their effect on prices", .ownThreads)
struct ProposalLifecycleTests {
    @Test("a passed proposal becomes pricing version 2 at its close: plays before keep version 1, plays after use 2")
    func fullCycle() async throws {
        let fixture = try GovernanceFixture()
        let members = try fixture.members(5)
        try fixture.user("listener", role: "listener")
        let change = PricingChange(basePrice: 1_000, artistShareBasisPoints: 8_000)
        let proposal = try fixture.governance.propose(fixture.draft(change), by: members[0])
        #expect(proposal.rollSize == 5)
        #expect(fixture.governance.nextClosingTime == proposal.closesAt)
        #expect(try fixture.governance.vote(on: proposal.id, by: members[0], choice: .yes).recorded)
        #expect(try fixture.governance.vote(on: proposal.id, by: members[1], choice: .yes).recorded)
        #expect(try fixture.governance.vote(on: proposal.id, by: members[2], choice: .no).recorded)
        #expect(try fixture.governance.proposal(id: proposal.id).turnout == 3)

        fixture.clock.advance(by: 23 * 3600)
        let before = try await fixture.play("p1")
        #expect(before.pricingVersion == 1 && before.price == 2_000 && before.artistPart == 1_400)
        #expect(try fixture.governance.closeDue().isEmpty, "nothing is due before the close")

        fixture.clock.advance(by: 3600)
        #expect(fixture.governance.isCloseDue(at: fixture.clock.now))
        let tallies = try fixture.governance.closeDue()
        let tally = try #require(tallies.first)
        #expect(tally.outcome == .passed && tally.yes == 2 && tally.no == 1 && tally.abstain == 0 && tally.pricingVersion == 2)
        #expect(!fixture.governance.isCloseDue(at: fixture.clock.now))
        let version = try fixture.ledger.pricing(at: fixture.clock.now)
        #expect(version.version == 2 && version.effectiveFrom == proposal.closesAt && version.proposalID == proposal.id)
        #expect(version.pricing == Pricing(previewSeconds: 45, basePrice: 1_000, multiplier: 2, playsToOwn: 9, artistShareBasisPoints: 8_000))

        let after = try await fixture.play("p2", listener: "listener-2")
        #expect(after.pricingVersion == 2 && after.price == 1_000 && after.artistPart == 800)
        // The first listener's second play doubles from the new base.
        fixture.clock.advance(by: 1)
        let second = try await fixture.play("p3")
        #expect(second.pricingVersion == 2 && second.price == 2_000 && second.artistPart == 1_600)
        #expect(try fixture.governance.closeDue().isEmpty, "closing again changes nothing")
        #expect(try fixture.ledger.verify().isIntact)
    }

    @Test("quorum not reached, and a tie: no new pricing version")
    func failing() throws {
        let fixture = try GovernanceFixture()
        let members = try fixture.members(10)
        let lowTurnout = try fixture.governance.propose(fixture.draft(PricingChange(basePrice: 1), hours: 24), by: members[0])
        let tie = try fixture.governance.propose(fixture.draft(PricingChange(basePrice: 2), hours: 25), by: members[0])
        _ = try fixture.governance.vote(on: lowTurnout.id, by: members[0], choice: .yes)
        for (index, member) in members.prefix(4).enumerated() {
            _ = try fixture.governance.vote(on: tie.id, by: member, choice: index < 2 ? .yes : .no)
        }
        fixture.clock.advance(by: 26 * 3600)
        let tallies = try fixture.governance.closeDue()
        #expect(tallies.map(\.proposalID) == [lowTurnout.id, tie.id], "closed in the order of their closing times")
        #expect(tallies.map(\.outcome) == [.quorumNotReached, .notMajority])
        #expect(tallies.allSatisfy { $0.pricingVersion == nil })
        #expect(try fixture.ledger.pricingVersions().count == 1)
    }

    @Test("a vote changed at the last second counts; at the close or a second after it is refused")
    func lastSecond() throws {
        let fixture = try GovernanceFixture()
        let members = try fixture.members(2)
        let proposal = try fixture.governance.propose(fixture.draft(PricingChange(multiplier: 3)), by: members[0])
        _ = try fixture.governance.vote(on: proposal.id, by: members[0], choice: .no)
        fixture.clock.advance(by: 24 * 3600 - 1)
        let changed = try fixture.governance.vote(on: proposal.id, by: members[0], choice: .yes)
        #expect(changed.recorded && changed.vote.choice == .yes)
        fixture.clock.advance(by: 1)
        #expect(throws: GovernanceError.votingClosed(proposalID: proposal.id, closesAt: proposal.closesAt)) {
            try fixture.governance.vote(on: proposal.id, by: members[1], choice: .no)
        }
        fixture.clock.advance(by: 1)
        #expect(throws: GovernanceError.votingClosed(proposalID: proposal.id, closesAt: proposal.closesAt)) {
            try fixture.governance.vote(on: proposal.id, by: members[0], choice: .no)
        }
        let tally = try #require(try fixture.governance.closeDue().first)
        #expect(tally.yes == 1 && tally.no == 0 && tally.outcome == .passed)
        // Every vote and change of vote is kept.
        #expect(try fixture.governance.votes(on: proposal.id).map(\.choice) == [.no, .yes])
    }

    @Test("repeating a vote records nothing; one member, one counted vote")
    func replay() throws {
        let fixture = try GovernanceFixture()
        let members = try fixture.members(3)
        let proposal = try fixture.governance.propose(fixture.draft(PricingChange(playsToOwn: 5)), by: members[0])
        #expect(try fixture.governance.vote(on: proposal.id, by: members[1], choice: .yes).recorded)
        for _ in 0..<5 { #expect(try fixture.governance.vote(on: proposal.id, by: members[1], choice: .yes).recorded == false) }
        #expect(try fixture.governance.votes(on: proposal.id).count == 1)
        #expect(try fixture.governance.proposal(id: proposal.id).turnout == 1)
    }

    @Test("the roll is frozen at the opening: a member admitted later, and a non-member, cannot vote")
    func frozenRoll() throws {
        let fixture = try GovernanceFixture()
        let members = try fixture.members(2)
        let unpublished = try fixture.user("newcomer", published: false)
        let listener = try fixture.user("listener", role: "listener")
        let proposal = try fixture.governance.propose(fixture.draft(PricingChange(previewSeconds: 30)), by: members[0])
        try fixture.publishTrack(of: unpublished)
        #expect(try fixture.governance.member(unpublished) != nil, "a member now")
        #expect(throws: GovernanceError.notOnRoll(memberID: unpublished, proposalID: proposal.id)) {
            try fixture.governance.vote(on: proposal.id, by: unpublished, choice: .yes)
        }
        #expect(throws: GovernanceError.notAMember(userID: listener)) {
            try fixture.governance.vote(on: proposal.id, by: listener, choice: .yes)
        }
        #expect(throws: GovernanceError.notAMember(userID: listener)) {
            try fixture.governance.propose(fixture.draft(PricingChange(previewSeconds: 30), hours: 30), by: listener)
        }
        // The newcomer is on the roll of the next proposal.
        let next = try fixture.governance.propose(fixture.draft(PricingChange(previewSeconds: 20), hours: 48), by: unpublished)
        #expect(next.rollSize == 3)
        #expect(try fixture.governance.vote(on: next.id, by: unpublished, choice: .yes).recorded)
    }

    @Test("a suspended member cannot propose or vote; the suspension does not shrink an open roll; restored, they vote again")
    func suspension() throws {
        let fixture = try GovernanceFixture()
        let members = try fixture.members(5)
        let admin = try fixture.user("admin", role: "admin")
        let proposal = try fixture.governance.propose(fixture.draft(PricingChange(basePrice: 3_000)), by: members[0])
        _ = try fixture.governance.vote(on: proposal.id, by: members[1], choice: .yes)
        let event = try fixture.governance.suspend(members[1], by: admin, reason: "Sock-puppet accounts")
        #expect(event.actorID == admin && event.reason == "Sock-puppet accounts")
        #expect(throws: GovernanceError.conflict("this membership is already suspended")) {
            try fixture.governance.suspend(members[1], by: admin, reason: "again")
        }
        #expect(throws: GovernanceError.invalid("say why (a reason is recorded with every suspension and restoration)")) {
            try fixture.governance.restore(members[1], by: admin, reason: "  ")
        }
        #expect(throws: GovernanceError.suspended(memberID: members[1])) {
            try fixture.governance.vote(on: proposal.id, by: members[1], choice: .no)
        }
        #expect(throws: GovernanceError.suspended(memberID: members[1])) {
            try fixture.governance.propose(fixture.draft(PricingChange(basePrice: 1), hours: 30), by: members[1])
        }
        // A proposal opened during the suspension leaves them off its roll.
        let during = try fixture.governance.propose(fixture.draft(PricingChange(basePrice: 1), hours: 30), by: members[0])
        #expect(during.rollSize == 4)
        try fixture.governance.restore(members[1], by: admin, reason: "Verified")
        #expect(try fixture.governance.vote(on: proposal.id, by: members[1], choice: .no).recorded)
        #expect(throws: GovernanceError.notOnRoll(memberID: members[1], proposalID: during.id)) {
            try fixture.governance.vote(on: during.id, by: members[1], choice: .yes)
        }
        #expect(try fixture.governance.membershipEvents(of: members[1]).map(\.action) == [.suspend, .restore])
        #expect(try fixture.governance.proposal(id: proposal.id).rollSize == 5)
    }

    @Test("invalid values and closing times are refused with a reason")
    func validation() throws {
        let fixture = try GovernanceFixture()
        let member = try fixture.members(1)[0]
        let cases: [(PricingChange, Double, String)] = [
            (PricingChange(artistShareBasisPoints: 10_001), 24, "artist share must be 0 to 10000"),
            (PricingChange(artistShareBasisPoints: -1), 24, "artist share must be 0 to 10000"),
            (PricingChange(playsToOwn: 0), 24, "plays to own must be at least 1"),
            (PricingChange(basePrice: -5), 24, "base price must not be negative"),
            (PricingChange(multiplier: 0), 24, "multiplier must be at least 1"),
            (PricingChange(multiplier: 1_000_000), 24, "beyond Int64"),
            (PricingChange(), 24, "at least one pricing parameter"),
            (PricingChange(basePrice: 1_000), 23.9, "at least 24 hours"),
        ]
        for (change, hours, reason) in cases {
            do {
                _ = try fixture.governance.propose(fixture.draft(change, hours: hours), by: member)
                Issue.record("accepted \(change)")
            } catch {
                #expect(String(describing: error).contains(reason), "\(error)")
            }
        }
        let first = try fixture.governance.propose(fixture.draft(PricingChange(basePrice: 1_000)), by: member)
        #expect(throws: GovernanceError.self) {
            try fixture.governance.propose(ProposalDraft(title: "Same time", rationale: "x", change: PricingChange(basePrice: 5), closesAt: first.closesAt), by: member)
        }
        #expect(throws: GovernanceError.invalid("the title must be 1 to 200 characters")) {
            try fixture.governance.propose(fixture.draft(PricingChange(basePrice: 5), hours: 30, title: " "), by: member)
        }
    }

    @Test("two passed proposals take effect in the order of their closes; unchanged values are those in force at each close")
    func twoProposals() throws {
        let fixture = try GovernanceFixture()
        let members = try fixture.members(2)
        let later = try fixture.governance.propose(fixture.draft(PricingChange(multiplier: 50), hours: 48, title: "Steeper"), by: members[0])
        let earlier = try fixture.governance.propose(fixture.draft(PricingChange(playsToOwn: 40), hours: 24, title: "Longer"), by: members[0])
        let third = try fixture.governance.propose(fixture.draft(PricingChange(basePrice: 500), hours: 72, title: "Cheaper"), by: members[1])
        for proposal in [later, earlier, third] { _ = try fixture.governance.vote(on: proposal.id, by: members[1], choice: .yes) }
        #expect(fixture.governance.nextClosingTime == earlier.closesAt)
        fixture.clock.advance(by: 80 * 3600)
        let tallies = try fixture.governance.closeDue()
        #expect(tallies.map(\.proposalID) == [earlier.id, later.id, third.id])
        // 2,000 × 50^39 overflows once plays to own is 40: passed, but not applicable.
        #expect(tallies.map(\.outcome) == [.passed, .notApplicable, .passed])
        #expect(tallies[1].note?.contains("Int64") == true)
        let versions = try fixture.ledger.pricingVersions()
        #expect(versions.map(\.version) == [1, 2, 3])
        #expect(versions[1].effectiveFrom == earlier.closesAt && versions[1].pricing.playsToOwn == 40)
        #expect(versions[2].effectiveFrom == third.closesAt && versions[2].pricing.playsToOwn == 40 && versions[2].pricing.basePrice == 500)
    }

    @Test("a restart across the closing time closes the proposal at start, effective at its closing time")
    func restart() throws {
        let fixture = try GovernanceFixture()
        let members = try fixture.members(3)
        let proposal = try fixture.governance.propose(fixture.draft(PricingChange(artistShareBasisPoints: 9_000)), by: members[0])
        _ = try fixture.governance.vote(on: proposal.id, by: members[2], choice: .yes)
        fixture.clock.advance(by: 3 * 24 * 3600)
        let restarted = try fixture.restarted()
        #expect(restarted.isCloseDue(at: fixture.clock.now))
        let tally = try #require(try restarted.closeDue().first)
        #expect(tally.outcome == .passed && tally.closedAt == proposal.closesAt && tally.recordedAt > proposal.closesAt)
        #expect(try restarted.ledger.pricing(at: proposal.closesAt).version == 2)
        #expect(try restarted.ledger.pricing(at: proposal.closesAt.addingTimeInterval(-0.001)).version == 1)
    }
}
