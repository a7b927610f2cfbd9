/// An upload's format and pixel dimensions, read from its first bytes without decoding.
///
/// The check that an image is small enough happens here, before libvips sees the file: a
/// picture that declares 100,000 × 100,000 pixels is refused from a few dozen bytes.
public struct ImageHeader: Sendable, Equatable, Codable {
    public var format: ImageFormat
    /// Stored width in pixels (before any EXIF rotation).
    public var width: Int
    /// Stored height in pixels (before any EXIF rotation).
    public var height: Int

    public init(format: ImageFormat, width: Int, height: Int) {
        self.format = format
        self.width = width
        self.height = height
    }

    /// Width × height, in pixels.
    public var pixels: Int { width * height }

    /// Sniffs the format by content (never by name or declared type) and reads the
    /// dimensions from the header: JPEG's frame header (SOF), PNG's IHDR, WebP's VP8, VP8L
    /// or VP8X chunk.
    ///
    /// - Throws: `.empty`, `.unsupportedFormat` naming what the bytes look like, or
    ///   `.damaged` when the header is cut short or malformed.
    public static func read(_ bytes: some Collection<UInt8>) throws(ImageError) -> ImageHeader {
        let view = ByteView(Array(bytes.prefix(ByteView.headerWindow)))
        guard !view.bytes.isEmpty else { throw .empty }
        if view.starts(with: [0xFF, 0xD8, 0xFF]) { return try readJPEG(view) }
        if view.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return try readPNG(view) }
        if view.starts(with: Array("RIFF".utf8)), view.matches(Array("WEBP".utf8), at: 8) { return try readWebP(view) }
        throw .unsupportedFormat(what: FormatGuess.describe(view.bytes))
    }

    // MARK: JPEG

    /// Walks the markers from SOI to the first frame header (SOFn), which holds the size.
    private static func readJPEG(_ view: ByteView) throws(ImageError) -> ImageHeader {
        var offset = 2
        while true {
            guard let marker = view.byte(at: offset), marker == 0xFF else {
                throw .damaged(detail: "JPEG header is cut short or malformed")
            }
            var code = 0xFF
            while code == 0xFF {
                offset += 1
                guard let next = view.byte(at: offset) else { throw .damaged(detail: "JPEG header is cut short") }
                code = Int(next)
            }
            offset += 1
            switch code {
            case 0x01, 0xD0...0xD7:
                continue  // markers without a length
            case 0xD9, 0xDA:
                throw .damaged(detail: "JPEG has no frame header before its image data")
            default:
                guard let length = view.bigEndian16(at: offset), length >= 2 else {
                    throw .damaged(detail: "JPEG header is cut short")
                }
                if isStartOfFrame(code) {
                    guard let height = view.bigEndian16(at: offset + 3), let width = view.bigEndian16(at: offset + 5) else {
                        throw .damaged(detail: "JPEG frame header is cut short")
                    }
                    guard width > 0, height > 0 else { throw .damaged(detail: "JPEG declares an empty frame") }
                    return ImageHeader(format: .jpeg, width: width, height: height)
                }
                offset += length
            }
        }
    }

    /// SOF0–SOF15, less DHT (C4), JPG (C8) and DAC (CC), which share the range.
    private static func isStartOfFrame(_ code: Int) -> Bool {
        (0xC0...0xCF).contains(code) && code != 0xC4 && code != 0xC8 && code != 0xCC
    }

    // MARK: PNG

    private static func readPNG(_ view: ByteView) throws(ImageError) -> ImageHeader {
        guard view.matches(Array("IHDR".utf8), at: 12), let width = view.bigEndian32(at: 16), let height = view.bigEndian32(at: 20) else {
            throw .damaged(detail: "PNG does not start with a complete IHDR chunk")
        }
        guard width > 0, height > 0, width <= Int32.max, height <= Int32.max else {
            throw .damaged(detail: "PNG declares \(width) × \(height) pixels")
        }
        return ImageHeader(format: .png, width: width, height: height)
    }

    // MARK: WebP

    private static func readWebP(_ view: ByteView) throws(ImageError) -> ImageHeader {
        let chunk = String(decoding: view.bytes.dropFirst(12).prefix(4), as: UTF8.self)
        let size: (Int, Int)?
        switch chunk {
        case "VP8 ":
            // Frame tag (3 bytes), start code 9D 01 2A, then 14-bit width and height.
            guard view.matches([0x9D, 0x01, 0x2A], at: 23), let width = view.littleEndian(at: 26, bytes: 2),
                  let height = view.littleEndian(at: 28, bytes: 2) else {
                throw .damaged(detail: "WebP (lossy) header is cut short or malformed")
            }
            size = (width & 0x3FFF, height & 0x3FFF)
        case "VP8L":
            // Signature 0x2F, then width − 1 and height − 1 in 14 bits each.
            guard view.byte(at: 20) == 0x2F, let bits = view.littleEndian(at: 21, bytes: 4) else {
                throw .damaged(detail: "WebP (lossless) header is cut short or malformed")
            }
            size = ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
        case "VP8X":
            // Flags and reserved bytes, then canvas width − 1 and height − 1 in 24 bits each.
            guard let width = view.littleEndian(at: 24, bytes: 3), let height = view.littleEndian(at: 27, bytes: 3) else {
                throw .damaged(detail: "WebP (extended) header is cut short")
            }
            size = (width + 1, height + 1)
        default:
            size = nil
        }
        guard let (width, height) = size, width > 0, height > 0 else {
            throw .damaged(detail: "WebP has no image chunk where one must be")
        }
        return ImageHeader(format: .webp, width: width, height: height)
    }
}

