import Foundation
import GRDB

extension Governance {
    /// Records `memberID`'s vote on a proposal, or their change of vote.
    ///
    /// Checked in the write transaction that records it: the voting is still open (strictly
    /// before the closing time), the member was on the roll frozen at the opening, and their
    /// membership is not suspended now. Repeating the vote already counted records nothing
    /// (`recorded` is false), so a replayed request cannot add a vote.
    public func vote(on proposalID: String, by memberID: String, choice: VoteChoice) throws(GovernanceError) -> VoteReceipt {
        let now = try now()
        return try write { db in
            guard let closes = try Int64.fetchOne(db, sql: "SELECT closes_at_ms FROM governance_proposals WHERE id = ?", arguments: [proposalID]) else {
                throw GovernanceError.proposalNotFound(proposalID)
            }
            guard now < closes else { throw GovernanceError.votingClosed(proposalID: proposalID, closesAt: Timestamp.date(closes)) }
            let onRoll = try Bool.fetchOne(db, sql: "SELECT 1 FROM governance_roll WHERE proposal_id = ? AND member_id = ?", arguments: [proposalID, memberID]) ?? false
            guard onRoll else {
                guard try Self.members(db, only: memberID).first != nil else { throw GovernanceError.notAMember(userID: memberID) }
                throw GovernanceError.notOnRoll(memberID: memberID, proposalID: proposalID)
            }
            if let latest = try Self.latestEvent(db, memberID: memberID), latest == "suspend" {
                throw GovernanceError.suspended(memberID: memberID)
            }
            if let current = try Self.currentVote(db, proposalID: proposalID, memberID: memberID), current.choice == choice {
                return VoteReceipt(vote: current, recorded: false)
            }
            try db.execute(
                sql: "INSERT INTO governance_votes (proposal_id, member_id, choice, cast_at_ms) VALUES (?, ?, ?, ?)",
                arguments: [proposalID, memberID, choice.rawValue, now])
            let vote = Vote(sequence: db.lastInsertedRowID, proposalID: proposalID, memberID: memberID, choice: choice, castAt: Timestamp.date(now))
            return VoteReceipt(vote: vote, recorded: true)
        }
    }

    /// Every vote and change of vote on a proposal, oldest first.
    public func votes(on proposalID: String) throws(GovernanceError) -> [Vote] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM governance_votes WHERE proposal_id = ? ORDER BY sequence", arguments: [proposalID]).map(Self.vote)
        }
    }

    /// Every vote and change of vote `memberID` made, newest first.
    public func votes(by memberID: String) throws(GovernanceError) -> [Vote] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM governance_votes WHERE member_id = ? ORDER BY sequence DESC", arguments: [memberID]).map(Self.vote)
        }
    }

    static func currentVote(_ db: Database, proposalID: String, memberID: String) throws -> Vote? {
        try Row.fetchOne(db, sql: """
            SELECT * FROM governance_votes WHERE proposal_id = ? AND member_id = ? ORDER BY sequence DESC LIMIT 1
            """, arguments: [proposalID, memberID]).map(vote)
    }

    static func latestEvent(_ db: Database, memberID: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT action FROM governance_membership_events WHERE member_id = ? ORDER BY sequence DESC LIMIT 1", arguments: [memberID])
    }

    static func vote(_ row: Row) -> Vote {
        Vote(sequence: row["sequence"], proposalID: row["proposal_id"], memberID: row["member_id"],
             choice: VoteChoice(rawValue: row["choice"]) ?? .abstain, castAt: Timestamp.date(row["cast_at_ms"]))
    }
}
