import Foundation
import GRDB
import Ledger

extension Governance {
    /// Opens a proposal by `proposerID`, freezing the voter roll: every member not
    /// suspended at this moment, the proposer included.
    ///
    /// - Throws: ``GovernanceError/notAMember(userID:)`` or ``GovernanceError/suspended(memberID:)``
    ///   for the proposer; ``GovernanceError/invalid(_:)`` for an empty title or rationale, no
    ///   change or a value out of range (what the proposal says alone); ``GovernanceError/conflict(_:)``
    ///   for what the service's state refuses: values that overflow with the pricing in force,
    ///   a closing time outside the voting periods from now, or another proposal closing at
    ///   the same millisecond.
    public func propose(_ draft: ProposalDraft, by proposerID: String) throws(GovernanceError) -> Proposal {
        // Who may propose is answered before what they propose (checked again when recording).
        guard let proposer = try member(proposerID) else { throw .notAMember(userID: proposerID) }
        guard !proposer.isSuspended else { throw .suspended(memberID: proposerID) }
        let title = Text.clean(draft.title)
        let rationale = Text.clean(draft.rationale)
        guard (1...200).contains(title.count) else { throw .invalid("the title must be 1 to 200 characters") }
        guard (1...20_000).contains(rationale.count) else { throw .invalid("the rationale must be 1 to 20000 characters") }
        try draft.change.validate()
        let now = try now()
        let closes = try Timestamp.milliseconds(draft.closesAt)
        let minimum = now + rules.minimumVotingPeriod * 1_000
        guard closes >= minimum else {
            throw .conflict("voting must last at least \(Self.duration(rules.minimumVotingPeriod)): close at \(Timestamp.date(minimum).formatted(.iso8601)) or later")
        }
        guard closes <= now + rules.maximumVotingPeriod * 1_000 else {
            throw .conflict("voting may last at most \(Self.duration(rules.maximumVotingPeriod))")
        }
        // Checked now against the pricing in force, and again at the close against the pricing then.
        let current: Pricing
        do { current = try ledger.pricing(at: Timestamp.date(now)).pricing } catch { throw GovernanceError(wrapping: error) }
        do { try draft.change.applied(to: current).validate() } catch {
            throw .conflict(Self.pricingReason(error))
        }
        let id = UUID().uuidString.lowercased()
        let quorum = rules.quorumBasisPoints
        return try closingLock.withLock { _ throws(GovernanceError) -> Proposal in
            let proposal = try write { db -> Proposal in
                guard let proposer = try Self.members(db, only: proposerID).first else { throw GovernanceError.notAMember(userID: proposerID) }
                guard !proposer.isSuspended else { throw GovernanceError.suspended(memberID: proposerID) }
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM governance_proposals WHERE closes_at_ms = ?", arguments: [closes]) == true {
                    throw GovernanceError.conflict("another proposal closes at exactly that time; choose a closing time at least a second apart, so that the two take effect in a clear order")
                }
                let roll = try Self.members(db).filter { !$0.isSuspended }.map(\.id)
                let change = draft.change
                try db.execute(
                    sql: """
                        INSERT INTO governance_proposals (id, proposer_id, title, rationale, preview_seconds, base_price, multiplier,
                            plays_to_own, artist_share_bp, opened_at_ms, closes_at_ms, quorum_bp, roll_size)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [id, proposerID, title, rationale, change.previewSeconds, change.basePrice, change.multiplier,
                                change.playsToOwn, change.artistShareBasisPoints, now, closes, quorum, roll.count])
                for member in roll {
                    try db.execute(sql: "INSERT INTO governance_roll (proposal_id, member_id) VALUES (?, ?)", arguments: [id, member])
                }
                return try Self.proposal(db, id: id)!
            }
            // Under the closing lock, so a close running now cannot overwrite it with an older value.
            lowerNextClosing(to: closes)
            return proposal
        }
    }

    /// A proposal with its live turnout and, once closed, its tally.
    public func proposal(id: String) throws(GovernanceError) -> Proposal {
        guard let proposal = try read({ db in try Self.proposal(db, id: id) }) else { throw .proposalNotFound(id) }
        return proposal
    }

    public enum ProposalFilter: String, Sendable {
        /// Not yet tallied (voting, or just past the close).
        case open
        case closed
        case all
    }

    /// Proposals, the latest closing first.
    public func proposals(_ filter: ProposalFilter = .all) throws(GovernanceError) -> [Proposal] {
        try read { db in
            let condition = switch filter {
            case .open: "WHERE NOT EXISTS (SELECT 1 FROM governance_tallies t WHERE t.proposal_id = p.id)"
            case .closed: "WHERE EXISTS (SELECT 1 FROM governance_tallies t WHERE t.proposal_id = p.id)"
            case .all: ""
            }
            let ids = try String.fetchAll(db, sql: "SELECT id FROM governance_proposals p \(condition) ORDER BY closes_at_ms DESC")
            return try ids.compactMap { try Self.proposal(db, id: $0) }
        }
    }

    /// The members on a proposal's roll.
    public func roll(of proposalID: String) throws(GovernanceError) -> [String] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT member_id FROM governance_roll WHERE proposal_id = ? ORDER BY member_id", arguments: [proposalID])
        }
    }

    static func proposal(_ db: Database, id: String) throws -> Proposal? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM governance_proposals WHERE id = ?", arguments: [id]) else { return nil }
        let turnout = try Int.fetchOne(db, sql: "SELECT count(DISTINCT member_id) FROM governance_votes WHERE proposal_id = ?", arguments: [id]) ?? 0
        let tally = try Row.fetchOne(db, sql: "SELECT * FROM governance_tallies WHERE proposal_id = ?", arguments: [id]).map { row in
            Tally(
                proposalID: id, closedAt: Timestamp.date(row["closed_at_ms"]), recordedAt: Timestamp.date(row["recorded_at_ms"]),
                rollSize: row["roll_size"], yes: row["yes"], no: row["no"], abstain: row["abstain"], quorumBasisPoints: row["quorum_bp"],
                outcome: Tally.Outcome(rawValue: row["outcome"]) ?? .notApplicable, pricingVersion: row["pricing_version"], note: row["note"])
        }
        return Proposal(
            id: id, proposerID: row["proposer_id"], title: row["title"], rationale: row["rationale"],
            change: PricingChange(
                previewSeconds: row["preview_seconds"], basePrice: row["base_price"], multiplier: row["multiplier"],
                playsToOwn: row["plays_to_own"], artistShareBasisPoints: row["artist_share_bp"]),
            openedAt: Timestamp.date(row["opened_at_ms"]), closesAt: Timestamp.date(row["closes_at_ms"]),
            quorumBasisPoints: row["quorum_bp"], rollSize: row["roll_size"], turnout: turnout, tally: tally)
    }

    static func pricingReason(_ error: any Error) -> String {
        if case .invalidPricing(let reason)? = error as? LedgerError { return reason }
        return String(describing: error)
    }

    static func duration(_ seconds: Int64) -> String {
        if seconds % 3600 == 0 { return "\(seconds / 3600) hours" }
        if seconds % 60 == 0 { return "\(seconds / 60) minutes" }
        return "\(seconds) seconds"
    }
}
