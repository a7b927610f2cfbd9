import AudioCore
import Foundation
import Testing
import TuttiTestSupport

@Suite("Tagged downloads: new headers, the same audio pages", .ownThreads)
struct RetagTests {
    /// A stored rendition: a minute of the demo music, transcoded as the server does.
    static let stored: (path: String, gain: Int16) = {
        let result = try! transcode(Fixtures.demo("river-song.ogg"))
        return (result.renditions[0].path, result.loudness.trackGainQ78)
    }()

    /// A real 600 × 600 JPEG made by ffmpeg (a test pattern with noise, about 200 KB, so the
    /// comment header spans several pages).
    static func coverJPEG() throws -> [UInt8] {
        let path = Fixtures.scratch().appendingPathComponent("cover.jpg").path
        let run = try ThirdPartyTools.run("ffmpeg", ["-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=600x600",
                                                     "-vf", "noise=alls=40:allf=u", "-frames:v", "1", "-q:v", "1", "-y", path])
        #expect(run.status == 0, "\(run.stderr)")
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func tags(cover: [UInt8]?) -> DownloadTags {
        DownloadTags(
            title: "Río Song", artist: "Béla & The Pages", album: "Tagged Without Re-encoding", trackNumber: 3,
            discNumber: 1, date: "2024-05-01", isrc: "GBAYE2400001", license: "CC BY 4.0",
            cover: cover.map { CoverPicture(mimeType: "image/jpeg", width: 600, height: 600, data: $0) })
    }

    private func writeCopy(_ retagger: OpusRetagger) throws -> String {
        let path = Fixtures.scratch().appendingPathComponent("tagged.opus").path
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let written = try retagger.write { handle.write(Data($0)) }
        #expect(written == retagger.contentLength)
        return path
    }

    @Test("the tagged copy passes opusinfo and oggz-validate, is exactly the announced length and decodes sample-exact")
    func validAndExact() throws {
        let retagger = try OpusRetagger(source: Self.stored.path, tags: Self.tags(cover: try Self.coverJPEG()))
        let copy = try writeCopy(retagger)
        let size = try FileManager.default.attributesOfItem(atPath: copy)[.size] as? Int
        #expect(size.map(Int64.init) == retagger.contentLength)
        try ThirdPartyTools.expectValid(copy)

        let original = try DecodedOpus(path: Self.stored.path)
        let tagged = try DecodedOpus(path: copy)
        #expect(tagged.channels == original.channels && tagged.preSkip == original.preSkip)
        #expect(tagged.frames == original.frames)
        #expect(tagged.samples == original.samples, "decoded samples differ")
    }

    @Test("the tags read back with libopusfile and ffprobe, the cover as a front-cover picture")
    func tagsReadBack() throws {
        let cover = try Self.coverJPEG()
        let copy = try writeCopy(try OpusRetagger(source: Self.stored.path, tags: Self.tags(cover: cover)))
        let comments = try DecodedOpus(path: copy).comments
        #expect(comments["TITLE"] == "Río Song")
        #expect(comments["ARTIST"] == "Béla & The Pages")
        #expect(comments["ALBUM"] == "Tagged Without Re-encoding")
        #expect(comments["TRACKNUMBER"] == "3")
        #expect(comments["DISCNUMBER"] == "1")
        #expect(comments["DATE"] == "2024-05-01")
        #expect(comments["ISRC"] == "GBAYE2400001")
        #expect(comments["LICENSE"] == "CC BY 4.0")
        // Not given, so the stored rendition's loudness gain is kept.
        #expect(comments["R128_TRACK_GAIN"] == String(Self.stored.gain))
        let picture = try #require(comments["METADATA_BLOCK_PICTURE"].flatMap { Data(base64Encoded: $0) })
        #expect(Array(picture.prefix(4)) == [0, 0, 0, 3], "picture type is not 3 (front cover)")
        #expect(Array(picture.suffix(cover.count)) == cover)

        let probe = try ThirdPartyTools.run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_type,codec_name,width,height:stream_tags:stream_disposition=attached_pic", "-of", "json", copy])
        #expect(probe.status == 0, "\(probe.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(probe.stdout.utf8)) as? [String: Any]
        let streams = json?["streams"] as? [[String: Any]] ?? []
        let audioTags = streams.first { $0["codec_type"] as? String == "audio" }?["tags"] as? [String: String] ?? [:]
        #expect(audioTags["TITLE"] == "Río Song" && audioTags["ARTIST"] == "Béla & The Pages" && audioTags["ISRC"] == "GBAYE2400001"
                && audioTags["track"] == "3" && audioTags["LICENSE"] == "CC BY 4.0", "ffprobe tags: \(audioTags)")
        let pictureStream = streams.first { $0["codec_type"] as? String == "video" }
        #expect(pictureStream?["codec_name"] as? String == "mjpeg" && pictureStream?["width"] as? Int == 600, "ffprobe streams: \(streams)")
        #expect((pictureStream?["tags"] as? [String: String])?["comment"] == "Cover (front)")
        #expect((pictureStream?["disposition"] as? [String: Int])?["attached_pic"] == 1)
    }

