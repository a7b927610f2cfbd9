import Foundation
import GRDB

/// Where a listener stands with one track.
public struct ListenerTrackStatus: Sendable, Equatable {
    public let listenerID: String
    public let trackID: String
    /// Counted (charged) plays so far.
    public let countedPlays: Int
    /// Whether the listener owns the track: streams are free, the original may be downloaded.
    public let owned: Bool
    /// What the next counted play would cost now, in minor units (0 when owned).
    public let nextPrice: Int64
    /// Counted plays left until ownership, this one included (0 when owned).
    public let playsRemainingToOwn: Int
    /// The pricing version these figures come from.
    public let pricingVersion: Int

    public init(listenerID: String, trackID: String, countedPlays: Int, owned: Bool, nextPrice: Int64, playsRemainingToOwn: Int, pricingVersion: Int) {
        self.listenerID = listenerID
        self.trackID = trackID
        self.countedPlays = countedPlays
        self.owned = owned
        self.nextPrice = nextPrice
        self.playsRemainingToOwn = playsRemainingToOwn
        self.pricingVersion = pricingVersion
    }
}

extension Ledger {
    /// The listener's standing with `track` under the pricing in force at `instant`
    /// (default: now). Does not know about free tracks or the listener's own tracks: the
    /// catalog does.
    public func trackStatus(listener: String, track: String, at instant: Date? = nil) throws(LedgerError) -> ListenerTrackStatus {
        try Identifiers.check(listener, "listener id")
        try Identifiers.check(track, "track id")
        let milliseconds = try Timestamp.milliseconds(instant ?? clock())
        return try read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT count(*), coalesce(max(completes_ownership), 0) FROM ledger_plays WHERE listener_id = ? AND track_id = ?
                """, arguments: [listener, track])
            return try Self.status(listener: listener, track: track, counted: row?[0] ?? 0,
                                   ownershipCompleted: row?[1] ?? false, version: PricingHistory.load(db).inForce(at: milliseconds))
        }
    }

    /// The listener's standing with every track they have played, most played first.
    public func trackStatuses(listener: String, at instant: Date? = nil) throws(LedgerError) -> [ListenerTrackStatus] {
        try Identifiers.check(listener, "listener id")
        let milliseconds = try Timestamp.milliseconds(instant ?? clock())
        return try read { db in
            let version = try PricingHistory.load(db).inForce(at: milliseconds)
            return try Row.fetchAll(db, sql: """
                SELECT track_id, count(*) AS counted, max(completes_ownership) AS completed FROM ledger_plays
                WHERE listener_id = ? GROUP BY track_id ORDER BY counted DESC, track_id
                """, arguments: [listener])
                .map { row in
                    Self.status(listener: listener, track: row["track_id"], counted: row["counted"],
                                ownershipCompleted: row["completed"], version: version)
                }
        }
    }

    private static func status(listener: String, track: String, counted: Int, ownershipCompleted: Bool, version: PricingVersion) -> ListenerTrackStatus {
        let pricing = version.pricing
        let owned = ownershipCompleted || counted >= pricing.playsToOwn
        return ListenerTrackStatus(
            listenerID: listener, trackID: track, countedPlays: counted, owned: owned,
            nextPrice: owned ? 0 : pricing.price(ofPlay: counted + 1),
            playsRemainingToOwn: owned ? 0 : pricing.playsToOwn - counted, pricingVersion: version.version)
    }
}
