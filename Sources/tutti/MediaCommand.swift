import ArgumentParser
import AudioCore
import Catalog
import Crypto
import FoundationEssentials
import MediaStore
import NIOCore
import TuttiServer
import TuttiStorage

#if canImport(Glibc)
import Glibc
#endif

struct MediaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "media", abstract: "Manage where the service's media files live.", subcommands: [Migrate.self])

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy every stored file the database names from one media store to another, checking each.",
            discussion: """
                Copies originals, renditions and images (the keys the database's rows name) from --from (default: the data \
                folder) to --to: a folder or s3://BUCKET[/PREFIX]?endpoint=...&region=... (credentials from \
                AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or credentials-file=). Each file is staged in the \
                destination, its SHA-256 and size checked against the database's record, made visible at its key, \
                then read back and hashed again. Run it again after an interruption: files already at the \
                destination whose hash checks out are skipped, others are copied again. Nothing is removed from \
                the source. Stop the service first (or run it read-only), then start it with --media set to the \
                destination. Exits 1 if any file is missing at the source or fails its check.
                """)

        @Option(help: "The data folder of the service (its database names the files).")
        var data = ".tutti-data"

        @Option(help: ArgumentHelp("Where the files are now (default: the data folder).", valueName: "location"))
        var from: String?

        @Option(help: ArgumentHelp("Where the files go: a folder or s3://BUCKET?endpoint=...", valueName: "location"))
        var to: String

        func validate() throws {
            let (source, destination) = try locations()
            guard source != destination else { throw ValidationError("--from and --to are the same store") }
        }

        func locations() throws -> (MediaStoreLocation, MediaStoreLocation) {
            do {
                let source = try from.map { try MediaStoreLocation(parsing: $0) } ?? .local(path: data)
                return (Self.absolute(source), Self.absolute(try MediaStoreLocation(parsing: to)))
            } catch {
                throw ValidationError("\(error)")
            }
        }

        private static func absolute(_ location: MediaStoreLocation) -> MediaStoreLocation {
            guard case .local(let path) = location else { return location }
            return .local(path: URL(fileURLWithPath: path).standardizedFileURL.path)
        }

        func run() async throws {
            let configuration = ServerConfiguration(dataDirectory: data)
            guard FileManager.default.fileExists(atPath: configuration.databasePath) else {
                throw ValidationError("no database at \(configuration.databasePath): --data must be the service's data folder")
            }
            let (sourceLocation, destinationLocation) = try locations()
            let files = try await Storage.openSQLite(path: configuration.databasePath, now: configuration.now).storedFiles()
            let source: any MediaStore
            let destination: any MediaStore
            do {
                source = try sourceLocation.makeStore()
                do {
                    destination = try destinationLocation.makeStore()
                } catch {
                    try? await source.shutdown()
                    throw error
                }
            } catch let error as MediaStoreError {
                throw ValidationError(error.description)
            }
            let work = "\(configuration.workDirectory)/migrate-\(getpid())"
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: work) }
            var tally = Tally()
            do {
                print("migrating \(files.count) file\(files.count == 1 ? "" : "s") from \(source.description) to \(destination.description)")
                for (index, file) in files.enumerated() {
                    let outcome = try await Self.migrate(file, from: source, to: destination, work: work)
                    tally.add(outcome, bytes: file.bytes)
                    print("[\(index + 1)/\(files.count)] \(file.key): \(outcome.text)")
                }
            } catch {
                try? await source.shutdown()
                try? await destination.shutdown()
                printError("tutti media migrate: stopped: \(error) (run it again to resume)")
                throw ExitCode(1)
            }
            try? await source.shutdown()
            try? await destination.shutdown()
            print("copied \(tally.copied) (\(tally.copiedBytes) bytes), already there \(tally.skipped), missing at the source \(tally.missing), failed checks \(tally.failed)")
            if tally.missing + tally.failed > 0 {
                printError("tutti media migrate: \(tally.missing + tally.failed) file(s) not migrated; see above")
                throw ExitCode(1)
            }
        }

        enum Outcome {
            case copied
            case alreadyThere
            case missing
            case failedCheck(String)

            var text: String {
                switch self {
                case .copied: "copied, hash checked"
                case .alreadyThere: "already there, hash checked"
                case .missing: "MISSING at the source"
                case .failedCheck(let reason): "FAILED: \(reason)"
                }
            }
        }

        struct Tally {
            var copied = 0, copiedBytes: Int64 = 0, skipped = 0, missing = 0, failed = 0

            mutating func add(_ outcome: Outcome, bytes: Int64) {
                switch outcome {
                case .copied: copied += 1; copiedBytes += bytes
                case .alreadyThere: skipped += 1
                case .missing: missing += 1
                case .failedCheck: failed += 1
                }
            }
        }

        /// Copies one file unless the destination already holds it whole. A store that fails
        /// (unreachable, refusing) throws and stops the run; a file that fails its check does not.
        static func migrate(_ file: StoredFile, from source: any MediaStore, to destination: any MediaStore, work: String) async throws -> Outcome {
            let key: MediaKey
            do { key = try MediaKey(file.key) } catch { return .failedCheck("not a usable key (\(error))") }
            if let present = try await destination.info(key), present.size == file.bytes,
               try await Self.sha256(of: key, in: destination) == file.sha256 {
                return .alreadyThere
            }
            guard try await source.info(key) != nil else { return .missing }
            // The destination reads a file on this machine: the source's own, or a copy of it.
            var path = source.localFile(key)
            if path == nil {
                let copy = "\(work)/object"
                try await source.download(key, to: copy)
                path = copy
            }
            guard let path else { return .missing }
            defer { if path.hasPrefix(work + "/") { unlink(path) } }
            let staged = try await destination.stage(fileAt: path, contentType: Self.contentType(of: file.key))
            guard staged.size == file.bytes, staged.sha256 == file.sha256 else {
                try? await destination.discard(staged)
                return .failedCheck("the source holds \(staged.size) bytes with SHA-256 \(staged.sha256), the database records \(file.bytes) bytes with \(file.sha256)")
            }
            try await destination.finalize(staged, as: key)
            let readBack = try await Self.sha256(of: key, in: destination)
            guard readBack == file.sha256 else {
                return .failedCheck("read back from the destination, its SHA-256 is \(readBack), not \(file.sha256)")
            }
            return .copied
        }

        static func sha256(of key: MediaKey, in store: any MediaStore) async throws -> String {
            try await store.read(key, range: nil) { content in
                var hasher = SHA256()
                for try await chunk in content.chunks {
                    chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                }
                let digits = Array("0123456789abcdef".utf8)
                return String(decoding: hasher.finalize().flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0f)]] }, as: UTF8.self)
            }
        }

        /// The media type an object is stored with: renditions are Ogg Opus, images JPEG or WebP,
        /// originals are typed by their extension (which names the format they were recognised as).
        static func contentType(of key: String) -> String {
            let fileExtension = String(key.split(separator: ".").last ?? "")
            if key.hasPrefix("media/") { return "audio/ogg; codecs=opus" }
            if key.hasPrefix("images/") { return fileExtension == "webp" ? "image/webp" : "image/jpeg" }
            return AudioFormat.allCases.first { $0.fileExtension == fileExtension }?.mediaType ?? "application/octet-stream"
        }
    }
}
