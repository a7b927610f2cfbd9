import Catalog
import FoundationEssentials
import HTTPTypes
import Hummingbird
import Ledger
import Logging
import NIOCore
import Prometheus

/// Counts plays: the server alone decides, from what it delivered and when (PRODUCT.md,
/// "What counts as a play").
///
/// An uncounted session of a metered track gets the preview's pages at once. Going on
/// past them counts the play: at once for a seek (a range that starts past the preview),
/// or, for a range that runs on from the preview, once the listener has had the preview
/// for as long as it lasts, counted from the session's first audio. A player that buffers
/// ahead therefore waits at the preview's end instead of being charged early, and one that
/// leaves (closes the connection) while waiting is never charged.
///
/// The play is charged through the ledger with the session id as the play id: a reconnect,
/// parallel requests, or a restart between the charge and marking the session find the
/// first charge and never make a second one.
struct PlayMeter: Sendable {
    let services: AppServices

    /// Counts the session's play (idempotent); returns the session as now stored.
    /// - Throws: a 402 problem with the price and the balance when the wallet cannot pay, or
    ///   when the listener is anonymous.
    func count(_ session: PlaySession, logger: Logger) async throws -> PlaySession {
        if session.isCounted || session.access.isUnlimited { return session }
        let sessions = services.playSessions
        guard let listener = session.listenerID else {
            services.metrics.playsRefused.increment()
            throw Self.signInRequired(session)
        }
        let instant = services.configuration.now()
        // Governance: a proposal that closed at or before `instant` must become its pricing
        // version before this play is priced (the ledger refuses a version older than a
        // recorded play). An atomic load unless one is due; see ProposalCloser.
        try await services.closeDueProposals(before: instant, logger: logger)
        // The track's release: its split sheet divides the artist part (unless the track has its own).
        let releaseID = try await services.tracks.track(id: session.trackID)?.releaseID
        let request = PlayChargeRequest(
            playID: session.id, listenerID: listener, artistID: session.artistID, trackID: session.trackID, at: instant,
            releaseID: releaseID.flatMap { $0.isEmpty ? nil : $0 })
        do {
            switch try await services.ledger.chargePlay(request) {
            case .charged(let charge):
                services.metrics.playsCounted.increment()
                logger.info("play counted", metadata: [
                    "play": "\(session.id)", "track": "\(session.trackID)", "price": "\(charge.price)", "playNumber": "\(charge.playNumber)",
                ])
                return try await sessions.markCounted(session, at: charge.playedAt, price: charge.price, pricingVersion: charge.pricingVersion)
            case .free:
                return try await sessions.markCounted(session, at: instant, price: 0, pricingVersion: nil)
            }
        } catch let error as LedgerError {
            switch error {
            case .insufficientFunds(_, let needed, let available):
                services.metrics.playsRefused.increment()
                throw Self.insufficientFunds(session, price: needed, balance: available)
            case .storageFull:
                logger.warning("disk full: a play was not charged", metadata: ["play": "\(session.id)"])
                throw Problem.storageFull(nothing: "this play was not counted and nothing was charged")
            case .spendingLimitReached:
                services.metrics.playsRefused.increment()
                throw Problem(for: error)
            default:
                logger.error("play charge failed", metadata: ["play": "\(session.id)", "error": "\(error)"])
                throw Problem(.serviceUnavailable, title: "Could not count the play", detail: "The ledger could not record this play; nothing was charged. Try again.")
            }
        }
    }

    /// Why the play could not be paid for now, or nil if it could (signed in, and the wallet
    /// holds the next price, or the track is owned). A hint for answering early, without
    /// holding a stream that cannot go on; the charge itself decides.
    func refusal(_ session: PlaySession) async throws -> Problem? {
        guard let listener = session.listenerID else { return Self.signInRequired(session) }
        let (track, instant) = (session.trackID, services.configuration.now())
        let (price, balance, limit) = try await services.inLedger { ledger throws(LedgerError) -> (Int64, Int64, SpendingLimit?) in
            let status = try ledger.trackStatus(listener: listener, track: track, at: instant)
            return (status.owned ? 0 : status.nextPrice, try ledger.balance(of: .listenerWallet(listener)).balance,
                    try ledger.spendingLimit(listener: listener))
        }
        if balance < price { return Self.insufficientFunds(session, price: price, balance: balance) }
        if let limit, price > 0, limit.spent + price > limit.monthlyLimit {
            return Problem.spendingLimitReached(limit: limit.monthlyLimit, spent: limit.spent, needed: price, resetsAt: limit.monthEnd)
        }
        return nil
    }

    static func signInRequired(_ session: PlaySession) -> Problem {
        Problem(
            .paymentRequired, title: "Sign in to hear more",
            detail: "This is the end of the free preview. Sign in and top up your wallet to hear the whole track.",
            extensions: ["previewSeconds": .int(Int64(session.previewSeconds))])
    }

    static func insufficientFunds(_ session: PlaySession, price: Int64, balance: Int64) -> Problem {
        Problem(
            .paymentRequired, title: "Not enough credit",
            detail: "The next play of this track costs \(Money.format(price)) credits and your wallet holds \(Money.format(balance)). Top up to hear past the preview; the preview stays free.",
            extensions: ["price": .int(price), "balance": .int(balance), "previewSeconds": .int(Int64(session.previewSeconds))])
    }

    /// Waits until the session's listener has had the preview for as long as it lasts.
    /// False when the client has left (nothing is counted then).
    func waitForPreview(of session: PlaySession, window: PreviewWindow, watcher: LeaveWatcher) async throws -> Bool {
        let started = session.firstAudioAt ?? services.configuration.now()
        let deadline = started.addingTimeInterval(window.listenSeconds)
        if services.configuration.now() >= deadline { return !watcher.hasLeft }
        services.metrics.playsWaiting.increment()
        defer { services.metrics.playsWaiting.decrement() }
        return try await ListeningWait.until(deadline, waitUntil: services.configuration.waitUntil, watcher: watcher)
    }
}

extension HTTPResponse.Status {
    /// 402: the wallet cannot pay for the next play (HTTPTypes names no constant for it).
    static let paymentRequired = HTTPResponse.Status(code: 402, reasonPhrase: "Payment Required")
}
