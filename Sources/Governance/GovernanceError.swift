import Foundation
import GRDB
import Ledger

/// Why governance refused an operation, in the cooperative's own terms; the server maps
/// each case to an HTTP answer once.
public enum GovernanceError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The account is not a member (an artist with at least one published track).
    case notAMember(userID: String)
    /// The member's membership is suspended: they may read, not propose or vote.
    case suspended(memberID: String)
    /// The member was not on the roll frozen when the proposal opened (joined, or was
    /// restored, after the opening).
    case notOnRoll(memberID: String, proposalID: String)
    /// The proposal's voting has closed (at `closesAt`); nothing was recorded.
    case votingClosed(proposalID: String, closesAt: Date)
    case proposalNotFound(String)
    /// A proposal, vote or suspension with a value that cannot be used.
    case invalid(String)
    /// The request clashes with what is recorded (e.g. suspending a suspended member).
    case conflict(String)
    /// SQLite or the ledger failed: not the caller's fault.
    case database(String)

    public var description: String {
        switch self {
        case .notAMember: "only members (artists with at least one published track) can do this"
        case .suspended: "this membership is suspended; a suspended member cannot propose or vote until an admin restores it"
        case .notOnRoll: "you were not on this proposal's voter roll, which was frozen when it opened; you can vote on proposals opened from now on"
        case .votingClosed(_, let closesAt): "voting on this proposal closed at \(closesAt.formatted(.iso8601))"
        case .proposalNotFound: "there is no such proposal"
        case .invalid(let reason): reason
        case .conflict(let reason): reason
        case .database(let detail): "database error: \(detail)"
        }
    }

    init(wrapping error: any Error) {
        switch error {
        case let error as GovernanceError: self = error
        case let error as LedgerError: self = .database(error.description)
        case let error as DatabaseError: self = .database(error.description)
        default: self = .database(String(describing: error))
        }
    }
}
