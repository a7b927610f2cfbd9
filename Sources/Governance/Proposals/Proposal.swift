import Foundation
import Ledger

/// New values for some pricing parameters; nil keeps the value in force at the close.
public struct PricingChange: Sendable, Equatable, Hashable, Codable {
    /// Seconds of free preview.
    public var previewSeconds: Int?
    /// Minor units.
    public var basePrice: Int64?
    public var multiplier: Int64?
    public var playsToOwn: Int?
    /// Basis points (0...10,000).
    public var artistShareBasisPoints: Int?

    public init(previewSeconds: Int? = nil, basePrice: Int64? = nil, multiplier: Int64? = nil, playsToOwn: Int? = nil, artistShareBasisPoints: Int? = nil) {
        self.previewSeconds = previewSeconds
        self.basePrice = basePrice
        self.multiplier = multiplier
        self.playsToOwn = playsToOwn
        self.artistShareBasisPoints = artistShareBasisPoints
    }

    public var isEmpty: Bool {
        previewSeconds == nil && basePrice == nil && multiplier == nil && playsToOwn == nil && artistShareBasisPoints == nil
    }

    /// `pricing` with this change's values in place of its own.
    public func applied(to pricing: Pricing) -> Pricing {
        Pricing(
            previewSeconds: previewSeconds ?? pricing.previewSeconds, basePrice: basePrice ?? pricing.basePrice,
            multiplier: multiplier ?? pricing.multiplier, playsToOwn: playsToOwn ?? pricing.playsToOwn,
            artistShareBasisPoints: artistShareBasisPoints ?? pricing.artistShareBasisPoints)
    }

    /// The longest preview a proposal may set, in seconds.
    public static let maximumPreviewSeconds = 3_600

    /// Each value on its own: in range for the ledger.
    func validate() throws(GovernanceError) {
        guard !isEmpty else { throw .invalid("a proposal must change at least one pricing parameter") }
        if let previewSeconds, !(0...Self.maximumPreviewSeconds).contains(previewSeconds) {
            throw .invalid("preview seconds must be 0 to \(Self.maximumPreviewSeconds), got \(previewSeconds)")
        }
        if let basePrice, basePrice < 0 { throw .invalid("the base price must not be negative, got \(basePrice) units") }
        if let multiplier, multiplier < 1 { throw .invalid("the multiplier must be at least 1, got \(multiplier)") }
        if let playsToOwn, playsToOwn < 1 { throw .invalid("plays to own must be at least 1, got \(playsToOwn)") }
        if let share = artistShareBasisPoints, !(0...10_000).contains(share) {
            throw .invalid("the artist share must be 0 to 10000 basis points (0 to 100 %), got \(share)")
        }
    }
}

/// What a member proposes.
public struct ProposalDraft: Sendable, Equatable {
    public var title: String
    public var rationale: String
    public var change: PricingChange
    /// When voting ends: at least the minimum voting period after opening.
    public var closesAt: Date

    public init(title: String, rationale: String, change: PricingChange, closesAt: Date) {
        self.title = title
        self.rationale = rationale
        self.change = change
        self.closesAt = closesAt
    }
}

/// A proposal as recorded, with its live turnout and, once closed, its tally.
public struct Proposal: Sendable, Equatable {
    public let id: String
    public let proposerID: String
    public let title: String
    public let rationale: String
    public let change: PricingChange
    public let openedAt: Date
    public let closesAt: Date
    /// The quorum it opened under, basis points.
    public let quorumBasisPoints: Int
    /// Members on the roll frozen at opening.
    public let rollSize: Int
    /// Members on the roll who have voted (abstentions included), now.
    public let turnout: Int
    /// Set once the proposal is closed.
    public let tally: Tally?

    public enum Status: String, Sendable {
        /// Voting is under way.
        case open
        /// The closing time has passed; the tally is being made.
        case closing
        case closed
    }

    public func status(at instant: Date) -> Status {
        if tally != nil { return .closed }
        return instant < closesAt ? .open : .closing
    }
}
