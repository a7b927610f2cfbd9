import Catalog
import Foundation
import GRDB
import Ledger
import Synchronization
import Testing
import TuttiTestSupport

/// `tutti backup` of a running service under plays, and `tutti restore` of it.
@Suite("Backups: taken online under plays, checked, restored")
struct BackupCommandTests {
    private static func json(_ data: Data) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    private static func tutti(_ arguments: [String]) async throws -> ThirdPartyTools.Output {
        try await ThirdPartyTools.run(Fixtures.tuttiExecutable, arguments)
    }

    /// Per account id: (debits, credits) of the transfers up to `sequence` (all with nil).
    private static func postings(_ database: any DatabaseReader, through sequence: Int64?) async throws -> [Int64: [Int64]] {
        try await database.read { db in
            var totals: [Int64: [Int64]] = [:]
            let limit = sequence ?? Int64.max
            for row in try Row.fetchAll(db, sql: "SELECT debit_account_id, credit_account_id, amount FROM ledger_transfers WHERE sequence <= ?", arguments: [limit]) {
                totals[row[0], default: [0, 0]][0] += row[2] as Int64
                totals[row[1], default: [0, 0]][1] += row[2] as Int64
            }
            return totals
        }
    }

    @Test("a backup taken while eight clients play: plays go on, the restore verifies, ends at the snapshot's head with the live ledger's balances at that head, and streams the same bytes")
    func onlineBackupAndRestore() async throws {
        let demo = Fixtures.repository.appendingPathComponent("media/demo").path
        let server = try await ServerProcess.start(arguments: ["--demo", demo])
        let tracks = try await server.publishedTracks(count: 3)
        let paid = try await server.paidDemoTracks(tracks)
        let port = server.port
        let fans = try await server.signUpListeners(4)
        let tokens = fans.map(\.token)
        let ids = fans.map(\.id)
        let livePath = server.data.appendingPathComponent("tutti.sqlite").path
        let listeners = ids
        try await onOwnThread {
            let ledger = try Ledger(database: TuttiDatabase.open(path: livePath, others: [Ledger.registerMigrations]))
            for id in listeners { _ = try ledger.topUp(transferID: "backup-test-\(id)", user: id, amount: 3_000_000, reference: "test") }
        }

        // Eight clients play (each play past the preview is charged) until told to stop.
        let stop = Atomic<Bool>(false)
        let served = Atomic<Int>(0)
        let bearer = tokens
        let work = paid
        let clients = Task {
            try await onOwnThreads(8) { client in
                var round = 0
                while !stop.load(ordering: .relaxed) {
                    let listener = (client + round) % bearer.count
                    let track = work[(client / 4 + round) % work.count]
                    round += 1
                    let opened = RawConnection.exchange(
                        port: port, "POST", "/api/v1/tracks/\(track.id)/plays", headers: ["Authorization": "Bearer \(bearer[listener])"])
                    guard opened.status == 201, let session = Self.json(opened.body),
                          let url = (session["audio"] as? [String: Any])?["standard"] as? String else { continue }
                    if RawConnection.exchange(port: port, "GET", url, headers: ["Range": track.seek]).status == 206 {
                        served.add(1, ordering: .relaxed)
                    }
                }
            }
        }
        try await waitUntil("plays to be charged before the backup") { served.load(ordering: .relaxed) >= 10 }

        let backup = Fixtures.scratch("backup").appendingPathComponent("b1").path
        let taken = try await Self.tutti(["backup", "--data", server.data.path, backup])
        let servedDuringBackup = served.load(ordering: .relaxed)
        #expect(taken.status == 0, "tutti backup: \(taken.stdout) \(taken.stderr)")
        // Plays go on after the snapshot (the backup stopped nothing).
        try await waitUntil("plays to be charged after the backup") { served.load(ordering: .relaxed) >= servedDuringBackup + 10 }
        stop.store(true, ordering: .relaxed)
        try await clients.value

        let manifest = try #require(Self.json(try Data(contentsOf: URL(fileURLWithPath: backup + "/manifest.json"))))
        let head = try #require((manifest["ledger"] as? [String: Any])?["headSequence"] as? Int)
        let media = try #require(manifest["media"] as? [[String: Any]])
        #expect(media.count == 9, "three originals and six renditions")

        let checked = try await Self.tutti(["restore", backup, "--check"])
        #expect(checked.status == 0, "tutti restore --check: \(checked.stdout) \(checked.stderr)")
        let restoredFolder = Fixtures.scratch("restored").appendingPathComponent("data")
        let restored = try await Self.tutti(["restore", backup, "--data", restoredFolder.path])
        #expect(restored.status == 0, "tutti restore: \(restored.stdout) \(restored.stderr)")
        // The app passwords' key comes back too (apps' token sign-ins depend on it).
        #expect((manifest["appPasswordKey"] as? [String: Any])?["key"] as? String == "app-passwords.key")
        let liveKey = try Data(contentsOf: server.data.appendingPathComponent("app-passwords.key"))
        #expect(try Data(contentsOf: restoredFolder.appendingPathComponent("app-passwords.key")) == liveKey)

        // The restored ledger verifies and ends at the snapshot's head, which the live chain
        // holds with the same hash; every account's postings equal the live ledger's up to it.
        let live = try DatabasePool(path: livePath, configuration: Ledger.configuration())
        let copy = try DatabasePool(path: restoredFolder.appendingPathComponent("tutti.sqlite").path, configuration: Ledger.configuration())
        let report = try Ledger.verify(copy)
        #expect(report.isIntact, "\(report)")
        #expect(report.headSequence == Int64(head))
        let liveHead = try Ledger.verify(live)
        #expect(liveHead.isIntact)
        #expect(liveHead.headSequence > Int64(head), "plays charged after the snapshot are not in the backup")
        let hashAtHead = { @Sendable (database: DatabasePool) async throws -> Data? in
            try await database.read { db in try Data.fetchOne(db, sql: "SELECT hash FROM ledger_transfers WHERE sequence = ?", arguments: [head]) }
        }
        let liveHash = try await hashAtHead(live)
        #expect(liveHash != nil)
        #expect(try await hashAtHead(copy) == liveHash)
        let expected = try await Self.postings(live, through: Int64(head))
        #expect(try await Self.postings(copy, through: nil) == expected)
        let posted = try await copy.read { db in
            try Row.fetchAll(db, sql: "SELECT id, debits_posted, credits_posted FROM ledger_accounts").map { ($0[0] as Int64, [$0[1] as Int64, $0[2] as Int64]) }
        }
        for (account, totals) in posted where totals != [0, 0] {
            #expect(expected[account] == totals, "account \(account)'s balance in the restore")
        }
        try copy.close()
        try live.close()

        // The restored service streams the same bytes as the live one.
        let restoredServer = try await ServerProcess.start(data: restoredFolder)
        #expect(try await restoredServer.publishedTracks(count: 3).count == 3)
        // Free tracks stream at their track URL, paid ones through a play session (its first
        // 64 KiB are in the free preview): opened on each server by a listener whose session
        // the backup holds.
        let token = tokens[0]
        for track in tracks {
            let id = try #require(track["id"] as? String)
            let free = track["free"] as? Bool == true
            var bodies: [Data] = []
            for (index, node) in [server, restoredServer].enumerated() {
                var url = "/api/v1/tracks/\(id)/audio/standard"
                if !free {
                    let opened = try await onOwnThread {
                        RawConnection.exchange(port: node.port, "POST", "/api/v1/tracks/\(id)/plays", headers: ["Authorization": "Bearer \(token)"])
                    }
                    try #require(opened.status == 201, "a play session on \(node.url): \(String(decoding: opened.body, as: UTF8.self))")
                    url = try #require((Self.json(opened.body)?["audio"] as? [String: Any])?["standard"] as? String)
                }
                let file = restoredFolder.deletingLastPathComponent().appendingPathComponent("\(id)-\(index).ogg").path
                let fetched = try await ThirdPartyTools.run("curl", ["-s", "-r", "0-65535", "-o", file, "-w", "%{http_code}", node.url + url])
                let body = try Data(contentsOf: URL(fileURLWithPath: file))
                #expect(fetched.stdout == "206" && body.count == 65_536, "\(node.url) streams \(id): \(fetched.stdout)")
                bodies.append(body)
            }
            #expect(bodies[0] == bodies[1], "track \(id) streams the same from the restore")
        }
        try await restoredServer.stop()
        try await server.stop()
    }

