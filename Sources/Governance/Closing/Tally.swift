import Foundation

/// The count of a closed proposal and what came of it.
public struct Tally: Sendable, Equatable {
    public enum Outcome: String, Sendable {
        /// Quorum reached and yes strictly over no: a pricing version was created.
        case passed
        case quorumNotReached = "quorum_not_reached"
        /// Quorum reached, but yes did not exceed no (a tie included).
        case notMajority = "not_majority"
        /// It passed, but its values could not become a pricing version at the close (they
        /// overflow with the pricing then in force, or the ledger refused); see `note`.
        case notApplicable = "not_applicable"
    }

    public let proposalID: String
    /// The proposal's closing time: the effect's start when it passed.
    public let closedAt: Date
    /// When the tally was made (at or after `closedAt`).
    public let recordedAt: Date
    public let rollSize: Int
    public let yes: Int
    public let no: Int
    public let abstain: Int
    public let quorumBasisPoints: Int
    public let outcome: Outcome
    /// The pricing version the proposal created.
    public let pricingVersion: Int?
    public let note: String?

    public var turnout: Int { yes + no + abstain }

    /// The rule of PRODUCT.md ("Governance"): turnout (abstentions included) over the roll
    /// must reach the quorum, and yes must strictly exceed no. Integers only: turnout ×
    /// 10,000 ≥ quorum × roll.
    public static func decide(rollSize: Int, yes: Int, no: Int, abstain: Int, quorumBasisPoints: Int) -> Outcome {
        let turnout = Int64(yes) + Int64(no) + Int64(abstain)
        guard rollSize > 0, turnout * 10_000 >= Int64(quorumBasisPoints) * Int64(rollSize), turnout > 0 else {
            return .quorumNotReached
        }
        return yes > no ? .passed : .notMajority
    }
}
