import AudioCore
import Catalog
import FoundationEssentials
import HTTPTypes
import Hummingbird
import Ledger
import Logging
import NIOCore
import Prometheus
import TuttiStorage

/// Play sessions: a listener opens one per listening of a track and streams from the signed
/// URLs it returns; the server counts the play (see ``PlayMeter``). Also the download of
/// the original upload, for those who own the track.
///
/// The common audio requests are answered before they reach this controller, by
/// ``SendfileHandler`` (see ``SendfileRoutes``), which must agree with it.
struct PlaysController {
    let services: AppServices
    private var meter: PlayMeter { PlayMeter(services: services) }

    func addRoutes(public group: RouterGroup<TuttiRequestContext>, signedIn: RouterGroup<SignedInContext>) {
        group.post("tracks/{id}/plays", use: open)
        signedIn.get("plays/{id}", use: status)
        group.get("plays/{id}/audio/{rendition}", use: stream)
        group.head("plays/{id}/audio/{rendition}", use: stream)
        signedIn.get("tracks/{id}/original", use: original)
    }

    // MARK: Opening

    /// Opens a session for a published track; anonymous listeners get preview-only sessions.
    @Sendable func open(_ request: Request, context: TuttiRequestContext) async throws -> EditedResponse<PlaySessionResource> {
        let id = try context.parameters.require("id")
        guard Identifier.isValid(id), let track = try await services.tracks.visibleTrack(id: id, viewer: context.identity) else {
            throw CatalogError.notFound(kind: "track", id: id)
        }
        guard track.status == .ready else {
            throw Problem(.conflict, title: "Not ready", detail: "This track is still \(track.status.rawValue); it can be played once it is ready.")
        }
        let (session, status, balance) = try await openSession(track, user: context.identity, remoteAddress: context.remoteAddress, logger: context.logger)
        let resource = PlaySessionResource(session, signer: services.urlSigner, status: session.access == .metered ? status : nil, balance: balance)
        return EditedResponse(status: .created, headers: [.location: "/api/v1/plays/\(session.id)"], response: resource)
    }

    /// Opens a play session of a ready track for `user` (nil: anonymous, preview only), with
    /// its access decided now; also what the answer shows: the listener's status of the track
    /// and their balance. The web player's sessions and the Subsonic API's counted streams
    /// open here.
    /// - Throws: 429 when sessions are opened too fast for this listener or address.
    func openSession(
        _ track: Track, user: User?, remoteAddress: String?, logger: Logger
    ) async throws -> (PlaySession, ListenerTrackStatus?, Int64?) {
        let limitKey = user.map { "user:" + $0.id } ?? "address:" + (remoteAddress ?? "?")
        if case .limited(let wait) = services.playLimiter.acquire([limitKey]) {
            throw Problem(.tooManyRequests, title: "Too many play sessions",
                          detail: "Play sessions are being opened too fast; try again in \(wait) s.",
                          extensions: ["retryAfterSeconds": .int(Int64(wait))], headers: [.retryAfter: String(wait)])
        }
        let instant = services.configuration.now()
        // A proposal already due becomes its pricing version first, so the preview and the
        // price shown are those the play will be charged under.
        try await services.closeDueProposals(before: instant, logger: logger)
        // One trip to the ledger for everything the answer shows (opening the session moves no money).
        let (pricing, status, balance) = try await services.inLedger { ledger throws(LedgerError) in
            (try ledger.pricing(at: instant).pricing,
             try user.map { user throws(LedgerError) in try ledger.trackStatus(listener: user.id, track: track.id, at: instant) },
             try user.map { user throws(LedgerError) in try ledger.balance(of: .listenerWallet(user.id)).balance })
        }
        let access: PlayAccess =
            if track.free { .free }
            else if user?.id == track.artistID { .own }
            else if user?.role == .admin { .admin }
            else if status?.owned == true { .owned }
            else { .metered }
        let session = try await services.playSessions.open(
            trackID: track.id, artistID: track.artistID, listenerID: user?.id, access: access,
            previewSeconds: pricing.previewSeconds, lifetime: services.configuration.playSessionLifetime)
        return (session, status, balance)
    }

    /// A session's state: whether its play counted and what it cost. Its listener (or an admin) only.
    @Sendable func status(_ request: Request, context: SignedInContext) async throws -> PlaySessionResource {
        let id = try context.parameters.require("id")
        guard Identifier.isValid(id), let session = try await services.playSessions.session(id: id),
              session.listenerID == context.user.id || context.user.role == .admin else {
            throw CatalogError.notFound(kind: "play session", id: id)
        }
        return PlaySessionResource(session, signer: services.urlSigner, status: nil, balance: nil)
    }

    // MARK: Streaming

