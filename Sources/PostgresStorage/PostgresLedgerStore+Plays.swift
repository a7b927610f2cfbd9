import Foundation
import Ledger
import Logging
import NIOCore
import PostgresNIO
import Synchronization

extension PostgresLedgerStore {
    /// Charges a counted play, as the SQLite ledger's `chargePlay` does: the listener's next
    /// play of the track at the price of the pricing version in force when it was played, the
    /// artist's part to their earnings and the cooperative's to the treasury, in linked
    /// transfers; free for the track's own artist and once the listener owns it; a retried
    /// play id returns the recorded charge; a wallet short of the price refuses it and records
    /// nothing.
    ///
    /// Group commit: plays that arrive while a batch commits wait and go in the next batch,
    /// one transaction of a few statements for all of them (the chain's lock held), so a node
    /// syncs once per batch, not once per play. Split sheets and spending limits are not on
    /// PostgreSQL yet: no sheet or limit can exist here, and plays pay the artist alone.
    public func chargePlay(_ request: PlayChargeRequest) async throws(LedgerError) -> PlayChargeResult {
        try request.validate()
        return try await plays.charge(request) { requests in await self.commitPlays(requests) }.get()
    }

    /// The pricing version in force at `instant`.
    public func pricing(at instant: Date) async throws(LedgerError) -> PricingVersion {
        let milliseconds = try Timestamp.milliseconds(instant)
        let history = try await reading {
            try await self.client.withConnection { connection in try await PricingVersions.load(connection, logger: self.logger) }
        }
        return try history.inForce(at: milliseconds)
    }
}

/// The pricing history as stored, oldest first.
struct PricingVersions {
    let versions: [(effectiveFrom: Int64, version: PricingVersion)]

    static func load(_ connection: PostgresConnection, logger: Logger) async throws -> PricingVersions {
        let rows = try await connection.query("""
            SELECT version, effective_from_ms, preview_seconds, base_price, multiplier, plays_to_own, artist_share_bp, proposal_id
            FROM ledger_pricing_versions ORDER BY effective_from_ms
            """, logger: logger)
        var versions: [(Int64, PricingVersion)] = []
        for try await (version, from, preview, base, multiplier, playsToOwn, share, proposal)
            in rows.decode((Int32, Int64, Int32, Int64, Int64, Int32, Int32, String?).self) {
            let pricing = Pricing(previewSeconds: Int(preview), basePrice: base, multiplier: multiplier, playsToOwn: Int(playsToOwn),
                                  artistShareBasisPoints: Int(share))
            versions.append((from, PricingVersion(version: Int(version), effectiveFrom: Timestamp.date(from), pricing: pricing, proposalID: proposal)))
        }
        return PricingVersions(versions: versions)
    }

    func inForce(at milliseconds: Int64) throws(LedgerError) -> PricingVersion {
        guard let found = versions.last(where: { $0.effectiveFrom <= milliseconds }) else {
            throw .database("no pricing version in force at \(Timestamp.date(milliseconds)); are the ledger migrations applied?")
        }
        return found.version
    }
}

/// The plays waiting for the next group commit, and the one loop that commits them.
final class PostgresPlayQueue: Sendable {
    struct Waiter {
        let request: PlayChargeRequest
        let continuation: CheckedContinuation<Result<PlayChargeResult, LedgerError>, Never>
    }

    private struct State {
        var waiting: [Waiter] = []
        var committing = false
    }

    typealias Commit = @Sendable ([PlayChargeRequest]) async -> [Result<PlayChargeResult, LedgerError>]

    private let state = Mutex(State())
    private let maximumBatch: Int

    init(maximumBatch: Int) {
        self.maximumBatch = maximumBatch
    }

