import Foundation
import GRDB

extension Ledger {
    /// Buys what is left of a track's price to own it (PRODUCT.md, "Own it now"), in one
    /// write transaction: the plays from the next one to the last before ownership are
    /// recorded together, each priced by the pricing version in force at `request.at` and
    /// split as a counted play is, with its two linked transfers, the last completing
    /// ownership. Afterwards the listener owns the track exactly as if the last of those plays
    /// had counted: later plays are free, the ledger verifies, statements show the plays.
    ///
    /// The wallet and the listener's monthly limit must cover the whole sum; otherwise
    /// nothing is recorded. Idempotent per request id: a retry returns the first purchase.
    ///
    /// Royalty splits: each bought play's artist part is divided by the split sheet in force
    /// at the purchase, exactly as a counted play's (``LedgerTransaction/record(_:)`` records
    /// the parts), so verify and every party's statement see them alike.
    ///
    /// - Throws: ``LedgerError/alreadyOwned(listener:track:)``,
    ///   ``LedgerError/insufficientFunds(account:needed:available:)``,
    ///   ``LedgerError/spendingLimitReached(listener:limit:spent:needed:resetsAt:)``, or
    ///   ``LedgerError/conflictingRetry(transferID:)`` when the request id was used for
    ///   another listener or track.
    public func buyRemainingPlays(_ request: PurchaseRequest) throws(LedgerError) -> Purchase {
        try request.validate()
        let boughtAt = try Timestamp.milliseconds(request.at)
        return try write { transaction in try transaction.buyRemainingPlays(request, at: boughtAt) }
    }

    /// The purchase recorded under `requestID`, if any.
    public func purchase(requestID: String) throws(LedgerError) -> Purchase? {
        try read { db in try LedgerTransaction.purchase(requestID: requestID, db) }
    }

    /// What is left to pay to own a track: the sum of the remaining plays' prices under the
    /// pricing in force at `instant` (0 when owned).
    public func priceLeftToOwn(listener: String, track: String, at instant: Date? = nil) throws(LedgerError) -> Int64 {
        let status = try trackStatus(listener: listener, track: track, at: instant)
        guard !status.owned else { return 0 }
        let pricing = try pricing(at: instant ?? clock()).pricing
        return Self.priceLeft(after: status.countedPlays, pricing)
    }

    /// The sum of plays `counted + 1` to `playsToOwn` under `pricing`.
    public static func priceLeft(after counted: Int, _ pricing: Pricing) -> Int64 {
        guard counted < pricing.playsToOwn else { return 0 }
        return (counted + 1...pricing.playsToOwn).reduce(Int64(0)) { $0 + pricing.price(ofPlay: $1) }
    }
}

extension LedgerTransaction {
    func buyRemainingPlays(_ request: PurchaseRequest, at boughtAt: Int64) throws -> Purchase {
        if let existing = try Self.purchase(requestID: request.requestID, db) {
            guard existing.listenerID == request.listenerID, existing.trackID == request.trackID, existing.artistID == request.artistID else {
                throw LedgerError.conflictingRetry(transferID: request.requestID)
            }
            return existing
        }
        let version = try pricing().inForce(at: boughtAt)
        let pricing = version.pricing
        let latest = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT play_number, completes_ownership FROM ledger_plays WHERE listener_id = ? AND track_id = ?
            ORDER BY play_number DESC LIMIT 1
            """), arguments: [request.listenerID, request.trackID])
        let counted: Int = latest?[0] ?? 0
        let completed: Bool = latest?[1] ?? false
        guard !completed, counted < pricing.playsToOwn else {
            throw LedgerError.alreadyOwned(listener: request.listenerID, track: request.trackID)
        }
        let plays = (counted + 1)...pricing.playsToOwn
        let total = Ledger.priceLeft(after: counted, pricing)
        let wallet = AccountID.listenerWallet(request.listenerID)
        let walletState = try account(wallet, create: false)
        let available = walletState?.balance ?? 0
        guard available >= total else { throw LedgerError.insufficientFunds(account: wallet, needed: total, available: available) }
        if let refusal = try spendingLimitRefusal(listener: request.listenerID, amount: total, at: boughtAt) { throw refusal }

        var balance = available
        var artistTotal: Int64 = 0
        var cooperativeTotal: Int64 = 0
        for n in plays {
            let price = pricing.price(ofPlay: n)
            let (artistPart, cooperativePart) = pricing.split(price)
            balance -= price
            artistTotal += artistPart
            cooperativeTotal += cooperativePart
            let playID = Purchase.playID(requestID: request.requestID, play: n)
            var charge = PlayCharge(
                playID: playID, listenerID: request.listenerID, artistID: request.artistID, trackID: request.trackID,
                playNumber: n, price: price, artistPart: artistPart, cooperativePart: cooperativePart,
                pricingVersion: version.version, walletBalanceAfter: balance, ownsTrackNow: n == pricing.playsToOwn,
                playedAt: Timestamp.date(boughtAt))
            // Each bought play's artist part is divided like a counted play's, by the sheet in
            // force at the purchase (recorded with it by `record`).
            charge.split = try splitTerms(track: request.trackID, release: request.releaseID, at: boughtAt)?.divide(artistPart)
            let playRequest = PlayChargeRequest(
                playID: playID, listenerID: request.listenerID, artistID: request.artistID, trackID: request.trackID,
                at: Timestamp.date(boughtAt), releaseID: request.releaseID)
            guard case .charged = try record(PendingCharge(request: playRequest, charge: charge, playedAt: boughtAt, walletRowID: walletState?.rowID)),
                  try recordedPlay(playID)?.price == price
            else { throw LedgerError.database("play \(playID) of a purchase was not recorded as bought") }
        }
        try db.execute(sql: """
            INSERT INTO ledger_purchases (request_id, listener_id, artist_id, track_id, first_play, last_play, price, artist_part,
                cooperative_part, pricing_version, wallet_balance_after, bought_at_ms, recorded_at_ms)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [request.requestID, request.listenerID, request.artistID, request.trackID, plays.lowerBound, plays.upperBound,
                             total, artistTotal, cooperativeTotal, version.version, balance, boughtAt, now])
        return Purchase(
            requestID: request.requestID, listenerID: request.listenerID, artistID: request.artistID, trackID: request.trackID,
            plays: plays, price: total, artistPart: artistTotal, cooperativePart: cooperativeTotal, pricingVersion: version.version,
            walletBalanceAfter: balance, boughtAt: Timestamp.date(boughtAt))
    }

    static func purchase(requestID: String, _ db: Database) throws -> Purchase? {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT request_id, listener_id, artist_id, track_id, first_play, last_play, price, artist_part, cooperative_part,
                   pricing_version, wallet_balance_after, bought_at_ms FROM ledger_purchases WHERE request_id = ?
            """, arguments: [requestID]) else { return nil }
        let first: Int = row["first_play"]
        let last: Int = row["last_play"]
        return Purchase(
            requestID: row["request_id"], listenerID: row["listener_id"], artistID: row["artist_id"], trackID: row["track_id"],
            plays: first...max(first, last), price: row["price"], artistPart: row["artist_part"], cooperativePart: row["cooperative_part"],
            pricingVersion: row["pricing_version"], walletBalanceAfter: row["wallet_balance_after"], boughtAt: Timestamp.date(row["bought_at_ms"]))
    }
}
