import Foundation
import Testing
import TuttiTestSupport

/// A newcomer's first `make run`: a fresh clone of the repository, started the way the
/// Makefile starts it. A run's state committed by mistake (a data folder, a database) would
/// make the run start from it: no demo accounts printed, no free track, and a dirty tree.
@Suite("make run on a fresh clone")
struct FreshCloneTests {
    private func git(_ arguments: [String]) async throws -> ThirdPartyTools.Output {
        let run = try await ThirdPartyTools.run("git", arguments)
        try #require(run.status == 0, "git \(arguments.joined(separator: " ")): \(run.stderr)")
        return run
    }

    @Test("a fresh clone's first run prints the demo accounts, publishes the demo with exactly one free track, and leaves git status clean")
    func firstRun() async throws {
        // A clone of what is committed (HEAD of the checkout the tests run in), nothing else.
        let repository = Fixtures.repository.path
        let commit = try await git(["-C", repository, "rev-parse", "HEAD"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let clone = Fixtures.scratch("fresh-clone").appendingPathComponent("tutti")
        _ = try await git(["clone", "--quiet", "--no-checkout", repository, clone.path])
        _ = try await git(["-C", clone.path, "checkout", "--quiet", "--detach", commit])
        // (A committed run state would also keep the run below from seeding the demo.)
        try #require(try await git(["-C", clone.path, "ls-files", "--", ".tutti-data"]).stdout.isEmpty, "the data folder is committed")
        try #require(try await git(["-C", clone.path, "ls-files", "--", "*.sqlite", "*.sqlite-wal", "*.sqlite-shm"]).stdout.isEmpty,
                     "a database is committed")
        #expect(try await git(["-C", clone.path, "status", "--porcelain", "--untracked-files=all"]).stdout.isEmpty)

        // `make run` without its build step: the clone's own script, in the clone, with the
        // `tutti` these tests were built with, on a free port.
        let data = clone.appendingPathComponent(".tutti-data")
        let server = try ServerProcess(
            executable: clone.appendingPathComponent("tools/run-demo.sh").path, arguments: [Fixtures.tuttiExecutable, ".tutti-data"],
            data: data, currentDirectory: clone, environment: ["PORT": "0"])
        try await server.waitUntilListening()
        try await waitUntil("the demo accounts to be printed; the run printed: \(server.text)", timeout: Deadline.long) {
            server.text.contains("Demo accounts")
        }
        for account in ["admin", "ada", "bela", "lena"] {
            #expect(server.text.contains(" \(account) ") && server.text.contains("password: demo-\(account)-password"), "account \(account)")
        }
        try await waitUntil("the demo catalog to be ready; the run printed: \(server.text)", timeout: Deadline.long) {
            server.text.contains("demo catalog ready")
        }
        let demoFiles = try FileManager.default.contentsOfDirectory(atPath: clone.appendingPathComponent("media/demo").path)
            .filter { !$0.hasPrefix(".") && !$0.hasSuffix(".md") }
        let tracks = try await server.publishedTracks(count: demoFiles.count)
        #expect(tracks.count == 3, "\(demoFiles)")
        #expect(tracks.filter { $0["free"] as? Bool == true }.count == 1, "exactly one free demo track: \(tracks)")
        try await server.stop()  // SIGTERM, as Ctrl-C would
        #expect(server.process.termination == .exited(0), "\(server.text)")

        // The run wrote its state into the clone's data folder, and git does not see it.
        #expect(FileManager.default.fileExists(atPath: data.appendingPathComponent("tutti.sqlite").path))
        #expect(FileManager.default.fileExists(atPath: data.appendingPathComponent("url-signing.key").path))
        let status = try await git(["-C", clone.path, "status", "--porcelain", "--untracked-files=all", "--ignore-submodules=none"])
        #expect(status.stdout.isEmpty, "the first run left the tree dirty:\n\(status.stdout)")
        try? FileManager.default.removeItem(at: clone.deletingLastPathComponent())
    }
}
