import Catalog
import FoundationEssentials
import Governance
import Hummingbird
import Ledger
import Logging

/// Artist-governed pricing (PRODUCT.md, "Governance"): members propose new pricing values
/// and vote; admins suspend and restore memberships; everyone may read the pricing history.
///
/// Members (artists with a published track) and admins read proposals, votes and members;
/// only members who are not suspended propose and vote. A proposal whose closing time has
/// passed is closed before any read shows it, so no answer is stale.
struct GovernanceController {
    let services: AppServices

    func addRoutes(public api: RouterGroup<TuttiRequestContext>, signedIn: RouterGroup<SignedInContext>) {
        api.get("pricing/versions", use: pricingVersions)
        signedIn.get("governance/members", use: members)
        signedIn.post("governance/members/{id}/suspend", use: suspend)
        signedIn.post("governance/members/{id}/restore", use: restore)
        signedIn.get("governance/proposals", use: proposals)
        signedIn.post("governance/proposals", use: propose)
        signedIn.get("governance/proposals/{id}", use: proposal)
        signedIn.post("governance/proposals/{id}/votes", use: vote)
        signedIn.get("governance/proposals/{id}/votes", use: votes)
        signedIn.get("governance/votes/mine", use: myVotes)
    }

    // MARK: Requests

    struct MembershipChange: CheckedBody {
        var reason: String

        func check() throws { try TextRule.reason.check(reason, "reason") }
    }

    struct NewProposal: CheckedBody {
        var title: String
        var rationale: String
        /// ISO 8601, or a day (midnight UTC).
        var closesAt: String
        var changes: PricingChangeResource

        func check() throws {
            try TextRule.title.check(title, "title")
            try TextRule.rationale.check(rationale, "rationale")
            guard RequestQuery.parseInstant(closesAt) != nil else {
                throw Problem(.unprocessableContent, title: "Invalid value", detail: "closesAt must be an ISO 8601 time such as 2026-03-01T12:00:00Z.")
            }
        }
    }

    struct Ballot: Decodable {
        var choice: String
    }

    // MARK: Members

    @Sendable func members(_ request: Request, context: SignedInContext) async throws -> MembersResource {
        try await requireReader(context)
        let members = try await services.inGovernance { governance throws(GovernanceError) in try governance.members() }
        return MembersResource(items: members.map(MemberResource.init), total: members.count)
    }

    @Sendable func suspend(_ request: Request, context: SignedInContext) async throws -> MemberResource {
        try await changeMembership(request, context: context, suspend: true)
    }

    @Sendable func restore(_ request: Request, context: SignedInContext) async throws -> MemberResource {
        try await changeMembership(request, context: context, suspend: false)
    }

    private func changeMembership(_ request: Request, context: SignedInContext, suspend: Bool) async throws -> MemberResource {
        try context.require(.admin, to: suspend ? "suspend memberships" : "restore memberships")
        let id = try context.parameters.require("id")
        let body = try await request.decodeChecked(as: MembershipChange.self, context: context)
        guard Identifier.isValid(id) else { throw CatalogError.notFound(kind: "member", id: id) }
        let admin = context.user.id
        let member = try await services.inGovernance { governance throws(GovernanceError) in
            if suspend { try governance.suspend(id, by: admin, reason: body.reason) } else { try governance.restore(id, by: admin, reason: body.reason) }
            guard let member = try governance.member(id) else { throw GovernanceError.notAMember(userID: id) }
            return member
        }
        context.logger.notice(suspend ? "membership suspended" : "membership restored", metadata: ["admin": "\(admin)", "member": "\(id)"])
        return MemberResource(member)
    }

    // MARK: Proposals

    /// The `status` filter of the proposals list; absent means all.
    static let statusFilters = ["open", "closed", "all"]

    @Sendable func proposals(_ request: Request, context: SignedInContext) async throws -> ProposalsResource {
        try await requireReader(context)
        let filter: Governance.ProposalFilter
        switch try RequestQuery.choice(request, "status", among: Self.statusFilters) {
        case "open": filter = .open
        case "closed": filter = .closed
        default: filter = .all
        }
        let now = services.configuration.now()
        try await services.closeDueProposals(before: now, logger: context.logger)
        let user = context.user.id
        let (proposals, mine) = try await services.inGovernance { governance throws(GovernanceError) in
            (try governance.proposals(filter), try governance.votes(by: user))
        }
        let current = Self.currentChoices(mine)
        let items = proposals.map { ProposalResource($0, now: now, myVote: current[$0.id]) }
        return ProposalsResource(items: items, total: items.count)
    }

    @Sendable func propose(_ request: Request, context: SignedInContext) async throws -> EditedResponse<ProposalResource> {
        try context.require(.artist, to: "open proposals (members only)")
        let body = try await request.decodeChecked(as: NewProposal.self, context: context)
        guard let closesAt = RequestQuery.parseInstant(body.closesAt) else {
            throw Problem(.unprocessableContent, title: "Invalid value", detail: "closesAt must be an ISO 8601 time such as 2026-03-01T12:00:00Z.")
        }
        let draft = ProposalDraft(title: body.title, rationale: body.rationale, change: body.changes.change, closesAt: closesAt)
        let proposer = context.user.id
        let proposal = try await services.inGovernance { governance throws(GovernanceError) in try governance.propose(draft, by: proposer) }
        services.governanceSignal.signal()
        context.logger.notice("proposal opened", metadata: ["proposal": "\(proposal.id)", "proposer": "\(proposer)", "roll": "\(proposal.rollSize)"])
        return EditedResponse(
            status: .created, headers: [.location: "/api/v1/governance/proposals/\(proposal.id)"],
            response: ProposalResource(proposal, now: services.configuration.now(), myVote: nil))
    }

