import Catalog
import FoundationEssentials
import NIOHTTP1

/// Decides which audio requests ``SendfileHandler`` answers itself, below Hummingbird, and
/// with what: the common case of streaming — a GET of a rendition, plain or by a play
/// session's signed URL, whose answer depends only on what is already in memory and changes
/// nothing. Everything else (conditions, HEAD, credentials, a first request, an uncounted
/// session's audio, errors) returns nil and goes on to the controllers, which stay the
/// authority: this only ever answers what they would have answered, byte for byte.
struct SendfileRoutes: Sendable {
    let services: AppServices

    /// A response for the handler to send: `range` of `file` with these headers.
    struct Answer {
        var status: HTTPResponseStatus
        var headers: HTTPHeaders
        var file: MappedFile
        var range: ClosedRange<Int64>
        /// The route's label in the request metrics (as the router names it).
        var route: String
    }

    static let plainRoute = "/api/v1/tracks/{id}/audio/{rendition}"
    static let sessionRoute = "/api/v1/plays/{id}/audio/{rendition}"

    /// Request headers whose meaning the controllers work out (conditions, credentials, a
    /// body, an expectation); a request carrying any of them is not answered here.
    private static let deferredHeaders: [String] = [
        "if-match", "if-none-match", "if-modified-since", "if-unmodified-since", "if-range",
        "authorization", "transfer-encoding", "expect",
    ]

    func answer(_ head: HTTPRequestHead) -> Answer? {
        guard head.method == .GET, head.version == .http1_1, head.isKeepAlive else { return nil }
        for name in Self.deferredHeaders where head.headers.contains(name: name) { return nil }
        let lengths = head.headers[canonicalForm: "content-length"]
        guard lengths.isEmpty || (lengths.count == 1 && lengths[0] == "0") else { return nil }
        guard let target = Target(head.uri) else { return nil }
        let rangeHeaders = head.headers[canonicalForm: "range"]
        guard rangeHeaders.count <= 1 else { return nil }

        let entry: StreamCatalog.Entry
        let route: String
        var session: PlaySession?
        switch target.kind {
        case .plain:
            // Anyone may stream a free, published track's plain URL without signing in.
            guard let cached = services.streamCatalog.cachedEntry(trackID: target.id, rendition: target.rendition),
                  cached.track.free, Tracks.isVisible(cached.track, to: nil) else { return nil }
            (entry, route) = (cached, Self.plainRoute)
        case .session(let expires, let signature):
            let id = String(target.id)
            guard services.urlSigner.isValid(signature, session: id, expires: expires),
                  Double(expires) > services.configuration.now().timeIntervalSince1970,
                  let cachedSession = services.playSessions.cachedSession(id: id),
                  let cached = services.streamCatalog.cachedEntry(trackID: cachedSession.trackID, rendition: target.rendition),
                  cached.track.deletedAt == nil else { return nil }
            (entry, route, session) = (cached, Self.sessionRoute, cachedSession)
        }
        guard let file = services.media.cached(services.path(entry.rendition.path)), file.size > 0 else { return nil }

        var headers = entry.http1Headers
        let status: HTTPResponseStatus
        let range: ClosedRange<Int64>
        switch RangeSelection(header: rangeHeaders.first.map(String.init), size: file.size) {
        case .unsatisfiable:
            return nil
        case .whole:
            (status, range) = (.ok, 0...(file.size - 1))
        case .partial(let bytes):
            (status, range) = (.partialContent, bytes)
            headers.add(name: "Content-Range", value: "bytes \(bytes.lowerBound)-\(bytes.upperBound)/\(file.size)")
        }
        if let session, !Self.isFreeToSend(range, session: session, entry: entry, services: services) { return nil }
        headers.add(name: "Content-Length", value: String(range.count))
        return Answer(status: status, headers: headers, file: file, range: range, route: route)
    }

    /// Whether a session's request for `range` goes out as it is, changing nothing: the
    /// session streams without limit or has counted, or the range is a duration probe, or
    /// it lies in the preview of a session whose first audio is already recorded.
    private static func isFreeToSend(_ range: ClosedRange<Int64>, session: PlaySession, entry: StreamCatalog.Entry, services: AppServices) -> Bool {
        if session.access.isUnlimited || session.isCounted { return true }
        guard let window = services.streamCatalog.cachedPreviewWindow(entry, previewSeconds: session.previewSeconds) else { return false }
        switch window.decision(for: range) {
        case .tailProbe: return true
        case .free: return session.firstAudioAt != nil || range.upperBound < entry.pageIndex.audioStart
        case .seekPastPreview, .continuePastPreview: return false
        }
    }

    /// A request target of one of the two audio routes, taken apart without decoding: a
    /// target that needs percent-decoding or is otherwise unusual is left to the router.
    struct Target {
        enum Kind {
            case plain
            case session(expires: Int64, signature: Substring)
        }

        var kind: Kind
        var id: Substring
        var rendition: Substring

        init?(_ uri: String) {
            guard uri.hasPrefix("/api/v1/"), !uri.contains("%"), !uri.contains("+") else { return nil }
            let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            let segments = parts[0].split(separator: "/", omittingEmptySubsequences: false)
            // "", "api", "v1", kind, id, "audio", rendition
            guard segments.count == 7, segments[5] == "audio", Identifier.isValid(segments[4]),
                  RenditionName(rawValue: String(segments[6])) != nil else { return nil }
            id = segments[4]
            rendition = segments[6]
            switch segments[3] {
            case "tracks":
                guard parts.count == 1 else { return nil }
                kind = .plain
            case "plays":
                guard parts.count == 2 else { return nil }
                var expires: Int64?
                var signature: Substring?
                for pair in parts[1].split(separator: "&", omittingEmptySubsequences: false) {
                    let field = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    guard field.count == 2 else { return nil }
                    switch field[0] {
                    case "expires":
                        guard expires == nil, let value = Int64(field[1]) else { return nil }
                        expires = value
                    case "signature":
                        guard signature == nil else { return nil }
                        signature = field[1]
                    default:
                        return nil
                    }
                }
                guard let expires, let signature else { return nil }
                kind = .session(expires: expires, signature: signature)
            default:
                return nil
            }
        }
    }
}
