import Foundation

/// "Own it now": buy what is left of a track's stream-to-own price in one charge.
public struct PurchaseRequest: Sendable, Equatable {
    /// Chosen by the client, unique per purchase: the idempotency key (1 to 64 of
    /// `A-Z a-z 0-9 - _`). A retry returns the first result.
    public var requestID: String
    public var listenerID: String
    /// The artist who owns the track (receives the artist's part of each play bought).
    public var artistID: String
    public var trackID: String
    /// When the purchase is made: chooses the pricing version and the split sheet in force.
    public var at: Date
    /// The track's release, whose split sheet divides the artist part unless the track has
    /// its own (nil: only a track's own sheet applies).
    public var releaseID: String?

    public init(requestID: String, listenerID: String, artistID: String, trackID: String, at: Date, releaseID: String? = nil) {
        self.requestID = requestID
        self.listenerID = listenerID
        self.artistID = artistID
        self.trackID = trackID
        self.at = at
        self.releaseID = releaseID
    }

    /// Whether `text` may be a request id.
    public static func isValidRequestID(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count) && text.utf8.allSatisfy { byte in
            (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) || byte == 45 || byte == 95
        }
    }

    func validate() throws(LedgerError) {
        guard Self.isValidRequestID(requestID) else { throw .invalidRequest("the request id must be 1 to 64 of A-Z, a-z, 0-9, '-' and '_'") }
        try Identifiers.check(listenerID, "listener id")
        try Identifiers.check(artistID, "artist id")
        try Identifiers.check(trackID, "track id")
        guard listenerID != artistID else { throw .invalidRequest("a listener never pays for their own tracks") }
        _ = try Timestamp.milliseconds(at)
    }
}

/// A recorded purchase: the plays it bought and what they cost together.
public struct Purchase: Sendable, Equatable {
    public let requestID: String
    public let listenerID: String
    public let artistID: String
    public let trackID: String
    /// The play numbers bought, e.g. 4...9: ownership came with the last.
    public let plays: ClosedRange<Int>
    /// Minor units taken from the wallet: the sum of those plays' prices.
    public let price: Int64
    /// The sums of the plays' artist and cooperative parts (each play split as a counted play is).
    public let artistPart: Int64
    public let cooperativePart: Int64
    public let pricingVersion: Int
    public let walletBalanceAfter: Int64
    public let boughtAt: Date

    /// The play id of play `n` of a purchase in `ledger_plays`.
    public static func playID(requestID: String, play n: Int) -> String { "\(requestID)/\(n)" }
}
