import Foundation
import ImageCore
import Testing
import TuttiTestSupport

/// Red and blue as a JPEG or WebP round trip leaves them: chroma subsampling lets some red
/// bleed into the blue, so each is "this channel high and well above the others".
private func isRed(_ pixel: [UInt8]) -> Bool { pixel.count == 3 && pixel[0] > 180 && Int(pixel[0]) > Int(pixel[1]) + 120 && Int(pixel[0]) > Int(pixel[2]) + 120 }
private func isBlue(_ pixel: [UInt8]) -> Bool { pixel.count == 3 && pixel[2] > 180 && Int(pixel[2]) > Int(pixel[0]) + 120 && Int(pixel[2]) > Int(pixel[1]) + 120 }

@Suite("Images: upright, stripped, square, named by content", .serialized, .ownThreads)
struct ImageRendererTests {
    @Test("every size of a cover and an avatar is exactly square, in JPEG and WebP, named by its SHA-256",
          arguments: [ImageKind.cover, .avatar])
    func exactSizes(kind: ImageKind) throws {
        // Landscape, portrait and a picture smaller than every output (enlarged).
        let inputs = [
            TestImages.make(width: 1_000, height: 700, as: .png) { x, y in (UInt8(x % 256), UInt8(y % 256), 128) },
            TestImages.make(width: 500, height: 900, as: .jpeg) { x, y in (200, UInt8(x % 256), UInt8(y % 256)) },
            TestImages.make(width: 50, height: 80, as: .webp) { x, _ in (UInt8(x * 5), 100, 50) },
        ]
        for input in inputs {
            let rendered = try ImageRenderer.render(input, kind: kind)
            #expect(rendered.images.map(\.size) == kind.sizes.flatMap { [$0, $0] })
            #expect(rendered.images.map(\.format) == kind.sizes.flatMap { _ in [ImageOutputFormat.jpeg, .webp] })
            for image in rendered.images {
                let decoded = try #require(TestImages.decode(image.bytes), "output \(image.size) \(image.format) does not decode")
                #expect(decoded.width == image.size && decoded.height == image.size && decoded.bands == 3)
                switch image.format {
                case .jpeg: #expect(image.bytes.starts(with: [0xFF, 0xD8, 0xFF]))
                case .webp: #expect(image.bytes.starts(with: Array("RIFF".utf8)) && Array(image.bytes[8..<12]) == Array("WEBP".utf8))
                }
                let path = try TestImages.file(image.bytes, named: image.fileName)
                let sum = try ThirdPartyTools.run("sha256sum", [path]).stdout
                #expect(sum.hasPrefix(image.sha256 + " "), "sha256sum says \(sum)")
                #expect(image.fileName == "\(image.sha256).\(image.format.fileExtension)")
            }
        }
    }

    @Test("the same upload always gives the same files (stable URLs)")
    func deterministic() throws {
        let input = TestImages.make(width: 640, height: 480, as: .jpeg) { x, y in (UInt8(x % 256), UInt8(y % 256), 30) }
        let first = try ImageRenderer.render(input, kind: .cover)
        let second = try ImageRenderer.render(input, kind: .cover)
        #expect(first.images.map(\.sha256) == second.images.map(\.sha256))
        #expect(Set(first.images.map(\.sha256)).count == first.images.count)
    }

    @Test("a JPEG with EXIF orientation 6 comes out upright")
    func orientationSix() throws {
        // Stored 400 × 200: left half red, right half blue. Orientation 6 says "rotate 90° clockwise
        // to display", so the stored left edge is the top: upright, red is above blue.
        let input = TestImages.make(width: 400, height: 200, as: .jpeg, orientation: 6) { x, _ in x < 200 ? (255, 0, 0) : (0, 0, 255) }
        let tags = try TestImages.exiftool(["-n", try TestImages.file(input, named: "rotated.jpg")])
        #expect(tags["IFD0:Orientation"] as? Int == 6, "the fixture must carry orientation 6: \(tags)")

        for image in try ImageRenderer.render(input, kind: .cover).images {
            let decoded = try #require(TestImages.decode(image.bytes))
            let middle = image.size / 2
            #expect(isRed(decoded.pixel(middle, image.size / 4)), "\(image.size) \(image.format): top is \(decoded.pixel(middle, image.size / 4))")
            #expect(isBlue(decoded.pixel(middle, image.size * 3 / 4)), "\(image.size) \(image.format): bottom is \(decoded.pixel(middle, image.size * 3 / 4))")
        }
    }

    @Test("a greyscale picture with alpha comes out as opaque sRGB, transparency on white")
    func greyAndAlpha() throws {
        // Grey + alpha (2 bands): the left half fully transparent, the right half opaque black.
        let input = TestImages.makeGreyAlpha(width: 400, height: 400) { x, _ in x < 200 ? (0, 0) : (0, 255) }
        for image in try ImageRenderer.render(input, kind: .avatar).images {
            let decoded = try #require(TestImages.decode(image.bytes))
            #expect(decoded.bands == 3)
            #expect(decoded.pixel(image.size / 8, image.size / 2).allSatisfy { $0 > 235 }, "transparent did not become white")
            #expect(decoded.pixel(image.size * 7 / 8, image.size / 2).allSatisfy { $0 < 20 }, "opaque black did not stay black")
        }
    }
}
