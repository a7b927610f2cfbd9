import Hummingbird
import Ledger

extension Problem {
    /// The one HTTP answer for each ledger refusal. Amounts in extensions are integers in
    /// minor units. `database` failures are not the caller's: the middleware logs them and
    /// answers 500 without detail.
    init(for error: LedgerError) {
        switch error {
        case .insufficientFunds(let account, let needed, let available):
            let whose = account.kind == .artistEarnings ? "The artist's unpaid earnings" : "Your wallet"
            self.init(.paymentRequired, title: "Insufficient funds",
                      detail: "\(whose) holds \(Money.format(available)) credits; this needs \(Money.format(needed)).",
                      extensions: ["needed": .int(needed), "available": .int(available)])
        case .conflictingRetry:
            self.init(.conflict, title: "Conflicting retry",
                      detail: "This idempotency key was already used for a different request; use a new key for a new request.")
        case .conflictingPlay:
            self.init(.conflict, title: "Conflicting play", detail: "This play was already charged for a different listener or track.")
        case .conflictingPricingProposal:
            self.init(.conflict, title: "Conflicting proposal", detail: "This proposal already created a pricing version with other values.")
        case .invalidRequest(let reason), .invalidPricing(let reason):
            self.init(.unprocessableContent, title: "Invalid value", detail: reason.prefix(1).uppercased() + reason.dropFirst() + ".")
        case .invalidSplit(let reason):
            self.init(.unprocessableContent, title: "Invalid split sheet", detail: reason.prefix(1).uppercased() + reason.dropFirst() + ".")
        case .unknownSplitSheet:
            self.init(.notFound, title: "No such split sheet", detail: "No split sheet with this id names you.")
        case .splitSheetClosed(_, let reason):
            self.init(.conflict, title: "Split sheet closed", detail: reason.prefix(1).uppercased() + reason.dropFirst() + ".")
        case .overflow:
            // The amount itself is valid; the account's totals as they stand refuse it.
            self.init(.conflict, title: "Amount too large", detail: "The amount would overflow the account's totals.")
        case .storageFull:
            self = .storageFull(nothing: "nothing was charged")
        case .spendingLimitReached(_, let limit, let spent, let needed, let resetsAt):
            self = Problem.spendingLimitReached(limit: limit, spent: spent, needed: needed, resetsAt: resetsAt)
        case .alreadyOwned:
            self.init(.conflict, title: "Already owned", detail: "You own this track already: it streams free and its downloads are yours.")
        case .database:
            self.init(.internalServerError, title: "Internal error", detail: "Something went wrong on our side; it has been logged.")
        }
    }
}

extension Problem {
    /// The server's disk is full (the database could not commit): a 503 to retry later, with
    /// what was not done. The service goes on streaming what it has and recovers by itself
    /// once there is room.
    static func storageFull(nothing: String) -> Problem {
        Problem(.serviceUnavailable, title: "Storage full",
                detail: "The server's disk is full, so \(nothing); try again later.", headers: [.retryAfter: "60"])
    }
}
