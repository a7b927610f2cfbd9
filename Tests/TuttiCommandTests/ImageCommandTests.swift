import Foundation
import Testing
import TuttiTestSupport

@Suite("tutti image", .ownThreads)
struct ImageCommandTests {
    /// A photo-like JPEG made by ffmpeg: its test pattern with noise.
    static func photo(width: Int, height: Int, in folder: URL) throws -> String {
        let path = folder.appendingPathComponent("photo.jpg").path
        let run = try ThirdPartyTools.run("ffmpeg", ["-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=\(width)x\(height)",
                                                     "-vf", "noise=alls=20:allf=u", "-frames:v", "1", "-q:v", "3", "-y", path])
        #expect(run.status == 0, "\(run.stderr)")
        return path
    }

    @Test("cover writes eight files named by their SHA-256 and a manifest; exit 0", arguments: ["cover", "avatar"])
    func succeeds(kind: String) throws {
        let folder = Fixtures.scratch()
        let input = try Self.photo(width: 900, height: 600, in: folder)
        let outputs = folder.appendingPathComponent("out")
        let manifest = folder.appendingPathComponent("m.json").path
        // The server's default job limit.
        let run = try tutti("image", kind, input, outputs.path, "--manifest", manifest, "--memory-limit", String(1 << 30))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.isEmpty, "stderr: \(run.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifest))) as? [String: Any]
        #expect(json?["kind"] as? String == kind)
        let source = json?["source"] as? [String: Any]
        #expect(source?["format"] as? String == "jpeg" && source?["width"] as? Int == 900 && source?["height"] as? Int == 600)
        let listed = json?["outputs"] as? [[String: Any]] ?? []
        let sizes = kind == "cover" ? [1200, 600, 300, 96] : [400, 96]
        #expect(listed.map { $0["size"] as? Int } == sizes.flatMap { [$0, $0] })
        #expect(Fixtures.files(in: outputs) == listed.compactMap { $0["file"] as? String }.sorted())
        for output in listed {
            let path = outputs.appendingPathComponent(output["file"] as? String ?? "?").path
            let sum = try ThirdPartyTools.run("sha256sum", [path]).stdout
            #expect(sum.hasPrefix((output["sha256"] as? String ?? "?") + " "))
            let probe = try ThirdPartyTools.run("ffprobe", ["-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0", path])
            let size = output["size"] as? Int ?? 0
            #expect(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "\(size),\(size)", "\(path): \(probe.stdout)")
        }
    }

    @Test("refusals print one line, exit 1 and leave nothing behind", arguments: [
        ("huge", "the image is 100000 × 100000 pixels (10000 megapixels); at most 50 megapixels are accepted"),
        ("truncated", "the image is damaged or truncated ("),
        ("text", "the file is text; Tutti accepts JPEG, PNG or WebP images"),
        ("gif", "the file is a GIF image; Tutti accepts JPEG, PNG or WebP images"),
        ("missing", "No such file or directory"),
    ])
    func refuses(kind: String, message: String) throws {
        let folder = Fixtures.scratch()
        let input = folder.appendingPathComponent("upload").path
        switch kind {
        case "huge": try Data(DeclaredPNG.make(width: 100_000, height: 100_000)).write(to: URL(fileURLWithPath: input))
        case "truncated":
            let whole = try Data(contentsOf: URL(fileURLWithPath: try Self.photo(width: 1_200, height: 900, in: folder)))
            try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: input))
        case "text": try Data("1. Intro\n2. Outro\n".utf8).write(to: URL(fileURLWithPath: input))
        case "gif": try Data("GIF89a".utf8 + [1, 0, 1, 0, 0, 0, 0, 0x3B]).write(to: URL(fileURLWithPath: input))
        default: break
        }
        let outputs = folder.appendingPathComponent("out")
        // A huge header is refused before libvips even starts, so the smallest memory limit
        // (64 MiB) is enough; decoding gets the server's default job limit (1 GiB).
        let limit = kind == "huge" ? 64 << 20 : 1 << 30
        let run = try tutti("image", "cover", input, outputs.path, "--manifest", folder.appendingPathComponent("m.json").path,
                            "--memory-limit", String(limit))
        #expect(run.status == 1)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(run.stderr)")
        #expect(lines.first?.hasPrefix("tutti image: \(input): ") == true, "stderr: \(run.stderr)")
        #expect(lines.first?.contains(message) == true, "stderr: \(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: outputs.path))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("m.json").path))
    }

    @Test("bad arguments are refused before any work", arguments: [["poster", "a.jpg", "out"], ["cover", "a.jpg", "out", "--memory-limit", "1000"]])
    func badArguments(arguments: [String]) throws {
        let run = try ThirdPartyTools.run(Fixtures.tuttiExecutable, ["image"] + arguments)
        #expect(run.status != 0)
        #expect(run.stderr.contains("Error:"), "\(run.stderr)")
    }
}
