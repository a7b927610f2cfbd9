import ArgumentParser
import FoundationEssentials
import ImageCore

#if canImport(Glibc)
import Glibc
#endif

extension ImageKind: ExpressibleByArgument {}

struct ImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Turn an uploaded picture (JPEG, PNG, WebP) into Tutti's square cover or avatar sizes.",
        discussion: """
            Refuses files over 20 MB, anything but JPEG, PNG and WebP (sniffed by content) and \
            images over 50 megapixels (read from the header, before decoding). Decodes once, \
            turns the picture upright per EXIF, converts it to sRGB, crops the centre square \
            and writes each size (cover: 1200, 600, 300, 96; avatar: 400, 96) as JPEG and WebP \
            with no metadata, each named by the SHA-256 of its bytes. On failure the reason is \
            printed as one line, the exit status is 1 and nothing is left behind.
            """
    )

    @Argument(help: "What the picture is for: cover or avatar.")
    var kind: ImageKind

    @Argument(help: "The uploaded picture.")
    var input: String

    @Argument(help: "The folder to write the outputs into (created if missing).")
    var outputFolder: String

    @Option(help: ArgumentHelp("Write a JSON manifest of the outputs (size, format, sha256, bytes, file) here.", valueName: "path"))
    var manifest: String?

    /// A 50-megapixel image needs about 400 MiB of address space (VmPeak), a 12-megapixel
    /// JPEG about 370 MiB; below about 384 MiB libvips may fail to start its threads.
    @Option(help: ArgumentHelp("Refuse to use more than this many bytes of address space (a safety limit for servers; 512 MiB covers 50-megapixel images).", valueName: "bytes"))
    var memoryLimit: Int?

    func validate() throws {
        if let memoryLimit, memoryLimit < 64 << 20 { throw ValidationError("--memory-limit must be at least 64 MiB (67108864 bytes)") }
    }

    func run() throws {
        Transcode.dieWithParentIfAsked()
        // Run by hand rather than by the server (which starts it with this environment): this
        // process has started no other threads or processes yet, so setenv is safe here.
        for (name, value) in ImageRenderer.environment where getenv(name) == nil { setenv(name, value, 0) }
        if let memoryLimit { try limitAddressSpace(to: memoryLimit) }
        let limits = ImageLimits.standard
        let createdFolder = !FileManager.default.fileExists(atPath: outputFolder)
        do {
            let bytes = try read(limit: limits.maxBytes)
            let rendered = try ImageRenderer.render(bytes, kind: kind, limits: limits)
            if createdFolder { try makeFolder() }
            let written = try rendered.write(to: outputFolder)
            if let manifest { try write(written, to: manifest, removingOnFailure: rendered.images.map(\.fileName)) }
        } catch {
            if createdFolder { try? FileManager.default.removeItem(atPath: outputFolder) }
            printError("tutti image: \(input): \(error)")
            throw ExitCode(1)
        }
    }

    /// Reads the upload, refusing one over `limit` bytes from its size alone.
    private func read(limit: Int) throws(ImageError) -> [UInt8] {
        var status = stat()
        guard stat(input, &status) == 0 else { throw .io(path: input, detail: String(cString: strerror(errno))) }
        guard Int(status.st_size) <= limit else { throw .tooLarge(bytes: Int(status.st_size), limit: limit) }
        do {
            return Array(try Data(contentsOf: URL(fileURLWithPath: input)))
        } catch {
            throw .io(path: input, detail: "\(error)")
        }
    }

    private func makeFolder() throws(ImageError) {
        do {
            try FileManager.default.createDirectory(atPath: outputFolder, withIntermediateDirectories: true)
        } catch {
            throw .io(path: outputFolder, detail: "\(error)")
        }
    }

    private func write(_ written: ImageManifest, to path: String, removingOnFailure files: [String]) throws(ImageError) {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(written).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            for file in files { unlink("\(outputFolder)/\(file)") }
            throw .io(path: path, detail: "\(error)")
        }
    }

    /// Caps this process's address space, so a hostile file cannot exhaust the machine.
    private func limitAddressSpace(to bytes: Int) throws {
        var limit = rlimit(rlim_cur: rlim_t(bytes), rlim_max: rlim_t(bytes))
        guard setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit) == 0 else {
            printError("tutti image: --memory-limit: \(String(cString: strerror(errno)))")
            throw ExitCode(1)
        }
    }
}