/// Bounds-checked reads from the start of a file.
struct ByteView {
    /// Enough bytes to reach a JPEG frame header behind large EXIF, XMP and ICC segments; a
    /// frame header further in is refused as malformed.
    static let headerWindow = 1 << 20

    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func byte(at offset: Int) -> UInt8? {
        offset >= 0 && offset < bytes.count ? bytes[offset] : nil
    }

    func starts(with prefix: [UInt8]) -> Bool { matches(prefix, at: 0) }

    func matches(_ pattern: [UInt8], at offset: Int) -> Bool {
        offset + pattern.count <= bytes.count && bytes[offset..<offset + pattern.count].elementsEqual(pattern)
    }

    func bigEndian16(at offset: Int) -> Int? {
        guard offset + 2 <= bytes.count else { return nil }
        return Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
    }

    func bigEndian32(at offset: Int) -> Int? {
        guard offset + 4 <= bytes.count else { return nil }
        return (0..<4).reduce(0) { $0 << 8 | Int(bytes[offset + $1]) }
    }

    func littleEndian(at offset: Int, bytes count: Int) -> Int? {
        guard offset + count <= bytes.count else { return nil }
        return (0..<count).reversed().reduce(0) { $0 << 8 | Int(bytes[offset + $1]) }
    }
}

/// Names what an unaccepted upload looks like, for the refusal's wording.
enum FormatGuess {
    static func describe(_ bytes: [UInt8]) -> String? {
        let view = ByteView(bytes)
        if view.starts(with: Array("GIF87a".utf8)) || view.starts(with: Array("GIF89a".utf8)) { return "a GIF image" }
        if view.starts(with: [0x49, 0x49, 0x2A, 0x00]) || view.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) { return "a TIFF image" }
        if view.matches(Array("ftyp".utf8), at: 4) {
            let brand = String(decoding: bytes.dropFirst(8).prefix(4), as: UTF8.self)
            if brand.hasPrefix("avi") { return "an AVIF image" }
            if brand.hasPrefix("hei") || brand.hasPrefix("mif") { return "a HEIC image" }
        }
        if view.starts(with: [0xFF, 0x0A]) || view.matches(Array("JXL ".utf8), at: 4) { return "a JPEG XL image" }
        if view.starts(with: Array("%PDF".utf8)) { return "a PDF document" }
        if view.starts(with: Array("BM".utf8)), bytes.count > 26, view.littleEndian(at: 14, bytes: 4).map({ [12, 40, 108, 124].contains($0) }) == true {
            return "a BMP image"
        }
        var start = bytes.prefix(4_096)
        // A character cut in two by the prefix is not a sign of binary data.
        if bytes.count > start.count {
            while let last = start.last, last & 0xC0 == 0x80 { start.removeLast() }
            if let last = start.last, last >= 0xC0 { start.removeLast() }
        }
        let text = String(decoding: start, as: UTF8.self).lowercased()
        let looksLikeText = !start.contains(0) && !text.contains("\u{FFFD}")
        if looksLikeText && text.contains("<svg") { return "an SVG drawing" }
        if looksLikeText { return "text" }
        return nil
    }
}
