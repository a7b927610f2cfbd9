import Foundation
import NIOPosix
import Testing
@testable import TuttiServer

#if canImport(Glibc)
import Glibc
#endif

/// The children the server starts (transcodes, image renders) get only their standard
/// streams: a descriptor the server holds open without O_CLOEXEC does not outlive it in them.
@Suite("Child processes")
struct ChildProcessTests {
    @Test("a descriptor opened without O_CLOEXEC is not inherited by a child")
    func noInheritedDescriptors() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("child-fd-\(UUID().uuidString)").path
        let leaky = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)  // no O_CLOEXEC, on purpose
        try #require(leaky > 2)
        defer {
            close(leaky)
            unlink(path)
        }
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        // The shell exits 0 if it sees the descriptor, 3 if not.
        let child = ChildProcess(
            executable: "/bin/sh", arguments: ["-c", "test -e /proc/self/fd/\(leaky) && exit 0; exit 3"],
            environment: [:], threadPool: pool)
        let outcome = try await child.run(timeLimit: .seconds(600)) { _ in }
        try await pool.shutdownGracefully()
        #expect(outcome.termination == .exited(3), "the child saw descriptor \(leaky): \(outcome)")
    }
}
