import Foundation
import Ledger
import Logging
import NIOCore
import PostgresNIO

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
        let outcome = await withCheckedContinuation { continuation in
            if let batch = plays.enqueue(PlayChargeQueue.Waiter(request: request, continuation: continuation)) {
                Task { await self.commitQueuedPlays(batch) }
            }
        }
        return try outcome.get()
    }

    /// How group commit has batched the plays of ``chargePlay(_:)`` since this store was made.
    public func playCommitStatistics() -> PlayCommitStatistics {
        plays.statistics
    }

    /// Commits `batch`, then takes whoever arrived meanwhile as the next batch before waking
    /// `batch`'s callers, until nobody waits (as the SQLite ledger does).
    private func commitQueuedPlays(_ first: [PlayChargeQueue.Waiter]) async {
        var batch = first
        while true {
            let outcomes = await commitPlays(batch.map(\.request))
            let next = plays.next(after: batch.count)
            for (waiter, outcome) in zip(batch, outcomes) { waiter.resume(outcome) }
            guard let next else { return }
            batch = next
        }
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

    static let query: PostgresQuery = """
        SELECT version, effective_from_ms, preview_seconds, base_price, multiplier, plays_to_own, artist_share_bp, proposal_id
        FROM ledger_pricing_versions ORDER BY effective_from_ms
        """

    static func load(_ connection: PostgresConnection, logger: Logger) async throws -> PricingVersions {
        let future: EventLoopFuture<PostgresQueryResult> = connection.query(query, logger: logger)
        return try PricingVersions(try await future.get())
    }

    init(_ rows: PostgresQueryResult) throws {
        var versions: [(Int64, PricingVersion)] = []
        for row in rows {
            let (version, from, preview, base, multiplier, playsToOwn, share, proposal) =
                try row.decode((Int32, Int64, Int32, Int64, Int64, Int32, Int32, String?).self)
            let pricing = Pricing(previewSeconds: Int(preview), basePrice: base, multiplier: multiplier, playsToOwn: Int(playsToOwn),
                                  artistShareBasisPoints: Int(share))
            versions.append((from, PricingVersion(version: Int(version), effectiveFrom: Timestamp.date(from), pricing: pricing, proposalID: proposal)))
        }
        self.versions = versions
    }

    func inForce(at milliseconds: Int64) throws(LedgerError) -> PricingVersion {
        guard let found = versions.last(where: { $0.effectiveFrom <= milliseconds }) else {
            throw .database("no pricing version in force at \(Timestamp.date(milliseconds)); are the ledger migrations applied?")
        }
        return found.version
    }
}

