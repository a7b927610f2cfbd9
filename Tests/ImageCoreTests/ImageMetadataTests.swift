import Foundation
import ImageCore
import Testing
import TuttiTestSupport

@Suite("Images: no metadata survives", .serialized, .ownThreads)
struct ImageMetadataTests {
    /// exiftool groups (family 1) that describe the file itself, not its origin: the file
    /// system, exiftool's own, JPEG's JFIF density header, WebP's RIFF/VP8 header, and what
    /// exiftool computes from those.
    static let structuralGroups: Set<String> = ["SourceFile", "ExifTool", "System", "File", "JFIF", "RIFF", "Composite"]

    @Test("GPS, camera, XMP, IPTC and comments in a PNG or JPEG are in no output (checked with exiftool)", arguments: ["png", "jpg"])
    func stripped(extension kind: String) throws {
        let folder = Fixtures.scratch()
        let pixels = kind == "png"
            ? TestImages.make(width: 800, height: 600, as: .png) { x, y in (UInt8(x % 256), UInt8(y % 256), 90) }
            : TestImages.make(width: 800, height: 600, as: .jpeg) { x, y in (UInt8(x % 256), UInt8(y % 256), 90) }
        let input = try TestImages.file(pixels, named: "input.\(kind)", in: folder)
        var write = ["-overwrite_original", "-GPSLatitude=48.8584", "-GPSLatitudeRef=N", "-GPSLongitude=2.2945",
                     "-GPSLongitudeRef=E", "-EXIF:Make=SecretCam", "-EXIF:Model=Model-X", "-XMP-dc:Creator=Hidden Person",
                     "-Comment=private comment"]
        if kind == "jpg" { write += ["-IPTC:City=Hiddenville", "-IPTC:By-line=Hidden Person"] }
        let tagging = try ThirdPartyTools.run("exiftool", write + [input])
        #expect(tagging.status == 0, "exiftool could not tag the fixture: \(tagging.stderr)")
        // The fixture really carries what must go.
        let before = try TestImages.exiftool([input])
        #expect(before.keys.contains { $0.hasPrefix("GPS:") }, "fixture has no GPS block: \(before.keys.sorted())")
        #expect(before.keys.contains { $0.hasPrefix("XMP") })

        let rendered = try ImageRenderer.render(Array(try Data(contentsOf: URL(fileURLWithPath: input))), kind: .cover)
        let outputs = Fixtures.scratch()
        try rendered.write(to: outputs.path)
        #expect(Fixtures.files(in: outputs).count == 8)
        for file in Fixtures.files(in: outputs) {
            let tags = try TestImages.exiftool([outputs.appendingPathComponent(file).path])
            let groups = Set(tags.keys.compactMap { $0.split(separator: ":").first.map(String.init) })
            #expect(groups.isSubset(of: Self.structuralGroups), "\(file) keeps \(groups.subtracting(Self.structuralGroups).sorted()): \(tags)")
            let dump = "\(tags)"
            for secret in ["48.8", "SecretCam", "Model-X", "Hidden", "private comment"] {
                #expect(!dump.contains(secret), "\(file) still holds '\(secret)'")
            }
        }
    }
}
