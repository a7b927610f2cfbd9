import Catalog
import FoundationEssentials
import Hummingbird
import Ledger

/// The signed-in user's wallet and where they stand with the tracks they play. Every
/// account has a wallet; nobody sees another's.
struct WalletController {
    let services: AppServices

    func addRoutes(signedIn: RouterGroup<SignedInContext>) {
        signedIn.get("wallet", use: wallet)
        signedIn.get("wallet/history", use: history)
        signedIn.get("wallet/tracks", use: tracks)
        signedIn.get("tracks/{id}/ownership", use: ownership)
    }

    @Sendable func wallet(_ request: Request, context: SignedInContext) async throws -> WalletResource {
        let user = context.user.id
        let balance = try await services.inLedger { ledger throws(LedgerError) in try ledger.balance(of: .listenerWallet(user)) }
        return WalletResource(userID: user, balance: balance.balance, balanceCredits: Money.format(balance.balance))
    }

    /// Newest first, `limit` (1...100, default 20) per page; `before` is the previous page's
    /// `nextCursor`.
    @Sendable func history(_ request: Request, context: SignedInContext) async throws -> WalletHistoryResource {
        let user = context.user.id
        let limit = Int(try RequestQuery.integer(request, "limit", in: 1...100) ?? 20)
        let before = try RequestQuery.integer(request, "before", in: 1...Int64.max)
        let page = try await services.inLedger { ledger throws(LedgerError) in
            try ledger.walletHistory(listener: user, limit: limit, before: before)
        }
        let titles = try await services.trackTitles(page.entries.compactMap(\.transfer.details.trackID))
        return WalletHistoryResource(
            items: page.entries.map { WalletEntryResource($0, titles: titles) }, limit: limit, nextCursor: page.nextCursor,
            next: page.nextCursor.map { "/api/v1/wallet/history?limit=\(limit)&before=\($0)" })
    }

    /// Every track the user has counted plays of, most played first.
    @Sendable func tracks(_ request: Request, context: SignedInContext) async throws -> OwnershipListResource {
        let user = context.user.id
        let statuses = try await services.inLedger { ledger throws(LedgerError) in try ledger.trackStatuses(listener: user) }
        let titles = try await services.trackTitles(statuses.map(\.trackID))
        return OwnershipListResource(items: statuses.map { OwnershipResource($0, title: titles[$0.trackID]) })
    }

    /// Plays so far, ownership and the next price of one track the user may see.
    @Sendable func ownership(_ request: Request, context: SignedInContext) async throws -> OwnershipResource {
        let id = try context.parameters.require("id")
        guard let track = try await services.tracks.visibleTrack(id: id, viewer: context.user) else {
            throw CatalogError.notFound(kind: "track", id: id)
        }
        let user = context.user.id
        let status = try await services.inLedger { ledger throws(LedgerError) in try ledger.trackStatus(listener: user, track: id) }
        return OwnershipResource(status, title: track.title, free: track.free, ownTrack: track.artistID == user)
    }
}
