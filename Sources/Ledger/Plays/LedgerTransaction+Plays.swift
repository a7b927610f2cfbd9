import Foundation
import GRDB

extension LedgerTransaction {
    /// Charges one counted play inside this transaction: see ``Ledger/chargePlay(_:)``.
    ///
    /// A play id seen before is looked up only when the play would not be charged anew
    /// (free, unaffordable, or its row already there): the common, new play costs no lookup.
    func chargePlay(_ request: PlayChargeRequest) throws -> PlayChargeResult {
        if request.listenerID == request.artistID { return try retried(request) ?? .free(reason: .ownTrack) }

        let playedAt = try Timestamp.milliseconds(request.at)
        let version = try pricing().inForce(at: playedAt)
        let pricing = version.pricing
        // Play numbers run 1, 2, 3... per listener and track, and the play that completes
        // ownership is the last: the latest play tells both.
        let latest = try Row.fetchOne(
            statement(.latestPlay),
            arguments: [request.listenerID, request.trackID])
        let counted: Int = latest?[0] ?? 0
        let ownershipCompleted: Bool = latest?[1] ?? false
        // Ownership is kept: a later version with more plays to own does not take it back.
        if ownershipCompleted || counted >= pricing.playsToOwn { return try retried(request) ?? .free(reason: .owned) }

        let playNumber = counted + 1
        let price = pricing.price(ofPlay: playNumber)
        let (artistPart, cooperativePart) = pricing.split(price)
        let wallet = AccountID.listenerWallet(request.listenerID)
        let walletState = try account(wallet, create: false)
        let available = walletState?.balance ?? 0
        guard available >= price else {
            if let retried = try retried(request) { return retried }
            throw LedgerError.insufficientFunds(account: wallet, needed: price, available: available)
        }
        let charge = PlayCharge(
            playID: request.playID, listenerID: request.listenerID, artistID: request.artistID, trackID: request.trackID,
            playNumber: playNumber, price: price, artistPart: artistPart, cooperativePart: cooperativePart,
            pricingVersion: version.version, walletBalanceAfter: available - price,
            ownsTrackNow: playNumber == pricing.playsToOwn, playedAt: Timestamp.date(playedAt))
        let insertPlay = try statement(.insertPlay)
        // The arguments match the statement by construction: skip GRDB's per-call validation.
        insertPlay.setUncheckedArguments([
            charge.playID, charge.listenerID, charge.artistID, charge.trackID, playNumber, price, artistPart,
            cooperativePart, version.version, charge.ownsTrackNow, charge.walletBalanceAfter, playedAt, now,
        ])
        try insertPlay.execute()
        if db.changesCount == 0 {
            guard let retried = try retried(request) else { throw LedgerError.database("play '\(request.playID)' neither inserted nor found") }
            return retried
        }

        // Two linked transfers, skipping a zero part. The wallet covers the price, so neither
        // can overdraw it; the play row above is new, so its `play:` transfer ids are too.
        let details = TransferDetails(trackID: request.trackID, playID: request.playID, pricingVersion: version.version)
        let parts = [
            (PlayTransferID.artist(request.playID), AccountID.artistEarnings(request.artistID), artistPart, TransferCode.playArtistShare),
            (PlayTransferID.cooperative(request.playID), AccountID.treasury, cooperativePart, TransferCode.playCooperativeShare),
        ].filter { $0.2 > 0 }
        if !parts.isEmpty, let walletRowID = walletState?.rowID {
            let group = parts.count > 1 ? parts[0].0 : nil
            let transfers = try parts.map { id, credit, amount, code in
                Appendable(
                    request: TransferRequest(id: id, debit: wallet, credit: credit, amount: amount, code: code, details: details),
                    debitRowID: walletRowID, creditRowID: try accountRowID(credit), linkedGroup: group)
            }
            try append(transfers)
            for transfer in transfers { post(credits: transfer.request.amount, to: transfer.creditRowID) }
            post(debits: price, to: walletRowID)
        }
        return .charged(charge)
    }

    /// The first result of a play id charged before: its charge, or a conflict if it was for
    /// another listener, artist or track. Nil if the play id is new.
    private func retried(_ request: PlayChargeRequest) throws -> PlayChargeResult? {
        guard let recorded = try recordedPlay(request.playID) else { return nil }
        guard recorded.listenerID == request.listenerID, recorded.artistID == request.artistID,
              recorded.trackID == request.trackID
        else { throw LedgerError.conflictingPlay(playID: request.playID) }
        return .charged(recorded)
    }

    /// The recorded charge of a play id, if any.
    func recordedPlay(_ playID: String) throws -> PlayCharge? {
        let row = try Row.fetchOne(statement(.playByID), arguments: [playID])
        return row.map(PlayRow.decode)
    }
}

/// The transfer ids of a play's two parts.
enum PlayTransferID {
    static func artist(_ playID: String) -> String { "play:\(playID):artist" }
    static func cooperative(_ playID: String) -> String { "play:\(playID):cooperative" }
}

enum PlayRow {
    static let select = """
        SELECT play_id, listener_id, artist_id, track_id, play_number, price, artist_part, cooperative_part,
               pricing_version, completes_ownership, wallet_balance_after, played_at_ms
        FROM ledger_plays
        """

    static func decode(_ row: Row) -> PlayCharge {
        PlayCharge(
            playID: row["play_id"], listenerID: row["listener_id"], artistID: row["artist_id"], trackID: row["track_id"],
            playNumber: row["play_number"], price: row["price"], artistPart: row["artist_part"],
            cooperativePart: row["cooperative_part"], pricingVersion: row["pricing_version"],
            walletBalanceAfter: row["wallet_balance_after"], ownsTrackNow: row["completes_ownership"],
            playedAt: Timestamp.date(row["played_at_ms"]))
    }
}