    /// Waits for the batch that commits `request`; a caller that finds no batch committing
    /// starts the loop, which commits with its `commit`.
    func charge(_ request: PlayChargeRequest, commit: @escaping Commit) async -> Result<PlayChargeResult, LedgerError> {
        await withCheckedContinuation { continuation in
            let start = state.withLock { state -> Bool in
                state.waiting.append(Waiter(request: request, continuation: continuation))
                guard !state.committing else { return false }
                state.committing = true
                return true
            }
            if start { Task { await self.drain(commit) } }
        }
    }

    /// Commits batches until nobody waits.
    private func drain(_ commit: Commit) async {
        while true {
            let batch = state.withLock { state -> [Waiter] in
                guard !state.waiting.isEmpty else {
                    state.committing = false
                    return []
                }
                let taken = Array(state.waiting.prefix(maximumBatch))
                state.waiting.removeFirst(taken.count)
                return taken
            }
            guard !batch.isEmpty else { return }
            let results = await commit(batch.map(\.request))
            for (waiter, result) in zip(batch, results) { waiter.continuation.resume(returning: result) }
        }
    }
}

extension PostgresLedgerStore {
    /// One group commit: every play of `requests` decided in order against the stored state
    /// and the batch's earlier plays, then written in a few set-wise statements.
    func commitPlays(_ requests: [PlayChargeRequest]) async -> [Result<PlayChargeResult, LedgerError>] {
        let now: Int64
        do { now = try Timestamp.milliseconds(clock()) } catch { return requests.map { _ in .failure(error) } }
        do {
            return try await writing { connection in try await self.bookPlays(requests, now: now, connection) }
        } catch {
            return requests.map { _ in .failure(error) }
        }
    }

    private struct Latest {
        var counted: Int
        var owned: Bool
    }

    private struct Wallet {
        let rowID: Int64
        var balance: Int64
    }

    private struct PendingPlay {
        let charge: PlayCharge
        let playedAt: Int64
        let walletRowID: Int64?
    }

