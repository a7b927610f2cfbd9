import ArgumentParser
import Catalog
import Crypto
import Foundation
import Ledger
import MediaStore
import TuttiServer
import TuttiStorage

#if canImport(Glibc)
import Glibc
#endif

/// What a backup folder holds, written last (a folder without it is not a backup): the
/// database snapshot and every media file it names, each with its size and SHA-256, and the
/// ledger's head at the snapshot so a restore can show it ends where the backup began.
struct BackupManifest: Codable, Equatable {
    struct File: Codable, Equatable {
        var key: String
        var bytes: Int64
        var sha256: String
    }

    struct LedgerHead: Codable, Equatable {
        var transfers: Int
        var headSequence: Int64
        var headHash: String?
        var totalAmount: Int64
    }

    static let fileName = "manifest.json"
    static let currentFormat = "tutti-backup-1"

    var format = Self.currentFormat
    var createdAt: String
    var database: File
    var urlSigningKey: File?
    /// The key that seals app passwords (absent in backups made before there were any): without
    /// it, apps' token sign-ins stop working after a restore.
    var appPasswordKey: File?
    var ledger: LedgerHead
    var media: [File]

    static func read(from folder: String) throws -> BackupManifest {
        let path = folder + "/" + fileName
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("\(folder) is not a complete backup: it has no \(fileName) (a backup that did not finish has none)")
        }
        let manifest: BackupManifest
        do {
            manifest = try JSONDecoder().decode(BackupManifest.self, from: data)
        } catch {
            throw ValidationError("\(path) is not a Tutti backup manifest: \(error)")
        }
        guard manifest.format == currentFormat else {
            throw ValidationError("\(path) is a \(manifest.format) backup; this tutti reads \(currentFormat)")
        }
        return manifest
    }
}

