/// One account of the ledger, named by what it is for and, for people, whose it is.
///
/// Users are opaque strings the caller provides (UUID strings in the service). Accounts are
/// created on first use.
public enum AccountID: Hashable, Sendable, CustomStringConvertible {
    /// Money a listener has put in and not yet spent. Never below zero.
    case listenerWallet(String)
    /// What an artist earned from plays and has not been paid yet. Never below zero.
    case artistEarnings(String)
    /// The cooperative's own money: its part of every play.
    case treasury
    /// Mirror of money received from the payment provider: goes negative as wallets are
    /// topped up, by exactly the amount that came in from outside.
    case paymentsClearing
    /// Money paid out to artists (leaves the ledger).
    case payouts
    /// Where a play's artist part is divided among a split sheet's parties: a transfer to it
    /// carries legs that pass every unit on, in the same transfer, to the parties' earnings
    /// (``TransferLeg``). It never holds anything: its totals stay zero.
    case splits

    /// What an account is, independent of its owner.
    public enum Kind: String, CaseIterable, Sendable {
        case listenerWallet = "listener_wallet"
        case artistEarnings = "artist_earnings"
        case treasury
        case paymentsClearing = "payments_clearing"
        case payouts
        case splits

        /// Whether the database refuses debits beyond credits on accounts of this kind.
        public var debitsMustNotExceedCredits: Bool {
            self == .listenerWallet || self == .artistEarnings
        }
    }

    public var kind: Kind {
        switch self {
        case .listenerWallet: .listenerWallet
        case .artistEarnings: .artistEarnings
        case .treasury: .treasury
        case .paymentsClearing: .paymentsClearing
        case .payouts: .payouts
        case .splits: .splits
        }
    }

    /// The user owning the account; empty for the cooperative's own accounts.
    public var owner: String {
        switch self {
        case .listenerWallet(let user), .artistEarnings(let user): user
        case .treasury, .paymentsClearing, .payouts, .splits: ""
        }
    }

    /// Rebuilds an account from its stored kind and owner.
    package init?(kind rawKind: String, owner: String) {
        guard let kind = Kind(rawValue: rawKind) else { return nil }
        switch kind {
        case .listenerWallet: self = .listenerWallet(owner)
        case .artistEarnings: self = .artistEarnings(owner)
        case .treasury: self = .treasury
        case .paymentsClearing: self = .paymentsClearing
        case .payouts: self = .payouts
        case .splits: self = .splits
        }
        guard self.owner == owner else { return nil }
    }

    public var description: String {
        owner.isEmpty ? kind.rawValue : "\(kind.rawValue)(\(owner))"
    }

    /// Refuses an empty or oversized user id before it reaches the database.
    package func validate() throws(LedgerError) {
        switch self {
        case .listenerWallet(let user), .artistEarnings(let user):
            try Identifiers.check(user, "user id")
        case .treasury, .paymentsClearing, .payouts, .splits:
            break
        }
    }
}

/// The posted totals of one account, in minor units.
public struct AccountBalance: Sendable, Equatable {
    public let account: AccountID
    public let debitsPosted: Int64
    public let creditsPosted: Int64
    /// Credits minus debits.
    public var balance: Int64 { creditsPosted - debitsPosted }

    package init(account: AccountID, debitsPosted: Int64, creditsPosted: Int64) {
        self.account = account
        self.debitsPosted = debitsPosted
        self.creditsPosted = creditsPosted
    }
}

/// Limits on the caller-supplied identifiers (user, track, transfer and play ids).
enum Identifiers {
    /// Longest identifier accepted, in UTF-8 bytes.
    static let maximumBytes = 256

    static func check(_ value: String, _ what: String) throws(LedgerError) {
        guard !value.isEmpty else { throw .invalidRequest("\(what) is empty") }
        guard value.utf8.count <= maximumBytes else {
            throw .invalidRequest("\(what) is longer than \(maximumBytes) bytes")
        }
    }
}
