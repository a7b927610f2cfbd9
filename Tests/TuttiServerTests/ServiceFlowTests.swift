import Foundation
import HTTPTypes
import NIOCore
import Testing
import TuttiServer
import TuttiTestSupport

@Suite("A musician uploads, a listener streams: live HTTP on loopback")
struct ServiceFlowTests {
    @Test("upload a WAV (raw body) and an MP3 (multipart), wait for ready, stream and seek with Range, decode with ffmpeg")
    func uploadAndStream() async throws {
        try await TestService().run { api in
            let artist = try await api.account("ada", role: "artist")
            // Raw body, title in the query.
            let wavID = try await api.upload(Fixtures.media("sine-440l-1000r-44100-stereo.wav"), title: "Two Tones", by: artist)
            // Multipart form with title, album and the file.
            let boundary = "tutti-boundary-7MA4YWxkTrZu0gW"
            var form = Data()
            func field(_ name: String, _ value: String) {
                form += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
            }
            field("title", "Flac Tone, as MP3")
            field("album", "Test Tones")
            form += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"tone.mp3\"\r\nContent-Type: audio/mpeg\r\n\r\n".utf8)
            form += try Data(contentsOf: URL(fileURLWithPath: Fixtures.media("sine-440-44100-stereo.mp3")))
            form += Data("\r\n--\(boundary)--\r\n".utf8)
            let multipart = try await api.request(.post, "/api/v1/tracks", token: artist.token,
                                                  headers: [.contentType: "multipart/form-data; boundary=\(boundary)"], body: ByteBuffer(data: form))
            #expect(multipart.status == .accepted)
            #expect(multipart.headers[.location]?.hasPrefix("/api/v1/tracks/") == true)
            let mp3ID = try multipart.json()["id"] as! String

            for (id, samples) in [(wavID, 48_000), (mp3ID, 96_000)] {
                let track = try await api.waitUntilProcessed(id, token: artist.token)
                #expect(track["status"] as? String == "ready", "\(track["failureReason"] ?? "")")
                #expect(track["progress"] as? Int == 100)
                #expect(track["durationSeconds"] as? Double == Double(samples) / 48_000)
                let renditions = track["renditions"] as! [[String: Any]]
                #expect(renditions.map { $0["name"] as? String } == ["standard", "low"])
                #expect(renditions.map { $0["bitrate"] as? Int } == [128_000, 48_000])
                let loudness = track["loudness"] as! [String: Any]
                #expect(loudness["integratedLUFS"] is Double)
                let peaks = track["peaks"] as! [String: Any]
                #expect((peaks["maximums"] as! [Double]).count == 1_000)
                // Not published yet: invisible to others.
                #expect(try await api.request(.get, "/api/v1/tracks/\(id)").status == .notFound)
                // Free: its plain URL streams to anyone (metered tracks need a play session; see PlayMeteringTests).
                #expect(try await api.request(.patch, "/api/v1/tracks/\(id)", token: artist.token, json: ["published": true, "free": true]).status == .ok)

                let url = renditions[0]["url"] as! String
                let whole = try await api.request(.get, url)
                #expect(whole.status == .ok)
                #expect(whole.headers[.contentType] == "audio/ogg; codecs=opus")
                #expect(whole.headers[.acceptRanges] == "bytes")
                #expect(whole.headers[.init("X-Content-Type-Options")!] == "nosniff")
                let bytes = Data(buffer: whole.body)
                #expect(bytes.count == renditions[0]["bytes"] as? Int)
                #expect(bytes.prefix(4) == Data("OggS".utf8))
                // Ranges return exactly those bytes.
                for (header, expected) in [("bytes=0-99", bytes[0..<100]), ("bytes=1000-", bytes[1000...]), ("bytes=-500", bytes[(bytes.count - 500)...])] {
                    let part = try await api.request(.get, url, headers: [.range: header])
                    #expect(part.status == .partialContent)
                    #expect(Data(buffer: part.body) == Data(expected))
                    #expect(part.headers[.contentLength] == String(expected.count))
                }
                // A real client decodes the stream over HTTP to the exact length.
                let probe = try await ThirdPartyTools.run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,sample_rate,channels", "-of", "csv=p=0", api.baseURL + url])
                #expect(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "opus,48000,2")
                let decoded = try await ThirdPartyTools.ffmpegFrames(api.baseURL + url, channels: 2)
                #expect(decoded == samples)
                // ffmpeg seeks with Range requests and still decodes the rest.
                let seek = try await ThirdPartyTools.run("ffmpeg", ["-nostdin", "-v", "error", "-ss", "0.5", "-i", api.baseURL + url, "-f", "null", "-"])
                #expect(seek.status == 0, "\(seek.stderr)")
            }
            // The catalog lists and searches both.
            let all = try await api.request(.get, "/api/v1/tracks").json()
            #expect(all["total"] as? Int == 2)
            let search = try await api.request(.get, "/api/v1/tracks?q=mp3").json()
            #expect((search["items"] as! [[String: Any]]).map { $0["id"] as? String } == [mp3ID])
            let byAlbum = try await api.request(.get, "/api/v1/tracks?q=test%20tones").json()
            #expect(byAlbum["total"] as? Int == 1)
            let artists = try await api.request(.get, "/api/v1/artists?q=ada").json()
            #expect(artists["total"] as? Int == 1)
            let paged = try await api.request(.get, "/api/v1/tracks?limit=1").json()
            #expect((paged["items"] as! [Any]).count == 1)
            #expect(paged["next"] as? String == "/api/v1/tracks?limit=1&offset=1")
        }
    }

    @Test("curl streams, resumes and reads HEAD like any HTTP client")
    func curlClient() async throws {
        try await TestService().run { api in
            let artist = try await api.account("bela", role: "artist")
            let id = try await api.publishedTrack(Fixtures.media("sine-440-44100-stereo.flac"), title: "Tone", by: artist, free: true)
            let url = api.baseURL + "/api/v1/tracks/\(id)/audio/standard"
            let folder = Fixtures.scratch()
            let file = folder.appendingPathComponent("tone.opus").path
            let head = try await ThirdPartyTools.run("curl", ["-sfI", url])
            #expect(head.stdout.contains("Content-Type: audio/ogg; codecs=opus"))
            let length = Int(head.stdout.split(separator: "\r\n").first { $0.hasPrefix("Content-Length: ") }!.dropFirst(16))!
            // Download the first half, then resume where it stopped, as `curl -C -` does.
            _ = try await ThirdPartyTools.run("curl", ["-sf", "-r", "0-\(length / 2 - 1)", "-o", file, url])
            let resume = try await ThirdPartyTools.run("curl", ["-sf", "-C", "-", "-o", file, url])
            #expect(resume.status == 0, "\(resume.stderr)")
            let whole = try await api.request(.get, "/api/v1/tracks/\(id)/audio/standard")
            #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == Data(buffer: whole.body))
            try await ThirdPartyTools.expectValid(file)
        }
    }

    @Test("an upload sent with Expect: 100-continue (curl does so above 1 MiB) is told to go on before it sends its body")
    func expectContinue() async throws {
        try await TestService().run { api in
            let artist = try await api.account("ada", role: "artist")
            let wav = Data(TestWAV.sine(frequency: 440, dBFS: -6, seconds: 2, sampleRate: 48_000, channels: 1).bytes())
            let connection = try RawConnection(port: api.port)
            let (interim, final) = try await RawConnection.onThread { () -> (String, String) in
                connection.send("POST /api/v1/tracks?title=Continued HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(artist.token)\r\n"
                    + "Content-Length: \(wav.count)\r\nExpect: 100-continue\r\n\r\n")
                // Nothing of the body is sent until the server says so.
                let interim = connection.read { String(decoding: $0, as: UTF8.self).contains("\r\n\r\n") }
                connection.send(wav)
                return (String(decoding: interim, as: UTF8.self), connection.readResponse())
            }
            #expect(interim.hasPrefix("HTTP/1.1 100 Continue\r\n"))
            #expect(final.hasPrefix("HTTP/1.1 202 Accepted\r\n"), "\(final)")
        }
    }
}
