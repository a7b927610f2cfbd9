import Foundation

/// A member of the cooperative: an artist with at least one published track.
public struct Member: Sendable, Equatable {
    public let id: String
    public let username: String
    public let displayName: String
    public let publishedTracks: Int
    /// The latest suspension, if the membership is suspended now.
    public let suspension: MembershipEvent?
    public var isSuspended: Bool { suspension != nil }
}

/// A suspension or a restoration of a membership, by an admin, with why.
public struct MembershipEvent: Sendable, Equatable {
    public enum Action: String, Sendable {
        case suspend, restore
    }

    public let sequence: Int64
    public let memberID: String
    public let action: Action
    public let actorID: String
    public let reason: String
    public let at: Date
}
