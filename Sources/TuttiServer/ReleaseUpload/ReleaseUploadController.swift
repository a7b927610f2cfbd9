import AudioCore
import Catalog
import FoundationEssentials
import Hummingbird
import ImageCore
import MediaStore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// A whole release in one request; its processing, track by track; a failed track replaced
/// without uploading the rest again.
struct ReleaseUploadController {
    let services: AppServices

    func addRoutes(public group: RouterGroup<TuttiRequestContext>, signedIn: RouterGroup<SignedInContext>) {
        signedIn.post("release-uploads", use: upload)
        signedIn.get("releases/{id}/processing", use: processing)
        signedIn.put("releases/{id}/tracks/{trackID}/audio", use: replace)
        signedIn.put("releases/{id}/cover", use: setCover)
    }

    /// What the upload's JSON description may say (every member optional).
    struct Description: Decodable {
        var title: String?
        var type: ReleaseType?
        var releaseDate: String?
        var upc: String?
        var licence: ReleaseLicence?
        var description: String?
        var genres: [String]?
        var tracks: [DescribedTrack]?
    }

    // MARK: Upload

    @Sendable func upload(_ request: Request, context: SignedInContext) async throws -> EditedResponse<ReleaseUploadAccepted> {
        try context.require(.artist, to: "upload releases")
        let configuration = services.configuration
        let receiver = ReleaseUploadReceiver(directory: configuration.uploadsDirectory, limit: configuration.uploadLimit, threadPool: services.threadPool)
        let received = try await receiver.receive(request)
        // The staging folder goes whatever happens: the files that became tracks were moved out.
        do {
            let accepted = try await accept(received, context: context)
            await ReleaseUploadReceiver.remove(received.folder, threadPool: services.threadPool)
            return accepted
        } catch {
            await ReleaseUploadReceiver.remove(received.folder, threadPool: services.threadPool)
            throw error
        }
    }

    private func accept(_ received: ReceivedRelease, context: SignedInContext) async throws -> EditedResponse<ReleaseUploadAccepted> {
        let description = try Self.decode(received.description)
        var files: [UploadedAudioFile] = []
        var formats: [AudioFormat] = []
        var albums: [String?] = []
        for item in received.audio {
            let path = item.path
            guard case .success(let format) = try await services.threadPool.runIfActive({ FormatSniffer.sniff(path: path) }) else {
                throw Problem(.unsupportedMediaType, title: "Not an audio file Tutti reads", detail: "'\(ReleaseUploadReceiver.printable(item.name))' is not audio Tutti reads.")
            }
            let tags = await TagReader(services: services).tags(of: path, logger: context.logger)
            files.append(UploadedAudioFile(name: item.name, title: tags?.title, trackNumber: ReleaseUploadPlan.tagNumber(tags?.trackNumber),
                                           discNumber: ReleaseUploadPlan.tagNumber(tags?.discNumber)))
            formats.append(format)
            albums.append(tags?.album)
        }
        let plan: [PlannedTrack]
        do {
            plan = try ReleaseUploadPlan.plan(files: files, described: description.tracks)
        } catch {
            throw Problem(.unprocessableContent, title: "Track order unknown", detail: "\(error).")
        }
        // The title: the description's, else the album tag all files share, else a single's track title.
        let commonAlbum = Set(albums).count == 1 ? albums.first ?? nil : nil
        guard let title = description.title ?? commonAlbum ?? (plan.count == 1 ? plan[0].title : nil) else {
            throw Problem(.unprocessableContent, title: "Title missing", detail: "Give the release a title in the description ('title'), or upload files whose ALBUM tags agree.")
        }
        // A bad cover refuses the upload before anything is created.
        var cover: (StoredImage, [StoredImageFile])?
        if let coverPath = received.cover {
            cover = try await services.imageService.render(.cover, upload: coverPath, services: services, logger: context.logger)
        }
        let draft = ReleaseDraft(
            title: title, type: description.type ?? (plan.count == 1 ? .single : .album), releaseDate: description.releaseDate,
            upc: description.upc, licence: description.licence ?? .allRightsReserved, description: description.description ?? "",
            genres: description.genres ?? [])
        // The originals go into the media store first (each staged, then made visible at its
        // key), then one transaction records the release, its tracks, their jobs and the
        // cover; if it fails, the objects go again (a crash in between leaves what the media
        // sweeper removes).
        var stored: [UploadedTrack] = []
        var placed: [MediaKey] = []
        let detail: ReleaseDetail
        do {
            for planned in plan {
                let item = received.audio[planned.fileIndex]
                let format = formats[planned.fileIndex]
                let trackID = Identifier.make()
                let key = try MediaKey("originals/\(trackID).\(format.fileExtension)")
                let original = try await OriginalFiles.store(
                    fileAt: item.path, as: key, contentType: format.mediaType, services: services, doing: "storing the upload")
                placed.append(key)
                stored.append(UploadedTrack(id: trackID, title: planned.title, disc: planned.disc, number: planned.number,
                                            upload: StoredUpload(path: key.rawValue, format: format, bytes: original.bytes, sha256: original.sha256)))
            }
            detail = try await services.releaseUploads.create(by: context.user, draft, tracks: stored, coverImage: cover?.0.id)
        } catch {
            await OriginalFiles.remove(placed, services: services)
            throw error
        }
        let releaseID = detail.release.id
        let accepted = zip(plan, stored).map { planned, track in
            ReleaseUploadAccepted.Track(id: track.id, title: detail.tracks.first { $0.track.id == track.id }?.track.title ?? track.title,
                                        discNumber: track.disc, trackNumber: track.number,
                                        file: received.audio[planned.fileIndex].name, status: TrackStatus.processing.rawValue)
        }
        services.jobSignal.signal()
        let status = "/api/v1/releases/\(releaseID)/processing"
        return EditedResponse(status: .accepted, headers: [.location: status], response: ReleaseUploadAccepted(
            releaseID: releaseID, statusURL: status, orderFrom: plan.first?.orderSource.rawValue ?? "single", tracks: accepted,
            cover: cover.map { ImageResource($0.0, files: $0.1) }, ignored: received.ignored))
    }