    @Sendable func stream(_ request: Request, context: TuttiRequestContext) async throws -> Response {
        let session = try await authorizedSession(request, context: context)
        return try await serve(session, rendition: try context.parameters.require("rendition"), request: request, context: context)
    }

    /// Streams a session's rendition `name` under the metering rule (``MeteringDecision``):
    /// the preview at once, the rest held until the play counts.
    func serve(_ session: PlaySession, rendition name: String, request: Request, context: TuttiRequestContext) async throws -> Response {
        guard let entry = try await services.streamCatalog.entry(trackID: session.trackID, rendition: name),
              entry.track.deletedAt == nil else {
            throw Problem(.notFound, title: "Not found", detail: "This track or rendition is no longer available.")
        }
        let (status, headers, file, range): (HTTPResponse.Status, HTTPFields, MediaSource, ClosedRange<Int64>)
        switch try await StreamController.prepare(request, entry: entry, services: services, logger: context.logger) {
        case .done(let response): return response  // 304, HEAD, empty: no audio leaves
        case .serve(let preparedStatus, let preparedHeaders, let preparedFile, let preparedRange):
            (status, headers, file, range) = (preparedStatus, preparedHeaders, preparedFile, preparedRange)
        }
        let (services, logger, channel) = (self.services, context.logger, context.channel)
        // The range as asked: handed to nginx in front (--accel-redirect, a remote store) or
        // sent from here. Made before anything is recorded or counted, so that a remote store
        // that fails answers a problem with nothing charged (a response not sent is dropped,
        // and its read of the store with it).
        let answer: () async throws -> Response = {
            if let handOff = StreamController.handOff(file, request: request, headers: headers, services: services) { return handOff }
            return Response(status: status, headers: headers, body: try await services.media.body(file, range: range, channel: channel, metrics: services.metrics, logger: logger))
        }
        var current = session
        let tailProbeBytes = services.configuration.tailProbeBytes
        let window = { services.streamCatalog.previewWindow(entry, previewSeconds: session.previewSeconds, tailProbeBytes: tailProbeBytes) }
        switch MeteringDecision(session: .init(current), range: range, window: window()) {
        case .send:
            return try await answer()
        case .recordFirstAudio:
            let response = try await answer()
            do {
                current = try await services.playSessions.markFirstAudio(current, at: services.configuration.now())
            } catch where Storage.isFull(error) {
                // The preview is free, so it is sent even when the disk is too full to record
                // its first audio. The hold before a charge then starts from the first request
                // recorded once there is room: later than the listener's real start, never earlier.
                logger.warning("disk full: a preview's first audio was not recorded", metadata: ["session": "\(current.id)"])
            }
            return response
        case .count:
            let response = try await answer()
            _ = try await meter.count(current, logger: context.logger)
            return response
        case .continuePastPreview(let freeBytes):
            current = try await services.playSessions.markFirstAudio(current, at: services.configuration.now())
            let (meter, window) = (self.meter, window())
            let refusal = try await meter.refusal(current)
            switch MeteringDecision.Continuation(freeBytes: freeBytes, refusal: refusal, partial: status == .partialContent) {
            case .refuse(let refusal):
                // The play cannot be paid for and nothing is free: no point holding the stream.
                services.metrics.playsRefused.increment()
                throw refusal
            case .sendFreeBytesOnly(let free):
                var partial = headers
                partial[.contentRange] = "bytes \(free.lowerBound)-\(free.upperBound)/\(file.size)"
                partial[.contentLength] = String(free.count)
                return Response(status: status, headers: partial, body: try await services.media.body(file, range: free, channel: channel, metrics: services.metrics, logger: logger))
            case .waitThenCount:
                // Nothing free to send first: wait before answering, so a refusal is a proper 402.
                let watcher = await LeaveWatcher.of(channel)
                guard try await meter.waitForPreview(of: current, window: window, watcher: watcher) else {
                    throw Problem(.requestTimeout, title: "Listener left", detail: "The connection closed before the preview ended; nothing was counted.")
                }
                let response = try await answer()
                _ = try await meter.count(current, logger: logger)
                return response
            case .sendHeldAtPreview:
                // Held requests stay here until counted, whatever the store: the bytes past the
                // preview leave only through this gate.
                let watcher = await LeaveWatcher.of(channel)
                let waiting = current
                let gated = try await services.media.body(file, range: range, gateOffset: window.freeEnd, channel: channel, metrics: services.metrics, logger: logger) {
                    guard try await meter.waitForPreview(of: waiting, window: window, watcher: watcher) else {
                        throw CancellationError()
                    }
                } count: {
                    do {
                        _ = try await meter.count(waiting, logger: logger)
                    } catch {
                        logger.info("stream ended at the preview", metadata: ["play": "\(waiting.id)", "reason": "\(error)"])
                        throw error
                    }
                }
                return Response(status: status, headers: headers, body: gated)
            }
        }
    }

