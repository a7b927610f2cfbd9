import Foundation
import GRDB

/// Why the ledger refused an operation, in the ledger's own terms.
///
/// The server maps each case to an HTTP answer once (e.g. `insufficientFunds` to
/// `402 Payment Required` with the price and the balance).
public enum LedgerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A debit would take an account that must not go below zero under zero. Nothing of the
    /// request (or of its linked set) was applied. Amounts in minor units.
    case insufficientFunds(account: AccountID, needed: Int64, available: Int64)
    /// A transfer id was used before with different fields (or in a different linked set).
    case conflictingRetry(transferID: String)
    /// A play id (listening session) was charged before for another listener, artist or track.
    case conflictingPlay(playID: String)
    /// A pricing proposal already created a version with other values.
    case conflictingPricingProposal(proposalID: String)
    /// The request itself is malformed (empty id, non-positive amount, same account twice...).
    case invalidRequest(String)
    /// Pricing values that cannot be used: out of range, overflowing Int64 or not after the
    /// versions and plays already recorded.
    case invalidPricing(String)
    /// Posting the amount would overflow an account's Int64 totals.
    case overflow(account: AccountID)
    /// The disk holding the database is full (SQLITE_FULL): nothing of the operation was
    /// applied. Not the caller's fault; it succeeds once there is room again.
    case storageFull
    /// The charge would take the listener past the monthly spending limit they set: `spent`
    /// so far this month, `needed` for this charge, `limit` in all (minor units); the month
    /// ends at `resetsAt`. Nothing was recorded.
    case spendingLimitReached(listener: String, limit: Int64, spent: Int64, needed: Int64, resetsAt: Date)
    /// The listener already owns the track: there is nothing left to buy.
    case alreadyOwned(listener: String, track: String)
    /// A split sheet that cannot be used: no parties, a share below 1 basis point, shares not
    /// summing to 10,000, a party named twice, an unknown scope.
    case invalidSplit(String)
    /// No split sheet with this id names the caller (or none exists: the two are not told apart).
    case unknownSplitSheet(sheetID: Int64)
    /// The split sheet is no longer waiting for this party's answer: it took effect, was
    /// declined or replaced by a newer proposal, or the party has already answered.
    case splitSheetClosed(sheetID: Int64, reason: String)
    /// SQLite refused or failed: I/O, busy, missing migrations. Not the caller's fault.
    case database(String)

    public var description: String {
        switch self {
        case .insufficientFunds(let account, let needed, let available):
            return "insufficient funds in \(account): needs \(Money.format(needed)), has \(Money.format(available))"
        case .conflictingRetry(let id):
            return "transfer id '\(id)' was already used for a different transfer"
        case .conflictingPlay(let id):
            return "play id '\(id)' was already charged for a different listener, artist or track"
        case .conflictingPricingProposal(let id):
            return "proposal '\(id)' already created a pricing version with other values"
        case .invalidRequest(let reason):
            return "invalid request: \(reason)"
        case .invalidPricing(let reason):
            return "invalid pricing: \(reason)"
        case .overflow(let account):
            return "amount overflows the totals of \(account)"
        case .storageFull:
            return "the disk holding the database is full"
        case .spendingLimitReached(_, let limit, let spent, let needed, _):
            return "monthly spending limit of \(Money.format(limit)) reached: \(Money.format(spent)) spent, this needs \(Money.format(needed))"
        case .alreadyOwned(_, let track):
            return "the listener already owns track '\(track)'"
        case .invalidSplit(let reason):
            return "invalid split sheet: \(reason)"
        case .unknownSplitSheet(let id):
            return "no split sheet \(id) names this account"
        case .splitSheetClosed(let id, let reason):
            return "split sheet \(id) is not waiting for this answer: \(reason)"
        case .database(let detail):
            return "database error: \(detail)"
        }
    }

    /// `error` as a ledger error: itself if it already is one, `.database` otherwise.
    init(wrapping error: any Error) {
        switch error {
        case let error as LedgerError:
            self = error
        case let error as DatabaseError where error.resultCode == .SQLITE_FULL:
            self = .storageFull
        case let error as DatabaseError:
            self = .database(error.description)
        default:
            self = .database(String(describing: error))
        }
    }
}
