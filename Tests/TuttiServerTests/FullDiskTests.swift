import Foundation
import HTTPTypes
import NIOCore
import Testing
import TuttiServer
import TuttiTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The data folder on a small file system of the test's own (a 48 MiB tmpfs), filled up
/// while the service uploads and charges plays, then given room again.
@Suite("A full disk", .enabled(if: getuid() == 0, "mounting a size-limited tmpfs needs root (CI runs as root)"))
struct FullDiskTests {
    /// A size-limited tmpfs mounted on a scratch folder, unmounted by ``unmount()``.
    struct SmallDisk {
        let path: String

        static func mount(megabytes: Int) async throws -> SmallDisk {
            let path = Fixtures.scratch("small-disk").path
            let mounted = try await ThirdPartyTools.run("mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path])
            try #require(mounted.status == 0, "mount: \(mounted.stderr)")
            return SmallDisk(path: path)
        }

        /// Writes a file until the file system refuses with ENOSPC.
        func fill() async throws -> String {
            let filler = path + "/filler"
            _ = try await onOwnThread { () -> Int in
                let descriptor = open(filler, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
                guard descriptor >= 0 else { return 0 }
                defer { close(descriptor) }
                let block = [UInt8](repeating: 0, count: 1 << 20)
                var total = 0
                while true {
                    let written = write(descriptor, block, block.count)
                    if written <= 0 { break }
                    total += written
                }
                // The last partial blocks: a byte at a time until nothing fits.
                var byte: UInt8 = 0
                while write(descriptor, &byte, 1) == 1 { total += 1 }
                return total
            }
            return filler
        }

        func unmount() async {
            _ = try? await ThirdPartyTools.run("umount", ["-l", path])
        }
    }

    @Test("uploads are refused with 507 and leave nothing; charges are refused with 503 and charge nothing; previews still stream; all recovers when there is room; verify passes throughout")
    func fullDisk() async throws {
        let disk = try await SmallDisk.mount(megabytes: 48)
        let data = disk.path + "/data"
        let metered = MeteredService { configuration in configuration.dataDirectory = data }
        do {
            try await metered.service.run { api in
                let (track, listener) = try await metered.trackAndListener(api)
                let clock = metered.clock
                let wav = TestWAV.sine(frequency: 440, dBFS: -6, seconds: 5, sampleRate: 48_000, channels: 2).bytes()
                let tracksBefore = try await api.request(.get, "/api/v1/tracks?limit=100", token: track.artist.token).json()["items"] as? [[String: Any]]

                // A play whose preview has been heard for a minute: its next request past the
                // preview is charged at once. And a second one, opened but not started.
                let heard = try await api.openPlay(track.id, as: listener)
                let preview = try await api.request(.get, heard.standardURL, headers: [.range: "bytes=0-999"])
                try #require(preview.status == .partialContent)
                clock.advance(by: 60)
                let fresh = try await api.openPlay(track.id, as: listener)

                let filler = try await disk.fill()

                // An upload: 507, nothing kept (no file in uploads/ or originals/, no track).
                let originalsBefore = try FileManager.default.contentsOfDirectory(atPath: data + "/originals").count
                let upload = try await api.request(.post, "/api/v1/tracks?title=Full", token: track.artist.token,
                                                   headers: [.contentType: "audio/wav"], body: ByteBuffer(bytes: wav))
                #expect(upload.status.code == 507, "\(String(buffer: upload.body))")
                #expect(upload.headers[.contentType] == "application/problem+json")
                #expect(try upload.json()["title"] as? String == "Storage full")
                #expect(try FileManager.default.contentsOfDirectory(atPath: data + "/uploads").filter { !$0.hasPrefix(".") }.isEmpty)
                #expect(try FileManager.default.contentsOfDirectory(atPath: data + "/originals").count == originalsBefore)
                let tracksDuring = try await api.request(.get, "/api/v1/tracks?limit=100", token: track.artist.token).json()["items"] as? [[String: Any]]
                #expect(tracksDuring?.count == tracksBefore?.count)

                // A charge: 503 with Retry-After, nothing charged.
                let seek = "bytes=\(track.freeEnd + 10_000)-\(track.freeEnd + 19_999)"
                let refused = try await api.request(.get, heard.standardURL, headers: [.range: seek])
                #expect(refused.status == .serviceUnavailable, "\(String(buffer: refused.body))")
                #expect(refused.headers[.retryAfter] != nil)
                #expect(try refused.json()["title"] as? String == "Storage full")
                #expect(try metered.balance(listener) == 1_000_000)
                #expect(try metered.ledger().verify().isIntact)

                // What the service has still streams: the free preview of the session not yet started.
                let stillFree = try await api.request(.get, fresh.standardURL, headers: [.range: "bytes=0-65535"])
                #expect(stillFree.status == .partialContent)
                #expect(Data(buffer: stillFree.body) == track.standard.prefix(65_536))
                // A new session needs a write: refused the same way.
                let opened = try await api.request(.post, "/api/v1/tracks/\(track.id)/plays", token: listener.token)
                #expect(opened.status == .serviceUnavailable)

                // Room again: without a restart, the same requests succeed, the charge once.
                try FileManager.default.removeItem(atPath: filler)
                let charged = try await api.request(.get, heard.standardURL, headers: [.range: seek])
                #expect(charged.status == .partialContent, "\(String(buffer: charged.body))")
                #expect(Data(buffer: charged.body) == track.standard[(track.freeEnd + 10_000)...(track.freeEnd + 19_999)])
                #expect(try metered.balance(listener) == 1_000_000 - 2_000)
                let again = try await api.request(.get, heard.standardURL, headers: [.range: seek])
                #expect(again.status == .partialContent)
                #expect(try metered.balance(listener) == 1_000_000 - 2_000, "charged once")
                let accepted = try await api.request(.post, "/api/v1/tracks?title=Room", token: track.artist.token,
                                                     headers: [.contentType: "audio/wav"], body: ByteBuffer(bytes: wav))
                #expect(accepted.status == .accepted, "\(String(buffer: accepted.body))")
                let id = try #require(try accepted.json()["id"] as? String)
                try await waitFor("the upload after the disk had room to be ready", timeout: Deadline.long, every: .milliseconds(200)) {
                    try await api.request(.get, "/api/v1/tracks/\(id)", token: track.artist.token).json()["status"] as? String == "ready" ? true : nil
                }
                #expect(try metered.ledger().verify().isIntact)
            }
        } catch {
            await disk.unmount()
            throw error
        }
        #expect(try metered.ledger().verify().isIntact)
        await disk.unmount()
    }
}
