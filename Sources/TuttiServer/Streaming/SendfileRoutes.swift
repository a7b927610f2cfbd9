import Catalog
import FoundationEssentials
import NIOHTTP1

/// Decides which audio requests ``SendfileHandler`` answers itself, below Hummingbird, and
/// with what: the common case of streaming — a GET of a rendition, plain or by a play
/// session's signed URL, whose answer depends only on what is already in memory and changes
/// nothing. Everything else (conditions, HEAD, credentials, a first request, an uncounted
/// session's audio, errors) returns nil and goes on to the controllers, which stay the
/// authority: this only ever answers what they would have answered, byte for byte.
///
/// Which session requests change nothing is ``MeteringDecision``'s to say, for both paths.
/// Who may stream a plain URL is repeated here from `StreamController`: a change to that rule
/// must be made here too. `SendfileTests` compares both paths' answers.
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
    private static let deferredHeaders: Set<String> = [
        "if-match", "if-none-match", "if-modified-since", "if-unmodified-since", "if-range",
        "authorization", "transfer-encoding", "expect",
    ]

    func answer(_ head: HTTPRequestHead) -> Answer? {
        guard head.method == .GET, head.version == .http1_1, head.isKeepAlive else { return nil }
        var rangeHeader: String?
        for (name, value) in head.headers {
            let lowercased = name.lowercased()
            if lowercased == "range" {
                guard rangeHeader == nil else { return nil }
                rangeHeader = value
            } else if lowercased == "content-length" {
                guard value == "0" else { return nil }
            } else if Self.deferredHeaders.contains(lowercased) {
                return nil
            }
        }
        guard let target = Target(head.uri) else { return nil }

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
            let id = target.id
            guard services.urlSigner.isValid(signature, session: id, expires: expires),
                  Double(expires) > services.configuration.now().timeIntervalSince1970,
                  let cachedSession = services.playSessions.cachedSession(id: id),
                  let cached = services.streamCatalog.cachedEntry(trackID: cachedSession.trackID, rendition: target.rendition),
                  cached.track.deletedAt == nil else { return nil }
            (entry, route, session) = (cached, Self.sessionRoute, cachedSession)
        }
        guard let file = services.media.cachedFile(entry.rendition.path), file.size > 0 else { return nil }

        var headers = entry.http1Headers
        headers.reserveCapacity(headers.count + 4)  // these two, and Date and Server (SendfileHandler)
        let status: HTTPResponseStatus
        let range: ClosedRange<Int64>
        switch RangeSelection(header: rangeHeader, size: file.size) {
        case .unsatisfiable:
            return nil
        case .whole:
            (status, range) = (.ok, 0...(file.size - 1))
        case .partial(let bytes):
            (status, range) = (.partialContent, bytes)
            headers.add(name: "Content-Range", value: "bytes \(bytes.lowerBound)-\(bytes.upperBound)/\(file.size)")
        }
        if let session {
            // The window only if already worked out: nothing is computed on the event loop.
            let decision = MeteringDecision(session: .init(session), range: range, cachedWindow: {
                services.streamCatalog.cachedPreviewWindow(entry, previewSeconds: session.previewSeconds)
            })
            guard decision?.changesNothing == true else { return nil }
        }
        headers.add(name: "Content-Length", value: String(range.count))
        return Answer(status: status, headers: headers, file: file, range: range, route: route)
    }

    /// A request target of one of the two audio routes, taken apart byte by byte without
    /// decoding (every request of a stream passes here): a target that needs
    /// percent-decoding or is otherwise unusual is left to the router.
    struct Target {
        enum Kind {
            case plain
            case session(expires: Int64, signature: String)
        }

        var kind: Kind
        var id: String
        var rendition: String

        init?(_ uri: String) {
            var uri = uri
            guard let target = uri.withUTF8(Self.parse) else { return nil }
            self = target
        }

        private init(kind: Kind, id: String, rendition: String) {
            (self.kind, self.id, self.rendition) = (kind, id, rendition)
        }

        private static let prefix = Array("/api/v1/".utf8)

        private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Target? {
            guard bytes.count > prefix.count, bytes.prefix(prefix.count).elementsEqual(prefix),
                  !bytes.contains(UInt8(ascii: "%")), !bytes.contains(UInt8(ascii: "+")) else { return nil }
            let queryStart = bytes.firstIndex(of: UInt8(ascii: "?"))
            let path = bytes[prefix.count..<(queryStart ?? bytes.count)]
            // kind "/" id "/audio/" rendition
            let segments = path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
            guard segments.count == 4, segments[2].elementsEqual("audio".utf8), Identifier.isValid(utf8: segments[1]) else { return nil }
            let rendition = String(decoding: segments[3], as: UTF8.self)
            guard RenditionName(rawValue: rendition) != nil else { return nil }
            let id = String(decoding: segments[1], as: UTF8.self)
            if segments[0].elementsEqual("tracks".utf8) {
                return queryStart == nil ? Target(kind: .plain, id: id, rendition: rendition) : nil
            }
            guard segments[0].elementsEqual("plays".utf8), let queryStart else { return nil }
            var expires: Int64?
            var signature: String?
            for pair in bytes[(queryStart + 1)...].split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: false) {
                guard let equals = pair.firstIndex(of: UInt8(ascii: "=")) else { return nil }
                let (name, value) = (pair[..<equals], pair[(equals + 1)...])
                if name.elementsEqual("expires".utf8) {
                    guard expires == nil, let number = ASCIIDecimal.value(value) else { return nil }
                    expires = number
                } else if name.elementsEqual("signature".utf8) {
                    guard signature == nil else { return nil }
                    signature = String(decoding: value, as: UTF8.self)
                } else {
                    return nil
                }
            }
            guard let expires, let signature else { return nil }
            return Target(kind: .session(expires: expires, signature: signature), id: id, rendition: rendition)
        }
    }
}
