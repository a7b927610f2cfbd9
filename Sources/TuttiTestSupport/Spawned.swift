import Foundation
import Spawning

#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`, for the suite's helpers in place of
/// Foundation's `Process`.
///
/// On Linux `Process.run()` lists `/proc/self/fd` and adds a close action for every
/// descriptor the test process has open, while other threads open and close hundreds (the
/// suite's servers, its thousand-connection tests): twice a full `make test` crashed inside
/// it (a bad pointer in `memcpy` under `Process.run`, with descriptors numbered past 1,360).
/// Here the child is started as the server starts its jobs (``Spawn``: its standard streams
/// and nothing else, default signal handling, an empty signal mask), and nothing in this
/// process runs on a Dispatch or cooperative thread: output is read and the child reaped on
/// threads of their own.
public final class Spawned: @unchecked Sendable {
    /// Where one of the child's output streams goes.
    public enum Destination: Sendable {
        /// /dev/null.
        case discard
        /// A pipe this object reads on a thread of its own (see ``output``).
        case collect
        /// A file, created or truncated.
        case file(String)
    }

    /// How the child ended.
    public enum Termination: Equatable, Sendable {
        case exited(Int32)
        case signalled(Int32)
    }

    public let processIdentifier: pid_t
    private struct State {
        var termination: Termination?
        var output = Data()
        var errorOutput = Data()
        /// Collected streams not yet read to their end.
        var openStreams = 0
    }

    /// Guards `state`; signalled when the child is reaped or a collected stream ends.
    private let condition = NSCondition()
    private var state = State()

    private func locked<T>(_ body: (inout State) -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body(&state)
    }

    /// Starts `executable` (a path, or a name looked up on PATH) with `arguments`.
    /// `environment` is added to this process's; standard input is /dev/null; standard
    /// error goes where standard output goes unless `standardError` says otherwise.
    public init(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], currentDirectory: String? = nil,
        standardOutput: Destination = .discard, standardError: Destination? = nil
    ) throws {
        // A pipe for each stream collected: [read end, write end].
        var pipes: [Int32: [Int32]] = [:]
        for (descriptor, destination) in [(Int32(1), standardOutput), (Int32(2), standardError)] {
            guard case .collect? = destination else { continue }
            var ends: [Int32] = [-1, -1]
            guard pipe(&ends) == 0 else {
                pipes.values.forEach { $0.forEach { close($0) } }
                throw SpawnFailure(executable: "\(executable) (pipe)", code: errno)
            }
            // Neither end may leak into other children started meanwhile (pipe2 is not in
            // Glibc's Swift module; the window before this is what remains).
            ends.forEach { _ = fcntl($0, F_SETFD, FD_CLOEXEC) }
            pipes[descriptor] = ends
        }
        let spawn = Spawn()
        posix_spawn_file_actions_addopen(&spawn.actions, 0, "/dev/null", O_RDONLY, 0)
        for (descriptor, destination) in [(Int32(1), standardOutput), (Int32(2), standardError)] {
            switch destination {
            case nil: posix_spawn_file_actions_adddup2(&spawn.actions, 1, 2)
            case .discard?: posix_spawn_file_actions_addopen(&spawn.actions, descriptor, "/dev/null", O_WRONLY, 0)
            case .collect?: posix_spawn_file_actions_adddup2(&spawn.actions, pipes[descriptor]![1], descriptor)
            case let .file(path)?: posix_spawn_file_actions_addopen(&spawn.actions, descriptor, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            }
        }
        if let currentDirectory, !spawn.changeDirectory(to: currentDirectory) {
            pipes.values.forEach { $0.forEach { close($0) } }
            throw SpawnFailure(executable: "posix_spawn_file_actions_addchdir_np \(currentDirectory)", code: ENOSYS)
        }
        let result = spawn.run(
            executable, arguments, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }, searchPath: true)
        pipes.values.forEach { close($0[1]) }
        let pid: pid_t
        switch result {
        case let .success(started): pid = started
        case let .failure(failure):
            pipes.values.forEach { close($0[0]) }
            throw failure
        }
        processIdentifier = pid
        state.openStreams = pipes.count
        for (descriptor, ends) in pipes {
            Thread.detachNewThread { [self] in readOutput(ends[0], stream: descriptor) }
        }
        let thread = Thread { [self] in reap() }
        thread.name = "tutti.tests.reaper.\(pid)"
        thread.start()
    }

    /// Waits for the child on a thread of its own, so that ``isRunning`` and the waits below
    /// need no second `waitpid`.
    private func reap() {
        var status: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(processIdentifier, &status, 0) } while result < 0 && errno == EINTR
        let termination: Termination = if result < 0 {
            .exited(-1)
        } else if status & 0x7f == 0 {
            .exited((status >> 8) & 0xff)
        } else {
            .signalled(status & 0x7f)
        }
        condition.lock()
        state.termination = termination
        condition.broadcast()
        condition.unlock()
    }

    private func readOutput(_ descriptor: Int32, stream: Int32) {
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            locked {
                if stream == 1 { $0.output.append(contentsOf: buffer[..<count]) } else { $0.errorOutput.append(contentsOf: buffer[..<count]) }
            }
        }
        condition.lock()
        state.openStreams -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// What the child wrote to standard output (and to standard error, when that follows
    /// it) so far, if it is collected.
    public var output: Data { locked { $0.output } }

    /// What the child wrote to standard error so far, if it is collected on its own.
    public var errorOutput: Data { locked { $0.errorOutput } }

    public var isRunning: Bool { locked { $0.termination == nil } }

    /// How the child ended, nil while it runs.
    public var termination: Termination? { locked { $0.termination } }

    /// Sends `signal` to the child, unless it has already been reaped (its pid could be
    /// another process's by then).
    public func send(_ signal: Int32) {
        locked { if $0.termination == nil { kill(processIdentifier, signal) } }
    }

    /// Blocks until the child has ended and its collected output is complete.
    @available(*, noasync, message: "blocks its thread: await exit()")
    @discardableResult
    public func waitUntilExit() -> Termination {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let termination = state.termination, state.openStreams == 0 { return termination }
            condition.wait()
        }
    }

    /// Waits (on a thread of its own) until the child has ended and its collected output is complete.
    @discardableResult
    public func exit() async -> Termination {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { [self] in continuation.resume(returning: waitUntilExit()) }
        }
    }
}
