import Catalog
import Foundation
import FoundationEssentials
import HTTPTypes
import Hummingbird
import Ledger
import Logging
import MediaStore
import Prometheus

/// Serves each rendition at its own URL with HTTP range requests (RFC 9110 §14),
/// conditional requests (§13) and the headers browsers, ffmpeg, mpv and VLC need to play
/// and seek.
///
/// The common audio requests are answered before they reach this controller, by
/// ``SendfileHandler`` (see ``SendfileRoutes``), which must agree with it.
struct StreamController {
    let services: AppServices

    static let contentType = "audio/ogg; codecs=opus"

    static func path(trackID: String, rendition: String) -> String {
        "/api/v1/tracks/\(trackID)/audio/\(rendition)"
    }

    func addRoutes(to group: RouterGroup<TuttiRequestContext>) {
        group.get("tracks/{id}/audio/{rendition}", use: stream)
        group.head("tracks/{id}/audio/{rendition}", use: stream)
    }

    @Sendable func stream(_ request: Request, context: TuttiRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let name = try context.parameters.require("rendition")
        guard Identifier.isValid(id), let entry = try await services.streamCatalog.entry(trackID: id, rendition: name),
              Tracks.isVisible(entry.track, to: context.identity) else {
            throw Problem(.notFound, title: "Not found", detail: "There is no such track or rendition, or it is not visible to you.")
        }
        guard try await mayStreamWithoutSession(entry.track, user: context.identity) else {
            throw Problem(
                .forbidden, title: "Play session required",
                detail: "This track's plays are metered: open a play session with POST /api/v1/tracks/\(id)/plays and stream from the URL it returns.",
                extensions: ["playSessions": .string("/api/v1/tracks/\(id)/plays")])
        }
        switch try await Self.prepare(request, entry: entry, services: services, logger: context.logger) {
        case .done(let response):
            return response
        case .serve(let status, let headers, let source, let range):
            if let handOff = Self.handOff(source, request: request, headers: headers, services: services) { return handOff }
            return Response(status: status, headers: headers, body: try await services.media.body(source, range: range, channel: context.channel, metrics: services.metrics, logger: context.logger))
        }
    }

    /// The direct URL streams without counting only what is never counted: free tracks, the
    /// artist's own, an admin's, and tracks the signed-in listener owns.
    private func mayStreamWithoutSession(_ track: Track, user: User?) async throws -> Bool {
        if track.free { return true }
        guard let user else { return false }
        if user.role == .admin || user.id == track.artistID { return true }
        let (listener, trackID) = (user.id, track.id)
        return try await services.inLedger { ledger throws(LedgerError) in
            try ledger.trackStatus(listener: listener, track: trackID).owned
        }
    }

    /// What a GET or HEAD of a rendition answers, before any metering.
    enum Prepared {
        /// A complete answer: 304, a HEAD, an empty file.
        case done(Response)
        /// Send `range` of `source` with this status and these headers.
        case serve(HTTPResponse.Status, HTTPFields, MediaSource, ClosedRange<Int64>)
    }

    /// Applies conditional requests (RFC 9110 §13) and Range (§14) to a rendition.
    static func prepare(_ request: Request, entry: StreamCatalog.Entry, services: AppServices, logger: Logger) async throws -> Prepared {
        let (rendition, validators) = (entry.rendition, entry.validators)
        guard let file = try await services.media.source(rendition.path, recordedSize: rendition.bytes) else {
            logger.error("rendition file missing", metadata: ["path": "\(rendition.path)"])
            throw Problem(.serviceUnavailable, title: "Audio unavailable", detail: "This rendition's file is missing on the server; try again later.")
        }
        let size = file.size
        var headers = entry.headers
        let honourRange: Bool
        switch validators.evaluate(request.headers) {
        case .notModified:
            headers[.contentType] = nil
            return .done(Response(status: .notModified, headers: headers))
        case .preconditionFailed:
            throw Problem(.preconditionFailed, title: "Precondition failed", detail: "The rendition has changed since your copy (If-Match / If-Unmodified-Since).")
        case .proceed(let honour):
            honourRange = honour
        }
        let selection = honourRange ? RangeSelection(header: request.headers[.range], size: size) : .whole
        let status: HTTPResponse.Status
        let range: ClosedRange<Int64>?
        switch selection {
        case .unsatisfiable:
            throw Problem(.rangeNotSatisfiable, title: "Range not satisfiable",
                          detail: "The requested range lies outside the \(size) bytes of this rendition.",
                          headers: [.contentRange: "bytes */\(size)", .acceptRanges: "bytes"])
        case .whole:
            status = .ok
            range = size > 0 ? 0...(size - 1) : nil
        case .partial(let bytes):
            status = .partialContent
            range = bytes
            headers[.contentRange] = "bytes \(bytes.lowerBound)-\(bytes.upperBound)/\(size)"
        }
        headers[.contentLength] = String(range?.count ?? 0)
        guard request.method == .get, let range else {
            return .done(Response(status: status, headers: headers, body: .init()))
        }
        return .serve(status, headers, file, range)
    }

