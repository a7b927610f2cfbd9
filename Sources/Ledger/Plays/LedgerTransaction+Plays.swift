import Foundation
import GRDB

extension LedgerTransaction {
    /// Charges one counted play inside this transaction: see ``Ledger/chargePlay(_:)``.
    func chargePlay(_ request: PlayChargeRequest) throws -> PlayChargeResult {
        switch try planPlay(request) {
        case .settled(let result): return result
        case .charge(let pending): return try record(pending)
        }
    }

    /// What charging a play will do, decided by reading only: nothing is written, so a play
    /// refused here (it throws) needs nothing undone.
    enum PlayPlan {
        /// Free, or a retry of a recorded play: the result, with nothing to write.
        case settled(PlayChargeResult)
        /// A new charge the wallet covers: ``record(_:)`` writes it.
        case charge(PendingCharge)
    }

    /// A charge decided by ``planPlay(_:)``, not yet written.
    struct PendingCharge {
        let request: PlayChargeRequest
        let charge: PlayCharge
        let playedAt: Int64
        /// The wallet's row id; nil only for a price of zero charged to a wallet never created.
        let walletRowID: Int64?
    }

    /// Decides a play's charge from the database and this transaction's postings, writing
    /// nothing.
    ///
    /// A play id seen before is looked up only when the play would not be charged anew
    /// (free or unaffordable); a new play costs no lookup, and a retry that would be charged
    /// is found by ``record(_:)``, whose insert of the play id does nothing.
    ///
    /// - Throws: ``LedgerError/insufficientFunds(account:needed:available:)`` or
    ///   ``LedgerError/conflictingPlay(playID:)``; both refuse this play only.
    func planPlay(_ request: PlayChargeRequest) throws -> PlayPlan {
        if request.listenerID == request.artistID { return .settled(try retried(request) ?? .free(reason: .ownTrack)) }

        let playedAt = try Timestamp.milliseconds(request.at)
        let version = try pricing().inForce(at: playedAt)
        let pricing = version.pricing
        // Play numbers run 1, 2, 3... per listener and track, and the play that completes
        // ownership is the last: the latest play tells both.
        let latest = try raw(.latestPlay)
        latest.bind(request.listenerID, at: 1)
        latest.bind(request.trackID, at: 2)
        var counted = 0
        var ownershipCompleted = false
        if try latest.step() {
            counted = Int(latest.int64(at: 0))
            ownershipCompleted = latest.int64(at: 1) != 0
            latest.reset()
        }
        // Ownership is kept: a later version with more plays to own does not take it back.
        if ownershipCompleted || counted >= pricing.playsToOwn { return .settled(try retried(request) ?? .free(reason: .owned)) }

        let playNumber = counted + 1
        let price = pricing.price(ofPlay: playNumber)
        let (artistPart, cooperativePart) = pricing.split(price)
        let wallet = AccountID.listenerWallet(request.listenerID)
        let walletState = try account(wallet, create: false)
        let available = walletState?.balance ?? 0
        guard available >= price else {
            if let retried = try retried(request) { return .settled(retried) }
            throw LedgerError.insufficientFunds(account: wallet, needed: price, available: available)
        }
        // The listener's own monthly limit refuses like an empty wallet, with its own reason.
        if let refusal = try spendingLimitRefusal(listener: request.listenerID, amount: price, at: playedAt) {
            if let retried = try retried(request) { return .settled(retried) }
            throw refusal
        }
        var charge = PlayCharge(
            playID: request.playID, listenerID: request.listenerID, artistID: request.artistID, trackID: request.trackID,
            playNumber: playNumber, price: price, artistPart: artistPart, cooperativePart: cooperativePart,
            pricingVersion: version.version, walletBalanceAfter: available - price,
            ownsTrackNow: playNumber == pricing.playsToOwn, playedAt: Timestamp.date(playedAt))
        charge.split = try splitTerms(track: request.trackID, release: request.releaseID, at: playedAt)?.divide(artistPart)
        return .charge(PendingCharge(request: request, charge: charge, playedAt: playedAt, walletRowID: walletState?.rowID))
    }

