import AudioCore
import Catalog
import Foundation
import FoundationEssentials
import Ledger
import Logging
import MediaStore
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// Fills an empty service with demo accounts and tracks (for `make run`), publishes the
/// tracks once they are transcoded, then stays out of the way until shutdown.
struct DemoCatalog: Service {
    let services: AppServices
    /// Folder of demo audio files, e.g. media/demo.
    let sourceDirectory: String
    let logger: Logger

    struct Account {
        var username: String
        var displayName: String
        var role: Role
        var password: String
    }

    static let accounts = [
        Account(username: "admin", displayName: "Tutti Admin", role: .admin, password: "demo-admin-password"),
        Account(username: "ada", displayName: "Ada Demo", role: .artist, password: "demo-ada-password"),
        Account(username: "bela", displayName: "Béla Demo", role: .artist, password: "demo-bela-password"),
        Account(username: "lena", displayName: "Lena Listener", role: .listener, password: "demo-lena-password"),
    ]

    func run() async throws {
        if try await services.accounts.userCount() == 0 {
            try await seed()
        }
        try await gracefulShutdown()
    }

    private func seed() async throws {
        var users: [String: User] = [:]
        for account in Self.accounts {
            let hash = try await services.hashPassword(account.password)
            users[account.displayName] = try await services.accounts.createUser(
                username: account.username, displayName: account.displayName, role: account.role, passwordHash: hash)
        }
        // The demo listener gets one credit to spend (enough for the first seven plays of a track).
        if let listener = users.values.first(where: { $0.role == .listener }) {
            let id = listener.id
            _ = try await services.inLedger { ledger throws(LedgerError) in
                try ledger.topUp(transferID: "demo-credit-\(id)", user: id, amount: 1_000_000, reference: "demo credit")
            }
        }
        var created: [(Track, User)] = []
        for file in Self.audioFiles(in: sourceDirectory) {
            let path = "\(sourceDirectory)/\(file)"
            guard case .success(let format) = FormatSniffer.sniff(path: path),
                  let info = try? SoundFileDecoder(path: path, format: format).info,
                  let artist = users[info.tags.artist ?? ""] else { continue }
            let id = Identifier.make()
            let key = try MediaKey("originals/\(id).\(format.fileExtension)")
            // A copy, not a link: the demo folder's files stay the user's.
            let copy = "\(services.configuration.uploadsDirectory)/demo-\(id)"
            let staged: StagedMedia
            do {
                _ = try Self.copy(path, to: copy)
                staged = try await services.store.stage(fileAt: copy, contentType: format.mediaType)
                unlink(copy)
            } catch {
                unlink(copy)
                throw error
            }
            try await services.store.finalize(staged, as: key)
            let (track, _) = try await services.tracks.create(
                id: id, artist: artist, title: info.tags.title ?? file, album: info.tags.album,
                upload: StoredUpload(path: key.rawValue, format: format, bytes: staged.size, sha256: staged.sha256))
            created.append((track, artist))
        }
        // The first demo track is free, so it streams from its plain URL (curl, ffplay) too.
        // Set before anything is published: publishing one track publishes its whole release,
        // and the catalog must never show the first track published but not yet free.
        if let (first, artist) = created.first {
            _ = try await services.tracks.update(id: first.id, by: artist, TrackChanges(free: true))
        }
        services.jobSignal.signal()
        printAccounts()
        // Publish each demo track once the transcoder has made it ready.
        var pending = created
        while !pending.isEmpty {
            try await Task.sleep(for: .milliseconds(250))
            var still: [(Track, User)] = []
            for (track, artist) in pending {
                switch try await services.tracks.track(id: track.id)?.status {
                case .ready:
                    do {
                        // Publishing is per release: it waits until every track of the release is ready.
                        _ = try await services.tracks.update(id: track.id, by: artist, TrackChanges(published: true))
                        services.streamCatalog.invalidateAll()
                    } catch CatalogError.conflict(let reason) {
                        // Another track of its release is still transcoding; if none is, give up on it.
                        if pending.contains(where: { $0.1.id == artist.id && $0.0.id != track.id }) {
                            still.append((track, artist))
                        } else {
                            logger.warning("demo release not published", metadata: ["title": "\(track.title)", "reason": "\(reason)"])
                        }
                    }
                case .processing: still.append((track, artist))
                default: logger.warning("demo track failed to transcode", metadata: ["title": "\(track.title)"])
                }
            }
            pending = still
        }
        logger.info("demo catalog ready", metadata: ["tracks": "\(created.count)"])
    }

    private func printAccounts() {
        var lines = ["", "Demo accounts (log in with POST /api/v1/sessions):"]
        for account in Self.accounts {
            lines.append("  \(account.role.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(account.username.padding(toLength: 6, withPad: " ", startingAt: 0)) password: \(account.password)")
        }
        lines.append("")
        // Straight to the descriptor: stdout may be a pipe, and this must appear at once.
        let bytes = Array((lines.joined(separator: "\n") + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
    }

    static func audioFiles(in directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if !name.hasPrefix(".") && !name.hasSuffix(".md") { names.append(name) }
        }
        return names.sorted()
    }

    /// Copies a file; returns its size.
    static func copy(_ source: String, to destination: String) throws -> Int64 {
        let data = try Data(contentsOf: URL(fileURLWithPath: source))
        try data.write(to: URL(fileURLWithPath: destination), options: .atomic)
        return Int64(data.count)
    }
}
