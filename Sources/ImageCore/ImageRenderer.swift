import CVips
import Crypto

/// One output: a square of `size` pixels in one format, named by the SHA-256 of its bytes.
public struct RenderedImage: Sendable, Equatable {
    /// Edge length in pixels.
    public var size: Int
    public var format: ImageOutputFormat
    /// The encoded file, with no metadata block of any kind.
    public var bytes: [UInt8]
    /// SHA-256 of `bytes`, lowercase hex: the stable name and a strong ETag.
    public var sha256: String

    /// `<sha256>.jpg` or `<sha256>.webp`: the same bytes always get the same name, so the file
    /// can be served at an immutable URL.
    public var fileName: String { "\(sha256).\(format.fileExtension)" }
}

/// Turns an uploaded picture into Tutti's square sizes.
///
/// In order: the size limit (bytes), sniffing by content (JPEG, PNG, WebP only), the pixel
/// limit read from the header (`ImageHeader`, then libvips's own header read), then one
/// decode (with JPEG shrink-on-load) to the largest square: turned upright per EXIF
/// orientation, an embedded ICC profile converted to sRGB, alpha flattened onto white,
/// centre-cropped. The smaller squares are made from that one; every output is encoded as
/// JPEG and WebP with all metadata stripped (EXIF with GPS, XMP, IPTC, ICC, comments), which
/// `MetadataFilter` enforces on the encoded bytes.
///
/// Decoding a hostile file is the risky part: the server runs this in a child process
/// (`tutti image`) under time and memory limits, never in its own.
public enum ImageRenderer {
    /// JPEG quality (libjpeg scale, 1–100).
    public static let jpegQuality: Int32 = 82
    /// WebP quality (libwebp scale, 1–100).
    public static let webpQuality: Int32 = 80

    /// Environment for a process that renders: VIPSHOME names no folder, so libvips 8.14
    /// loads none of its modules (PDF, ImageMagick, HEIF, JPEG XL, OpenSlide loaders) at
    /// start. They would all be blocked anyway, and loading them costs start-up time and
    /// hundreds of MiB of address space, which counts against the child's memory limit.
    /// Give it to the child when starting it; never setenv in a running process (another
    /// thread starting a process copies the environment meanwhile: that crashed the tests).
    public static let environment = ["VIPSHOME": "/nonexistent/tutti-no-vips-modules"]

    public static func render(_ bytes: [UInt8], kind: ImageKind, limits: ImageLimits = .standard) throws(ImageError) -> RenderedImages {
        guard !bytes.isEmpty else { throw .empty }
        guard bytes.count <= limits.maxBytes else { throw .tooLarge(bytes: bytes.count, limit: limits.maxBytes) }
        let header = try ImageHeader.read(bytes)
        try check(width: header.width, height: header.height, limits: limits)
        let images = try Vips.run { () throws(ImageError) -> [RenderedImage] in
            try bytes.withUnsafeBytes { raw in
                Result { () throws(ImageError) in try squares(of: raw, sizes: kind.sizes, limits: limits) }
            }.get()
        }
        return RenderedImages(kind: kind, source: header, images: images)
    }

    private static func check(width: Int, height: Int, limits: ImageLimits) throws(ImageError) {
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixels <= limits.maxPixels else {
            throw .tooManyPixels(width: width, height: height, limit: limits.maxPixels)
        }
    }

    /// Everything that touches pixels. `raw` must outlive every image made from it (libvips
    /// reads the buffer lazily), so all of them are released before this returns.
    private static func squares(of raw: UnsafeRawBufferPointer, sizes: [Int], limits: ImageLimits) throws(ImageError) -> [RenderedImage] {
        guard let base = raw.baseAddress, let largest = sizes.first else { throw .empty }
        // libvips's own reading of the header must agree that the image is small enough.
        guard let probe = tutti_vips_header_from_buffer(base, raw.count).map(VipsImageRef.init) else {
            throw .damaged(detail: Vips.takeError())
        }
        try check(width: probe.width, height: probe.height, limits: limits)

        var decoded: UnsafeMutablePointer<VipsImage>?
        guard tutti_vips_thumbnail_square_buffer(UnsafeMutableRawPointer(mutating: base), raw.count, &decoded, Int32(largest), "fail_on=error") == 0,
              let decoded else {
            throw decodingFailure(Vips.takeError())
        }
        var image = VipsImageRef(decoded)
        if image.hasAlpha { image = try image.apply(processing) { tutti_vips_flatten_white($0, $1) } }
        if image.interpretation != VIPS_INTERPRETATION_sRGB || image.bands != 3 {
            image = try image.apply(processing) { tutti_vips_to_srgb($0, $1) }
        }
        if image.bandFormat != VIPS_FORMAT_UCHAR { image = try image.apply(processing) { tutti_vips_cast_uchar($0, $1) } }
        // Decoding happens here, all at once: a truncated or damaged file fails now, before
        // any output exists.
        guard let inMemory = vips_image_copy_memory(image.pointer).map(VipsImageRef.init) else {
            throw decodingFailure(Vips.takeError())
        }

        var outputs: [RenderedImage] = []
        for size in sizes {
            let square = size == largest ? inMemory : try inMemory.apply(processing) { tutti_vips_thumbnail_square_image($0, $1, Int32(size)) }
            guard square.width == size, square.height == size, square.bands == 3 else {
                throw .processing(detail: "made \(square.width) × \(square.height) × \(square.bands) instead of \(size) × \(size) × 3")
            }
            let jpeg = try square.save { tutti_vips_jpegsave_stripped($0, $1, $2, jpegQuality) }
            try MetadataFilter.checkJPEG(jpeg)
            let webp = try MetadataFilter.webp(try square.save { tutti_vips_webpsave_stripped($0, $1, $2, webpQuality) })
            outputs.append(RenderedImage(size: size, format: .jpeg, bytes: jpeg, sha256: hex(SHA256.hash(data: jpeg))))
            outputs.append(RenderedImage(size: size, format: .webp, bytes: webp, sha256: hex(SHA256.hash(data: webp))))
        }
        return outputs
    }

    private static func processing(_ detail: String) -> ImageError { .processing(detail: detail) }

    /// A decode that failed for want of memory or threads (under the child's limits) is not
    /// the file's fault; anything else is.
    private static func decodingFailure(_ detail: String) -> ImageError {
        let lowered = detail.lowercased()
        let resources = ["memory", "creating thread", "resource temporarily unavailable", "cannot allocate"]
        return resources.contains(where: lowered.contains) ? .processing(detail: detail) : .damaged(detail: detail)
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
