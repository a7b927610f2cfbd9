import Foundation

/// A counted play to charge: the server decided the listener heard past the preview.
public struct PlayChargeRequest: Sendable, Equatable {
    /// The listening session: the idempotency key. A session is charged at most once; a
    /// retry returns the first result.
    public var playID: String
    public var listenerID: String
    /// The artist who owns the track (receives the artist's part).
    public var artistID: String
    public var trackID: String
    /// When the play counted: chooses the pricing version and the split sheet.
    public var at: Date
    /// The release the track is on: its split sheet divides the artist part unless the
    /// track has a sheet of its own. Nil: only a track's own sheet applies.
    public var releaseID: String?

    public init(playID: String, listenerID: String, artistID: String, trackID: String, at: Date, releaseID: String? = nil) {
        self.playID = playID
        self.listenerID = listenerID
        self.artistID = artistID
        self.trackID = trackID
        self.at = at
        self.releaseID = releaseID
    }

    package func validate() throws(LedgerError) {
        try Identifiers.check(playID, "play id")
        try Identifiers.check(listenerID, "listener id")
        try Identifiers.check(artistID, "artist id")
        try Identifiers.check(trackID, "track id")
        if let releaseID { try Identifiers.check(releaseID, "release id") }
        _ = try Timestamp.milliseconds(at)
    }
}

/// What a counted play cost.
public enum PlayChargeResult: Sendable, Equatable {
    /// The play was charged (or had been, for a retry of the same play id).
    case charged(PlayCharge)
    /// Nothing was charged or recorded.
    case free(reason: FreePlayReason)
}

public enum FreePlayReason: String, Sendable, Equatable {
    /// The listener is the track's artist.
    case ownTrack
    /// The listener already owns the track.
    case owned
}

/// One charged play, as recorded.
public struct PlayCharge: Sendable, Equatable {
    public let playID: String
    public let listenerID: String
    public let artistID: String
    public let trackID: String
    /// 1 for the listener's first counted play of the track.
    public let playNumber: Int
    /// Minor units taken from the wallet: `artistPart + cooperativePart`.
    public let price: Int64
    public let artistPart: Int64
    public let cooperativePart: Int64
    public let pricingVersion: Int
    /// The wallet balance right after this charge, in minor units.
    public let walletBalanceAfter: Int64
    /// Whether this play made the listener the track's owner.
    public let ownsTrackNow: Bool
    /// When the play counted (millisecond precision).
    public let playedAt: Date
    /// How the split sheet in force divided `artistPart` among its parties; nil under the
    /// default sheet (all of it to `artistID`).
    public internal(set) var split: SplitDivision?

    public init(
        playID: String, listenerID: String, artistID: String, trackID: String, playNumber: Int, price: Int64,
        artistPart: Int64, cooperativePart: Int64, pricingVersion: Int, walletBalanceAfter: Int64, ownsTrackNow: Bool,
        playedAt: Date
    ) {
        self.playID = playID
        self.listenerID = listenerID
        self.artistID = artistID
        self.trackID = trackID
        self.playNumber = playNumber
        self.price = price
        self.artistPart = artistPart
        self.cooperativePart = cooperativePart
        self.pricingVersion = pricingVersion
        self.walletBalanceAfter = walletBalanceAfter
        self.ownsTrackNow = ownsTrackNow
        self.playedAt = playedAt
    }
}
