import Foundation

/// The outputs of one render, in `kind.sizes` order, JPEG before WebP at each size.
public struct RenderedImages: Sendable {
    public var kind: ImageKind
    /// The upload's format and stored dimensions.
    public var source: ImageHeader
    public var images: [RenderedImage]

    /// The output of `size` pixels in `format`, if that size belongs to `kind`.
    public func image(size: Int, format: ImageOutputFormat) -> RenderedImage? {
        images.first { $0.size == size && $0.format == format }
    }

    /// What was made, without the bytes: what `tutti image` writes as its manifest.
    public var manifest: ImageManifest {
        ImageManifest(kind: kind, source: source, outputs: images.map {
            ImageManifest.Output(size: $0.size, format: $0.format, sha256: $0.sha256, byteCount: $0.bytes.count, file: $0.fileName)
        })
    }

    /// Writes every output into `folder` (which must exist) under its `fileName`. A file of
    /// that name already there holds the same bytes and is kept. On failure the files this
    /// call wrote are removed.
    @discardableResult
    public func write(to folder: String) throws(ImageError) -> ImageManifest {
        var written: [URL] = []
        for image in images {
            let url = URL(fileURLWithPath: folder).appendingPathComponent(image.fileName)
            if FileManager.default.fileExists(atPath: url.path) { continue }
            do {
                try Data(image.bytes).write(to: url, options: .atomic)
                written.append(url)
            } catch {
                for url in written { try? FileManager.default.removeItem(at: url) }
                throw .io(path: url.path, detail: "\(error.localizedDescription)")
            }
        }
        return manifest
    }
}

/// What one render made, as JSON: the server reads it to record the image's files.
public struct ImageManifest: Codable, Sendable, Equatable {
    public struct Output: Codable, Sendable, Equatable {
        /// Edge length in pixels.
        public var size: Int
        public var format: ImageOutputFormat
        /// SHA-256 of the file, lowercase hex.
        public var sha256: String
        /// The file's length in bytes.
        public var byteCount: Int
        /// The file's name in the output folder: `<sha256>.<jpg|webp>`.
        public var file: String
    }

    public var kind: ImageKind
    public var source: ImageHeader
    public var outputs: [Output]

    public init(kind: ImageKind, source: ImageHeader, outputs: [Output]) {
        self.kind = kind
        self.source = source
        self.outputs = outputs
    }
}
