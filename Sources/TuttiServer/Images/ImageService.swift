import Catalog
import FoundationEssentials
import HTTPTypes
import ImageCore
import Logging
import MediaStore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Turns an uploaded picture into a cover or an avatar: cheap checks in the server (size,
/// format and pixel count from the header, no decoding), then `tutti image` in a child
/// process under the job limits (time, address space) decodes it and writes the square sizes;
/// their files go into the media store under their content hash, then the database row.
/// The upload itself is never kept.
struct ImageService: Sendable {
    let configuration: ServerConfiguration
    let store: any MediaStore
    let images: Images
    let metrics: TuttiMetrics

    /// Most time one render may take, in seconds (a 50-megapixel image takes a few).
    static let timeLimitSeconds = 120

    /// Renders `upload` (a file the caller removes) and stores it; the caller links the
    /// returned image's id to its release or profile.
    func render(_ kind: ImageKind, upload: String, services: AppServices, logger: Logger) async throws -> (StoredImage, [StoredImageFile]) {
        let header = try await services.threadPool.runIfActive { try Self.check(upload) }
        let work = "\(configuration.workDirectory)/image-\(Identifier.make())"
        guard mkdir(work, 0o700) == 0 else { throw ChildProcessError.call("mkdir \(work)", errno) }
        defer { try? FileManager.default.removeItem(atPath: work) }
        let output = "\(work)/out"
        let child = ChildProcess(
            executable: configuration.transcoderExecutable,
            arguments: ["image", kind.rawValue, upload, output, "--manifest", "\(work)/manifest.json",
                        "--memory-limit", String(configuration.jobMemoryLimit)],
            environment: ImageRenderer.environment.merging(
                ["MALLOC_ARENA_MAX": "2", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TUTTI_PARENT_PID": String(getpid())]) { $1 },
            threadPool: services.threadPool)
        let outcome = try await child.run(timeLimit: .seconds(min(Self.timeLimitSeconds, Int(configuration.jobTimeLimit)))) { _ in }
        if outcome.timedOut {
            throw Problem(.unprocessableContent, title: "Image not usable", detail: "Decoding the image took longer than the limit; it may be damaged.")
        }
        switch outcome.termination {
        case .exited(0): break
        case .exited:
            let reason = Self.reason(fromStderr: outcome.stderrTail, input: upload) ?? "the image could not be decoded"
            throw Problem(.unprocessableContent, title: "Image not usable", detail: "The image was refused: \(reason).")
        case .signalled(let signal):
            logger.warning("tutti image was killed", metadata: ["signal": "\(signal)"])
            throw Problem(.unprocessableContent, title: "Image not usable", detail: "The decoder ran out of memory or crashed on this image (signal \(signal)); it may be damaged.")
        }
        let manifestPath = "\(work)/manifest.json"
        let manifest = try await services.threadPool.runIfActive {
            try JSONDecoder().decode(ImageManifest.self, from: Data(contentsOf: URL(fileURLWithPath: manifestPath)))
        }
        var files: [StoredImageFile] = []
        for size in kind.sizes {
            guard let jpeg = manifest.outputs.first(where: { $0.size == size && $0.format == .jpeg }),
                  let webp = manifest.outputs.first(where: { $0.size == size && $0.format == .webp }) else {
                throw Problem(.internalServerError, title: "Image not stored", detail: "The renderer did not make the \(size) px size.")
            }
            for item in [jpeg, webp] {
                let key = try MediaKey(item.format == .jpeg ? StoredImageFile.jpegKey(item.sha256) : StoredImageFile.webpKey(item.sha256))
                try await storing(doing: "storing the image") {
                    // Content-addressed: a file already there holds these very bytes.
                    if try await store.info(key) != nil { return }
                    let staged = try await store.stage(fileAt: "\(output)/\(item.file)", contentType: item.format.mimeType)
                    guard staged.sha256 == item.sha256 else {
                        try? await store.discard(staged)
                        throw Problem(.internalServerError, title: "Image not stored", detail: "A rendered file changed before it was stored.")
                    }
                    do {
                        try await store.finalize(staged, as: key)
                    } catch {
                        try? await store.discard(staged)
                        throw error
                    }
                }
            }
            files.append(StoredImageFile(imageID: "", size: size, jpegSHA256: jpeg.sha256, jpegBytes: jpeg.byteCount,
                                         webpSHA256: webp.sha256, webpBytes: webp.byteCount))
        }
        return try await images.record(kind: kind.rawValue, sourceWidth: header.width, sourceHeight: header.height, files: files)
    }

    /// Runs a store write, turning a store failure into its problem (503 unavailable or
    /// read-only, 507 full, 502 otherwise), counted in `tutti_media_store_failures_total`.
    private func storing(doing: String, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as MediaStoreError {
            metrics.countMediaStoreFailure(operation: "write", kind: error.metricKind)
            throw Problem(mediaStore: error, doing: doing)
        }
    }

    /// What the server checks itself before starting a child: the byte limit, the format by
    /// content and the pixel limit from the header (`ImageHeader` parses, never decodes).
    static func check(_ path: String) throws -> ImageHeader {
        let limits = ImageLimits.standard
        var status = stat()
        guard stat(path, &status) == 0 else { throw ChildProcessError.call("stat \(path)", errno) }
        guard Int(status.st_size) <= limits.maxBytes else {
            throw Problem(.contentTooLarge, title: "Image too large", detail: "Images may be at most \(limits.maxBytes / 1_000_000) MB.",
                          extensions: ["limitBytes": .int(Int64(limits.maxBytes))])
        }
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        do {
            let header = try ImageHeader.read(bytes)
            let (pixels, overflow) = header.width.multipliedReportingOverflow(by: header.height)
            guard !overflow, pixels <= limits.maxPixels else {
                throw ImageError.tooManyPixels(width: header.width, height: header.height, limit: limits.maxPixels)
            }
            return header
        } catch let error as ImageError {
            switch error {
            case .empty: throw Problem(.unprocessableContent, title: "Empty image", detail: "The upload has no bytes.")
            case .unsupportedFormat: throw Problem(.unsupportedMediaType, title: "Not a JPEG, PNG or WebP image", detail: "The image was refused: \(error).")
            default: throw Problem(.unprocessableContent, title: "Image not usable", detail: "The image was refused: \(error).")
            }
        }
    }

    /// The reason from `tutti image`'s one-line error ("tutti image: PATH: reason").
    static func reason(fromStderr lines: [String], input: String) -> String? {
        guard let line = lines.last(where: { $0.hasPrefix("tutti image: ") }) else { return nil }
        let prefix = "tutti image: \(input): "
        return line.hasPrefix(prefix) ? String(line.dropFirst(prefix.count)) : String(line.dropFirst("tutti image: ".count))
    }
}
