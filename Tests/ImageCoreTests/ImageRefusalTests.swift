import Foundation
import ImageCore
import Testing
import TuttiTestSupport

@Suite("Images: refusals", .serialized, .ownThreads)
struct ImageRefusalTests {
    @Test("a PNG declaring 100,000 × 100,000 pixels is refused from its header")
    func hugePNG() throws {
        let png = DeclaredPNG.make(width: 100_000, height: 100_000)
        #expect(png.count < 100)
        #expect(try ImageHeader.read(png) == ImageHeader(format: .png, width: 100_000, height: 100_000))
        #expect(throws: ImageError.tooManyPixels(width: 100_000, height: 100_000, limit: 50_000_000)) {
            try ImageRenderer.render(png, kind: .cover)
        }
        let message = "\(ImageError.tooManyPixels(width: 100_000, height: 100_000, limit: 50_000_000))"
        #expect(message == "the image is 100000 × 100000 pixels (10000 megapixels); at most 50 megapixels are accepted")
    }

    @Test("JPEG and WebP headers declaring too many pixels are refused too", arguments: ["jpeg", "webp"])
    func hugeOtherFormats(format: String) throws {
        var bytes: [UInt8]
        if format == "jpeg" {
            // A real JPEG whose frame header (SOF) is rewritten to 65,000 × 65,000.
            bytes = TestImages.make(width: 64, height: 48, as: .jpeg) { _, _ in (10, 20, 30) }
            let sof = try #require((2..<bytes.count - 9).first { bytes[$0] == 0xFF && (bytes[$0 + 1] == 0xC0 || bytes[$0 + 1] == 0xC2) })
            bytes.replaceSubrange((sof + 5)..<(sof + 9), with: [0xFD, 0xE8, 0xFD, 0xE8])
        } else {
            // A WebP "VP8X" header with a 16,384 × 16,384 canvas (268 megapixels).
            bytes = Array("RIFF".utf8) + [30, 0, 0, 0] + Array("WEBPVP8X".utf8) + [10, 0, 0, 0, 0, 0, 0, 0]
                + [0xFF, 0x3F, 0x00, 0xFF, 0x3F, 0x00]
        }
        let header = try ImageHeader.read(bytes)
        #expect(header.pixels > 50_000_000)
        #expect(throws: ImageError.tooManyPixels(width: header.width, height: header.height, limit: 50_000_000)) {
            try ImageRenderer.render(bytes, kind: .avatar)
        }
    }

    @Test("a truncated JPEG, PNG or WebP is refused with a clear reason", arguments: [TestImages.Encoding.jpeg, .png, .webp])
    func truncated(encoding: TestImages.Encoding) throws {
        let whole = TestImages.noise(width: 640, height: 480, as: encoding)
        let cut = Array(whole.prefix(whole.count * 6 / 10))
        do {
            _ = try ImageRenderer.render(cut, kind: .cover)
            Issue.record("a truncated \(encoding) was accepted")
        } catch {
            guard case .damaged = error else { Issue.record("wrong refusal: \(error)"); return }
            #expect("\(error)".hasPrefix("the image is damaged or truncated ("), "\(error)")
        }
    }

    @Test("GIF, SVG, text, HEIC and unknown bytes are refused by content", arguments: [
        ("gif", "the file is a GIF image; Tutti accepts JPEG, PNG or WebP images"),
        ("svg", "the file is an SVG drawing; Tutti accepts JPEG, PNG or WebP images"),
        ("text", "the file is text; Tutti accepts JPEG, PNG or WebP images"),
        ("heic", "the file is a HEIC image; Tutti accepts JPEG, PNG or WebP images"),
        ("random", "the file is not a JPEG, PNG or WebP image"),
        ("empty", "the file is empty"),
    ])
    func wrongKinds(kind: String, message: String) throws {
        let bytes: [UInt8] = switch kind {
        // The classic smallest GIF: one transparent pixel.
        case "gif": [0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xFF, 0xFF, 0xFF,
                     0x00, 0x00, 0x00, 0x21, 0xF9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00, 0x00, 0x00,
                     0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B]
        case "svg": Array(#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="5000" height="5000"><rect width="10" height="10"/></svg>"#.utf8)
        case "text": Array("Track list:\n1. Intro\n2. Outro\n".utf8)
        case "heic": [0, 0, 0, 24] + Array("ftypheic".utf8) + [0, 0, 0, 0] + Array("mif1heic".utf8)
        case "random": { var generator = SplitMix(seed: 11); return generator.bytesArray(4_000) }()
        default: []
        }
        do {
            _ = try ImageRenderer.render(bytes, kind: .cover)
            Issue.record("\(kind) was accepted")
        } catch {
            #expect("\(error)" == message)
        }
    }

    @Test("a file over 20 MB is refused before anything is read from it")
    func tooLarge() throws {
        var bytes = TestImages.make(width: 16, height: 16, as: .png) { _, _ in (1, 2, 3) }
        bytes += [UInt8](repeating: 0, count: 20_000_001 - bytes.count)
        #expect(throws: ImageError.tooLarge(bytes: 20_000_001, limit: 20_000_000)) { try ImageRenderer.render(bytes, kind: .cover) }
        #expect("\(ImageError.tooLarge(bytes: 25_300_000, limit: 20_000_000))" == "the file is 25.3 MB; images may be at most 20 MB")
    }
}

extension SplitMix {
    mutating func bytesArray(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }
}
