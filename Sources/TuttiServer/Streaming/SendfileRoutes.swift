import Catalog
import FoundationEssentials
import NIOCore
import NIOHTTP1
import Synchronization

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
///
/// A class holding the few services it reads: it is asked on every request, and copying
/// ``AppServices`` (a struct of some thirty references) retained and released each of them
/// every time.
final class SendfileRoutes: Sendable {
    private let catalog: StreamCatalog
    private let media: MediaFiles
    private let urlSigner: PlayURLSigner
    private let playSessions: PlaySessions
    private let now: @Sendable () -> Date
    let metrics: TuttiMetrics
    /// Each event loop's open descriptors of the files it sends (see ``LoopFiles``).
    private let loopFiles = Mutex<[ObjectIdentifier: LoopFiles]>([:])

    init(services: AppServices) {
        catalog = services.streamCatalog
        media = services.media
        urlSigner = services.urlSigner
        playSessions = services.playSessions
        now = services.configuration.now
        metrics = services.metrics
    }

    /// The open files of `eventLoop`, for the connections it runs (asked once per connection).
    func files(of eventLoop: any EventLoop) -> LoopFiles {
        loopFiles.withLock { files in
            if let existing = files[ObjectIdentifier(eventLoop)] { return existing }
            let made = LoopFiles()
            files[ObjectIdentifier(eventLoop)] = made
            return made
        }
    }

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

    /// What a request header means here.
    enum HeaderKind: Equatable {
        case range
        case contentLength
        /// One whose meaning the controllers work out (conditions, credentials, a body, an
        /// expectation): a request carrying it is not answered here.
        case deferred
        case other

        private static let names: [(name: [UInt8], kind: HeaderKind)] = {
            let table: [(String, HeaderKind)] = [
                ("range", .range), ("content-length", .contentLength),
                ("if-match", .deferred), ("if-none-match", .deferred), ("if-modified-since", .deferred),
                ("if-unmodified-since", .deferred), ("if-range", .deferred), ("authorization", .deferred),
                ("transfer-encoding", .deferred), ("expect", .deferred),
            ]
            return table.map { (Array($0.0.utf8), $0.1) }
        }()

        /// The kind of header `name` (ASCII case-insensitive), compared byte by byte: every
        /// request of a stream passes here, and lowercasing each name made a string of it.
        init(_ name: String) {
            var name = name
            self = name.withUTF8 { bytes in
                for candidate in Self.names where candidate.name.count == bytes.count {
                    if zip(bytes, candidate.name).allSatisfy({ byte, lower in byte | (byte >= 65 && byte <= 90 ? 0x20 : 0) == lower }) {
                        return candidate.kind
                    }
                }
                return .other
            }
        }
    }

    func answer(_ head: HTTPRequestHead) -> Answer? {
        guard head.method == .GET, head.version == .http1_1, head.isKeepAlive else { return nil }
        var rangeHeader: String?
        for (name, value) in head.headers {
            switch HeaderKind(name) {
            case .range:
                guard rangeHeader == nil else { return nil }
                rangeHeader = value
            case .contentLength:
                guard value == "0" else { return nil }
            case .deferred:
                return nil
            case .other:
                break
            }
        }
        guard let target = Target(head.uri) else { return nil }

        let entry: StreamCatalog.Entry
        let route: String
        var session: PlaySession?
        switch target.kind {
        case .plain:
            // Anyone may stream a free, published track's plain URL without signing in.
            guard let cached = catalog.cachedEntry(trackID: target.id, rendition: target.rendition),
                  cached.track.free, Tracks.isVisible(cached.track, to: nil) else { return nil }
            (entry, route) = (cached, Self.plainRoute)
        case .session(let expires, let signature):
            let id = target.id
            guard urlSigner.isValid(signature, session: id, expires: expires),
                  Double(expires) > now().timeIntervalSince1970,
                  let cachedSession = playSessions.cachedSession(id: id),
                  let cached = catalog.cachedEntry(trackID: cachedSession.trackID, rendition: target.rendition),
                  cached.track.deletedAt == nil else { return nil }
            (entry, route, session) = (cached, Self.sessionRoute, cachedSession)
        }
        guard let file = media.cachedFile(entry.rendition.path), file.size > 0 else { return nil }

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
            let catalog = self.catalog
            let decision = MeteringDecision(session: .init(session), range: range, cachedWindow: {
                catalog.cachedPreviewWindow(entry, previewSeconds: session.previewSeconds)
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
