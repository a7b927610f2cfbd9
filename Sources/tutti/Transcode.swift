import ArgumentParser
import AudioCore
import Dispatch
import FoundationEssentials

#if canImport(Glibc)
import Glibc
/// RLIMIT_AS arrives as an enum case Swift cannot pass to setrlimit directly.
private let RLIMIT_AS_VALUE = __rlimit_resource_t(RLIMIT_AS.rawValue)
#endif

struct Transcode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Transcode an upload (WAV, FLAC, AIFF, MP3, Ogg Vorbis) to Ogg Opus.",
        discussion: """
            Decodes INPUT once and writes OUTPUT, plus one file per --also, resampled to 48 kHz \
            and encoded with libopus (20 ms frames, VBR, complexity 10). Loudness (EBU R128) is \
            measured in the same pass and written as R128_TRACK_GAIN. Files appear only when \
            complete; on failure the reason is printed and nothing is left behind.
            """
    )

    @Argument(help: "The upload to transcode.")
    var input: String

    @Argument(help: "The Ogg Opus file to write.")
    var output: String

    @Option(help: "Bitrate of OUTPUT in kb/s (default: 128 for stereo, 64 for mono).")
    var bitrate: Int?

    @Option(name: .customLong("also"), help: ArgumentHelp("A further rendition from the same pass, as KBPS:PATH (e.g. 48:low.opus).", valueName: "kbps:path"))
    var extraRenditions: [String] = []

    @Option(help: ArgumentHelp("Also write the low-bandwidth rendition (48 kb/s stereo, 24 kb/s mono) here.", valueName: "path"))
    var low: String?

    @Option(help: ArgumentHelp("Refuse to use more than this many bytes of address space (a safety limit for servers).", valueName: "bytes"))
    var memoryLimit: Int?

    @Option(help: ArgumentHelp("Write a JSON manifest: source, loudness, waveform peaks and every rendition's page index.", valueName: "path"))
    var manifest: String?

    @Option(help: "Bins in the waveform peaks of the manifest.")
    var peaks: Int = 1_000

    @Option(help: "Title to write instead of the upload's own.")
    var title: String?

    @Option(help: "Artist to write instead of the upload's own.")
    var artist: String?

    @Option(help: "Album to write instead of the upload's own.")
    var album: String?

    @Flag(help: "Print 'progress N' lines (N in percent) to standard error as decoding advances.")
    var progress = false

    func validate() throws {
        if let bitrate { try Self.checkBitrate(bitrate) }
        for extra in extraRenditions { _ = try Self.parseRendition(extra) }
        guard (1...100_000).contains(peaks) else { throw ValidationError("--peaks must be between 1 and 100000") }
        if let memoryLimit, memoryLimit < 64 << 20 { throw ValidationError("--memory-limit must be at least 64 MiB (67108864 bytes)") }
    }

    /// Caps this process's address space, so a hostile file cannot exhaust the machine.
    static func limitMemory(to bytes: Int) throws {
        var limit = rlimit(rlim_cur: rlim_t(bytes), rlim_max: rlim_t(bytes))
        guard setrlimit(RLIMIT_AS_VALUE, &limit) == 0 else {
            throw AudioError.io(path: "setrlimit", detail: String(cString: strerror(errno))).exit(command: "transcode", file: "--memory-limit")
        }
    }

    static func checkBitrate(_ kbps: Int) throws {
        guard RenditionSpec.bitrates.contains(kbps * 1000) else {
            throw ValidationError("bitrate \(kbps) kb/s is outside libopus's range of 6 to 510 kb/s")
        }
    }

    static func parseRendition(_ text: String) throws -> RenditionSpec {
        guard let colon = text.firstIndex(of: ":"), let kbps = Int(text[..<colon]), colon != text.index(before: text.endIndex) else {
            throw ValidationError("--also takes KBPS:PATH, e.g. 48:low.opus; got '\(text)'")
        }
        try checkBitrate(kbps)
        return RenditionSpec(path: String(text[text.index(after: colon)...]), bitrate: kbps * 1000)
    }

    /// The server runs each job as `tutti transcode` with `TUTTI_PARENT_PID` set: the job must
    /// not outlive a server that was killed outright (SIGKILL, a crash), or it would go on
    /// writing into the work folder of the job the restarted server runs again. The job runs
    /// in a process group of its own (so a kill reaches what it starts), which a dying
    /// parent's group does not take down. A watchdog thread ends the job once its parent is
    /// gone (the kernel then gives it another parent). Not the kernel's parent-death signal:
    /// that follows the parent *thread* that spawned the job, and the server's threads come
    /// and go. `tutti serve` does the same when a test starts it with `TUTTI_PARENT_PID`.
    static func dieWithParentIfAsked() {
        guard let text = getenv("TUTTI_PARENT_PID").map({ String(cString: $0) }), let parent = pid_t(text) else { return }
        if getppid() != parent { Glibc.exit(1) }
        DispatchQueue.global(qos: .utility).async {
            while getppid() == parent { usleep(200_000) }
            Glibc.exit(1)
        }
    }

    func run() throws {
        Self.dieWithParentIfAsked()
        var renditions = [RenditionSpec(path: output, bitrate: bitrate.map { $0 * 1000 })]
        if let low { renditions.append(RenditionSpec(path: low, profile: .low)) }
        renditions += try extraRenditions.map(Self.parseRendition)
        if let memoryLimit { try Self.limitMemory(to: memoryLimit) }
        let overrides = AudioTags(
            title: title.flatMap(AudioTags.clean), artist: artist.flatMap(AudioTags.clean), album: album.flatMap(AudioTags.clean))
        var options = TranscodeOptions(renditions: renditions, peakBins: peaks, tagOverrides: overrides)
        if progress {
            options.progress = { fraction in printError("progress \(Int((fraction * 100).rounded()))") }
        }
        let result: TranscodeResult
        do {
            result = try Transcoder.transcode(input: input, options: options)
        } catch {
            throw error.exit(command: "transcode", file: input)
        }
        if let manifest {
            do {
                try Manifest.write(result, to: manifest)
            } catch {
                for rendition in renditions { unlink(rendition.path) }
                throw AudioError.io(path: manifest, detail: "\(error)").exit(command: "transcode", file: input)
            }
        }
    }
}

enum Manifest {
    /// Writes `result` as JSON, atomically.
    static func write(_ result: TranscodeResult, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(result)
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
