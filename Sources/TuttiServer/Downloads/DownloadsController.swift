import AudioCore
import Catalog
import FoundationEssentials
import HTTPTypes
import Hummingbird
import Ledger
import MediaStore
import NIOCore
import NIOPosix
import Synchronization
import ZipArchives

#if canImport(Glibc)
import Glibc
#endif

/// What owners get for what they paid: a track as Ogg Opus tagged with its release's details
/// and cover (made from the stored rendition without re-encoding), and a whole release as one
/// ZIP archive streamed as it is made. The original upload is `GET /tracks/{id}/original`.
///
/// Who may download: a listener who owns the track (every track, for a release), the artist
/// and admins.
struct DownloadsController {
    let services: AppServices

    func addRoutes(signedIn: RouterGroup<SignedInContext>) {
        signedIn.get("tracks/{id}/download", use: track)
        signedIn.get("releases/{id}/download", use: release)
    }

    /// The cover size written into each file's METADATA_BLOCK_PICTURE.
    static let coverSize = 600

    // MARK: One track

    @Sendable func track(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let user = context.user
        guard Identifier.isValid(id), let track = try await services.tracks.visibleTrack(id: id, viewer: user) else {
            throw CatalogError.notFound(kind: "track", id: id)
        }
        try await requireOwnership(of: [track], by: user)
        let release = try await services.releases.release(id: track.releaseID, viewer: user)
        let cover = try await coverPicture(release?.release)
        let copies = TemporaryFiles()
        let (retagger, _) = try await tagged(track, release: release, cover: cover, copies: copies)
        var headers: HTTPFields = [
            .contentType: "audio/ogg; codecs=opus", .contentLength: String(retagger.contentLength),
            .contentDisposition: StreamController.contentDisposition("attachment", filename: Self.fileName(track, release: release) + ".opus"),
            .cacheControl: "private, no-store",
        ]
        headers.append(contentsOf: SecurityHeadersMiddleware<TuttiRequestContext>.fields)
        let threadPool = services.threadPool
        let reader = try await threadPool.runIfActive { try retagger.makeReader() }
        // The reader holds the file open: a copy fetched from a remote store can go now.
        copies.removeAll()
        return Response(status: .ok, headers: headers, body: ResponseBody(contentLength: Int(retagger.contentLength)) { writer in
            while let chunk = try await threadPool.runIfActive({ try reader.next() }) {
                try await writer.write(ByteBuffer(bytes: chunk))
            }
            try await writer.finish(nil)
        })
    }

    // MARK: A whole release

    @Sendable func release(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let user = context.user
        guard let release = try await services.releases.release(id: id, viewer: user) else {
            throw CatalogError.notFound(kind: "release", id: id)
        }
        let tracks = release.tracks.map(\.track)
        guard !tracks.isEmpty else {
            throw Problem(.conflict, title: "Nothing to download", detail: "This release has no tracks yet.")
        }
        try await requireOwnership(of: tracks, by: user)
        let cover = try await coverPicture(release.release)
        var files: [(entry: ZipStreamEntry, reader: OpusRetagger.Reader?, bytes: [UInt8]?)] = []
        let modified = Int64(release.release.updatedAt.timeIntervalSince1970)
        let copies = TemporaryFiles()
        let threadPool = services.threadPool
        for track in tracks {
            let (retagger, _) = try await tagged(track, release: release, cover: cover, copies: copies)
            // Opened now (each reader holds its file): copies fetched from a remote store go below.
            let reader = try await threadPool.runIfActive { try retagger.makeReader() }
            files.append((ZipStreamEntry(path: Self.fileName(track, release: release) + ".opus", size: retagger.contentLength, modified: modified), reader, nil))
        }
        copies.removeAll()
        // The archive's cover.jpg is the largest size; each file carries the smaller one.
        if let large = try await coverPicture(release.release, size: nil) {
            files.append((ZipStreamEntry(path: "cover.jpg", size: Int64(large.data.count), modified: modified), nil, large.data))
        }
        let entries = files.map(\.entry)
        let length = try ZipStream(entries: entries).contentLength
        var headers: HTTPFields = [
            .contentType: "application/zip", .contentLength: String(length),
            .contentDisposition: StreamController.contentDisposition("attachment", filename: Self.safeName("\(release.artistName) - \(release.release.title)") + ".zip"),
            .cacheControl: "private, no-store",
        ]
        headers.append(contentsOf: SecurityHeadersMiddleware<TuttiRequestContext>.fields)
        let sources = files
        return Response(status: .ok, headers: headers, body: ResponseBody(contentLength: Int(length)) { writer in
            // One entry at a time, a batch of pages at a time: no copy of the archive anywhere.
            var zip = try ZipStream(entries: entries)
            for source in sources {
                try await writer.write(ByteBuffer(bytes: try zip.beginEntry()))
                if let reader = source.reader {
                    while let chunk = try await threadPool.runIfActive({ try reader.next() }) {
                        try zip.append(chunk)
                        try await writer.write(ByteBuffer(bytes: chunk))
                    }
                } else if let bytes = source.bytes {
                    try zip.append(bytes)
                    try await writer.write(ByteBuffer(bytes: bytes))
                }
                try await writer.write(ByteBuffer(bytes: try zip.endEntry()))
            }
            try await writer.write(ByteBuffer(bytes: try zip.finish()))
            try await writer.finish(nil)
        })
    }

