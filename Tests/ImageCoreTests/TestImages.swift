import CVips
import Foundation
import ImageCore
import TuttiTestSupport

/// Pictures the tests make themselves with libvips (pixels) and exiftool (metadata).
enum TestImages {
    enum Encoding { case jpeg, png, webp }

    /// An 8-bit RGB image whose pixel at (x, y) is `colour(x, y)`, encoded with its metadata
    /// kept; `orientation` sets the EXIF Orientation tag (JPEG only).
    static func make(width: Int, height: Int, as encoding: Encoding, orientation: Int? = nil,
                     colour: (Int, Int) -> (UInt8, UInt8, UInt8)) -> [UInt8] {
        startVips()
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let (r, g, b) = colour(x, y)
                let index = (y * width + x) * 3
                pixels[index] = r
                pixels[index + 1] = g
                pixels[index + 2] = b
            }
        }
        let image = pixels.withUnsafeBytes {
            vips_image_new_from_memory_copy($0.baseAddress, $0.count, Int32(width), Int32(height), 3, VIPS_FORMAT_UCHAR)!
        }
        defer { g_object_unref(image) }
        if let orientation { vips_image_set_int(image, "orientation", Int32(orientation)) }
        var buffer: UnsafeMutableRawPointer?
        var length = 0
        let result: Int32 = switch encoding {
        case .jpeg: tutti_vips_jpegsave_keep(image, &buffer, &length, 90)
        case .png: tutti_vips_pngsave_keep(image, &buffer, &length)
        case .webp: tutti_vips_webpsave_keep(image, &buffer, &length, 90)
        }
        precondition(result == 0, "libvips could not save a test image: \(String(cString: vips_error_buffer()))")
        defer { g_free(buffer) }
        return Array(UnsafeRawBufferPointer(start: buffer, count: length))
    }

    /// Noise: compresses badly, so a cut leaves most of the image missing.
    static func noise(width: Int, height: Int, as encoding: Encoding) -> [UInt8] {
        var generator = SplitMix(seed: 7)
        let bytes = generator.bytes(width * height)
        return make(width: width, height: height, as: encoding) { x, y in
            let value = bytes[y * width + x]
            return (value, value &* 3, value &* 7)
        }
    }

    /// A decoded output: size, bands and its 8-bit pixels.
    struct Decoded {
        var width: Int
        var height: Int
        var bands: Int
        var bytes: [UInt8]

        /// The band values at (x, y).
        func pixel(_ x: Int, _ y: Int) -> [UInt8] {
            let start = (y * width + x) * bands
            return Array(bytes[start..<start + bands])
        }
    }

    static func decode(_ bytes: [UInt8]) -> Decoded? {
        startVips()
        return bytes.withUnsafeBytes { raw -> Decoded? in
            guard let image = tutti_vips_image_from_buffer(raw.baseAddress, raw.count) else { return nil }
            defer { g_object_unref(image) }
            var size = 0
            guard vips_image_get_format(image) == VIPS_FORMAT_UCHAR, let memory = vips_image_write_to_memory(image, &size) else { return nil }
            defer { g_free(memory) }
            return Decoded(width: Int(vips_image_get_width(image)), height: Int(vips_image_get_height(image)),
                           bands: Int(vips_image_get_bands(image)), bytes: Array(UnsafeRawBufferPointer(start: memory, count: size)))
        }
    }

    private static let started: Bool = { tutti_vips_init("tests") == 0 }()

    private static func startVips() { precondition(started, "libvips did not start") }

    /// Runs exiftool's JSON output on `path` (all groups, family 1 names: "GPS", "IFD0", "XMP-dc"...).
    static func exiftool(_ arguments: [String]) throws -> [String: Any] {
        let run = try ThirdPartyTools.run("exiftool", ["-j", "-a", "-G1", "-s"] + arguments)
        guard run.status == 0, let array = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]], let first = array.first else {
            throw DecodeFailure(message: "exiftool failed: \(run.stderr)")
        }
        return first
    }

    /// Writes `bytes` to a scratch file and returns its path.
    static func file(_ bytes: [UInt8], named name: String, in folder: URL = Fixtures.scratch()) throws -> String {
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }
}

/// A PNG whose header declares `width` × `height` pixels, with a token IDAT: the pixels it
/// promises never exist, so only a header check can refuse it cheaply.
enum DeclaredPNG {
    static func make(width: UInt32, height: UInt32) -> [UInt8] {
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header: [UInt8] = []
        header += bigEndian(width)
        header += bigEndian(height)
        header += [8, 0, 0, 0, 0]  // 8-bit greyscale, deflate, no filter, no interlace
        bytes += chunk("IHDR", header)
        bytes += chunk("IDAT", [0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01])
        bytes += chunk("IEND", [])
        return bytes
    }

    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        return bigEndian(UInt32(data.count)) + typed + bigEndian(crc32(typed))
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    /// CRC-32 as PNG uses it (ISO 3309), bit by bit: a few dozen bytes only.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
