import Foundation

public enum VoteChoice: String, Sendable, CaseIterable, Codable {
    case yes, no, abstain
}

/// One vote as recorded: a change of vote is a new one; the latest per member counts.
public struct Vote: Sendable, Equatable {
    public let sequence: Int64
    public let proposalID: String
    public let memberID: String
    public let choice: VoteChoice
    public let castAt: Date
}

/// The answer to a vote: the member's vote now, and whether this call recorded it (false
/// when it repeated the vote already counted, e.g. a replayed request).
public struct VoteReceipt: Sendable, Equatable {
    public let vote: Vote
    public let recorded: Bool
}