/// Files, hashes and folders shared by backup and restore.
enum BackupFiles {
    /// Size and lowercase hex SHA-256 of a file, read in chunks.
    static func digest(_ path: String) throws -> (bytes: Int64, sha256: String) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ValidationError("cannot read \(path)")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        var bytes: Int64 = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            bytes += Int64(chunk.count)
        }
        return (bytes, hex(hasher.finalize()))
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: digest.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0f)]] }, as: UTF8.self)
    }

    /// Copies `source` to `destination` (new) and syncs it.
    static func copy(_ source: String, to destination: String) throws {
        try FileManager.default.copyItem(atPath: source, toPath: destination)
        try sync(destination)
    }

    static func sync(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ValidationError("cannot open \(path) to sync it: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw ValidationError("cannot sync \(path): \(String(cString: strerror(errno)))") }
    }

    /// Makes a folder that is being filled visible under its final name, in one rename, and
    /// syncs the parent so the rename survives a crash.
    static func publish(_ partial: String, as final: String) throws {
        guard rename(partial, final) == 0 else {
            throw ValidationError("cannot rename \(partial) to \(final): \(String(cString: strerror(errno)))")
        }
        try sync(URL(fileURLWithPath: final).deletingLastPathComponent().path)
    }

    /// A path that must not exist yet, or be an empty folder (then removed, to be replaced).
    static func requireFree(_ path: String, _ what: String) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return }
        guard isFolder.boolValue, (try? FileManager.default.contentsOfDirectory(atPath: path))?.isEmpty == true else {
            throw ValidationError("\(path) already exists and is not empty: \(what) goes to a new folder, never over one")
        }
        try FileManager.default.removeItem(atPath: path)
    }

    static func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }

    static func mediaLocation(_ text: String?, default folder: String) throws -> MediaStoreLocation {
        guard let text else { return .local(path: folder) }
        do { return try MediaStoreLocation(parsing: text) } catch { throw ValidationError("--media: \(error)") }
    }

    static func store(_ location: MediaStoreLocation) throws -> any MediaStore {
        do { return try location.makeStore() } catch { throw ValidationError(error.description) }
    }

    /// Copies every file from one store to another with ``MediaCommand/Migrate/migrate(_:from:to:work:)``
    /// (each staged, hashed against its record, made visible, read back), printing progress;
    /// throws after the last file if any was missing or failed its check.
    static func copyMedia(_ files: [StoredFile], from sourceLocation: MediaStoreLocation, to destinationLocation: MediaStoreLocation, work: String, command: String) async throws {
        let source = try store(sourceLocation)
        let destination: any MediaStore
        do { destination = try store(destinationLocation) } catch {
            try? await source.shutdown()
            throw error
        }
        do {
            try await copyMedia(files, from: source, to: destination, work: work, command: command)
        } catch {
            try? await source.shutdown()
            try? await destination.shutdown()
            throw error
        }
        try? await source.shutdown()
        try? await destination.shutdown()
    }

    private static func copyMedia(_ files: [StoredFile], from source: any MediaStore, to destination: any MediaStore, work: String, command: String) async throws {
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        var failures: [String] = []
        var copiedBytes: Int64 = 0
        for (index, file) in files.enumerated() {
            let outcome = try await MediaCommand.Migrate.migrate(file, from: source, to: destination, work: work)
            switch outcome {
            case .copied, .alreadyThere: copiedBytes += file.bytes
            case .missing, .failedCheck: failures.append("\(file.key): \(outcome.text)")
            }
            print("[\(index + 1)/\(files.count)] \(file.key): \(outcome.text)")
        }
        print("media: \(files.count - failures.count) of \(files.count) file\(files.count == 1 ? "" : "s"), \(copiedBytes) bytes, each checked by SHA-256")
        guard failures.isEmpty else {
            for failure in failures { printError("\(command): \(failure)") }
            throw ValidationError("\(failures.count) media file(s) could not be copied whole; nothing was kept")
        }
    }

    /// The bucket a backup goes to or comes from, when `text` is an `s3://` location (the
    /// same form as `tutti serve --media`); nil for a folder.
    static func objectStorage(_ text: String) throws -> MediaStoreLocation? {
        guard text.hasPrefix("s3://") else { return nil }
        do { return try MediaStoreLocation(parsing: text) } catch { throw ValidationError("\(text): \(error)") }
    }

    /// Runs `body` with a store on `location`, shut down after.
    static func withStore<T>(_ location: MediaStoreLocation, _ body: (any MediaStore) async throws -> T) async throws -> T {
        let opened = try store(location)
        do {
            let value = try await body(opened)
            try? await opened.shutdown()
            return value
        } catch {
            try? await opened.shutdown()
            throw error
        }
    }

    /// A scratch folder of this process's own for a backup's or a restore's local part.
    static func scratchFolder(_ label: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.path + "/tutti-\(label)-\(getpid())-\(Int(Date().timeIntervalSince1970))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return path
    }

    /// The record of a file in `folder` (key relative to it), for ``copyMedia``.
    static func storedFile(_ key: String, in folder: String) throws -> StoredFile {
        let digest = try digest(folder + "/" + key)
        return StoredFile(key: key, bytes: digest.bytes, sha256: digest.sha256)
    }

    /// Verifies the ledger in the database file at `path` (read-only) and returns its head.
    static func ledgerHead(_ path: String) throws -> (BackupManifest.LedgerHead, VerificationReport) {
        let report = try Storage.verifyLedger(atPath: path)
        return (BackupManifest.LedgerHead(transfers: report.transfers, headSequence: report.headSequence, headHash: report.headHash, totalAmount: report.totalAmount), report)
    }

    /// Every media file the database at `path` names: originals, renditions, images
    /// (read-only; nothing is migrated).
    static func storedFiles(_ path: String) async throws -> [StoredFile] {
        try await Storage.storedFiles(atPath: path)
    }
}

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Take a consistent online backup of a service's data folder into a new folder.",
        discussion: """
            Works while the service runs and plays go on. The database is copied with SQLite's online backup API \
            (one snapshot: every commit up to one moment, nothing after it), its ledger verified, then every media \
            file the snapshot names is copied from the media store (the data folder, or --media s3://... as the \
            service was started with) and checked against the SHA-256 and size the database records, with the URL \
            signing key and the app passwords' key. manifest.json, written last, lists every file with its checksum and the ledger's head. \
            The folder is filled under a temporary name and renamed when complete: DEST either holds a whole \
            backup or does not exist. On the same file system, media files are hard links (they are never \
            modified in place); put DEST on another disk or machine to survive losing this one. \
            Check a backup with `tutti restore DEST --check`; restore it with `tutti restore DEST --data NEW`.

            DEST may be a bucket: s3://BUCKET/PREFIX?endpoint=URL&region=REGION[&credentials-file=PATH], the same \
            form as tutti serve --media (credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the file). \
            The database snapshot is taken into a scratch folder, then every file is put under PREFIX/ (each \
            read back and checked by SHA-256), media straight from the service's media store, and \
            PREFIX/manifest.json last: a prefix without it holds no backup. PREFIX must not hold one already.
            """)

    @Option(help: "The data folder of the service.")
    var data = ".tutti-data"

    @Option(help: ArgumentHelp("Where the service's media live, if not in the data folder (as given to tutti serve).", valueName: "location"))
    var media: String?

    @Argument(help: ArgumentHelp("The new backup folder (must not exist, or be empty), or s3://BUCKET/PREFIX?endpoint=... (PREFIX must hold no backup yet).", valueName: "dest"))
    var destination: String

    func run() async throws {
        let started = Date()
        let dataFolder = BackupFiles.absolute(data)
        let serverConfiguration = ServerConfiguration(dataDirectory: dataFolder)
        guard FileManager.default.fileExists(atPath: serverConfiguration.databasePath) else {
            throw ValidationError("no database at \(serverConfiguration.databasePath): --data must be the service's data folder")
        }
        if let bucket = try BackupFiles.objectStorage(destination) {
            do {
                try await backUp(to: bucket, dataFolder: dataFolder, configuration: serverConfiguration)
            } catch {
                printError("tutti backup: \(error)")
                throw ExitCode(1)
            }
            print("backup complete in \(bucket.displayText) (\(Int(Date().timeIntervalSince(started))) s); check it with: tutti restore '\(destination)' --check")
            return
        }
        let final = BackupFiles.absolute(destination)
        try BackupFiles.requireFree(final, "a backup")
        let partial = final + ".partial-\(getpid())"
        try FileManager.default.createDirectory(atPath: partial, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        do {
            try await fill(partial, dataFolder: dataFolder, configuration: serverConfiguration)
            try BackupFiles.publish(partial, as: final)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            printError("tutti backup: \(error)")
            throw ExitCode(1)
        }
        print("backup complete in \(final) (\(Int(Date().timeIntervalSince(started))) s); check it with: tutti restore \(final) --check")
    }

    /// A backup into a bucket: the snapshot and the key in a scratch folder, put with the
    /// media (copied straight from the service's store), the manifest last.
    private func backUp(to bucket: MediaStoreLocation, dataFolder: String, configuration: ServerConfiguration) async throws {
        let manifestKey = try MediaKey(BackupManifest.fileName)
        if try await BackupFiles.withStore(bucket, { try await $0.info(manifestKey) }) != nil {
            throw ValidationError("\(bucket.displayText) already holds a backup (it has a \(BackupManifest.fileName)): a backup goes to a new prefix, never over one")
        }
        let scratch = try BackupFiles.scratchFolder("backup")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let local = scratch + "/backup"
        try FileManager.default.createDirectory(atPath: local, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let manifest = try await fill(local, dataFolder: dataFolder, configuration: configuration, media: bucket)
        // The database and the key, then the manifest: only a whole backup has one.
        let files = [manifest.database] + [manifest.urlSigningKey, manifest.appPasswordKey].compactMap { $0 }
        try await BackupFiles.copyMedia(
            files.map { StoredFile(key: $0.key, bytes: $0.bytes, sha256: $0.sha256) }, from: .local(path: local), to: bucket,
            work: scratch + "/work", command: "tutti backup")
        try await BackupFiles.copyMedia(
            [try BackupFiles.storedFile(BackupManifest.fileName, in: local)], from: .local(path: local), to: bucket,
            work: scratch + "/work", command: "tutti backup")
    }

    /// Fills the folder `partial` with a backup: the database snapshot, the media (into
    /// `media`, the folder itself unless a bucket is given), the key and the manifest.
    @discardableResult
    private func fill(_ partial: String, dataFolder: String, configuration: ServerConfiguration, media target: MediaStoreLocation? = nil) async throws -> BackupManifest {
        // 1. The database, one snapshot; its ledger must verify.
        let databaseCopy = partial + "/tutti.sqlite"
        try Storage.backup(from: configuration.databasePath, to: databaseCopy)
        let (head, report) = try BackupFiles.ledgerHead(databaseCopy)
        guard report.isIntact else {
            throw ValidationError("the ledger in the snapshot does not verify (\(report.firstFailure.map { "\($0)" } ?? "")): run tutti ledger verify; no backup was kept")
        }
        let database = try BackupFiles.digest(databaseCopy)
        print("database: \(database.bytes) bytes, ledger verified: \(head.transfers) transfers, head \(head.headSequence)")

        // 2. Every media file the snapshot names. Rows are committed only after their file is
        //    whole in the store, so each one the snapshot names is there.
        let files = try await BackupFiles.storedFiles(databaseCopy)
        try await BackupFiles.copyMedia(
            files, from: try BackupFiles.mediaLocation(media, default: dataFolder), to: target ?? .local(path: partial), work: partial + "/.work", command: "tutti backup")
        try? FileManager.default.removeItem(atPath: partial + "/" + StagedMedia.stagingPrefix)

        // 3. The URL signing key, so links handed out before a restore keep working.
        var key: BackupManifest.File?
        if FileManager.default.fileExists(atPath: configuration.urlSigningKeyPath) {
            let keyCopy = partial + "/url-signing.key"
            try BackupFiles.copy(configuration.urlSigningKeyPath, to: keyCopy)
            let digest = try BackupFiles.digest(keyCopy)
            key = BackupManifest.File(key: "url-signing.key", bytes: digest.bytes, sha256: digest.sha256)
        }
        // The app passwords' sealing key: apps keep signing in after a restore.
        var appKey: BackupManifest.File?
        if FileManager.default.fileExists(atPath: configuration.appPasswordKeyPath) {
            let keyCopy = partial + "/app-passwords.key"
            try BackupFiles.copy(configuration.appPasswordKeyPath, to: keyCopy)
            let digest = try BackupFiles.digest(keyCopy)
            appKey = BackupManifest.File(key: "app-passwords.key", bytes: digest.bytes, sha256: digest.sha256)
        }

        // 4. The manifest, last.
        let manifest = BackupManifest(
            createdAt: ISO8601DateFormatter().string(from: Date()),
            database: BackupManifest.File(key: "tutti.sqlite", bytes: database.bytes, sha256: database.sha256),
            urlSigningKey: key, appPasswordKey: appKey, ledger: head,
            media: files.map { BackupManifest.File(key: $0.key, bytes: $0.bytes, sha256: $0.sha256) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let manifestPath = partial + "/" + BackupManifest.fileName
        try encoder.encode(manifest).write(to: URL(fileURLWithPath: manifestPath))
        try BackupFiles.sync(manifestPath)
        try BackupFiles.sync(partial)
        return manifest
    }
}

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Check a backup, or rebuild a data folder from it.",
        discussion: """
            With --check: reads every file of the backup and compares it with manifest.json (size and SHA-256), \
            verifies the ledger of its database and that it ends at the head the manifest names; restores \
            nothing. Otherwise rebuilds a new data folder (--data, which must not exist or be empty): the \
            database, the URL signing key, and every media file (into the data folder, or into --media \
            s3://... to run the restored service from a bucket), each checked on the way; then verifies the \
            ledger again. The folder is filled under a temporary name and renamed when complete. Exits 1 if \
            anything does not match.
            """)

    @Argument(help: ArgumentHelp("The backup folder (made by tutti backup), or its s3://BUCKET/PREFIX?endpoint=... location.", valueName: "backup"))
    var backup: String

    @Flag(help: "Check the backup whole and restore nothing.")
    var check = false

    @Option(help: "The new data folder to restore into.")
    var data: String?

    @Option(help: ArgumentHelp("Where the restored media go, if not into the data folder (as tutti serve --media).", valueName: "location"))
    var media: String?

    func validate() throws {
        if check, data != nil || media != nil { throw ValidationError("--check restores nothing: leave out --data and --media") }
        if !check, data == nil { throw ValidationError("say where to restore with --data NEW-FOLDER, or give --check") }
    }

    func run() async throws {
        if let bucket = try BackupFiles.objectStorage(backup) {
            do {
                try await run(from: bucket)
            } catch {
                printError("tutti restore: \(error)")
                throw ExitCode(1)
            }
            return
        }
        let folder = BackupFiles.absolute(backup)
        let manifest = try BackupManifest.read(from: folder)
        do {
            if check {
                try await checkWhole(folder, manifest)
                print("backup \(folder) is whole: database, ledger (head \(manifest.ledger.headSequence)), \(manifest.media.count) media file(s) match manifest.json")
            } else {
                try await restore(folder, manifest)
            }
        } catch {
            printError("tutti restore: \(error)")
            throw ExitCode(1)
        }
    }

    /// A backup in a bucket: its manifest, database and key are fetched into a scratch
    /// folder (each checked against the manifest); the media are checked, or restored, from
    /// the bucket itself.
    private func run(from bucket: MediaStoreLocation) async throws {
        let scratch = try BackupFiles.scratchFolder("restore")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let folder = scratch + "/backup"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let manifestKey = try MediaKey(BackupManifest.fileName)
        try await BackupFiles.withStore(bucket) { store in
            guard try await store.info(manifestKey) != nil else {
                throw ValidationError("\(bucket.displayText) is not a complete backup: it has no \(BackupManifest.fileName) (a backup that did not finish has none)")
            }
            try await store.download(manifestKey, to: folder + "/" + BackupManifest.fileName)
        }
        let manifest = try BackupManifest.read(from: folder)
        let small = [manifest.database] + [manifest.urlSigningKey, manifest.appPasswordKey].compactMap { $0 }
        try await BackupFiles.copyMedia(
            small.map { StoredFile(key: $0.key, bytes: $0.bytes, sha256: $0.sha256) }, from: bucket, to: .local(path: folder),
            work: scratch + "/work", command: "tutti restore")
        if check {
            try checkDatabase(folder + "/tutti.sqlite", manifest)
            let bad = try await BackupFiles.withStore(bucket) { store in try await Self.mismatches(manifest.media, in: store) }
            for line in bad { printError("tutti restore --check: \(line)") }
            guard bad.isEmpty else { throw ValidationError("\(bad.count) file(s) of the backup do not match its manifest") }
            print("backup \(bucket.displayText) is whole: database, ledger (head \(manifest.ledger.headSequence)), \(manifest.media.count) media file(s) match manifest.json")
        } else {
            try await restore(folder, manifest, media: bucket)
        }
    }

    /// The media files of `files` that `store` does not hold as recorded (size and SHA-256).
    private static func mismatches(_ files: [BackupManifest.File], in store: any MediaStore) async throws -> [String] {
        var bad: [String] = []
        for file in files {
            let key: MediaKey
            do { key = try MediaKey(file.key) } catch { bad.append("\(file.key): not a usable key"); continue }
            guard let info = try await store.info(key) else { bad.append("\(file.key): missing"); continue }
            let sha256 = try await MediaCommand.Migrate.sha256(of: key, in: store)
            if info.size != file.bytes || sha256 != file.sha256 {
                bad.append("\(file.key): \(info.size) bytes with SHA-256 \(sha256), the manifest records \(file.bytes) with \(file.sha256)")
            }
        }
        return bad
    }

    /// The database matches the manifest and its ledger verifies and ends at the manifest's head.
    private func checkDatabase(_ path: String, _ manifest: BackupManifest) throws {
        let digest = try BackupFiles.digest(path)
        guard digest.bytes == manifest.database.bytes, digest.sha256 == manifest.database.sha256 else {
            throw ValidationError("\(path) holds \(digest.bytes) bytes with SHA-256 \(digest.sha256); the manifest records \(manifest.database.bytes) bytes with \(manifest.database.sha256)")
        }
        let (head, report) = try BackupFiles.ledgerHead(path)
        guard report.isIntact else { throw ValidationError("the ledger in \(path) does not verify: \(report.firstFailure.map { "\($0)" } ?? "")") }
        guard head == manifest.ledger else {
            throw ValidationError("the ledger in \(path) ends at \(head.headSequence) (\(head.headHash ?? "none")); the manifest records \(manifest.ledger.headSequence) (\(manifest.ledger.headHash ?? "none"))")
        }
    }

    private func checkWhole(_ folder: String, _ manifest: BackupManifest) async throws {
        try checkDatabase(folder + "/tutti.sqlite", manifest)
        var bad: [String] = []
        for file in manifest.media + [manifest.urlSigningKey, manifest.appPasswordKey].compactMap({ $0 }) {
            let path = folder + "/" + file.key
            guard FileManager.default.fileExists(atPath: path) else { bad.append("\(file.key): missing"); continue }
            let digest = try BackupFiles.digest(path)
            if digest.bytes != file.bytes || digest.sha256 != file.sha256 {
                bad.append("\(file.key): \(digest.bytes) bytes with SHA-256 \(digest.sha256), the manifest records \(file.bytes) with \(file.sha256)")
            }
        }
        for line in bad { printError("tutti restore --check: \(line)") }
        guard bad.isEmpty else { throw ValidationError("\(bad.count) file(s) of the backup do not match its manifest") }
    }

    /// Restores the backup in `folder`; its media come from `source` (the folder itself
    /// unless the backup is in a bucket).
    private func restore(_ folder: String, _ manifest: BackupManifest, media source: MediaStoreLocation? = nil) async throws {
        let started = Date()
        let final = BackupFiles.absolute(data ?? "")
        try BackupFiles.requireFree(final, "a restore")
        let partial = final + ".restoring-\(getpid())"
        try FileManager.default.createDirectory(atPath: partial, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        do {
            try checkDatabase(folder + "/tutti.sqlite", manifest)
            try BackupFiles.copy(folder + "/tutti.sqlite", to: partial + "/tutti.sqlite")
            for key in [manifest.urlSigningKey, manifest.appPasswordKey].compactMap({ $0 }) {
                let path = partial + "/" + key.key
                try BackupFiles.copy(folder + "/" + key.key, to: path)
                guard try BackupFiles.digest(path).sha256 == key.sha256 else { throw ValidationError("\(key.key) does not match the manifest") }
                chmod(path, 0o600)
            }
            let files = manifest.media.map { StoredFile(key: $0.key, bytes: $0.bytes, sha256: $0.sha256) }
            try await BackupFiles.copyMedia(
                files, from: source ?? .local(path: folder), to: try BackupFiles.mediaLocation(media, default: partial), work: partial + "/work/restore", command: "tutti restore")
            // The restored database, as the service will open it: migrated to this tutti's
            // schema if the backup is older, then verified again.
            try Storage.migrateSQLite(path: partial + "/tutti.sqlite")
            let report = try Storage.verifyLedger(atPath: partial + "/tutti.sqlite")
            guard report.isIntact, report.headSequence == manifest.ledger.headSequence, report.headHash == manifest.ledger.headHash else {
                throw ValidationError("the restored ledger does not verify or does not end at the backup's head: \(report)")
            }
            try BackupFiles.sync(partial)
            try BackupFiles.publish(partial, as: final)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
        print("restored into \(final) in \(Int(Date().timeIntervalSince(started))) s: ledger verified, head \(manifest.ledger.headSequence), \(manifest.media.count) media file(s)")
        print("start it with: tutti serve --data \(final)\(media.map { " --media \($0)" } ?? "")")
    }
}

extension MediaStoreLocation {
    /// The location as an operator reads it in a message (no query, no credentials).
    var displayText: String {
        switch self {
        case let .local(path): path
        case let .s3(location): "s3://\(location.bucket)/\(location.keyPrefix)"
        }
    }
}