    static func decode(_ bytes: [UInt8]?) throws -> Description {
        guard let bytes else { return Description() }
        do {
            return try JSONDecoder().decode(Description.self, from: Data(bytes))
        } catch {
            throw Problem(.unprocessableContent, title: "Description not valid",
                          detail: "The description is not JSON of the documented shape (ReleaseUploadDescription): \(Self.describe(error)).")
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context), DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        case DecodingError.keyNotFound(let key, _):
            return "'\(key.stringValue)' is missing"
        default:
            return "not JSON"
        }
    }

    // MARK: Processing

    @Sendable func processing(_ request: Request, context: SignedInContext) async throws -> ReleaseProcessingResource {
        let id = try context.parameters.require("id")
        guard let detail = try await services.releases.release(id: id, viewer: context.user) else {
            throw CatalogError.notFound(kind: "release", id: id)
        }
        guard context.user.role == .admin || context.user.id == detail.release.artistID else {
            throw Problem(.forbidden, title: "Not your release", detail: "Only the release's artist (or an admin) sees its processing.")
        }
        return ReleaseProcessingResource(releaseID: id, tracks: detail.tracks.map(\.track))
    }

    // MARK: Replacing a failed track

    @Sendable func replace(_ request: Request, context: SignedInContext) async throws -> EditedResponse<ReleaseProcessingResource> {
        let id = try context.parameters.require("id")
        let trackID = try context.parameters.require("trackID")
        guard let detail = try await services.releases.release(id: id, viewer: context.user),
              detail.tracks.contains(where: { $0.track.id == trackID }) else {
            throw CatalogError.notFound(kind: "track", id: trackID)
        }
        guard context.user.role == .admin || context.user.id == detail.release.artistID else {
            throw Problem(.forbidden, title: "Not your release", detail: "Only the release's artist (or an admin) replaces its tracks.")
        }
        let configuration = services.configuration
        let receiver = UploadReceiver(directory: configuration.uploadsDirectory, limit: configuration.uploadLimit, threadPool: services.threadPool)
        let received = try await receiver.receive(request)
        // The store keeps its own copy (or link): the received file goes in every case.
        defer { unlink(received.path) }
        let path = received.path
        let format: AudioFormat
        switch try await services.threadPool.runIfActive({ FormatSniffer.sniff(path: path) }) {
        case .success(let sniffed): format = sniffed
        case .failure(let error): throw UploadProblem.unsupported(error)
        }
        // A new key: the failed original stays where it was until the replacement is recorded.
        let key = try MediaKey("originals/\(trackID)-\(Identifier.make().prefix(8)).\(format.fileExtension)")
        _ = try await OriginalFiles.store(
            fileAt: path, as: key, contentType: format.mediaType, expected: (received.bytes, received.sha256),
            services: services, doing: "storing the upload")
        let previous: Track
        do {
            previous = try await services.trackReplacement.replace(
                trackID: trackID, by: context.user,
                upload: StoredUpload(path: key.rawValue, format: format, bytes: received.bytes, sha256: received.sha256))
        } catch {
            await OriginalFiles.remove([key], services: services)
            throw error
        }
        if previous.originalPath != key.rawValue, let old = try? MediaKey(previous.originalPath) {
            try? await services.store.delete(old)
        }
        services.jobSignal.signal()
        services.streamCatalog.invalidate(trackID: trackID)
        guard let updated = try await services.releases.release(id: id, viewer: context.user) else { throw CatalogError.notFound(kind: "release", id: id) }
        let status = "/api/v1/releases/\(id)/processing"
        return EditedResponse(status: .accepted, headers: [.location: status], response: ReleaseProcessingResource(releaseID: id, tracks: updated.tracks.map(\.track)))
    }

    // MARK: Cover

    /// Sets a release's cover (its artist or an admin).
    @Sendable func setCover(_ request: Request, context: SignedInContext) async throws -> ImageResource {
        let id = try context.parameters.require("id")
        guard let detail = try await services.releases.release(id: id, viewer: context.user) else {
            throw CatalogError.notFound(kind: "release", id: id)
        }
        guard context.user.role == .admin || context.user.id == detail.release.artistID else {
            throw Problem(.forbidden, title: "Not your release", detail: "Only the release's artist (or an admin) sets its cover.")
        }
        let upload = try await ImagesController(services: services).receivePicture(request)
        defer { unlink(upload.path) }
        let (image, files) = try await services.imageService.render(.cover, upload: upload.path, services: services, logger: context.logger)
        _ = try await services.releases.setCover(releaseID: id, by: context.user, image: image.id)
        return ImageResource(image, files: files)
    }
}

