import Catalog
import FoundationEssentials
import Hummingbird
import Ledger

/// An artist's earnings: the unpaid balance and a statement of every counted play.
struct EarningsController {
    let services: AppServices

    func addRoutes(signedIn: RouterGroup<SignedInContext>) {
        signedIn.get("earnings", use: earnings)
        signedIn.get("earnings/statement", use: statement)
    }

    @Sendable func earnings(_ request: Request, context: SignedInContext) async throws -> EarningsResource {
        try context.require(.artist, to: "see earnings")
        let artist = context.user.id
        let account = try await services.inLedger { ledger throws(LedgerError) in try ledger.balance(of: .artistEarnings(artist)) }
        return EarningsResource(
            artistID: artist, balance: account.balance, balanceCredits: Money.format(account.balance),
            earned: account.creditsPosted, paidOut: account.debitsPosted)
    }

    /// The plays of the artist's tracks counted in `from..<until` (default: all time), as JSON
    /// or, with `?format=csv` or `Accept: text/csv`, as a CSV download.
    @Sendable func statement(_ request: Request, context: SignedInContext) async throws -> Response {
        try context.require(.artist, to: "see an earnings statement")
        let artist = context.user.id
        // A period whose end is not after its start holds no plays: an empty statement, not an error.
        let from = try RequestQuery.instant(request, "from")
        let until = try RequestQuery.instant(request, "until")
        let csv = try MoneyRequest.wantsCSV(request)
        let (statement, account) = try await services.inLedger { ledger throws(LedgerError) in
            (try ledger.statement(artist: artist, from: from, until: until), try ledger.balance(of: .artistEarnings(artist)))
        }
        let titles = try await services.trackTitles(statement.rows.map(\.trackID))
        if csv {
            return MoneyRequest.csv(statement.csv(trackTitles: titles), filename: "tutti-statement.csv")
        }
        let resource = StatementResource(statement, from: from, until: until, titles: titles, balance: account.balance)
        return try resource.response(from: request, context: context)
    }
}