    @Test("only sequence numbers and checksums change in the audio pages; granules stay")
    func audioPagesUnchanged() throws {
        let cover = try Self.coverJPEG()
        #expect(cover.count > 100_000, "the cover must need more than one page; it is \(cover.count) bytes")
        let copy = try writeCopy(try OpusRetagger(source: Self.stored.path, tags: Self.tags(cover: cover)))
        let source = try OggPage.read(path: Self.stored.path)
        let tagged = try OggPage.read(path: copy)
        // Both begin with OpusHead alone on page 0; the picture needs more than one tags page.
        let sourceAudio = source.drop { $0.granule == 0 }
        let taggedAudio = tagged.drop { $0.granule == 0 || $0.granule == -1 }
        #expect(tagged.count - taggedAudio.count > source.count - sourceAudio.count)
        #expect(sourceAudio.count == taggedAudio.count)
        for (before, after) in zip(sourceAudio, taggedAudio) {
            #expect(before.granule == after.granule && before.body == after.body && before.headerType == after.headerType)
        }
        #expect(tagged.map(\.sequence) == Array(0..<UInt32(tagged.count)), "sequence numbers are not 0, 1, 2, ...")
    }

    @Test("a reader hands out the copy in chunks of about 64 KiB that add up to it")
    func chunks() throws {
        let retagger = try OpusRetagger(source: Self.stored.path, tags: DownloadTags(title: "Short", trackGain: -512))
        let reader = try retagger.makeReader()
        var chunks: [[UInt8]] = []
        while let chunk = try reader.next() { chunks.append(chunk) }
        #expect(chunks.count > 2)
        #expect(chunks.dropFirst().allSatisfy { $0.count <= 65_536 + 65_307 })
        #expect(Int64(chunks.reduce(0) { $0 + $1.count }) == retagger.contentLength)
        let path = Fixtures.scratch().appendingPathComponent("chunks.opus").path
        try Data(chunks.joined()).write(to: URL(fileURLWithPath: path))
        try ThirdPartyTools.expectValid(path)
        #expect(try DecodedOpus(path: path).comments["R128_TRACK_GAIN"] == "-512")
    }

    @Test("a stored file that is not Ogg Opus, or damaged, is refused with a reason")
    func refusals() throws {
        let folder = Fixtures.scratch()
        let notOgg = folder.appendingPathComponent("x.opus").path
        try Data("not an ogg file at all".utf8).write(to: URL(fileURLWithPath: notOgg))
        #expect(throws: AudioError.notAudio(detail: "no Ogg page at byte 0")) { try OpusRetagger(source: notOgg, tags: DownloadTags()) }

        // Flip a byte inside an audio page: the checksum check notices while streaming.
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: Self.stored.path)))
        bytes[bytes.count - 100] ^= 0xFF
        let damaged = folder.appendingPathComponent("damaged.opus").path
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        let retagger = try OpusRetagger(source: damaged, tags: DownloadTags(title: "x"))
        #expect(throws: AudioError.self) { try retagger.write { _ in } }
    }
}
