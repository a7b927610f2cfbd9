import Foundation
import GRDB
import Ledger

extension Governance {
    /// The earliest closing time of a proposal not yet tallied; nil when none is open.
    public var nextClosingTime: Date? {
        let milliseconds = nextClosing.load(ordering: .acquiring)
        return milliseconds == Int64.max ? nil : Timestamp.date(milliseconds)
    }

    /// Whether a proposal's closing time is at or before `instant` and it is not tallied yet
    /// (as far as this object knows): an atomic load, cheap enough before every play.
    public func isCloseDue(at instant: Date) -> Bool {
        guard let milliseconds = try? Timestamp.milliseconds(instant) else { return false }
        return nextClosing.load(ordering: .acquiring) <= milliseconds
    }

    /// Closes every proposal whose closing time has passed, oldest close first, and returns
    /// their tallies. A passed proposal becomes the ledger's next pricing version, effective
    /// at its closing time, so two passed proposals take effect in the order of their closes.
    ///
    /// Idempotent and safe to repeat after a crash at any point: the pricing version is
    /// created per proposal id (the ledger returns the existing one), then the tally is
    /// recorded once. Calls are serialised.
    @discardableResult
    public func closeDue() throws(GovernanceError) -> [Tally] {
        try closingLock.withLock { _ throws(GovernanceError) -> [Tally] in
            let now = try now()
            let due = try read { db in
                try String.fetchAll(db, sql: """
                    SELECT id FROM governance_proposals p
                    WHERE closes_at_ms <= ? AND NOT EXISTS (SELECT 1 FROM governance_tallies t WHERE t.proposal_id = p.id)
                    ORDER BY closes_at_ms
                    """, arguments: [now])
            }
            var tallies: [Tally] = []
            for id in due { tallies.append(try close(id, recordedAt: now)) }
            try refreshNextClosing()
            return tallies
        }
    }

    /// The count of a proposal as it stands (for operators): its tally once closed, else
    /// what the tally would be if it closed now.
    public func currentTally(of proposalID: String) throws(GovernanceError) -> Tally {
        let proposal = try proposal(id: proposalID)
        if let tally = proposal.tally { return tally }
        let now = try now()
        let counts = try read { db in try Self.count(db, proposalID: proposalID, before: now) }
        return Tally(
            proposalID: proposalID, closedAt: proposal.closesAt, recordedAt: Timestamp.date(now), rollSize: proposal.rollSize,
            yes: counts.yes, no: counts.no, abstain: counts.abstain, quorumBasisPoints: proposal.quorumBasisPoints,
            outcome: Tally.decide(rollSize: proposal.rollSize, yes: counts.yes, no: counts.no, abstain: counts.abstain,
                                  quorumBasisPoints: proposal.quorumBasisPoints),
            pricingVersion: nil, note: "provisional: voting is still open")
    }

    /// Tallies one proposal whose closing time has passed (caller holds the closing lock).
    private func close(_ id: String, recordedAt now: Int64) throws(GovernanceError) -> Tally {
        let proposal = try proposal(id: id)
        if let tally = proposal.tally { return tally }
        let closes = try Timestamp.milliseconds(proposal.closesAt)
        let counts = try read { db in try Self.count(db, proposalID: id, before: closes) }
        var outcome = Tally.decide(
            rollSize: proposal.rollSize, yes: counts.yes, no: counts.no, abstain: counts.abstain, quorumBasisPoints: proposal.quorumBasisPoints)
        var version: Int?
        var note: String?
        if outcome == .passed {
            do {
                // The values in force just before the close are those the proposal keeps.
                let base = try ledger.pricing(at: Timestamp.date(closes - 1)).pricing
                let pricing = proposal.change.applied(to: base)
                version = try ledger.addPricingVersion(pricing, effectiveFrom: proposal.closesAt, proposalID: id).version
            } catch {
                switch error {
                case .invalidPricing, .conflictingPricingProposal, .invalidRequest:
                    outcome = .notApplicable
                    note = "passed, but the ledger refused it as a pricing version: \(Self.pricingReason(error))"
                default:
                    throw GovernanceError(wrapping: error)
                }
            }
        }
        let tally = Tally(
            proposalID: id, closedAt: proposal.closesAt, recordedAt: Timestamp.date(max(now, closes)), rollSize: proposal.rollSize,
            yes: counts.yes, no: counts.no, abstain: counts.abstain, quorumBasisPoints: proposal.quorumBasisPoints,
            outcome: outcome, pricingVersion: version, note: note)
        try write { db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO governance_tallies (proposal_id, closed_at_ms, recorded_at_ms, roll_size, yes, no, abstain,
                        quorum_bp, outcome, pricing_version, note)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [id, closes, max(now, closes), tally.rollSize, tally.yes, tally.no, tally.abstain, tally.quorumBasisPoints,
                            outcome.rawValue, version, note])
        }
        return try self.proposal(id: id).tally ?? tally
    }

    /// Each roll member's latest vote cast before `before` (milliseconds), by choice.
    static func count(_ db: Database, proposalID: String, before: Int64) throws -> (yes: Int, no: Int, abstain: Int) {
        let rows = try Row.fetchAll(db, sql: """
            SELECT v.choice, count(*) AS n FROM governance_votes v
            WHERE v.proposal_id = ? AND v.cast_at_ms < ?
              AND v.sequence = (SELECT max(w.sequence) FROM governance_votes w
                                WHERE w.proposal_id = v.proposal_id AND w.member_id = v.member_id AND w.cast_at_ms < ?)
            GROUP BY v.choice
            """, arguments: [proposalID, before, before])
        var counts: [String: Int] = [:]
        for row in rows { counts[row["choice"]] = row["n"] }
        return (counts["yes"] ?? 0, counts["no"] ?? 0, counts["abstain"] ?? 0)
    }

    /// Reloads the earliest open closing time from the database.
    func refreshNextClosing() throws(GovernanceError) {
        let next = try read { db in
            try Int64.fetchOne(db, sql: """
                SELECT min(closes_at_ms) FROM governance_proposals p
                WHERE NOT EXISTS (SELECT 1 FROM governance_tallies t WHERE t.proposal_id = p.id)
                """)
        }
        nextClosing.store(next ?? Int64.max, ordering: .releasing)
    }

    func lowerNextClosing(to milliseconds: Int64) {
        var current = nextClosing.load(ordering: .acquiring)
        while milliseconds < current {
            let (exchanged, original) = nextClosing.compareExchange(expected: current, desired: milliseconds, ordering: .acquiringAndReleasing)
            if exchanged { return }
            current = original
        }
    }
}
