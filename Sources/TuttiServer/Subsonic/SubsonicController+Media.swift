import Catalog
import FoundationEssentials
import HTTPTypes
import Hummingbird
import MediaStore

/// Audio and pictures: stream (metered as PRODUCT.md "Other apps" says), download (owned
/// tracks only) and getCoverArt. Failures answer the XML envelope, whatever `f` asks.
extension SubsonicController {
    /// `maxBitRate` (kb/s) below this picks the low rendition.
    static let standardKilobits = 128

    /// stream: free, own and owned tracks whole, with Range; a paid track not owned plays its
    /// preview only, unless the app password counts plays: then a play session is opened for
    /// the request and the web player's metering applies (held at the preview's end until
    /// the preview has been heard, then charged).
    func stream(_ call: Call) async throws -> Response {
        guard let caller = call.caller else { throw SubsonicError(.wrongCredentials, "Sign in first") }
        let id = try call.parameters.required("id")
        let maxBitRate = try call.parameters.integer("maxBitRate", in: 0...Int(Int32.max), default: 0) ?? 0
        let rendition: RenditionName = maxBitRate > 0 && maxBitRate < Self.standardKilobits ? .low : .standard
        guard Identifier.isValid(id), let track = try await services.tracks.visibleTrack(id: id, viewer: caller.user), track.status == .ready,
              let entry = try await services.streamCatalog.entry(trackID: track.id, rendition: rendition.rawValue) else {
            throw SubsonicError.notFound("Song")
        }
        let listener = try await SubsonicListener.load(caller, services: services)
        if listener.streamsFreely(track) {
            return try await whole(call, entry: entry)
        }
        if caller.appPassword.countPlays {
            let plays = PlaysController(services: services)
            let (session, _, _) = try await plays.openSession(track, user: caller.user, remoteAddress: call.context.remoteAddress, logger: call.context.logger)
            return try await plays.serve(session, rendition: rendition.rawValue, request: Self.audioRequest(call.request), context: call.context)
        }
        return try await preview(call, entry: entry, previewSeconds: listener.previewSeconds)
    }

    /// The request as the streaming code reads it: a POST (its form body already read) asks
    /// for the audio as a GET does; a HEAD stays a HEAD.
    static func audioRequest(_ request: Request) -> Request {
        guard request.method == .post else { return request }
        var head = request.head
        head.method = .get
        return Request(head: head, body: RequestBody(buffer: ByteBuffer()))
    }

    /// The whole rendition, with conditions and Range, as its plain URL serves it.
    private func whole(_ call: Call, entry: StreamCatalog.Entry) async throws -> Response {
        let request = Self.audioRequest(call.request)
        switch try await StreamController.prepare(request, entry: entry, services: services, logger: call.context.logger) {
        case .done(let response):
            return response
        case .serve(let status, let headers, let source, let range):
            if let handOff = StreamController.handOff(source, request: request, headers: headers, services: services) { return handOff }
            return Response(status: status, headers: headers, body: try await services.media.body(source, range: range, channel: call.context.channel, metrics: services.metrics, logger: call.context.logger))
        }
    }

    /// The free preview alone, as if it were the whole file: the rendition's headers and its
    /// preview pages (``PreviewWindow``), Range applied within them. Nothing is recorded: a
    /// preview is never counted.
    private func preview(_ call: Call, entry: StreamCatalog.Entry, previewSeconds: Int) async throws -> Response {
        let window = services.streamCatalog.previewWindow(entry, previewSeconds: previewSeconds, tailProbeBytes: services.configuration.tailProbeBytes)
        guard let file = try await services.media.source(entry.rendition.path, recordedSize: entry.rendition.bytes) else {
            throw SubsonicError(.generic, "This song's audio is missing on the server; try again later")
        }
        let size = min(window.freeEnd, file.size)
        var headers = entry.headers
        // Another representation than the whole file: its validators are not this one's.
        headers[.eTag] = nil
        headers[.lastModified] = nil
        let status: HTTPResponse.Status
        let range: ClosedRange<Int64>
        switch RangeSelection(header: call.request.headers[.range], size: size) {
        case .unsatisfiable:
            return Response(status: .rangeNotSatisfiable, headers: [.contentRange: "bytes */\(size)", .acceptRanges: "bytes"])
        case .whole:
            guard size > 0 else { return Response(status: .ok, headers: headers) }
            (status, range) = (.ok, 0...(size - 1))
        case .partial(let bytes):
            (status, range) = (.partialContent, bytes)
            headers[.contentRange] = "bytes \(bytes.lowerBound)-\(bytes.upperBound)/\(size)"
        }
        headers[.contentLength] = String(range.count)
        guard call.request.method != .head else { return Response(status: status, headers: headers) }
        return Response(status: status, headers: headers, body: try await services.media.body(file, range: range, channel: call.context.channel, metrics: services.metrics, logger: call.context.logger))
    }

    /// download: the original upload, for what the listener owns (or made); error 50 otherwise.
    func download(_ call: Call) async throws -> Response {
        let user = try call.user
        let id = try call.parameters.required("id")
        guard Identifier.isValid(id), let track = try await services.tracks.visibleTrack(id: id, viewer: user) else {
            throw SubsonicError.notFound("Song")
        }
        let plays = PlaysController(services: services)
        guard try await plays.mayDownloadOriginal(track, user: user) else {
            throw SubsonicError(.notAuthorized, "Downloads are for tracks you own: play it until it is yours, or own it now in Tutti")
        }
        return try await plays.originalResponse(track, channel: call.context.channel, logger: call.context.logger)
    }

    /// getCoverArt: a cover or avatar by its image id (or by the album, song or artist it
    /// belongs to), at the smallest rendered size at least `size` pixels (the largest without).
    func coverArt(_ call: Call) async throws -> Response {
        let id = try call.parameters.required("id")
        let wanted = try call.parameters.integer("size", in: 1...100_000)
        guard let imageID = try await imageID(for: id), let (_, files) = try await services.images.image(id: imageID), !files.isEmpty else {
            throw SubsonicError.notFound("Cover art")
        }
        let ascending = files.sorted { $0.size < $1.size }
        let file = wanted.flatMap { size in ascending.first { $0.size >= size } } ?? ascending[ascending.count - 1]
        let bytes: ByteBuffer
        do {
            bytes = try await services.imageService.store.bytes(of: try MediaKey(StoredImageFile.jpegKey(file.jpegSHA256)))
        } catch let error as MediaStoreError {
            services.metrics.countMediaStoreFailure(operation: "read", kind: error.metricKind)
            throw SubsonicError(.generic, "The picture's file is unavailable on the server; try again later")
        }
        var headers: HTTPFields = [.contentType: "image/jpeg", .contentLength: String(bytes.readableBytes), .eTag: "\"\(file.jpegSHA256)\"",
                                   .cacheControl: "public, max-age=86400"]
        headers.append(contentsOf: SecurityHeadersMiddleware<TuttiRequestContext>.fields)
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: bytes))
    }

    /// The image an id names: an image id itself (64 hex), or the cover of an album or a song's
    /// album, or an artist's avatar.
    private func imageID(for id: String) async throws -> String? {
        if ImagesController.isHash(id) { return id }
        if let album = try await services.browse.albums(ids: [id]).first { return album.release.coverImage }
        if let song = try await services.browse.songs(ids: [id]).first { return song.coverImage }
        if let artist = try await services.browse.artists(ids: [id]).first { return artist.avatarImage }
        return nil
    }
}
