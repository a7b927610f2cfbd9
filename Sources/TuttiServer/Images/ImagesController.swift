import Catalog
import FoundationEssentials
import HTTPTypes
import Hummingbird
import ImageCore
import MediaStore
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Covers and avatars: setting them (the picture goes through ``ImageService``) and serving
/// the rendered files at immutable URLs named by the JPEG's SHA-256.
struct ImagesController {
    let services: AppServices

    func addRoutes(public group: RouterGroup<TuttiRequestContext>, signedIn: RouterGroup<SignedInContext>) {
        group.get("images/{hash}", use: image)
        signedIn.put("artists/{id}/avatar", use: setAvatar)
    }

    static let cacheControl = "public, max-age=31536000, immutable"

    // MARK: Serving

    /// One size of a picture: WebP when the client's Accept takes it, else JPEG; each with a
    /// strong ETag (its own SHA-256) and cacheable forever (new pictures get new URLs).
    @Sendable func image(_ request: Request, context: TuttiRequestContext) async throws -> Response {
        let hash = try context.parameters.require("hash")
        guard Self.isHash(hash), let file = try await services.images.file(jpegSHA256: hash) else {
            throw Problem(.notFound, title: "No such image", detail: "No image is named \(hash.prefix(80)).")
        }
        let webp = Self.prefersWebP(request.headers[.accept])
        let (sha256, key, type) = webp
            ? (file.webpSHA256, StoredImageFile.webpKey(file.webpSHA256), "image/webp")
            : (file.jpegSHA256, StoredImageFile.jpegKey(file.jpegSHA256), "image/jpeg")
        let etag = "\"\(sha256)\""
        var headers: HTTPFields = [.eTag: etag, .cacheControl: Self.cacheControl, .vary: "Accept", .contentType: type]
        headers.append(contentsOf: SecurityHeadersMiddleware<TuttiRequestContext>.fields)
        if let match = request.headers[.ifNoneMatch], Self.matches(match, etag: etag) {
            headers[.contentType] = nil
            return Response(status: .notModified, headers: headers)
        }
        let bytes: ByteBuffer
        do {
            bytes = try await services.imageService.store.bytes(of: try MediaKey(key))
        } catch MediaStoreError.notFound {
            services.metrics.countMediaStoreFailure(operation: "read", kind: "missing")
            throw Problem(.serviceUnavailable, title: "Image unavailable", detail: "The image's file is missing on the server; try again later.")
        } catch let error as MediaStoreError {
            services.metrics.countMediaStoreFailure(operation: "read", kind: error.metricKind)
            throw Problem(mediaStore: error, doing: "reading the image")
        }
        headers[.contentLength] = String(bytes.readableBytes)
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: bytes))
    }

    static func isHash(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// Whether `accept` lists image/webp with a quality above 0 (RFC 9110 §12.5.1). A
    /// wildcard alone gets JPEG: every client decodes it.
    static func prefersWebP(_ accept: String?) -> Bool {
        guard let accept else { return false }
        for item in accept.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingWhitespace().lowercased() }
            guard parts.first == "image/webp" else { continue }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return quality > 0
        }
        return false
    }

    /// If-None-Match: `*` or a list holding the tag (weak comparison, RFC 9110 §13.1.2).
    static func matches(_ header: String, etag: String) -> Bool {
        header.split(separator: ",").contains { candidate in
            let tag = candidate.trimmingWhitespace()
            return tag == "*" || tag == etag || tag == "W/" + etag
        }
    }

    // MARK: Setting

    /// The picture as the raw body or the `file` part of a multipart form, at most 20 MB.
    func receivePicture(_ request: Request) async throws -> ReceivedUpload {
        var receiver = UploadReceiver(directory: services.configuration.uploadsDirectory,
                                      limit: Int64(ImageLimits.standard.maxBytes), threadPool: services.threadPool)
        receiver.sniffsAudio = false
        return try await receiver.receive(request)
    }

    /// Sets an artist's avatar (the artist themself or an admin).
    @Sendable func setAvatar(_ request: Request, context: SignedInContext) async throws -> ImageResource {
        let id = try context.parameters.require("id")
        guard Identifier.isValid(id), let artist = try await services.accounts.user(id: id), artist.role == .artist else {
            throw CatalogError.notFound(kind: "artist", id: id)
        }
        guard context.user.id == id || context.user.role == .admin else {
            throw Problem(.forbidden, title: "Not your profile", detail: "Only the artist (or an admin) sets their avatar.")
        }
        let upload = try await receivePicture(request)
        defer { unlink(upload.path) }
        let (image, files) = try await services.imageService.render(.avatar, upload: upload.path, services: services, logger: context.logger)
        try await services.profiles.setAvatar(artistID: id, by: context.user, image: image.id)
        return ImageResource(image, files: files)
    }
}

/// A cover or avatar as the API shows it: one URL per square size, largest first.
struct ImageResource: ResponseCodable {
    struct Size: Codable {
        /// Edge length in pixels.
        var size: Int
        /// `/api/v1/images/<sha256 of the JPEG>`; WebP is served there to clients that accept it.
        var url: String
    }

    var id: String
    var kind: String
    var sourceWidth: Int
    var sourceHeight: Int
    var sizes: [Size]
    var createdAt: Date

    init(_ image: StoredImage, files: [StoredImageFile]) {
        id = image.id
        kind = image.kind
        sourceWidth = image.sourceWidth
        sourceHeight = image.sourceHeight
        sizes = Self.sizes(files)
        createdAt = image.createdAt
    }

    /// One URL per size, largest first.
    static func sizes(_ files: [StoredImageFile]) -> [Size] {
        files.sorted { $0.size > $1.size }.map { Size(size: $0.size, url: "/api/v1/images/\($0.jpegSHA256)") }
    }
}