    private func bookPlays(_ requests: [PlayChargeRequest], now: Int64, _ connection: PostgresConnection) async throws -> [Result<PlayChargeResult, LedgerError>] {
        let pricing = try await PricingVersions.load(connection, logger: logger)
        let listeners = Array(Set(requests.map(\.listenerID)))
        var recorded: [String: PlayCharge] = [:]
        for charge in try await playsByID(requests.map(\.playID), connection) { recorded[charge.playID] = charge }
        var latest: [String: Latest] = [:]
        let pairs = Array(Set(requests.map { PairKey(listener: $0.listenerID, track: $0.trackID) }))
        let latestRows = try await connection.query("""
            SELECT DISTINCT ON (p.listener_id, p.track_id) p.listener_id, p.track_id, p.play_number, p.completes_ownership
            FROM ledger_plays p JOIN unnest(\(pairs.map(\.listener)), \(pairs.map(\.track))) AS k(listener_id, track_id)
              ON p.listener_id = k.listener_id AND p.track_id = k.track_id
            ORDER BY p.listener_id, p.track_id, p.play_number DESC
            """, logger: logger)
        for try await (listener, track, number, owned) in latestRows.decode((String, String, Int32, Bool).self) {
            latest[PairKey(listener: listener, track: track).text] = Latest(counted: Int(number), owned: owned)
        }
        var wallets: [String: Wallet] = [:]
        let walletRows = try await connection.query("""
            SELECT id, owner, debits_posted, credits_posted FROM ledger_accounts
            WHERE kind = \(AccountID.Kind.listenerWallet.rawValue) AND owner = ANY(\(listeners))
            """, logger: logger)
        for try await (rowID, owner, debits, credits) in walletRows.decode((Int64, String, Int64, Int64).self) {
            wallets[owner] = Wallet(rowID: rowID, balance: credits - debits)
        }

        var results: [Result<PlayChargeResult, LedgerError>] = []
        var pending: [PendingPlay] = []
        results.reserveCapacity(requests.count)
        for request in requests {
            // A play id already recorded (before, or earlier in this batch) answers as it was.
            if let existing = recorded[request.playID] {
                guard existing.listenerID == request.listenerID, existing.artistID == request.artistID, existing.trackID == request.trackID else {
                    results.append(.failure(.conflictingPlay(playID: request.playID)))
                    continue
                }
                results.append(.success(.charged(existing)))
                continue
            }
            if request.listenerID == request.artistID {
                results.append(.success(.free(reason: .ownTrack)))
                continue
            }
            let playedAt: Int64
            let version: PricingVersion
            do {
                playedAt = try Timestamp.milliseconds(request.at)
                version = try pricing.inForce(at: playedAt)
            } catch {
                results.append(.failure(error))
                continue
            }
            let key = PairKey(listener: request.listenerID, track: request.trackID).text
            let before = latest[key] ?? Latest(counted: 0, owned: false)
            if before.owned || before.counted >= version.pricing.playsToOwn {
                results.append(.success(.free(reason: .owned)))
                continue
            }
            let playNumber = before.counted + 1
            let price = version.pricing.price(ofPlay: playNumber)
            let (artistPart, cooperativePart) = version.pricing.split(price)
            let wallet = wallets[request.listenerID]
            let available = wallet?.balance ?? 0
            guard available >= price else {
                results.append(.failure(.insufficientFunds(account: .listenerWallet(request.listenerID), needed: price, available: available)))
                continue
            }
            let charge = PlayCharge(
                playID: request.playID, listenerID: request.listenerID, artistID: request.artistID, trackID: request.trackID,
                playNumber: playNumber, price: price, artistPart: artistPart, cooperativePart: cooperativePart,
                pricingVersion: version.version, walletBalanceAfter: available - price,
                ownsTrackNow: playNumber == version.pricing.playsToOwn, playedAt: Timestamp.date(playedAt))
            if var wallet { wallet.balance -= price; wallets[request.listenerID] = wallet }
            latest[key] = Latest(counted: playNumber, owned: charge.ownsTrackNow)
            recorded[request.playID] = charge
            pending.append(PendingPlay(charge: charge, playedAt: playedAt, walletRowID: wallet?.rowID))
            results.append(.success(.charged(charge)))
        }
        guard !pending.isEmpty else { return results }
        try await record(pending, now: now, connection)
        return results
    }

