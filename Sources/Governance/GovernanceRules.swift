/// The rules of voting itself. For now they are configuration (see README, "Governance"):
/// each proposal records the rules it opened under, so changing them never changes a vote
/// already under way.
public struct GovernanceRules: Sendable, Equatable {
    /// Turnout (votes cast, abstentions included, over the roll) a proposal needs, in basis
    /// points (2,000 = 20 %).
    public var quorumBasisPoints: Int
    /// Shortest time between opening and closing, in seconds.
    public var minimumVotingPeriod: Int64
    /// Longest time between opening and closing, in seconds.
    public var maximumVotingPeriod: Int64

    public init(quorumBasisPoints: Int = 2_000, minimumVotingPeriod: Int64 = 24 * 3600, maximumVotingPeriod: Int64 = 366 * 24 * 3600) {
        self.quorumBasisPoints = quorumBasisPoints
        self.minimumVotingPeriod = minimumVotingPeriod
        self.maximumVotingPeriod = maximumVotingPeriod
    }

    public static let standard = GovernanceRules()

    public func validate() throws(GovernanceError) {
        guard (0...10_000).contains(quorumBasisPoints) else {
            throw .invalid("the quorum must be 0 to 10000 basis points, got \(quorumBasisPoints)")
        }
        guard minimumVotingPeriod >= 0, maximumVotingPeriod >= minimumVotingPeriod else {
            throw .invalid("the voting periods must satisfy 0 ≤ minimum ≤ maximum")
        }
    }
}
