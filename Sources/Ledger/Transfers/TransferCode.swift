/// What a transfer is for. Stored as its raw value and covered by the transfer's hash.
public enum TransferCode: String, CaseIterable, Sendable {
    /// Money from the payment provider into a listener wallet (paymentsClearing → wallet).
    case topUp = "top_up"
    /// A payment confirmed by an admin, recorded with who and why (paymentsClearing → wallet).
    case adminCredit = "admin_credit"
    /// The artist's part of a counted play (wallet → artist earnings). Only `chargePlay` books it.
    case playArtistShare = "play_artist_share"
    /// The cooperative's part of a counted play (wallet → treasury). Only `chargePlay` books it.
    case playCooperativeShare = "play_cooperative_share"
    /// Earnings paid out to an artist (artist earnings → payouts).
    case payout
    /// A correction of an earlier mistake: history is never edited.
    case adjustment

    /// Codes only the ledger itself books, so plays and their transfers always agree.
    var isPlayCharge: Bool { self == .playArtistShare || self == .playCooperativeShare }
}