    /// Writes the batch's new plays, their transfers at the head of the chain and the
    /// accounts' totals: one statement each.
    private func record(_ pending: [PendingPlay], now: Int64, _ connection: PostgresConnection) async throws {
        let charges = pending.map(\.charge)
        let inserted = try await connection.query("""
            INSERT INTO ledger_plays (play_id, listener_id, artist_id, track_id, play_number, price, artist_part, cooperative_part,
                pricing_version, completes_ownership, wallet_balance_after, played_at_ms, recorded_at_ms)
            SELECT play_id, listener_id, artist_id, track_id, play_number, price, artist_part, cooperative_part,
                pricing_version, completes_ownership, wallet_balance_after, played_at_ms, \(now)
            FROM unnest(\(charges.map(\.playID)), \(charges.map(\.listenerID)), \(charges.map(\.artistID)), \(charges.map(\.trackID)),
                \(charges.map { Int32($0.playNumber) }), \(charges.map(\.price)), \(charges.map(\.artistPart)), \(charges.map(\.cooperativePart)),
                \(charges.map { Int32($0.pricingVersion) }), \(charges.map(\.ownsTrackNow)), \(charges.map(\.walletBalanceAfter)),
                \(pending.map(\.playedAt)))
                WITH ORDINALITY AS p(play_id, listener_id, artist_id, track_id, play_number, price, artist_part, cooperative_part,
                    pricing_version, completes_ownership, wallet_balance_after, played_at_ms, position)
            ORDER BY position
            RETURNING sequence, play_id
            """, logger: logger)
        var sequences: [String: Int64] = [:]
        for try await (sequence, playID) in inserted.decode((Int64, String).self) { sequences[playID] = sequence }

        // Artists' earnings accounts, created on their first play.
        let artists = Array(Set(pending.filter { $0.charge.artistPart > 0 && $0.walletRowID != nil }.map(\.charge.artistID)))
        var artistRows: [String: Int64] = [:]
        if !artists.isEmpty {
            let kind = AccountID.Kind.artistEarnings.rawValue
            try await connection.query("""
                INSERT INTO ledger_accounts (kind, owner, debits_must_not_exceed_credits, created_at_ms)
                SELECT \(kind), owner, true, \(now) FROM unnest(\(artists)) AS a(owner)
                ON CONFLICT (kind, owner) DO NOTHING
                """, logger: logger)
            let rows = try await connection.query("SELECT id, owner FROM ledger_accounts WHERE kind = \(kind) AND owner = ANY(\(artists))", logger: logger)
            for try await (rowID, owner) in rows.decode((Int64, String).self) { artistRows[owner] = rowID }
        }

        var head = try await chainHeadForPlays(connection)
        var columns = TransferColumns()
        var postings: [Int64: (debits: Int64, credits: Int64)] = [:]
        let treasuryRowID = PostgresLedgerSchema.singletonAccountIDs[.treasury]!
        for play in pending {
            guard let walletRowID = play.walletRowID else { continue }  // a price of zero and no wallet: nothing moves
            let charge = play.charge
            guard let playSequence = sequences[charge.playID] else { throw LedgerError.database("play '\(charge.playID)' was not inserted") }
            var parts: [(id: String, credit: AccountID, rowID: Int64, amount: Int64, code: TransferCode)] = []
            if charge.artistPart > 0 {
                guard let rowID = artistRows[charge.artistID] else { throw LedgerError.database("no earnings account for '\(charge.artistID)'") }
                parts.append((PlayTransferID.artist(playSequence), .artistEarnings(charge.artistID), rowID, charge.artistPart, .playArtistShare))
            }
            if charge.cooperativePart > 0 {
                parts.append((PlayTransferID.cooperative(playSequence), .treasury, treasuryRowID, charge.cooperativePart, .playCooperativeShare))
            }
            let group = parts.count > 1 ? parts[0].id : nil
            let details = TransferDetails(trackID: charge.trackID, playID: charge.playID, pricingVersion: charge.pricingVersion)
            for part in parts {
                let sequence = head.sequence + 1
                let hash = TransferHash.compute(previous: head.hash, HashedFields(
                    sequence: sequence, id: part.id, debit: .listenerWallet(charge.listenerID), credit: part.credit, amount: part.amount,
                    code: part.code.rawValue, linkedGroup: group, details: details, timestampMilliseconds: now))
                columns.append(sequence: sequence, id: part.id, debit: walletRowID, credit: part.rowID, amount: part.amount,
                               code: part.code.rawValue, group: group, track: charge.trackID, play: charge.playID,
                               version: Int32(charge.pricingVersion), previous: head.hash, hash: hash)
                postings[part.rowID, default: (0, 0)].credits += part.amount
                head = (sequence, hash)
            }
            postings[walletRowID, default: (0, 0)].debits += charge.price
        }
        guard !columns.sequences.isEmpty else { return }
        try await connection.query("""
            INSERT INTO ledger_transfers (sequence, id, debit_account_id, credit_account_id, amount, code, linked_group,
                track_id, play_id, pricing_version, created_at_ms, previous_hash, hash)
            SELECT sequence, id, debit, credit, amount, code, NULLIF(linked_group, ''), track_id, play_id, pricing_version, \(now), previous_hash, hash
            FROM unnest(\(columns.sequences), \(columns.ids), \(columns.debits), \(columns.credits), \(columns.amounts), \(columns.codes),
                \(columns.groups), \(columns.tracks), \(columns.plays), \(columns.versions), \(columns.previousHashes), \(columns.hashes))
                AS t(sequence, id, debit, credit, amount, code, linked_group, track_id, play_id, pricing_version, previous_hash, hash)
            ORDER BY sequence
            """, logger: logger)
        let sorted = postings.sorted { $0.key < $1.key }
        try await connection.query("""
            UPDATE ledger_accounts a SET debits_posted = a.debits_posted + p.debits, credits_posted = a.credits_posted + p.credits
            FROM unnest(\(sorted.map(\.key)), \(sorted.map(\.value.debits)), \(sorted.map(\.value.credits))) AS p(id, debits, credits)
            WHERE a.id = p.id
            """, logger: logger)
    }

