import FoundationEssentials
import GRDB

/// What a play session may hear, decided when it opens.
public enum PlayAccess: String, Codable, Sendable {
    /// A paid track: the preview is free, the rest needs a counted play.
    case metered
    /// The artist marked the track free: never counted.
    case free
    /// The listener is the track's artist.
    case own
    /// The listener owns the track (enough counted plays).
    case owned
    /// An admin, for moderation: never counted.
    case admin

    /// Whether everything streams without a counted play.
    public var isUnlimited: Bool { self != .metered }
}

/// One listening of one track by one listener: the unit a play is counted for, at most
/// once. Its id is the ledger's play id, so a charge retried after a reconnect or a
/// restart is recognised.
public struct PlaySession: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "playSessions"

    public var id: String
    public var trackID: String
    public var artistID: String
    /// Nil for an anonymous listener, who can hear the preview only.
    public var listenerID: String?
    public var access: PlayAccess
    public var createdAt: Date
    public var expiresAt: Date
    /// The free preview, from the pricing in force when the session opened.
    public var previewSeconds: Int
    /// When the session's first audio was delivered; listening time counts from here.
    public var firstAudioAt: Date?
    /// When the play counted.
    public var countedAt: Date?
    /// What the counted play cost, in minor units (0 when the ledger found it free).
    public var price: Int64?
    public var pricingVersion: Int?

    public var isCounted: Bool { countedAt != nil }
}