    @Test("a damaged backup is refused by --check and by restore, naming the file; a backup never goes over an existing folder")
    func damagedBackup() async throws {
        let demo = Fixtures.repository.appendingPathComponent("media/demo").path
        let server = try await ServerProcess.start(arguments: ["--demo", demo])
        _ = try await server.publishedTracks(count: 3)
        let folder = Fixtures.scratch("backup")
        let backup = folder.appendingPathComponent("b").path
        let taken = try await Self.tutti(["backup", "--data", server.data.path, backup])
        try #require(taken.status == 0, "tutti backup: \(taken.stdout) \(taken.stderr)")
        try await server.stop()

        // Over a folder that holds something: refused, the folder untouched.
        let again = try await Self.tutti(["backup", "--data", server.data.path, backup])
        #expect(again.status != 0)
        #expect(again.stderr.contains("already exists and is not empty"), "\(again.stderr)")
        #expect(FileManager.default.fileExists(atPath: backup + "/manifest.json"))

        // One byte of one rendition changed.
        let manifest = try #require(Self.json(try Data(contentsOf: URL(fileURLWithPath: backup + "/manifest.json"))))
        let key = try #require((manifest["media"] as? [[String: Any]])?.first(where: { ($0["key"] as? String)?.hasPrefix("media/") == true })?["key"] as? String)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: backup + "/" + key))
        try handle.seek(toOffset: 5_000)
        let byte = try #require(try handle.read(upToCount: 1)?.first)
        try handle.seek(toOffset: 5_000)
        try handle.write(contentsOf: Data([byte ^ 0x01]))
        try handle.close()

        let checked = try await Self.tutti(["restore", backup, "--check"])
        #expect(checked.status == 1)
        #expect(checked.stderr.contains(key), "--check names the damaged file: \(checked.stderr)")
        let target = folder.appendingPathComponent("restored").path
        let restored = try await Self.tutti(["restore", backup, "--data", target])
        #expect(restored.status == 1)
        #expect(restored.stderr.contains(key), "restore names the damaged file: \(restored.stderr)")
        #expect(!FileManager.default.fileExists(atPath: target), "a failed restore leaves no data folder")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains(".restoring-") }
        #expect(leftovers.isEmpty, "nor a partial one: \(leftovers)")

        // A folder that is not a finished backup.
        try FileManager.default.removeItem(atPath: backup + "/manifest.json")
        let unfinished = try await Self.tutti(["restore", backup, "--check"])
        #expect(unfinished.status != 0)
        #expect(unfinished.stderr.contains("not a complete backup"), "\(unfinished.stderr)")
    }
}