    /// Writes a charge planned in this transaction, with no other write in between: the play
    /// row, then its two linked transfers (a zero part skipped), posted to the accounts.
    /// If the play id turns out to be recorded already, writes nothing and returns the first
    /// result.
    func record(_ pending: PendingCharge) throws -> PlayChargeResult {
        let request = pending.request
        let charge = pending.charge
        let insertPlay = try raw(.insertPlay)
        insertPlay.bind(charge.playID, at: 1)
        insertPlay.bind(charge.listenerID, at: 2)
        insertPlay.bind(charge.artistID, at: 3)
        insertPlay.bind(charge.trackID, at: 4)
        insertPlay.bind(charge.playNumber, at: 5)
        insertPlay.bind(charge.price, at: 6)
        insertPlay.bind(charge.artistPart, at: 7)
        insertPlay.bind(charge.cooperativePart, at: 8)
        insertPlay.bind(charge.pricingVersion, at: 9)
        insertPlay.bind(charge.ownsTrackNow, at: 10)
        insertPlay.bind(charge.walletBalanceAfter, at: 11)
        insertPlay.bind(pending.playedAt, at: 12)
        insertPlay.bind(now, at: 13)
        // The listener's chain of plays (``LedgerSchema``): this play follows their newest.
        insertPlay.bind(try pending.walletRowID.flatMap { try lastPlay(wallet: $0) }, at: 14)
        insertPlay.bind(charge.split?.sheetID, at: 15)
        try insertPlay.step()
        if insertPlay.changes == 0 {
            guard let retried = try retried(request) else { throw LedgerError.database("play '\(request.playID)' neither inserted nor found") }
            return retried
        }
        let playSequence = insertPlay.lastInsertedRowID
        if let walletRowID = pending.walletRowID { moveLastPlay(to: playSequence, wallet: walletRowID) }
        try addSpending(listener: request.listenerID, amount: charge.price, at: pending.playedAt)
        if let split = charge.split { try noteSheetArtist(split.sheetID, artist: charge.artistID) }

        // Two linked transfers, skipping a zero part. The wallet covers the price, so neither
        // can overdraw it; the play row above is new, so its `play:` transfer ids are too.
        // Under a split sheet the artist part goes to the splits account, and the transfer's
        // legs pass each party's part (above zero) on to the party's earnings.
        guard let walletRowID = pending.walletRowID else { return .charged(charge) }
        let wallet = AccountID.listenerWallet(request.listenerID)
        let details = TransferDetails(trackID: request.trackID, playID: request.playID, pricingVersion: charge.pricingVersion)
        var transfers: [Appendable] = []
        transfers.reserveCapacity(2)
        let artistID = PlayTransferID.artist(playSequence)
        let cooperativeID = PlayTransferID.cooperative(playSequence)
        let group = charge.artistPart > 0 && charge.cooperativePart > 0 ? artistID : nil
        if charge.artistPart > 0 {
            if let split = charge.split {
                var legs: [Leg] = []
                legs.reserveCapacity(split.parts.count)
                for (position, part) in split.parts.enumerated() where part.amount > 0 {
                    let account = AccountID.artistEarnings(part.party.userID)
                    legs.append(Leg(leg: TransferLeg(position: position, account: account, amount: part.amount),
                                    accountRowID: try accountRowID(account)))
                }
                transfers.append(Appendable(
                    request: TransferRequest(id: artistID, debit: wallet, credit: .splits, amount: charge.artistPart,
                                             code: .playArtistShare, details: details),
                    debitRowID: walletRowID, creditRowID: try accountRowID(.splits), linkedGroup: group, legs: legs))
            } else {
                let artist = AccountID.artistEarnings(request.artistID)
                transfers.append(Appendable(
                    request: TransferRequest(id: artistID, debit: wallet, credit: artist, amount: charge.artistPart,
                                             code: .playArtistShare, details: details),
                    debitRowID: walletRowID, creditRowID: try accountRowID(artist), linkedGroup: group))
            }
        }
        if charge.cooperativePart > 0 {
            transfers.append(Appendable(
                request: TransferRequest(id: cooperativeID, debit: wallet, credit: .treasury, amount: charge.cooperativePart,
                                         code: .playCooperativeShare, details: details),
                debitRowID: walletRowID, creditRowID: try accountRowID(.treasury), linkedGroup: group))
        }
        guard !transfers.isEmpty else { return .charged(charge) }
        try appendWithoutResult(transfers)
        for transfer in transfers {
            if transfer.legs.isEmpty {
                post(credits: transfer.request.amount, to: transfer.creditRowID)
            } else {
                for leg in transfer.legs { post(credits: leg.leg.amount, to: leg.accountRowID) }
            }
        }
        post(debits: charge.price, to: walletRowID)
        return .charged(charge)
    }

    /// The first result of a play id charged before: its charge, or a conflict if it was for
    /// another listener, artist or track. Nil if the play id is new.
    private func retried(_ request: PlayChargeRequest) throws -> PlayChargeResult? {
        guard let recorded = try recordedPlay(request.playID) else { return nil }
        guard recorded.listenerID == request.listenerID, recorded.artistID == request.artistID,
              recorded.trackID == request.trackID
        else { throw LedgerError.conflictingPlay(playID: request.playID) }
        var first = recorded
        first.split = try recordedSplit(playID: request.playID)
        return .charged(first)
    }

    /// The recorded charge of a play id, if any.
    func recordedPlay(_ playID: String) throws -> PlayCharge? {
        let row = try Row.fetchOne(statement(.playByID), arguments: [playID])
        return row.map(PlayRow.decode)
    }
}

/// The transfer ids of a play's two parts, made from the play's row sequence: `play:#` and
/// the sequence in 19 digits, so that ids of new plays sort after older ones and their
/// unique index grows at its right edge (an id made from the play id, a random session id,
/// costs one index page written per play and commit).
///
/// Plays recorded before this format have ids made from the play id (``legacyArtist(_:)``);
/// readers of a play's transfers try the current id, then the legacy one.
package enum PlayTransferID {
    package static func artist(_ playSequence: Int64) -> String { "play:#\(digits(playSequence)):artist" }
    package static func cooperative(_ playSequence: Int64) -> String { "play:#\(digits(playSequence)):cooperative" }
    /// The part of the party at `position` on the play's split sheet, as plays divided
    /// before transfer legs were booked (read only: verify and wallet history).
    package static func party(_ playSequence: Int64, position: Int) -> String { "play:#\(digits(playSequence)):party:\(position)" }
    static func legacyArtist(_ playID: String) -> String { "play:\(playID):artist" }
    static func legacyCooperative(_ playID: String) -> String { "play:\(playID):cooperative" }

    /// The ids a part of a play may have, the current one first.
    static func candidates(artistPart: Bool, playSequence: Int64, playID: String) -> [String] {
        artistPart ? [artist(playSequence), legacyArtist(playID)] : [cooperative(playSequence), legacyCooperative(playID)]
    }

    /// The row `byID` (a statement selecting a transfer by id) finds for the first of `ids`
    /// that is stored: one lookup when the current id is.
    static func firstStored(_ ids: [String], by byID: Statement) throws -> Row? {
        for id in ids {
            if let row = try Row.fetchOne(byID, arguments: [id]) { return row }
        }
        return nil
    }

    private static func digits(_ value: Int64) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, 19 - text.count)) + text
    }
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
