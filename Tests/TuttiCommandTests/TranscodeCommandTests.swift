import Foundation
import Testing
import TuttiTestSupport

/// Runs the built `tutti` executable.
func tutti(_ arguments: String...) throws -> ThirdPartyTools.Output {
    try ThirdPartyTools.run(Fixtures.tuttiExecutable, arguments)
}

@Suite("tutti transcode and tutti probe", .ownThreads)
struct TranscodeCommandTests {
    @Test("transcode writes a valid file, extra renditions and a manifest; exit 0")
    func transcodeSucceeds() throws {
        let folder = Fixtures.scratch()
        let output = folder.appendingPathComponent("song.opus").path
        let low = folder.appendingPathComponent("song-low.opus").path
        let manifest = folder.appendingPathComponent("song.json").path
        let run = try tutti("transcode", Fixtures.media("sine-440-44100-stereo.flac"), output, "--bitrate", "96", "--also", "32:\(low)", "--manifest", manifest, "--peaks", "50", "--progress")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(Fixtures.files(in: folder) == ["song-low.opus", "song.json", "song.opus"])
        try ThirdPartyTools.expectValid(output)
        try ThirdPartyTools.expectValid(low)
        // Progress lines rise to 100.
        let progress = run.stderr.split(separator: "\n").compactMap { $0.hasPrefix("progress ") ? Int($0.dropFirst(9)) : nil }
        #expect(progress.last == 100)
        #expect(progress == progress.sorted())
        // The manifest carries what the server needs.
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifest))) as! [String: Any]
        #expect(json["samples"] as? Int == 96_000)
        let renditions = json["renditions"] as! [[String: Any]]
        #expect(renditions.map { $0["bitrate"] as? Int } == [96_000, 32_000])
        let index = renditions[0]["pageIndex"] as! [String: Any]
        #expect((index["offsets"] as! [Int]).first == 0)
        #expect((index["granules"] as! [Int]).last == 96_000 + 312)
        let peaks = json["peaks"] as! [String: Any]
        #expect((peaks["maximums"] as! [Double]).count == 50)
        let loudness = json["loudness"] as! [String: Any]
        #expect(loudness["integratedLUFS"] is Double)
        let tags = json["tags"] as! [String: Any]
        #expect(tags["title"] as? String == "Flac Tone")
    }

    @Test("failures print one line a musician understands, exit non-zero and leave nothing", arguments: [
        ("empty", "the file is empty"),
        ("random", "not an audio file"),
        ("truncated", "file is truncated after 0.5 s"),
        ("rate", "unsupported sample rate 4000 Hz (Tutti accepts 8000 to 192000 Hz)"),
        ("channels", "too many channels: 9 (Tutti accepts 1 to 8)"),
        ("missing", "No such file or directory"),
    ])
    func transcodeFails(kind: String, message: String) throws {
        let folder = Fixtures.scratch()
        let input = folder.appendingPathComponent("input.wav")
        switch kind {
        case "empty": try Data().write(to: input)
        case "random":
            var generator = SplitMix(seed: 3)
            try generator.bytes(100_000).write(to: input)
        case "truncated":
            // A 1 s stereo 16-bit WAV cut after its 44-byte header and 0.5 s of audio.
            let whole = TestWAV.sine(frequency: 440, dBFS: -6, seconds: 1, sampleRate: 48_000, channels: 2).bytes()
            try whole.prefix(44 + 48_000 * 2 * 2 / 2).write(to: input)
        case "rate": TestWAV.sine(frequency: 440, dBFS: -6, seconds: 0.5, sampleRate: 4_000, channels: 1).write(to: input)
        case "channels": TestWAV(sampleRate: 48_000, channels: 9, samples: [Float](repeating: 0, count: 9 * 480)).write(to: input)
        default: break
        }
        let outputs = Fixtures.scratch()
        let run = try tutti("transcode", input.path, outputs.appendingPathComponent("out.opus").path, "--also", "48:\(outputs.path)/low.opus", "--manifest", outputs.appendingPathComponent("m.json").path)
        #expect(run.status != 0)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(run.stderr)")
        #expect(lines.first?.contains(message) == true, "stderr: \(run.stderr)")
        #expect(lines.first?.hasPrefix("tutti transcode: \(input.path): ") == true)
        #expect(Fixtures.files(in: outputs).isEmpty)
    }

    @Test("bad options are refused before any work", arguments: [
        ["--bitrate", "1000"], ["--also", "48"], ["--also", "abc:x.opus"], ["--peaks", "0"],
    ])
    func badOptions(options: [String]) throws {
        let folder = Fixtures.scratch()
        let run = try ThirdPartyTools.run(Fixtures.tuttiExecutable, ["transcode", Fixtures.media("sine-1000-48000-mono.wav"), folder.appendingPathComponent("o.opus").path] + options)
        #expect(run.status != 0)
        #expect(run.stderr.contains("Error:"))
        #expect(Fixtures.files(in: folder).isEmpty)
    }

    @Test("probe prints format, channels, rate, duration, tags and loudness")
    func probe() throws {
        let run = try tutti("probe", Fixtures.media("sine-440-44100-stereo.mp3"))
        #expect(run.status == 0)
        for expected in ["format:     MP3", "channels:   2", "rate:       44100 Hz", "duration:   0:02.000", "title:      Mp3 Tone",
                         "artist:     Tutti Fixtures", "album:      Test Tones", "LUFS", "dBTP", "R128_TRACK_GAIN="] {
            #expect(run.stdout.contains(expected), "missing \(expected) in\n\(run.stdout)")
        }
        let json = try tutti("probe", "--json", Fixtures.media("surround-51-48000.wav"))
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        #expect((object["source"] as! [String: Any])["channels"] as? Int == 6)
    }

    @Test("probe --header-only prints the header and tags as JSON, TRACKNUMBER and DISCNUMBER included, without decoding", arguments: [
        ("flac", "3/12", "2"), ("ogg", "7", "3/4"), ("ogg", "7", nil), ("mp3", nil, "2/2"), ("wav", nil, nil),
    ] as [(String, String?, String?)])
    func probeHeaderOnly(container: String, track: String?, disc: String?) throws {
        let path = Fixtures.scratch().appendingPathComponent("tagged.\(container)").path
        var arguments = ["-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-metadata", "title=Tagged Title"]
        if let track { arguments += ["-metadata", "track=\(track)"] }
        if let disc { arguments += ["-metadata", "disc=\(disc)"] }
        let made = try ThirdPartyTools.run("ffmpeg", arguments + ["-y", path])
        #expect(made.status == 0, "\(made.stderr)")
        let run = try tutti("probe", path, "--header-only")
        #expect(run.status == 0, "\(run.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        let tags = json["tags"] as! [String: Any]
        #expect(tags["title"] as? String == "Tagged Title")
        #expect(tags["trackNumber"] as? String == track)
        #expect(tags["discNumber"] as? String == disc)
        #expect(json["frames"] as? Int == 44_100)
        #expect(json["loudness"] == nil)
    }

    @Test("probe of something that is not audio fails with one line")
    func probeFails() throws {
        let folder = Fixtures.scratch()
        let path = folder.appendingPathComponent("notes.txt")
        try Data("just words".utf8).write(to: path)
        let run = try tutti("probe", path.path)
        #expect(run.status == 1)
        #expect(run.stderr == "tutti probe: \(path.path): not an audio file\n")
    }
}