    @Sendable func proposal(_ request: Request, context: SignedInContext) async throws -> ProposalResource {
        try await requireReader(context)
        let id = try proposalID(context)
        let now = services.configuration.now()
        try await services.closeDueProposals(before: now, logger: context.logger)
        let user = context.user.id
        let (proposal, votes) = try await services.inGovernance { governance throws(GovernanceError) in
            (try governance.proposal(id: id), try governance.votes(by: user))
        }
        return ProposalResource(proposal, now: now, myVote: Self.currentChoices(votes)[id])
    }

    // MARK: Votes

    /// Records the caller's vote (201), or repeats the one already counted (200, nothing recorded).
    @Sendable func vote(_ request: Request, context: SignedInContext) async throws -> EditedResponse<VoteResource> {
        try context.require(.artist, to: "vote (members only)")
        let id = try proposalID(context)
        let body = try await request.decode(as: Ballot.self, context: context)
        guard let choice = VoteChoice(rawValue: body.choice) else {
            throw Problem(.unprocessableContent, title: "Invalid value", detail: "choice must be 'yes', 'no' or 'abstain'.")
        }
        let member = context.user.id
        let receipt = try await services.inGovernance { governance throws(GovernanceError) in try governance.vote(on: id, by: member, choice: choice) }
        if receipt.recorded {
            context.logger.info("vote recorded", metadata: ["proposal": "\(id)", "member": "\(member)", "vote": "\(receipt.vote.sequence)"])
        }
        return EditedResponse(
            status: receipt.recorded ? .created : .ok,
            response: VoteResource(receipt.vote, current: true, showChoice: true))
    }

    /// Every vote and change of vote on a proposal. While it is open, others' choices are
    /// hidden (who has voted is shown: that is the live turnout).
    @Sendable func votes(_ request: Request, context: SignedInContext) async throws -> VotesResource {
        try await requireReader(context)
        let id = try proposalID(context)
        let now = services.configuration.now()
        try await services.closeDueProposals(before: now, logger: context.logger)
        let (proposal, votes) = try await services.inGovernance { governance throws(GovernanceError) in
            (try governance.proposal(id: id), try governance.votes(on: id))
        }
        let closed = proposal.status(at: now) != .open
        let latest = Dictionary(votes.map { ($0.memberID, $0.sequence) }, uniquingKeysWith: max)
        let items = votes.map { vote in
            VoteResource(vote, current: latest[vote.memberID] == vote.sequence, showChoice: closed || vote.memberID == context.user.id)
        }
        return VotesResource(items: items, total: items.count)
    }

    /// The caller's own votes and changes of vote, newest first.
    @Sendable func myVotes(_ request: Request, context: SignedInContext) async throws -> VotesResource {
        try await requireReader(context)
        let user = context.user.id
        let votes = try await services.inGovernance { governance throws(GovernanceError) in try governance.votes(by: user) }
        var seen = Set<String>()
        let items = votes.map { vote in VoteResource(vote, current: seen.insert(vote.proposalID).inserted, showChoice: true) }
        return VotesResource(items: items, total: items.count)
    }

    // MARK: Pricing history

    /// Every pricing version, oldest first, with the proposal that created it. Public.
    @Sendable func pricingVersions(_ request: Request, context: TuttiRequestContext) async throws -> PricingVersionsResource {
        let now = services.configuration.now()
        try await services.closeDueProposals(before: now, logger: context.logger)
        let (versions, current) = try await services.inLedger { ledger throws(LedgerError) in
            (try ledger.pricingVersions(), try ledger.pricing(at: now).version)
        }
        let proposalIDs = versions.compactMap(\.proposalID)
        let titles = try await services.inGovernance { governance throws(GovernanceError) in
            var titles: [String: String] = [:]
            for id in proposalIDs { titles[id] = try governance.proposal(id: id).title }
            return titles
        }
        return PricingVersionsResource(
            items: versions.map { PricingVersionResource($0, proposalTitle: $0.proposalID.flatMap { titles[$0] }) }, current: current)
    }

    // MARK: Rules

    /// Members (suspended ones included) and admins may read governance.
    private func requireReader(_ context: SignedInContext) async throws {
        if context.user.role == .admin { return }
        let user = context.user.id
        let member = try await services.inGovernance { governance throws(GovernanceError) in try governance.member(user) }
        guard member != nil else { throw Problem(for: GovernanceError.notAMember(userID: user)) }
    }

    private func proposalID(_ context: SignedInContext) throws -> String {
        let id = try context.parameters.require("id")
        guard Identifier.isValid(id) else { throw Problem(for: GovernanceError.proposalNotFound(id)) }
        return id
    }

    /// Each proposal's current choice among `votes` (newest first).
    private static func currentChoices(_ votes: [Vote]) -> [String: VoteChoice] {
        var current: [String: VoteChoice] = [:]
        for vote in votes where current[vote.proposalID] == nil { current[vote.proposalID] = vote.choice }
        return current
    }
}