    private func chainHeadForPlays(_ connection: PostgresConnection) async throws -> (sequence: Int64, hash: [UInt8]) {
        let rows = try await connection.query("SELECT sequence, hash FROM ledger_transfers ORDER BY sequence DESC LIMIT 1", logger: logger)
        for try await (sequence, hash) in rows.decode((Int64, ByteBuffer).self) { return (sequence, Array(hash.readableBytesView)) }
        return (0, TransferHash.genesis)
    }

    /// The recorded plays of `ids`.
    private func playsByID(_ ids: [String], _ connection: PostgresConnection) async throws -> [PlayCharge] {
        let rows = try await connection.query("""
            SELECT play_id, listener_id, artist_id, track_id, play_number, price, artist_part, cooperative_part,
                   pricing_version, completes_ownership, wallet_balance_after, played_at_ms
            FROM ledger_plays WHERE play_id = ANY(\(ids))
            """, logger: logger)
        var found: [PlayCharge] = []
        for try await row in rows {
            let c = row.makeRandomAccess()
            found.append(PlayCharge(
                playID: try c["play_id"].decode(String.self), listenerID: try c["listener_id"].decode(String.self),
                artistID: try c["artist_id"].decode(String.self), trackID: try c["track_id"].decode(String.self),
                playNumber: Int(try c["play_number"].decode(Int32.self)), price: try c["price"].decode(Int64.self),
                artistPart: try c["artist_part"].decode(Int64.self), cooperativePart: try c["cooperative_part"].decode(Int64.self),
                pricingVersion: Int(try c["pricing_version"].decode(Int32.self)),
                walletBalanceAfter: try c["wallet_balance_after"].decode(Int64.self),
                ownsTrackNow: try c["completes_ownership"].decode(Bool.self),
                playedAt: Timestamp.date(try c["played_at_ms"].decode(Int64.self))))
        }
        return found
    }
}

/// A listener and a track, as one key.
private struct PairKey: Hashable {
    let listener: String
    let track: String
    var text: String { listener + "\u{0}" + track }
}

/// Transfers to insert in one statement, column by column (for `unnest`).
private struct TransferColumns {
    var sequences: [Int64] = []
    var ids: [String] = []
    var debits: [Int64] = []
    var credits: [Int64] = []
    var amounts: [Int64] = []
    var codes: [String] = []
    /// "" for none (arrays of optionals are not bound; NULLIF turns it back).
    var groups: [String] = []
    var tracks: [String] = []
    var plays: [String] = []
    var versions: [Int32] = []
    var previousHashes: [ByteBuffer] = []
    var hashes: [ByteBuffer] = []

    mutating func append(
        sequence: Int64, id: String, debit: Int64, credit: Int64, amount: Int64, code: String, group: String?, track: String,
        play: String, version: Int32, previous: [UInt8], hash: [UInt8]
    ) {
        sequences.append(sequence)
        ids.append(id)
        debits.append(debit)
        credits.append(credit)
        amounts.append(amount)
        codes.append(code)
        groups.append(group ?? "")
        tracks.append(track)
        plays.append(play)
        versions.append(version)
        previousHashes.append(ByteBuffer(bytes: previous))
        hashes.append(ByteBuffer(bytes: hash))
    }
}
