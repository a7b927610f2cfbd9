import Catalog
import FoundationEssentials
import Hummingbird
import Ledger
import Logging

/// The listener's monthly spending limit, and "own it now".
struct SpendingController {
    let services: AppServices
    var library: Library { services.library }

    func addRoutes(signedIn: RouterGroup<SignedInContext>) {
        signedIn.get("listeners/{id}/spending-limit", use: limit)
        signedIn.put("listeners/{id}/spending-limit", use: setLimit)
        signedIn.delete("listeners/{id}/spending-limit", use: removeLimit)
        signedIn.post("tracks/{id}/purchase", use: purchase)
    }

    struct LimitBody: CheckedBody {
        /// Minor units, 0 or more.
        var monthlyLimit: Int64
        /// An IANA time zone; default: the one stored with the account, else UTC.
        var timeZone: String?

        func check() throws {
            guard monthlyLimit >= 0 else {
                throw Problem(.unprocessableContent, title: "Invalid value", detail: "monthlyLimit must be 0 or more minor units (1 credit = 1000000).")
            }
            if let timeZone, !SpendingLimit.isKnownTimeZone(timeZone) {
                throw Problem(.unprocessableContent, title: "Invalid value", detail: "timeZone must be an IANA time zone such as Europe/Berlin.")
            }
        }
    }

    @Sendable func limit(_ request: Request, context: SignedInContext) async throws -> SpendingLimitResource {
        let listener = try LibraryController.listener(context)
        guard let limit = try await services.inLedger({ ledger throws(LedgerError) in try ledger.spendingLimit(listener: listener.id) }) else {
            throw Problem(.notFound, title: "No limit", detail: "You have not set a monthly spending limit.")
        }
        return SpendingLimitResource(limit)
    }

    @Sendable func setLimit(_ request: Request, context: SignedInContext) async throws -> SpendingLimitResource {
        let listener = try LibraryController.listener(context)
        let body = try await request.decodeChecked(as: LimitBody.self, context: context)
        let timeZone: String
        if let given = body.timeZone {
            timeZone = given
            try await library.setTimeZone(given, of: listener.id)
        } else {
            timeZone = try await library.timeZone(of: listener.id) ?? "UTC"
        }
        let limit = try await services.inLedger { ledger throws(LedgerError) in
            try ledger.setSpendingLimit(listener: listener.id, monthlyLimit: body.monthlyLimit, timeZone: timeZone)
        }
        return SpendingLimitResource(limit)
    }

    @Sendable func removeLimit(_ request: Request, context: SignedInContext) async throws -> Response {
        let listener = try LibraryController.listener(context)
        try await services.inLedger { ledger throws(LedgerError) in try ledger.removeSpendingLimit(listener: listener.id) }
        return Response(status: .noContent)
    }

    struct PurchaseBody: CheckedBody {
        /// The idempotency key: a retry with the same one returns the first purchase.
        var requestID: String

        func check() throws {
            guard PurchaseRequest.isValidRequestID(requestID) else {
                throw Problem(.unprocessableContent, title: "Invalid value", detail: "requestID must be 1 to 64 of A-Z, a-z, 0-9, '-' and '_'.")
            }
        }
    }

    /// Own it now: one charge of what is left to own the track, at the pricing in force.
    @Sendable func purchase(_ request: Request, context: SignedInContext) async throws -> PurchaseResource {
        let id = try context.parameters.require("id")
        let user = context.user
        guard Identifier.isValid(id), let track = try await services.tracks.visibleTrack(id: id, viewer: user) else {
            throw CatalogError.notFound(kind: "track", id: id)
        }
        let body = try await request.decodeChecked(as: PurchaseBody.self, context: context)
        guard !track.free else { throw Problem(.conflict, title: "Free track", detail: "This track is free: it streams whole to everyone, there is nothing to buy.") }
        guard track.artistID != user.id else { throw Problem(.conflict, title: "Your own track", detail: "You never pay for your own tracks.") }
        guard track.status == .ready else {
            throw Problem(.conflict, title: "Not ready", detail: "This track is still \(track.status.rawValue); it can be bought once it is ready.")
        }
        let instant = services.configuration.now()
        try await services.closeDueProposals(before: instant, logger: context.logger)
        let purchase = PurchaseRequest(requestID: body.requestID, listenerID: user.id, artistID: track.artistID, trackID: track.id, at: instant, releaseID: track.releaseID)
        let bought = try await services.inLedger { ledger throws(LedgerError) in try ledger.buyRemainingPlays(purchase) }
        context.logger.info("track bought", metadata: ["track": "\(track.id)", "price": "\(bought.price)", "plays": "\(bought.plays)"])
        return PurchaseResource(bought)
    }
}
