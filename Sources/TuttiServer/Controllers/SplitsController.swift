import Catalog
import FoundationEssentials
import Hummingbird
import Ledger
import Logging

/// Royalty splits (PRODUCT.md, "Royalty splits"): a release's owner proposes a split sheet,
/// each party accepts or declines with their own account, and each party sees its earnings,
/// statement and balance. Nobody sees a sheet, statement or balance that does not name them.
struct SplitsController {
    let services: AppServices

    func addRoutes(signedIn: RouterGroup<SignedInContext>) {
        signedIn.post("releases/{id}/split-sheets", use: propose)
        signedIn.get("releases/{id}/split-sheets", use: releaseSheets)
        signedIn.get("split-sheets", use: mine)
        signedIn.get("split-sheets/{id}", use: one)
        signedIn.post("split-sheets/{id}/accept", use: accept)
        signedIn.post("split-sheets/{id}/decline", use: decline)
        signedIn.get("split-earnings", use: earnings)
        signedIn.get("split-earnings/statement", use: statement)
    }

    struct ProposalBody: CheckedBody {
        struct Party: Decodable {
            var username: String
            var shareBasisPoints: Int
            var role: String
        }

        /// A track of the release whose own sheet this is (overriding the release's); absent
        /// for the release's sheet.
        var trackID: String?
        var parties: [Party]

        func check() throws {
            guard (1...SplitRule.maximumParties).contains(parties.count) else {
                throw Problem(.unprocessableContent, title: "Invalid split sheet", detail: "Name 1 to \(SplitRule.maximumParties) parties.")
            }
            for party in parties { try TextRule.splitRole.check(party.role, "role") }
        }
    }

    // MARK: Proposing and answering

    @Sendable func propose(_ request: Request, context: SignedInContext) async throws -> EditedResponse<SplitSheetResource> {
        let releaseID = try context.parameters.require("id")
        let release = try await services.releases.owned(id: releaseID, by: context.user)
        let body = try await request.decodeChecked(as: ProposalBody.self, context: context)
        var scope = SplitScope.release(release.id)
        if let trackID = body.trackID {
            guard try await services.releases.releases(ofTracks: [trackID])[trackID]?.id == release.id else {
                throw Problem(.unprocessableContent, title: "Invalid split sheet", detail: "trackID must be a track of this release.")
            }
            scope = .track(trackID)
        }
        var parties: [SplitParty] = []
        for party in body.parties {
            guard let user = try await services.accounts.user(username: party.username.lowercased()) else {
                throw Problem(.unprocessableContent, title: "Unknown party", detail: "No account is named '\(party.username.prefix(40))'.")
            }
            parties.append(SplitParty(userID: user.id, shareBasisPoints: party.shareBasisPoints, role: TextField.clean(party.role)))
        }
        let proposer = context.user.id
        let (scopeToPropose, partiesToPropose) = (scope, parties)
        let sheet = try await services.inLedger { ledger throws(LedgerError) in
            try ledger.proposeSplitSheet(scope: scopeToPropose, proposer: proposer, parties: partiesToPropose)
        }
        context.logger.notice("split sheet proposed", metadata: ["sheet": "\(sheet.id)", "scope": "\(sheet.scope)", "proposer": "\(proposer)"])
        let resource = try await resources([sheet])[0]
        return EditedResponse(status: .created, headers: [.location: resource.url], response: resource)
    }

    @Sendable func accept(_ request: Request, context: SignedInContext) async throws -> SplitSheetResource {
        try await answer(.accepted, context: context)
    }

    @Sendable func decline(_ request: Request, context: SignedInContext) async throws -> SplitSheetResource {
        try await answer(.declined, context: context)
    }

    private func answer(_ decision: SplitConsent.Decision, context: SignedInContext) async throws -> SplitSheetResource {
        let id = try sheetID(context)
        let party = context.user.id
        let sheet = try await services.inLedger { ledger throws(LedgerError) in
            try ledger.answerSplitSheet(id, party: party, decision: decision)
        }
        context.logger.notice("split sheet answered", metadata: ["sheet": "\(id)", "party": "\(party)", "decision": "\(decision.rawValue)", "status": "\(sheet.status.rawValue)"])
        return try await resources([sheet])[0]
    }

    // MARK: Reading sheets

    /// Every sheet naming the caller as a party, or proposed by the caller, newest first.
    @Sendable func mine(_ request: Request, context: SignedInContext) async throws -> SplitSheetListResource {
        let user = context.user.id
        let sheets = try await services.inLedger { ledger throws(LedgerError) in try ledger.splitSheets(concerning: user) }
        return SplitSheetListResource(items: try await resources(sheets))
    }

