import Foundation
import Testing
import TuttiServer
import TuttiTestSupport

/// The original upload downloads under the track's title with its own format's extension
/// (RFC 6266: an ASCII `filename` and the exact UTF-8 `filename*`).
@Suite("Original downloads: named by title, with the upload's extension")
struct OriginalDownloadTests {
    /// The parameters of a Content-Disposition value (`filename*` percent-decoded).
    static func parameters(_ disposition: String) -> (type: String, filename: String?, filenameStar: String?) {
        let parts = disposition.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        var filename: String?
        var star: String?
        for part in parts.dropFirst() {
            if part.hasPrefix("filename=\""), part.hasSuffix("\"") {
                filename = String(part.dropFirst("filename=\"".count).dropLast())
            } else if part.hasPrefix("filename*=UTF-8''") {
                star = String(part.dropFirst("filename*=UTF-8''".count)).removingPercentEncoding
            }
        }
        return (parts.first ?? "", filename, star)
    }

    @Test("each format gets its extension; a title with dots or accents keeps them in filename*", arguments: [
        ("sine-440-44100-stereo.flac", "Écoute «live»", "flac", "_coute _live_ (original).flac"),
        ("sine-1000-48000-mono.wav", "my.opus mix", "wav", "my.opus mix (original).wav"),
        ("chirp-44100-mono.aiff", "Chirp", "aiff", "Chirp (original).aiff"),
        ("sine-440-44100-stereo.mp3", "Song; \"quoted\" 100%", "mp3", "Song_ _quoted_ 100_ (original).mp3"),
    ])
    func names(fixture: String, title: String, fileExtension: String, fallback: String) async throws {
        try await TestService().run { api in
            let artist = try await api.account("ada", role: "artist")
            let id = try await api.upload(Fixtures.media(fixture), title: title, by: artist)
            _ = try await api.waitUntilProcessed(id, token: artist.token)
            let response = try await api.request(.get, "/api/v1/tracks/\(id)/original", token: artist.token)
            #expect(response.status == .ok)
            let disposition = try #require(response.headers[.contentDisposition])
            let (type, filename, star) = Self.parameters(disposition)
            #expect(type == "attachment", "\(disposition)")
            #expect(filename == fallback, "\(disposition)")
            #expect(star == "\(title) (original).\(fileExtension)", "\(disposition)")
            #expect(disposition.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 && $0.value != 0x7F }, "\(disposition)")
        }
    }

    @Test("curl -OJ saves the original under its title with the right extension, byte for byte")
    func curlSavesIt() async throws {
        try await TestService().run { api in
            let artist = try await api.account("ada", role: "artist")
            let source = Fixtures.media("sine-440-44100-stereo.flac")
            let id = try await api.upload(source, title: "Morning Take", by: artist)
            _ = try await api.waitUntilProcessed(id, token: artist.token)
            let folder = Fixtures.scratch("curl-original")
            let curl = try await ThirdPartyTools.run("sh", ["-c", """
                cd '\(folder.path)' && curl -sfOJ -H 'Authorization: Bearer \(artist.token)' '\(api.baseURL)/api/v1/tracks/\(id)/original'
                """])
            #expect(curl.status == 0, "\(curl.stderr)")
            let saved = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            #expect(saved == ["Morning Take (original).flac"])
            let bytes = try Data(contentsOf: folder.appendingPathComponent("Morning Take (original).flac"))
            #expect(bytes == (try Data(contentsOf: URL(fileURLWithPath: source))))
        }
    }
}