    /// With `--accel-redirect` and a remote store, the answer that hands the bytes to nginx in
    /// front: an internal redirect (`X-Accel-Redirect`) to a presigned URL of the object,
    /// valid for ``handOffLifetime`` seconds, which nginx fetches passing the request's Range
    /// through. Only for requests whose bytes need nothing more from the node (the caller has
    /// decided and recorded what the range costs) and whose Range nginx forwards as the node
    /// read it (no If-Range, whose outcome the node worked out itself); nil otherwise, and the
    /// node proxies the bytes.
    static func handOff(_ source: MediaSource, request: Request, headers: HTTPFields, services: AppServices) -> Response? {
        guard let prefix = services.configuration.accelRedirectPrefix, case .object(let key, _) = source,
              request.method == .get, request.headers[.ifRange] == nil,
              let url = services.media.store.presignedURL(key, expires: handOffLifetime, now: nil),
              let components = URLComponents(string: url)
        else { return nil }
        var handed = headers
        // nginx takes the length, range and status from the store's answer.
        handed[.contentLength] = nil
        handed[.contentRange] = nil
        handed[.accelRedirect] = prefix + components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
        services.metrics.accelRedirects.increment()
        return Response(status: .ok, headers: handed)
    }

    /// Seconds a presigned URL handed to nginx stays valid: it is fetched at once.
    static let handOffLifetime = 60

    /// Headers every response for this rendition carries.
    static func fixedHeaders(track: Track, rendition: String, validators: Validators) -> HTTPFields {
        var headers: HTTPFields = [
            .contentType: contentType,
            .acceptRanges: "bytes",
            .eTag: validators.etag,
            .lastModified: HTTPDate.format(validators.lastModified),
            .cacheControl: "private, no-cache",
            .contentDisposition: contentDisposition(title: track.title, rendition: rendition),
            .accessControlAllowOrigin: "*",
            .accessControlExposeHeaders: "Content-Range, Content-Length, Accept-Ranges, ETag",
        ]
        headers.append(contentsOf: SecurityHeadersMiddleware<TuttiRequestContext>.fields)
        return headers
    }

    /// `inline` with the track's title and the rendition as the file name.
    static func contentDisposition(title: String, rendition: String) -> String {
        contentDisposition("inline", filename: "\(title) (\(rendition)).opus")
    }

    /// A Content-Disposition (RFC 6266) of `type` ("inline" or "attachment") that names
    /// `filename` twice: as a quoted ASCII fallback for clients that read only `filename`
    /// (control characters, non-ASCII and `"` `\` `/` `%` `;` become "_"), and exactly, in
    /// RFC 8187 UTF-8 percent-encoding, as `filename*`, which clients that know it prefer.
    static func contentDisposition(_ type: String, filename: String) -> String {
        let fallback = String(filename.unicodeScalars.map { scalar -> Character in
            (0x20..<0x7F).contains(scalar.value) && !"\"\\/%;".unicodeScalars.contains(scalar) ? Character(scalar) : "_"
        })
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
        let encoded = filename.utf8.map { unreserved.contains($0) ? String(UnicodeScalar($0)) : String(format: "%%%02X", $0) }.joined()
        return "\(type); filename=\"\(fallback)\"; filename*=UTF-8''\(encoded)"
    }
}

extension HTTPField.Name {
    static let accessControlExposeHeaders = Self("Access-Control-Expose-Headers")!
    static let accelRedirect = Self("X-Accel-Redirect")!
}