extension PostgresLedgerStore {
    /// One group commit: every play of `requests` decided in order against the stored state
    /// and the batch's earlier plays, then written in a few set-wise statements.
    func commitPlays(_ requests: [PlayChargeRequest]) async -> [Result<PlayChargeResult, LedgerError>] {
        let now: Int64
        do { now = try Timestamp.milliseconds(clock()) } catch { return requests.map { _ in .failure(error) } }
        do {
            return try await client.withConnection { connection in try await self.bookPlays(requests, now: now, connection) }
        } catch let error as LedgerError {
            return requests.map { _ in .failure(error) }
        } catch {
            let failure = LedgerError.database(PostgresStorageError.describe(error))
            return requests.map { _ in .failure(failure) }
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

    /// What a batch reads once the chain's lock is held: independent queries, sent together
    /// on the transaction's connection (postgres-nio queues them; one round trip in all).
    private struct Snapshot {
        var pricing: PricingVersions
        var recorded: [String: PlayCharge]
        var latest: [PairKey: Latest]
        var wallets: [String: Wallet]
        /// Earnings account rows of the batch's artists (created if missing).
        var artistRows: [String: Int64]
        var lastPlaySequence: Int64
        var head: (sequence: Int64, hash: [UInt8])
    }

    /// Begins the batch's transaction, takes the chain's lock and reads the batch's state, all
    /// sent at once: postgres-nio writes queries in the order they are sent and the server runs
    /// them in that order, so each read runs after the lock is held, with a snapshot of its own
    /// taken then (READ COMMITTED), and the batch costs one round trip here instead of nine.
    private func snapshot(_ requests: [PlayChargeRequest], now: Int64, _ connection: PostgresConnection) async throws -> Snapshot {
        let listeners = Array(Set(requests.map(\.listenerID)))
        let artists = Array(Set(requests.filter { $0.listenerID != $0.artistID }.map(\.artistID)))
        let pairs = Array(Set(requests.map { PairKey(listener: $0.listenerID, track: $0.trackID) }))
        let artistKind = AccountID.Kind.artistEarnings.rawValue
        let send = { (query: PostgresQuery) -> EventLoopFuture<PostgresQueryResult> in connection.query(query, logger: self.logger) }
        let begin = send("BEGIN")
        let lock = send("SELECT pg_advisory_xact_lock(\(Self.chainLockKey))")
        let pricing = send(PricingVersions.query)
        let recorded = send("\(unescaped: Self.playColumns) WHERE play_id = ANY(\(requests.map(\.playID)))")
        let latest = send("""
            SELECT k.listener_id, k.track_id, p.play_number, p.completes_ownership
            FROM unnest(\(pairs.map(\.listener)), \(pairs.map(\.track))) AS k(listener_id, track_id)
            CROSS JOIN LATERAL (
                SELECT play_number, completes_ownership FROM ledger_plays
                WHERE listener_id = k.listener_id AND track_id = k.track_id ORDER BY play_number DESC LIMIT 1
            ) p
            """)
        let wallets = send("""
            SELECT id, owner, debits_posted, credits_posted FROM ledger_accounts
            WHERE kind = \(AccountID.Kind.listenerWallet.rawValue) AND owner = ANY(\(listeners))
            """)
        // An artist's earnings account is created with the batch that first names them (left
        // empty if none of the batch's plays turns out charged).
        let artistRows = send("""
            WITH created AS (
                INSERT INTO ledger_accounts (kind, owner, debits_must_not_exceed_credits, created_at_ms)
                SELECT \(artistKind), owner, true, \(now) FROM unnest(\(artists)) AS a(owner)
                ON CONFLICT (kind, owner) DO NOTHING
                RETURNING id, owner
            )
            SELECT id, owner FROM created
            UNION ALL SELECT id, owner FROM ledger_accounts WHERE kind = \(artistKind) AND owner = ANY(\(artists))
            """)
        let lastPlay = send("SELECT COALESCE(max(sequence), 0)::BIGINT FROM ledger_plays")
        let head = send(PostgresQuery(unsafeSQL: Self.chainHeadSQL))

        _ = try await begin.get()
        _ = try await lock.get()
        var snapshot = Snapshot(
            pricing: try PricingVersions(try await pricing.get()), recorded: [:], latest: [:], wallets: [:], artistRows: [:],
            lastPlaySequence: 0, head: (0, TransferHash.genesis))
        for row in try await recorded.get() {
            let charge = try Self.decodePlay(row)
            snapshot.recorded[charge.playID] = charge
        }
        for row in try await latest.get() {
            let (listener, track, number, owned) = try row.decode((String, String, Int32, Bool).self)
            snapshot.latest[PairKey(listener: listener, track: track)] = Latest(counted: Int(number), owned: owned)
        }
        for row in try await wallets.get() {
            let (rowID, owner, debits, credits) = try row.decode((Int64, String, Int64, Int64).self)
            snapshot.wallets[owner] = Wallet(rowID: rowID, balance: credits - debits)
        }
        for row in try await artistRows.get() {
            let (rowID, owner) = try row.decode((Int64, String).self)
            snapshot.artistRows[owner] = rowID
        }
        for row in try await lastPlay.get() { snapshot.lastPlaySequence = try row.decode(Int64.self) }
        for row in try await head.get() {
            let (sequence, hash) = try row.decode((Int64, ByteBuffer).self)
            snapshot.head = (sequence, Array(hash.readableBytesView))
        }
        return snapshot
    }

    private func bookPlays(_ requests: [PlayChargeRequest], now: Int64, _ connection: PostgresConnection) async throws -> [Result<PlayChargeResult, LedgerError>] {
        do {
            let state = try await snapshot(requests, now: now, connection)
            let (results, pending) = decide(requests, state)
            // The write and the COMMIT go together: one round trip. A failed write makes the
            // server end the transaction with a rollback, and the failure is the write's.
            let write: EventLoopFuture<PostgresQueryResult>? = pending.isEmpty ? nil : connection.query(try record(pending, state, now: now), logger: logger)
            let commit: EventLoopFuture<PostgresQueryResult> = connection.query("COMMIT", logger: logger)
            if let write { _ = try await write.get() }
            let committed = try await commit.get()
            guard committed.metadata.command == "COMMIT" else { throw LedgerError.database("the batch's transaction ended with \(committed.metadata.command)") }
            return results
        } catch {
            // Whatever was sent is answered in order; then nothing of the batch stays.
            let rollback: EventLoopFuture<PostgresQueryResult> = connection.query("ROLLBACK", logger: logger)
            _ = try? await rollback.get()
            throw error
        }
    }

    /// Every play of the batch decided in order against the snapshot and the batch's earlier
    /// plays: the results, and the new charges to write.
    private func decide(_ requests: [PlayChargeRequest], _ snapshot: Snapshot) -> ([Result<PlayChargeResult, LedgerError>], [PendingPlay]) {
        var state = snapshot
        var results: [Result<PlayChargeResult, LedgerError>] = []
        var pending: [PendingPlay] = []
        results.reserveCapacity(requests.count)
        for request in requests {
            // A play id already recorded (before, or earlier in this batch) answers as it was.
            if let existing = state.recorded[request.playID] {
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
                version = try state.pricing.inForce(at: playedAt)
            } catch {
                results.append(.failure(error))
                continue
            }
            let key = PairKey(listener: request.listenerID, track: request.trackID)
            let before = state.latest[key] ?? Latest(counted: 0, owned: false)
            if before.owned || before.counted >= version.pricing.playsToOwn {
                results.append(.success(.free(reason: .owned)))
                continue
            }
            let playNumber = before.counted + 1
            let price = version.pricing.price(ofPlay: playNumber)
            let (artistPart, cooperativePart) = version.pricing.split(price)
            let wallet = state.wallets[request.listenerID]
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
            if var wallet { wallet.balance -= price; state.wallets[request.listenerID] = wallet }
            state.latest[key] = Latest(counted: playNumber, owned: charge.ownsTrackNow)
            state.recorded[request.playID] = charge
            pending.append(PendingPlay(charge: charge, playedAt: playedAt, walletRowID: wallet?.rowID))
            results.append(.success(.charged(charge)))
        }
        return (results, pending)
    }

    /// Writes the batch's new plays, their transfers at the head of the chain and the
    /// accounts' totals in one statement (data-modifying CTEs; the transfers' trigger checks
    /// the chain at its end).
    private func record(_ pending: [PendingPlay], _ state: Snapshot, now: Int64) throws -> PostgresQuery {
        var plays = PlayColumns()
        var transfers = TransferColumns()
        var postings: [Int64: (debits: Int64, credits: Int64)] = [:]
        var head = state.head
        var playSequence = state.lastPlaySequence
        let treasuryRowID = PostgresLedgerSchema.singletonAccountIDs[.treasury]!
        for play in pending {
            let charge = play.charge
            playSequence += 1
            plays.append(charge, sequence: playSequence, playedAt: play.playedAt)
            guard let walletRowID = play.walletRowID else { continue }  // a price of zero and no wallet: nothing moves
            var parts: [(id: String, credit: AccountID, rowID: Int64, amount: Int64, code: TransferCode)] = []
            if charge.artistPart > 0 {
                guard let rowID = state.artistRows[charge.artistID] else { throw LedgerError.database("no earnings account for '\(charge.artistID)'") }
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
                transfers.append(sequence: sequence, id: part.id, debit: walletRowID, credit: part.rowID, amount: part.amount,
                                 code: part.code.rawValue, group: group, track: charge.trackID, play: charge.playID,
                                 version: Int32(charge.pricingVersion), previous: head.hash, hash: hash)
                postings[part.rowID, default: (0, 0)].credits += part.amount
                head = (sequence, hash)
            }
            postings[walletRowID, default: (0, 0)].debits += charge.price
        }
        let sorted = postings.sorted { $0.key < $1.key }
        return """
            WITH new_plays AS (
                INSERT INTO ledger_plays (sequence, play_id, listener_id, artist_id, track_id, play_number, price, artist_part,
                    cooperative_part, pricing_version, completes_ownership, wallet_balance_after, played_at_ms, recorded_at_ms)
                SELECT sequence, play_id, listener_id, artist_id, track_id, play_number, price, artist_part, cooperative_part,
                    pricing_version, completes_ownership, wallet_balance_after, played_at_ms, \(now)
                FROM unnest(\(plays.sequences), \(plays.ids), \(plays.listeners), \(plays.artists), \(plays.tracks), \(plays.numbers),
                    \(plays.prices), \(plays.artistParts), \(plays.cooperativeParts), \(plays.versions), \(plays.owned),
                    \(plays.balancesAfter), \(plays.playedAt))
                    AS p(sequence, play_id, listener_id, artist_id, track_id, play_number, price, artist_part, cooperative_part,
                        pricing_version, completes_ownership, wallet_balance_after, played_at_ms)
                ORDER BY sequence
            ), new_transfers AS (
                INSERT INTO ledger_transfers (sequence, id, debit_account_id, credit_account_id, amount, code, linked_group,
                    track_id, play_id, pricing_version, created_at_ms, previous_hash, hash)
                SELECT sequence, id, debit, credit, amount, code, NULLIF(linked_group, ''), track_id, play_id, pricing_version, \(now),
                    previous_hash, hash
                FROM unnest(\(transfers.sequences), \(transfers.ids), \(transfers.debits), \(transfers.credits), \(transfers.amounts),
                    \(transfers.codes), \(transfers.groups), \(transfers.tracks), \(transfers.plays), \(transfers.versions),
                    \(transfers.previousHashes), \(transfers.hashes))
                    AS t(sequence, id, debit, credit, amount, code, linked_group, track_id, play_id, pricing_version, previous_hash, hash)
                ORDER BY sequence
            )
            UPDATE ledger_accounts a SET debits_posted = a.debits_posted + p.debits, credits_posted = a.credits_posted + p.credits
            FROM unnest(\(sorted.map(\.key)), \(sorted.map(\.value.debits)), \(sorted.map(\.value.credits))) AS p(id, debits, credits)
            WHERE a.id = p.id
            """
    }


    static let playColumns = """
        SELECT play_id, listener_id, artist_id, track_id, play_number, price, artist_part, cooperative_part,
               pricing_version, completes_ownership, wallet_balance_after, played_at_ms
        FROM ledger_plays
        """

    static func decodePlay(_ row: PostgresRow) throws -> PlayCharge {
        let c = row.makeRandomAccess()
        return PlayCharge(
            playID: try c["play_id"].decode(String.self), listenerID: try c["listener_id"].decode(String.self),
            artistID: try c["artist_id"].decode(String.self), trackID: try c["track_id"].decode(String.self),
            playNumber: Int(try c["play_number"].decode(Int32.self)), price: try c["price"].decode(Int64.self),
            artistPart: try c["artist_part"].decode(Int64.self), cooperativePart: try c["cooperative_part"].decode(Int64.self),
            pricingVersion: Int(try c["pricing_version"].decode(Int32.self)),
            walletBalanceAfter: try c["wallet_balance_after"].decode(Int64.self),
            ownsTrackNow: try c["completes_ownership"].decode(Bool.self),
            playedAt: Timestamp.date(try c["played_at_ms"].decode(Int64.self)))
    }
}

/// A listener and a track, as one key.
private struct PairKey: Hashable {
    let listener: String
    let track: String
}

/// Plays to insert in one statement, column by column (for `unnest`).
private struct PlayColumns {
    var sequences: [Int64] = []
    var ids: [String] = []
    var listeners: [String] = []
    var artists: [String] = []
    var tracks: [String] = []
    var numbers: [Int32] = []
    var prices: [Int64] = []
    var artistParts: [Int64] = []
    var cooperativeParts: [Int64] = []
    var versions: [Int32] = []
    var owned: [Bool] = []
    var balancesAfter: [Int64] = []
    var playedAt: [Int64] = []

    mutating func append(_ charge: PlayCharge, sequence: Int64, playedAt milliseconds: Int64) {
        sequences.append(sequence)
        ids.append(charge.playID)
        listeners.append(charge.listenerID)
        artists.append(charge.artistID)
        tracks.append(charge.trackID)
        numbers.append(Int32(charge.playNumber))
        prices.append(charge.price)
        artistParts.append(charge.artistPart)
        cooperativeParts.append(charge.cooperativePart)
        versions.append(Int32(charge.pricingVersion))
        owned.append(charge.ownsTrackNow)
        balancesAfter.append(charge.walletBalanceAfter)
        playedAt.append(milliseconds)
    }
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
