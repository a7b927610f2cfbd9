import FoundationEssentials
import Governance
import Hummingbird
import Ledger

// Governance as the API shows it. Money in minor units, shares and quorums in basis points.

struct MemberResource: ResponseCodable {
    var id: String
    var username: String
    var displayName: String
    var publishedTracks: Int
    var suspended: Bool
    /// The suspension in force: who (admin id), why and when.
    var suspension: MembershipEventResource?

    init(_ member: Member) {
        id = member.id
        username = member.username
        displayName = member.displayName
        publishedTracks = member.publishedTracks
        suspended = member.isSuspended
        suspension = member.suspension.map(MembershipEventResource.init)
    }
}

struct MembersResource: ResponseCodable {
    var items: [MemberResource]
    var total: Int
}

struct MembershipEventResource: ResponseCodable {
    var memberID: String
    /// suspend or restore.
    var action: String
    var actorID: String
    var reason: String
    var at: Date

    init(_ event: MembershipEvent) {
        memberID = event.memberID
        action = event.action.rawValue
        actorID = event.actorID
        reason = event.reason
        at = event.at
    }
}

/// The values a proposal sets; null keeps the value in force at the close.
struct PricingChangeResource: Codable, Sendable {
    var previewSeconds: Int?
    var basePrice: Int64?
    var multiplier: Int64?
    var playsToOwn: Int?
    var artistShareBasisPoints: Int?

    init(_ change: PricingChange) {
        previewSeconds = change.previewSeconds
        basePrice = change.basePrice
        multiplier = change.multiplier
        playsToOwn = change.playsToOwn
        artistShareBasisPoints = change.artistShareBasisPoints
    }

    var change: PricingChange {
        PricingChange(previewSeconds: previewSeconds, basePrice: basePrice, multiplier: multiplier, playsToOwn: playsToOwn,
                      artistShareBasisPoints: artistShareBasisPoints)
    }

    // Explicit nulls, so a reader sees every parameter and which are kept.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(previewSeconds, forKey: .previewSeconds)
        try container.encode(basePrice, forKey: .basePrice)
        try container.encode(multiplier, forKey: .multiplier)
        try container.encode(playsToOwn, forKey: .playsToOwn)
        try container.encode(artistShareBasisPoints, forKey: .artistShareBasisPoints)
    }
}

struct TallyResource: Codable, Sendable {
    var closedAt: Date
    var recordedAt: Date
    var rollSize: Int
    var yes: Int
    var no: Int
    var abstain: Int
    var turnout: Int
    var quorumBasisPoints: Int
    /// passed, quorum_not_reached, not_majority or not_applicable.
    var outcome: String
    /// The pricing version the proposal created, when it passed.
    var pricingVersion: Int?
    var note: String?

    init(_ tally: Tally) {
        closedAt = tally.closedAt
        recordedAt = tally.recordedAt
        rollSize = tally.rollSize
        yes = tally.yes
        no = tally.no
        abstain = tally.abstain
        turnout = tally.turnout
        quorumBasisPoints = tally.quorumBasisPoints
        outcome = tally.outcome.rawValue
        pricingVersion = tally.pricingVersion
        note = tally.note
    }
}

struct ProposalResource: ResponseCodable {
    var id: String
    var title: String
    var rationale: String
    var proposerID: String
    var changes: PricingChangeResource
    var openedAt: Date
    var closesAt: Date
    /// open, closing (past the close, tally pending) or closed.
    var status: String
    var quorumBasisPoints: Int
    var rollSize: Int
    /// Members on the roll who have voted (abstentions included); live while open.
    var turnout: Int
    /// turnout over the roll, basis points (rounded down).
    var turnoutBasisPoints: Int
    /// Whether the turnout reaches the quorum (so far).
    var quorumReached: Bool
    /// The count and the outcome, after the close only.
    var tally: TallyResource?
    /// The caller's vote, if they cast one.
    var myVote: String?

    init(_ proposal: Proposal, now: Date, myVote: VoteChoice?) {
        id = proposal.id
        title = proposal.title
        rationale = proposal.rationale
        proposerID = proposal.proposerID
        changes = PricingChangeResource(proposal.change)
        openedAt = proposal.openedAt
        closesAt = proposal.closesAt
        status = proposal.status(at: now).rawValue
        quorumBasisPoints = proposal.quorumBasisPoints
        rollSize = proposal.rollSize
        let turnout = proposal.tally?.turnout ?? proposal.turnout
        self.turnout = turnout
        turnoutBasisPoints = proposal.rollSize > 0 ? turnout * 10_000 / proposal.rollSize : 0
        quorumReached = turnout > 0 && turnout * 10_000 >= proposal.quorumBasisPoints * proposal.rollSize
        tally = proposal.tally.map(TallyResource.init)
        self.myVote = myVote?.rawValue
    }
}

struct ProposalsResource: ResponseCodable {
    var items: [ProposalResource]
    var total: Int
}

struct VoteResource: ResponseCodable {
    var sequence: Int64
    var proposalID: String
    var memberID: String
    /// yes, no or abstain; null in others' votes while the proposal is open (choices are
    /// shown to all members after the close).
    var choice: String?
    var castAt: Date
    /// Whether this is the member's vote that counts (their latest).
    var current: Bool

    init(_ vote: Vote, current: Bool, showChoice: Bool) {
        sequence = vote.sequence
        proposalID = vote.proposalID
        memberID = vote.memberID
        choice = showChoice ? vote.choice.rawValue : nil
        castAt = vote.castAt
        self.current = current
    }

    // Explicit null for a hidden choice.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sequence, forKey: .sequence)
        try container.encode(proposalID, forKey: .proposalID)
        try container.encode(memberID, forKey: .memberID)
        try container.encode(choice, forKey: .choice)
        try container.encode(castAt, forKey: .castAt)
        try container.encode(current, forKey: .current)
    }
}

struct VotesResource: ResponseCodable {
    var items: [VoteResource]
    var total: Int
}

struct PricingVersionResource: ResponseCodable {
    var version: Int
    /// Null for version 1, in force since the beginning.
    var effectiveFrom: Date?
    var previewSeconds: Int
    var basePrice: Int64
    var multiplier: Int64
    var playsToOwn: Int
    var artistShareBasisPoints: Int
    /// What owning a track costs in all, minor units.
    var priceToOwn: Int64
    var proposalID: String?
    var proposalTitle: String?

    init(_ version: PricingVersion, proposalTitle: String?) {
        self.version = version.version
        effectiveFrom = version.version == 1 ? nil : version.effectiveFrom
        previewSeconds = version.pricing.previewSeconds
        basePrice = version.pricing.basePrice
        multiplier = version.pricing.multiplier
        playsToOwn = version.pricing.playsToOwn
        artistShareBasisPoints = version.pricing.artistShareBasisPoints
        priceToOwn = version.pricing.priceToOwn
        proposalID = version.proposalID
        self.proposalTitle = proposalTitle
    }
}

struct PricingVersionsResource: ResponseCodable {
    var items: [PricingVersionResource]
    /// The version in force now.
    var current: Int
}
