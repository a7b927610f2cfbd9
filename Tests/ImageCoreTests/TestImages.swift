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

    /// An 8-bit grey + alpha PNG whose pixel at (x, y) is `pixel(x, y)` = (grey, alpha).
    static func makeGreyAlpha(width: Int, height: Int, pixel: (Int, Int) -> (UInt8, UInt8)) -> [UInt8] {
        startVips()
        var bytes = [UInt8](repeating: 0, count: width * height * 2)
        for y in 0..<height {
            for x in 0..<width {
                (bytes[(y * width + x) * 2], bytes[(y * width + x) * 2 + 1]) = pixel(x, y)
            }
        }
        let image = bytes.withUnsafeBytes {
            vips_image_new_from_memory_copy($0.baseAddress, $0.count, Int32(width), Int32(height), 2, VIPS_FORMAT_UCHAR)!
        }
        defer { g_object_unref(image) }
        var buffer: UnsafeMutableRawPointer?
        var length = 0
        precondition(tutti_vips_pngsave_keep(image, &buffer, &length) == 0, "libvips could not save a test image")
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