/// The answer to a whole-release upload: the draft release and its tracks, processing.
struct ReleaseUploadAccepted: ResponseCodable {
    struct Track: Codable {
        var id: String
        var title: String
        var discNumber: Int
        var trackNumber: Int
        /// The uploaded file it came from (form filename or path in the archive).
        var file: String
        var status: String
    }

    var releaseID: String
    var statusURL: String
    /// Where the order came from: description, tags, fileNames or single.
    var orderFrom: String
    var tracks: [Track]
    var cover: ImageResource?
    /// Files of an archive that were not used (neither audio, the cover nor release.json).
    var ignored: [String]
}

/// A release's processing: each track's state, and the release's (ready once all are).
struct ReleaseProcessingResource: ResponseCodable {
    struct Track: Codable {
        var id: String
        var title: String
        var discNumber: Int
        var trackNumber: Int
        var status: String
        /// Percent, while processing.
        var progress: Int
        /// Why processing failed; replace the file with PUT .../tracks/{trackID}/audio.
        var failureReason: String?
    }

    var releaseID: String
    /// processing while any track is; failed if any failed (and none processes); else ready.
    var status: String
    var tracks: [Track]

    init(releaseID: String, tracks: [Catalog.Track]) {
        self.releaseID = releaseID
        self.tracks = tracks.map {
            Track(id: $0.id, title: $0.title, discNumber: $0.discNumber, trackNumber: $0.trackNumber,
                  status: $0.status.rawValue, progress: $0.status == .ready ? 100 : $0.progress, failureReason: $0.failureReason)
        }
        status = tracks.contains { $0.status == .processing } ? "processing"
            : tracks.contains { $0.status == .failed } ? "failed"
            : "ready"
    }
}
