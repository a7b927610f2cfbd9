import Foundation
import HTTPTypes
import NIOCore
import Testing
import TuttiTestSupport

/// Files, archives and forms for whole-release uploads, made with real tools (ffmpeg, zip,
/// python3's zipfile for what `zip` refuses to write, exiftool).
enum ReleaseFiles {
    /// A short FLAC tone with tags (`-metadata` of ffmpeg: title, track, disc, album).
    static func flac(in folder: URL, named name: String, seconds: Double = 1, frequency: Int = 440, tags: [String: String] = [:]) async throws -> String {
        let path = folder.appendingPathComponent(name).path
        var arguments = ["-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=\(frequency):duration=\(seconds):sample_rate=44100", "-ac", "2"]
        for (key, value) in tags.sorted(by: { $0.key < $1.key }) { arguments += ["-metadata", "\(key)=\(value)"] }
        let result = try await ThirdPartyTools.run("ffmpeg", arguments + ["-y", path])
        #expect(result.status == 0, "ffmpeg: \(result.stderr)")
        return path
    }

    /// A picture made by ffmpeg's test pattern (PNG or JPEG by the name's extension).
    static func picture(in folder: URL, named name: String, width: Int = 800, height: Int = 600) async throws -> String {
        let path = folder.appendingPathComponent(name).path
        let result = try await ThirdPartyTools.run("ffmpeg", ["-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=\(width)x\(height)", "-frames:v", "1", "-y", path])
        #expect(result.status == 0, "ffmpeg: \(result.stderr)")
        return path
    }

    /// `zip -r -X` of `files` (relative to `folder`) into `archive`.
    static func zip(_ files: [String], in folder: URL, to archive: String) async throws {
        let result = try await ThirdPartyTools.run("sh", ["-c", "cd '\(folder.path)' && zip -q -r -X '\(archive)' " + files.map { "'\($0)'" }.joined(separator: " ")])
        #expect(result.status == 0, "zip: \(result.stderr)")
    }

    /// Runs a python3 script with `zipfile` imported and `out` set to `archive`.
    static func python(_ script: String, archive: String) async throws {
        let result = try await ThirdPartyTools.run("python3", ["-c", "import zipfile, sys\nout = sys.argv[1]\n" + script, archive])
        #expect(result.status == 0, "python3: \(result.stderr)")
    }

    /// A multipart/form-data body: (name, filename or nil for a text field, bytes).
    static func form(_ parts: [(name: String, filename: String?, bytes: [UInt8])]) -> (body: ByteBuffer, contentType: String) {
        let boundary = "tutti-\(UUID().uuidString)"
        var body = ByteBuffer()
        for part in parts {
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\"")
            if let filename = part.filename { body.writeString("; filename=\"\(filename)\"\r\nContent-Type: application/octet-stream") }
            body.writeString("\r\n\r\n")
            body.writeBytes(part.bytes)
            body.writeString("\r\n")
        }
        body.writeString("--\(boundary)--\r\n")
        return (body, "multipart/form-data; boundary=\(boundary)")
    }

    static func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

extension TestAPI {
    /// Sends a whole release; the response as it came.
    func uploadRelease(body: ByteBuffer, contentType: String, by artist: Account) async throws -> TestResponse {
        try await request(.post, "/api/v1/release-uploads", token: artist.token, headers: [.contentType: contentType], body: body)
    }

    /// Waits until a release's processing is no longer "processing"; returns it.
    func waitUntilReleaseProcessed(_ id: String, token: String) async throws -> [String: Any] {
        var last = ""
        return try await waitFor("release \(id) to be processed (last seen: \(last))", timeout: Deadline.long * 2, every: .milliseconds(100)) {
            let response = try await request(.get, "/api/v1/releases/\(id)/processing", token: token)
            last = "\(response.status.code) \(String(buffer: response.body))"
            let object = try response.json()
            return object["status"] as? String == "processing" ? nil : object
        }
    }

    /// What is left in the uploads and work folders (a refused upload must leave nothing).
    func leftovers() throws -> [String] {
        let manager = FileManager.default
        let uploads = try manager.contentsOfDirectory(atPath: configuration.uploadsDirectory)
        let work = try manager.contentsOfDirectory(atPath: configuration.workDirectory)
        return uploads.map { "uploads/\($0)" } + work.map { "work/\($0)" }
    }
}