    // MARK: Parts

    /// Refuses unless `user` is the artist, an admin, or owns every one of `tracks`; each must be ready.
    private func requireOwnership(of tracks: [Track], by user: User) async throws {
        if user.role != .admin {
            for track in tracks where track.artistID != user.id {
                let owned = try await services.inLedger { ledger throws(LedgerError) in try ledger.trackStatus(listener: user.id, track: track.id).owned }
                guard owned else {
                    throw Problem(.forbidden, title: "Not owned yet",
                                  detail: tracks.count == 1
                                      ? "The download is for owners: you own a track after enough counted plays."
                                      : "A release downloads once you own every one of its tracks; '\(track.title)' is not yours yet.")
                }
            }
        }
        if let waiting = tracks.first(where: { $0.status != .ready }) {
            throw Problem(.conflict, title: "Not ready", detail: "'\(waiting.title)' is \(waiting.status.rawValue); it can be downloaded once it is ready.")
        }
    }

    /// The release's cover as JPEG at `size` pixels (the largest when nil), if it has one.
    private func coverPicture(_ release: Release?, size: Int? = DownloadsController.coverSize) async throws -> CoverPicture? {
        guard let imageID = release?.coverImage, let found = try await services.images.image(id: imageID),
              let file = found.1.first(where: { $0.size == (size ?? found.1.first?.size) }) ?? found.1.last else { return nil }
        do {
            let buffer = try await services.imageService.store.bytes(of: try MediaKey(StoredImageFile.jpegKey(file.jpegSHA256)))
            return CoverPicture(mimeType: "image/jpeg", width: file.size, height: file.size, data: Array(buffer.readableBytesView))
        } catch MediaStoreError.notFound {
            // A missing picture leaves the files without a cover rather than refusing them.
            return nil
        } catch let error as MediaStoreError {
            services.metrics.countMediaStoreFailure(operation: "read", kind: error.metricKind)
            throw Problem(mediaStore: error, doing: "reading the cover")
        }
    }

