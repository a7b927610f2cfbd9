import Foundation

/// What a split sheet divides: a release's tracks, or one track (which then overrides its
/// release's sheet).
public enum SplitScope: Hashable, Sendable, CustomStringConvertible {
    case release(String)
    case track(String)

    public var kind: String {
        switch self {
        case .release: "release"
        case .track: "track"
        }
    }

    public var id: String {
        switch self {
        case .release(let id), .track(let id): id
        }
    }

    init?(kind: String, id: String) {
        switch kind {
        case "release": self = .release(id)
        case "track": self = .track(id)
        default: return nil
        }
    }

    public var description: String { "\(kind) \(id)" }
}

/// One party named on a split sheet.
public struct SplitParty: Sendable, Equatable, Hashable, Codable {
    /// The party's user id: its earnings account is `artistEarnings(userID)`.
    public let userID: String
    /// Its share of the artist part, in basis points (1...10,000).
    public let shareBasisPoints: Int
    /// What the party did ("vocals", "producer", "label"...), as the proposer wrote it.
    public let role: String

    public init(userID: String, shareBasisPoints: Int, role: String) {
        self.userID = userID
        self.shareBasisPoints = shareBasisPoints
        self.role = role
    }

    /// Longest role accepted, in characters.
    public static let maximumRoleLength = 100
}

/// A party's answer to a sheet.
public struct SplitConsent: Sendable, Equatable {
    public enum Decision: String, Sendable, Equatable, Codable {
        case accepted, declined
    }

    public let userID: String
    public let decision: Decision
    public let decidedAt: Date
}

/// A proposed division of an artist part, with its parties' answers so far.
public struct SplitSheet: Sendable, Equatable {
    /// Where a sheet stands.
    public enum Status: String, Sendable, Equatable, Codable {
        /// Waiting for some parties' answers; the sheet in force before it stays.
        case pending
        /// Every party accepted: it divides charges from ``SplitSheet/effectiveFrom``
        /// until a newer sheet of its scope takes effect.
        case inForce = "in_force"
        /// It took effect once, and a newer sheet of its scope has since.
        case replaced
        /// A party declined it: it never took effect.
        case declined
        /// A newer proposal for its scope came before every party accepted it.
        case superseded
    }

    /// The sheet's id, unique across scopes.
    public let id: Int64
    public let scope: SplitScope
    /// 1 for the scope's first proposal, then 2, 3...
    public let version: Int
    public let proposerID: String
    public let proposedAt: Date
    /// In sheet order: ties of the split rule go to the earlier party.
    public let parties: [SplitParty]
    /// The answers so far, in the order given.
    public let consents: [SplitConsent]
    public let status: Status
    /// When the last party accepted, if all have.
    public let effectiveFrom: Date?

    /// The shares in sheet order, as ``SplitRule/divide(_:by:)`` takes them.
    public var shares: [Int] { parties.map(\.shareBasisPoints) }
}

/// The sheet that divided one charge's artist part, and each party's part.
public struct SplitDivision: Sendable, Equatable {
    public let sheetID: Int64
    public let scope: SplitScope
    public let version: Int
    /// Each party's part of the artist part, in sheet order, in minor units.
    public let parts: [(party: SplitParty, amount: Int64)]

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.sheetID == rhs.sheetID && lhs.scope == rhs.scope && lhs.version == rhs.version
            && lhs.parts.map { $0.party } == rhs.parts.map { $0.party } && lhs.parts.map { $0.amount } == rhs.parts.map { $0.amount }
    }
}