    /// The session a stream URL names, if its signature holds and it has not expired.
    private func authorizedSession(_ request: Request, context: TuttiRequestContext) async throws -> PlaySession {
        let id = try context.parameters.require("id")
        let query = request.uri.queryParameters
        guard Identifier.isValid(id), let expiresText = query["expires"], let expires = Int64(expiresText),
              let signature = query["signature"], services.urlSigner.isValid(signature, session: id, expires: expires) else {
            throw Problem(.forbidden, title: "Invalid stream link", detail: "This stream URL is not signed by Tutti. Open a play session to get one.")
        }
        guard Double(expires) > services.configuration.now().timeIntervalSince1970 else {
            throw Problem(.forbidden, title: "Stream link expired", detail: "This stream URL has expired. Open a new play session.")
        }
        guard let session = try await services.playSessions.session(id: id) else {
            throw Problem(.notFound, title: "Not found", detail: "There is no such play session.")
        }
        return session
    }

    // MARK: Original

    /// The untouched upload, for the track's artist, an admin, or a listener who owns it.
    @Sendable func original(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let user = context.user
        guard Identifier.isValid(id), let track = try await services.tracks.visibleTrack(id: id, viewer: user) else {
            throw CatalogError.notFound(kind: "track", id: id)
        }
        guard try await mayDownloadOriginal(track, user: user) else {
            throw Problem(.forbidden, title: "Not owned yet", detail: "The original can be downloaded once you own the track (after enough counted plays).")
        }
        return try await originalResponse(track, channel: context.channel, logger: context.logger)
    }

    /// Whether `user` may have the track's original: its artist, an admin, or a listener who owns it.
    func mayDownloadOriginal(_ track: Track, user: User) async throws -> Bool {
        if user.role == .admin || user.id == track.artistID { return true }
        let id = track.id
        return try await services.inLedger { ledger throws(LedgerError) in try ledger.trackStatus(listener: user.id, track: id).owned }
    }

    /// The original upload as an attachment, named after the track.
    func originalResponse(_ track: Track, channel: any Channel, logger: Logger) async throws -> Response {
        guard let file = try await services.media.source(track.originalPath, recordedSize: track.originalBytes) else {
            throw Problem(.serviceUnavailable, title: "Original unavailable", detail: "The original upload is missing on the server; try again later.")
        }
        // Saved under the track's title, with the extension of the upload's own format.
        let disposition = StreamController.contentDisposition(
            "attachment", filename: "\(track.title) (original).\(track.originalFormat.fileExtension)")
        var headers: HTTPFields = [
            .contentType: track.originalFormat.mediaType, .contentLength: String(file.size), .contentDisposition: disposition,
            .cacheControl: "private, no-store",
        ]
        headers.append(contentsOf: SecurityHeadersMiddleware<TuttiRequestContext>.fields)
        guard file.size > 0 else { return Response(status: .ok, headers: headers) }
        return Response(status: .ok, headers: headers, body: try await services.media.body(file, range: 0...(file.size - 1), channel: channel, metrics: services.metrics, logger: logger))
    }
}

/// A play session as the API shows it, with its signed stream URLs.
struct PlaySessionResource: ResponseCodable {
    var id: String
    var trackID: String
    /// metered, free, own, owned or admin.
    var access: String
    var previewSeconds: Int
    var expiresAt: Date
    var counted: Bool
    var countedAt: Date?
    /// What the counted play cost, in minor units.
    var price: Int64?
    var pricingVersion: Int?
    /// One signed URL per rendition (usable without an Authorization header).
    var audio: [String: String]
    /// For a metered session of a signed-in listener: the next play's price, the plays
    /// counted so far and how many remain until the track is owned; and the wallet balance.
    var nextPrice: Int64?
    var countedPlays: Int?
    var playsRemainingToOwn: Int?
    var balance: Int64?

    init(_ session: PlaySession, signer: PlayURLSigner, status: ListenerTrackStatus?, balance: Int64?) {
        id = session.id
        trackID = session.trackID
        access = session.access.rawValue
        previewSeconds = session.previewSeconds
        expiresAt = session.expiresAt
        counted = session.isCounted
        countedAt = session.countedAt
        price = session.price
        pricingVersion = session.pricingVersion
        let query = signer.query(session: session.id, expires: Int64(session.expiresAt.timeIntervalSince1970.rounded(.down)))
        audio = Dictionary(uniqueKeysWithValues: RenditionName.allCases.map { name in
            (name.rawValue, "/api/v1/plays/\(session.id)/audio/\(name.rawValue)?\(query)")
        })
        nextPrice = status?.nextPrice
        countedPlays = status?.countedPlays
        playsRemainingToOwn = status?.playsRemainingToOwn
        self.balance = balance
    }
}