    @Sendable func one(_ request: Request, context: SignedInContext) async throws -> SplitSheetResource {
        let id = try sheetID(context)
        let user = context.user.id
        guard let sheet = try await services.inLedger({ ledger throws(LedgerError) in try ledger.splitSheet(id: id) }),
              sheet.proposerID == user || sheet.parties.contains(where: { $0.userID == user }) else {
            throw Problem(for: LedgerError.unknownSplitSheet(sheetID: id))
        }
        return try await resources([sheet])[0]
    }

    /// The sheets of a release and of its tracks, for its owner.
    @Sendable func releaseSheets(_ request: Request, context: SignedInContext) async throws -> SplitSheetListResource {
        let release = try await services.releases.owned(id: try context.parameters.require("id"), by: context.user)
        let trackIDs = try await services.releases.release(id: release.id, viewer: context.user)?.tracks.map(\.track.id) ?? []
        let scopes = [SplitScope.release(release.id)] + trackIDs.map { SplitScope.track($0) }
        let sheets = try await services.inLedger { ledger throws(LedgerError) in
            var sheets: [SplitSheet] = []
            for scope in scopes { sheets += try ledger.splitSheets(scope: scope) }
            return sheets
        }
        return SplitSheetListResource(items: try await resources(sheets.sorted { $0.id > $1.id }))
    }

    private func sheetID(_ context: SignedInContext) throws -> Int64 {
        let text = try context.parameters.require("id")
        guard let id = Int64(text), id >= 1 else { throw Problem(for: LedgerError.unknownSplitSheet(sheetID: 0)) }
        return id
    }

    /// `sheets` as the API shows them, with each party's username and the release's and
    /// track's titles.
    private func resources(_ sheets: [SplitSheet]) async throws -> [SplitSheetResource] {
        let users = try await services.users(sheets.flatMap { $0.parties.map(\.userID) + [$0.proposerID] })
        let trackIDs = sheets.compactMap { sheet -> String? in if case .track(let id) = sheet.scope { id } else { nil } }
        let trackReleases = try await services.releases.releases(ofTracks: trackIDs)
        let trackTitles = try await services.trackTitles(trackIDs)
        let releaseIDs = sheets.compactMap { sheet -> String? in if case .release(let id) = sheet.scope { id } else { nil } }
        let releaseTitles = try await services.releases.titles(of: releaseIDs)
        return sheets.map { sheet in
            let release: (id: String, title: String)? = switch sheet.scope {
            case .release(let id): (id, releaseTitles[id] ?? "")
            case .track(let id): trackReleases[id]
            }
            let trackID: String? = if case .track(let id) = sheet.scope { id } else { nil }
            return SplitSheetResource(sheet, users: users, release: release, trackID: trackID, trackTitle: trackID.flatMap { trackTitles[$0] })
        }
    }

    // MARK: Earnings

    /// The caller's earnings account: what its parts (and its own tracks' artist parts) have
    /// earned, what was paid out, and the balance. Any account may be a party, so any may ask.
    @Sendable func earnings(_ request: Request, context: SignedInContext) async throws -> EarningsResource {
        let user = context.user.id
        let account = try await services.inLedger { ledger throws(LedgerError) in try ledger.balance(of: .artistEarnings(user)) }
        return EarningsResource(
            artistID: user, balance: account.balance, balanceCredits: Money.format(account.balance),
            earned: account.creditsPosted, paidOut: account.debitsPosted)
    }

    /// The caller's part of every play in `from..<until` (default: all time), JSON or CSV.
    @Sendable func statement(_ request: Request, context: SignedInContext) async throws -> Response {
        let user = context.user.id
        let from = try RequestQuery.instant(request, "from")
        let until = try RequestQuery.instant(request, "until")
        let csv = try MoneyRequest.wantsCSV(request)
        let (statement, account) = try await services.inLedger { ledger throws(LedgerError) in
            (try ledger.earningsStatement(of: user, from: from, until: until), try ledger.balance(of: .artistEarnings(user)))
        }
        let trackIDs = statement.rows.map(\.trackID)
        let titles = try await services.trackTitles(trackIDs)
        let releases = try await services.releases.releases(ofTracks: trackIDs)
        if csv {
            return MoneyRequest.csv(statement.csv(trackTitles: titles, releases: releases), filename: "tutti-earnings.csv")
        }
        let resource = SplitStatementResource(statement, from: from, until: until, titles: titles, releases: releases, balance: account.balance)
        return try resource.response(from: request, context: context)
    }
}
