/// Typed metadata of a transfer: what it was about and who did it. Every field is covered by
/// the transfer's hash.
public struct TransferDetails: Sendable, Equatable, Hashable {
    /// The track a play charge was for.
    public var trackID: String?
    /// The listening session a play charge was for.
    public var playID: String?
    /// The pricing version a play charge used.
    public var pricingVersion: Int?
    /// The payment provider's or bank's reference of a top-up or payout.
    public var reference: String?
    /// Who did it, for admin actions.
    public var actor: String?
    /// Why, for admin actions and adjustments.
    public var note: String?

    public init(
        trackID: String? = nil, playID: String? = nil, pricingVersion: Int? = nil,
        reference: String? = nil, actor: String? = nil, note: String? = nil
    ) {
        self.trackID = trackID
        self.playID = playID
        self.pricingVersion = pricingVersion
        self.reference = reference
        self.actor = actor
        self.note = note
    }

    /// Longest free-text field accepted, in UTF-8 bytes.
    static let maximumTextBytes = 4_096

    func validate() throws(LedgerError) {
        for (name, value) in [("track id", trackID), ("play id", playID)] {
            if let value { try Identifiers.check(value, name) }
        }
        for (name, value) in [("reference", reference), ("actor", actor), ("note", note)] {
            if let value, value.utf8.count > Self.maximumTextBytes {
                throw .invalidRequest("\(name) is longer than \(Self.maximumTextBytes) bytes")
            }
        }
        if let pricingVersion, pricingVersion < 1 { throw .invalidRequest("pricing version must be at least 1") }
    }
}
