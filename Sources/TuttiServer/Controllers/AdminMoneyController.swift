import Catalog
import FoundationEssentials
import Hummingbird
import Ledger
import Logging

/// The treasurer's work: crediting payments confirmed by hand, listing and booking payouts.
/// Every booking names the admin who made it and is idempotent by `Idempotency-Key`.
struct AdminMoneyController {
    let services: AppServices

    /// Default `threshold` of the payouts list: 10 credits.
    static let defaultPayoutThreshold: Int64 = 10 * Money.unitsPerCredit

    func addRoutes(signedIn: RouterGroup<SignedInContext>) {
        signedIn.post("admin/wallets/{userID}/credits", use: credit)
        signedIn.get("admin/payouts", use: payouts)
        signedIn.post("admin/payouts/{artistID}/paid", use: markPaid)
    }

    struct Credit: CheckedBody {
        /// Minor units.
        var amount: Int64
        var reason: String

        func check() throws {
            try AmountRule.check(amount)
            try TextRule.reason.check(reason, "reason")
        }
    }

    struct Payout: CheckedBody {
        /// Minor units.
        var amount: Int64
        /// The bank's or payment provider's reference of the payment made.
        var reference: String?

        func check() throws {
            try AmountRule.check(amount)
            try TextRule.reference.check(reference, "reference")
        }
    }

    /// A payment an admin confirmed outside the provider (e.g. a bank transfer), into a wallet.
    @Sendable func credit(_ request: Request, context: SignedInContext) async throws -> BookedTransferResource {
        try context.require(.admin, to: "credit wallets")
        let key = try MoneyRequest.idempotencyKey(request)
        let userID = try context.parameters.require("userID")
        let body = try await request.decodeChecked(as: Credit.self, context: context)
        guard Identifier.isValid(userID), try await services.accounts.user(id: userID) != nil else {
            throw CatalogError.notFound(kind: "user", id: userID)
        }
        guard userID != context.user.id else {
            throw Problem(.forbidden, title: "Not allowed", detail: "Admins cannot credit their own wallet; ask another admin.")
        }
        let reason = TextField.clean(body.reason)
        let (amount, actor) = (body.amount, context.user.id)
        let (transfer, balance) = try await services.inLedger { ledger throws(LedgerError) in
            let transfer = try ledger.adminCredit(transferID: "admin-credit:" + key, user: userID, amount: amount, actor: actor, reason: reason)
            return (transfer, try ledger.balance(of: .listenerWallet(userID)).balance)
        }
        context.logger.notice("admin credit", metadata: ["admin": "\(actor)", "user": "\(userID)", "transfer": "\(transfer.sequence)"])
        return BookedTransferResource(transfer, userID: userID, balance: balance)
    }

    /// Artists owed at least `threshold` minor units, largest first, as JSON or CSV.
    @Sendable func payouts(_ request: Request, context: SignedInContext) async throws -> Response {
        try context.require(.admin, to: "list payouts")
        let threshold = try RequestQuery.integer(request, "threshold", in: 1...Int64.max) ?? Self.defaultPayoutThreshold
        let csv = try MoneyRequest.wantsCSV(request)
        let due = try await services.inLedger { ledger throws(LedgerError) in try ledger.payoutsDue(threshold: threshold) }
        if csv {
            return MoneyRequest.csv(Ledger.payoutsCSV(due), filename: "tutti-payouts.csv")
        }
        let users = try await services.users(due.map(\.artistID))
        let resource = PayoutsResource(
            threshold: threshold,
            items: due.map { row in
                PayoutDueResource(
                    artistID: row.artistID, username: users[row.artistID]?.username, displayName: users[row.artistID]?.displayName,
                    balance: row.balance, balanceCredits: Money.format(row.balance))
            },
            total: due.reduce(0) { $0 + $1.balance })
        return try resource.response(from: request, context: context)
    }

    /// Books a payout made outside Tutti: the artist's earnings go down by `amount`.
    @Sendable func markPaid(_ request: Request, context: SignedInContext) async throws -> BookedTransferResource {
        try context.require(.admin, to: "book payouts")
        let key = try MoneyRequest.idempotencyKey(request)
        let artistID = try context.parameters.require("artistID")
        let body = try await request.decodeChecked(as: Payout.self, context: context)
        guard Identifier.isValid(artistID), let artist = try await services.accounts.user(id: artistID) else {
            throw CatalogError.notFound(kind: "artist", id: artistID)
        }
        // A party to a split sheet earns without being an artist, and is paid out the same way.
        if artist.role != .artist {
            let earned = try await services.inLedger { ledger throws(LedgerError) in try ledger.balance(of: .artistEarnings(artistID)).creditsPosted }
            guard earned > 0 else { throw CatalogError.notFound(kind: "artist", id: artistID) }
        }
        let reference = body.reference.map(TextField.clean).flatMap { $0.isEmpty ? nil : $0 }
        let (amount, actor) = (body.amount, context.user.id)
        let booked: (Transfer, Int64)
        do {
            booked = try await services.inLedger { ledger throws(LedgerError) in
                let transfer = try ledger.markPaid(transferID: "payout:" + key, artist: artistID, amount: amount, actor: actor, reference: reference)
                return (transfer, try ledger.balance(of: .artistEarnings(artistID)).balance)
            }
        } catch LedgerError.insufficientFunds(_, let needed, let available) {
            // 409, not 422: the amount is valid; what the artist is owed now refuses it.
            throw Problem(.conflict, title: "More than is owed",
                          detail: "The artist's unpaid earnings are \(Money.format(available)) credits; a payout of \(Money.format(needed)) cannot be booked.",
                          extensions: ["needed": .int(needed), "available": .int(available)])
        }
        context.logger.notice("payout booked", metadata: ["admin": "\(actor)", "artist": "\(artistID)", "transfer": "\(booked.0.sequence)"])
        return BookedTransferResource(booked.0, userID: artistID, balance: booked.1)
    }
}
