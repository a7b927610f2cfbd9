import ArgumentParser
import AudioCore
import FoundationEssentials

struct Probe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show an audio file's format, channels, rate, duration, tags and loudness."
    )

    @Argument(help: "The audio file to inspect.")
    var file: String

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Flag(help: "Read the header only (format, length, tags) and print it as JSON, without decoding the audio: how the server learns an upload's tags.")
    var headerOnly = false

    @Option(help: ArgumentHelp("Refuse to use more than this many bytes of address space (a safety limit for servers).", valueName: "bytes"))
    var memoryLimit: Int?

    func run() throws {
        if let memoryLimit { try Transcode.limitMemory(to: memoryLimit) }
        if headerOnly {
            Transcode.dieWithParentIfAsked()
            let info: SourceInfo
            do {
                let format = try FormatSniffer.sniff(path: file).get()
                info = try SoundFileDecoder(path: file, format: format).info
            } catch {
                throw error.exit(command: "probe", file: file)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(info), as: UTF8.self))
            return
        }
        let result: ProbeResult
        do {
            result = try AudioProbe.probe(path: file)
        } catch {
            throw error.exit(command: "probe", file: file)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
            return
        }
        let source = result.source
        print("format:     \(source.format.rawValue) (\(source.encoding))")
        print("channels:   \(source.channels)")
        print("rate:       \(source.sampleRate) Hz")
        print("duration:   \(Self.duration(source.durationSeconds)) (\(source.frames) frames)")
        print("title:      \(source.tags.title ?? "-")")
        print("artist:     \(source.tags.artist ?? "-")")
        print("album:      \(source.tags.album ?? "-")")
        print("track:      \(source.tags.trackNumber ?? "-")")
        print("disc:       \(source.tags.discNumber ?? "-")")
        let loudness = result.loudness
        print("loudness:   \(loudness.integratedLUFS.map { Self.decimal($0, 1) + " LUFS" } ?? "silent")")
        print("true peak:  \(loudness.truePeakDBTP.map { Self.decimal($0, 1) + " dBTP" } ?? "silent")")
        print("track gain: \(Self.decimal(Double(loudness.trackGainQ78) / 256, 2)) dB (R128_TRACK_GAIN=\(loudness.trackGainQ78))")
    }

    static func duration(_ seconds: Double) -> String {
        let millis = Int((seconds * 1000).rounded())
        let (m, s, ms) = (millis / 60_000, (millis / 1000) % 60, millis % 1000)
        return "\(m):\(s < 10 ? "0" : "")\(s).\(String(ms + 1000).dropFirst())"
    }

    static func decimal(_ value: Double, _ places: Int) -> String {
        let scale = places == 1 ? 10.0 : 100.0
        let scaled = Int((abs(value) * scale).rounded())
        let whole = scaled / Int(scale)
        let fraction = String(scaled % Int(scale) + Int(scale)).dropFirst()
        return "\(value < 0 && scaled != 0 ? "-" : "")\(whole).\(fraction)"
    }
}
