import AudioCore
import Catalog
import FoundationEssentials
import Logging
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Reads an upload's tags (title, album, TRACKNUMBER, DISCNUMBER) with `tutti probe
/// --header-only` in a child process under the job limits: libsndfile parses the header of a
/// file nobody has checked yet, which the server never does itself.
struct TagReader {
    let services: AppServices

    /// Header reading is quick; a child that takes longer is stopped.
    static let timeLimit = Duration.seconds(60)

    /// The tags, or nil when the header cannot be read (the transcode will say why).
    func tags(of path: String, logger: Logger) async -> AudioTags? {
        let configuration = services.configuration
        let output = "\(configuration.workDirectory)/probe-\(Identifier.make()).json"
        defer { unlink(output) }
        let child = ChildProcess(
            executable: configuration.transcoderExecutable,
            arguments: ["probe", path, "--header-only", "--memory-limit", String(configuration.jobMemoryLimit)],
            environment: ["MALLOC_ARENA_MAX": "2", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TUTTI_PARENT_PID": String(getpid())],
            threadPool: services.threadPool, standardOutput: output)
        do {
            let outcome = try await child.run(timeLimit: Self.timeLimit) { _ in }
            guard outcome.termination == .exited(0), !outcome.timedOut else {
                logger.info("could not read an upload's tags", metadata: ["stderr": "\(outcome.stderrTail.last ?? "")"])
                return nil
            }
            let data = try await services.threadPool.runIfActive { try Data(contentsOf: URL(fileURLWithPath: output)) }
            return try JSONDecoder().decode(SourceInfo.self, from: data).tags
        } catch {
            logger.warning("could not run the tag reader", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
