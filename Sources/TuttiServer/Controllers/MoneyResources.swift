import FoundationEssentials
import Hummingbird
import Ledger

// Money as the API shows it: amounts are always integers in minor units (1 credit =
// 1,000,000 units), with a decimal string in credits beside them for people.

struct WalletResource: ResponseCodable {
    var userID: String
    /// Minor units.
    var balance: Int64
    var balanceCredits: String
    var currency = "credit"
    var unitsPerCredit = Money.unitsPerCredit
}

struct WalletEntryResource: ResponseCodable {
    var sequence: Int64
    var transferID: String
    /// The transfer's code: top_up, admin_credit, play_artist_share, play_cooperative_share, adjustment.
    var type: String
    /// Signed change of the balance, minor units: + in, − out.
    var change: Int64
    var changeCredits: String
    var bookedAt: Date
    var trackID: String?
    var trackTitle: String?
    /// The play session a play charge (or an adjustment naming one) belongs to.
    var playID: String?
    var pricingVersion: Int?
    /// The payment provider's reference of a top-up.
    var reference: String?
    /// Why an admin credited the wallet.
    var reason: String?

    init(_ entry: WalletEntry, titles: [String: String]) {
        let transfer = entry.transfer
        sequence = transfer.sequence
        transferID = transfer.id
        type = transfer.code.rawValue
        change = entry.change
        changeCredits = Money.format(entry.change)
        bookedAt = transfer.timestamp
        trackID = transfer.details.trackID
        trackTitle = transfer.details.trackID.flatMap { titles[$0] }
        playID = transfer.details.playID
        pricingVersion = transfer.details.pricingVersion
        reference = transfer.details.reference
        reason = transfer.code == .adminCredit ? transfer.details.note : nil
    }
}

struct WalletHistoryResource: ResponseCodable {
    var items: [WalletEntryResource]
    var limit: Int
    /// Pass as `before` for the next (older) page; null on the last page.
    var nextCursor: Int64?
    var next: String?
}

/// Where the caller stands with one track under the pricing in force now.
struct OwnershipResource: ResponseCodable {
    var trackID: String
    var trackTitle: String?
    var countedPlays: Int
    var owned: Bool
    /// The track streams without charge for everyone.
    var free: Bool
    /// The caller is the track's artist: never charged.
    var ownTrack: Bool
    /// What the next counted play costs now, minor units (0 when owned, free or own track).
    var nextPrice: Int64
    var nextPriceCredits: String
    /// Counted plays left until ownership, the next one included (0 when owned).
    var playsRemainingToOwn: Int
    var pricingVersion: Int

    init(_ status: ListenerTrackStatus, title: String?, free: Bool = false, ownTrack: Bool = false) {
        trackID = status.trackID
        trackTitle = title
        countedPlays = status.countedPlays
        owned = status.owned
        self.free = free
        self.ownTrack = ownTrack
        nextPrice = free || ownTrack ? 0 : status.nextPrice
        nextPriceCredits = Money.format(nextPrice)
        playsRemainingToOwn = status.playsRemainingToOwn
        pricingVersion = status.pricingVersion
    }
}

struct OwnershipListResource: ResponseCodable {
    var items: [OwnershipResource]
}

struct EarningsResource: ResponseCodable {
    var artistID: String
    /// Earned and not yet paid out, minor units.
    var balance: Int64
    var balanceCredits: String
    /// Everything earned from plays so far, minor units.
    var earned: Int64
    /// Everything paid out so far, minor units.
    var paidOut: Int64
}

struct StatementRowResource: ResponseCodable {
    var playID: String
    var trackID: String
    var trackTitle: String?
    var playedAt: Date
    var price: Int64
    var artistPart: Int64
    var cooperativePart: Int64
    var pricingVersion: Int
}

struct StatementTotalsResource: ResponseCodable {
    var plays: Int
    var price: Int64
    var artistPart: Int64
    var cooperativePart: Int64
    var artistPartCredits: String
}

struct StatementResource: ResponseCodable {
    var artistID: String
    var from: Date?
    var until: Date?
    var rows: [StatementRowResource]
    var totals: StatementTotalsResource
    /// The artist's unpaid earnings now, minor units.
    var balance: Int64
    var balanceCredits: String

    init(_ statement: ArtistStatement, from: Date?, until: Date?, titles: [String: String], balance: Int64) {
        artistID = statement.artistID
        self.from = from
        self.until = until
        rows = statement.rows.map { row in
            StatementRowResource(
                playID: row.playID, trackID: row.trackID, trackTitle: titles[row.trackID], playedAt: row.playedAt,
                price: row.price, artistPart: row.artistPart, cooperativePart: row.cooperativePart,
                pricingVersion: row.pricingVersion)
        }
        totals = StatementTotalsResource(
            plays: statement.rows.count, price: statement.totalPrice, artistPart: statement.totalArtistPart,
            cooperativePart: statement.totalCooperativePart, artistPartCredits: Money.format(statement.totalArtistPart))
        self.balance = balance
        balanceCredits = Money.format(balance)
    }
}

struct PayoutDueResource: ResponseCodable {
    var artistID: String
    var username: String?
    var displayName: String?
    /// Unpaid earnings, minor units.
    var balance: Int64
    var balanceCredits: String
}

struct PayoutsResource: ResponseCodable {
    /// Minor units: artists owed at least this much are listed.
    var threshold: Int64
    var items: [PayoutDueResource]
    /// The sum of the balances listed, minor units.
    var total: Int64
}

/// A transfer booked by an admin action or a payment, as the API reports it.
struct BookedTransferResource: ResponseCodable {
    var transferID: String
    var sequence: Int64
    var type: String
    /// Minor units.
    var amount: Int64
    var amountCredits: String
    var bookedAt: Date
    /// The wallet (credits) or the artist (payouts) the transfer concerns.
    var userID: String
    var reference: String?
    var reason: String?
    /// The account's balance after this request, minor units (now, for a repeated request).
    var balance: Int64

    init(_ transfer: Transfer, userID: String, balance: Int64) {
        transferID = transfer.id
        sequence = transfer.sequence
        type = transfer.code.rawValue
        amount = transfer.amount
        amountCredits = Money.format(transfer.amount)
        bookedAt = transfer.timestamp
        self.userID = userID
        reference = transfer.details.reference
        reason = transfer.details.note
        self.balance = balance
    }
}

/// The answer to a webhook delivery: the same for every delivery of one event.
struct WebhookResultResource: ResponseCodable {
    var eventID: String
    /// "credited" or "ignored" (an event type Tutti does not act on).
    var status: String
    var transferID: String?
    var sequence: Int64?
    var userID: String?
    /// Minor units.
    var amount: Int64?
    var bookedAt: Date?
}