    /// The stored standard rendition with the release's tags. From a remote store the
    /// rendition is first fetched whole into a file of `copies` (the retagger reads a file).
    private func tagged(_ track: Track, release: ReleaseDetail?, cover: CoverPicture?, copies: TemporaryFiles) async throws -> (OpusRetagger, DownloadTags) {
        guard let rendition = try await services.tracks.rendition(trackID: track.id, name: RenditionName.standard.rawValue) else {
            throw Problem(.serviceUnavailable, title: "Download unavailable", detail: "The track's audio is missing on the server; try again later.")
        }
        let isSingle = release?.release.type == .single
        let tags = DownloadTags(
            title: track.title, artist: release?.artistName, album: isSingle ? nil : release?.release.title,
            trackNumber: track.trackNumber, discNumber: track.discNumber, date: release?.release.releaseDate,
            isrc: track.isrc, license: release.map { Self.licenceText($0.release.licence) },
            // nil keeps the rendition's own R128_TRACK_GAIN, written when it was transcoded.
            trackGain: nil, cover: cover)
        let path = try await localFile(rendition.path, copies: copies)
        do {
            let retagger = try await services.threadPool.runIfActive { try OpusRetagger(source: path, tags: tags) }
            return (retagger, tags)
        } catch let error as AudioError {
            throw Problem(.serviceUnavailable, title: "Download unavailable", detail: "The track's stored audio could not be read (\(error)); try again later.")
        }
    }

    /// The stored file `key` on this machine: the local store's own file, or the object
    /// fetched from the remote store into the work folder (removed with `copies`).
    private func localFile(_ key: String, copies: TemporaryFiles) async throws -> String {
        let store = services.store
        do {
            let mediaKey = try MediaKey(key)
            if let path = store.localFile(mediaKey) { return path }
            let copy = copies.make(in: services.configuration.workDirectory, suffix: ".opus")
            try await store.download(mediaKey, to: copy)
            return copy
        } catch let error as MediaStoreError {
            services.metrics.countMediaStoreFailure(operation: "read", kind: error.metricKind)
            if case .notFound = error {
                throw Problem(.serviceUnavailable, title: "Download unavailable", detail: "The track's audio is missing on the server; try again later.")
            }
            throw Problem(mediaStore: error, doing: "reading the track's audio")
        }
    }

    static func licenceText(_ licence: ReleaseLicence) -> String {
        switch licence {
        case .allRightsReserved: "All rights reserved"
        case .ccBy: "CC BY 4.0"
        case .ccBySA: "CC BY-SA 4.0"
        case .ccByND: "CC BY-ND 4.0"
        case .ccByNC: "CC BY-NC 4.0"
        case .ccByNCSA: "CC BY-NC-SA 4.0"
        case .ccByNCND: "CC BY-NC-ND 4.0"
        case .cc0: "CC0 1.0"
        }
    }

    /// "03 Title", or "2-03 Title" on a release of several discs; safe as a file name.
    static func fileName(_ track: Track, release: ReleaseDetail?) -> String {
        let discs = Set(release?.tracks.map(\.track.discNumber) ?? [track.discNumber])
        let number = (track.trackNumber < 10 ? "0" : "") + String(track.trackNumber)
        return safeName((discs.count > 1 ? "\(track.discNumber)-" : "") + number + " " + track.title)
    }

    /// A name usable as a file (and a ZIP entry): no separators, control characters or leading dots.
    static func safeName(_ text: String) -> String {
        let replaced = String(text.unicodeScalars.map { scalar -> Character in
            scalar.value < 0x20 || scalar.value == 0x7F || "/\\:*?\"<>|".unicodeScalars.contains(scalar) ? "_" : Character(scalar)
        })
        let trimmed = replaced.drop { $0 == "." || $0 == " " }.prefix(150)
        return trimmed.isEmpty ? "track" : String(trimmed)
    }
}

/// Files fetched into the work folder for one request: removed by ``removeAll()`` once they
/// are open, or when the request fails before that (the last reference goes).
final class TemporaryFiles: Sendable {
    private let paths = Mutex<[String]>([])

    /// A new path in `folder` (nothing is created there).
    func make(in folder: String, suffix: String) -> String {
        let path = "\(folder)/download-\(Identifier.make())\(suffix)"
        paths.withLock { $0.append(path) }
        return path
    }

    /// Unlinks every file made so far (an open descriptor keeps reading it).
    func removeAll() {
        for path in paths.withLock({ paths in defer { paths = [] }; return paths }) { unlink(path) }
    }

    deinit { removeAll() }
}
