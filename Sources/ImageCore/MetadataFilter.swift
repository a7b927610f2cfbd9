/// The last word on metadata: what leaves ImageCore holds pixels and nothing else.
///
/// libvips's `strip` option is asked for on every save, but libvips 8.14's WebP writer
/// ignores it (it always writes an EXIF chunk, and an ICC chunk when the image has a
/// profile). So the WebP container is rebuilt with its image chunk alone, and a JPEG is
/// checked to carry no application segment (APP0–APP15: JFIF, EXIF, XMP, ICC, IPTC...) or
/// comment before its image data.
enum MetadataFilter {
    /// A simple-format WebP ("RIFF" size "WEBP" + one VP8 or VP8L chunk) from any WebP that
    /// libvips wrote for an opaque still image.
    static func webp(_ bytes: [UInt8]) throws(ImageError) -> [UInt8] {
        let view = ByteView(bytes)
        guard view.starts(with: Array("RIFF".utf8)), view.matches(Array("WEBP".utf8), at: 8) else {
            throw .processing(detail: "libvips wrote something that is not a WebP file")
        }
        var offset = 12
        var image: ArraySlice<UInt8>?
        while offset + 8 <= bytes.count {
            let fourCC = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            guard let length = view.littleEndian(at: offset + 4, bytes: 4), offset + 8 + length <= bytes.count else {
                throw .processing(detail: "libvips wrote a WebP chunk that runs past the file")
            }
            switch fourCC {
            case "VP8 ", "VP8L":
                guard image == nil else { throw .processing(detail: "libvips wrote a WebP with two images") }
                image = bytes[offset..<offset + 8 + length + (length & 1)]
            case "ALPH", "ANIM", "ANMF":
                throw .processing(detail: "libvips wrote a WebP with alpha or animation (\(fourCC))")
            default:
                break  // VP8X, EXIF, ICCP, XMP and anything unknown: left out
            }
            offset += 8 + length + (length & 1)
        }
        guard let image else { throw .processing(detail: "libvips wrote a WebP without an image chunk") }
        var out = Array("RIFF".utf8)
        let riffLength = UInt32(4 + image.count)
        out += [UInt8(riffLength & 0xFF), UInt8((riffLength >> 8) & 0xFF), UInt8((riffLength >> 16) & 0xFF), UInt8(riffLength >> 24)]
        out += Array("WEBP".utf8)
        out += image
        return out
    }

    /// Checks that a JPEG's segments before its first scan are only tables and the frame
    /// header (no APPn, no COM).
    static func checkJPEG(_ bytes: [UInt8]) throws(ImageError) {
        let view = ByteView(bytes)
        guard view.starts(with: [0xFF, 0xD8]) else { throw .processing(detail: "libvips wrote something that is not a JPEG file") }
        var offset = 2
        while let marker = view.byte(at: offset), marker == 0xFF, let code = view.byte(at: offset + 1) {
            if code == 0xDA { return }  // start of scan: only entropy-coded data follows
            if (0xE0...0xEF).contains(code) || code == 0xFE {
                throw .processing(detail: "libvips kept a metadata segment (marker FF\(String(code, radix: 16, uppercase: true))) in a JPEG")
            }
            guard let length = view.bigEndian16(at: offset + 2) else { break }
            offset += 2 + length
        }
        throw .processing(detail: "libvips wrote a JPEG without image data")
    }
}
