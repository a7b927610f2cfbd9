import Foundation
import Synchronization

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
/// Here the child gets its standard streams and nothing else
/// (`posix_spawn_file_actions_addclosefrom_np`), an empty signal mask (the test process's
/// threads block SIGTERM, which a child would otherwise inherit) and default signal
/// handling, and nothing in this process runs on a Dispatch or cooperative thread: output is
/// read and the child reaped on threads of their own.
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

    private let state = Mutex(State())
    private let reaped = NSCondition()

    /// Starts `executable` (a path, or a name looked up on PATH) with `arguments`.
    /// `environment` is added to this process's; standard input is /dev/null; standard
    /// error goes where standard output goes unless `standardError` says otherwise.
    public init(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], currentDirectory: String? = nil,
        standardOutput: Destination = .discard, standardError: Destination? = nil
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // A pipe for each stream collected: [read end, write end].
        var pipes: [Int32: [Int32]] = [:]
        for (descriptor, destination) in [(Int32(1), standardOutput), (Int32(2), standardError)] {
            guard case .collect? = destination else { continue }
            var ends: [Int32] = [-1, -1]
            guard pipe(&ends) == 0 else {
                pipes.values.forEach { $0.forEach { close($0) } }
                throw SpawnError(what: "pipe", code: errno)
            }
            // Neither end may leak into other children started meanwhile (pipe2 is not in
            // Glibc's Swift module; the window before this is what remains).
            ends.forEach { _ = fcntl($0, F_SETFD, FD_CLOEXEC) }
            pipes[descriptor] = ends
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        for (descriptor, destination) in [(Int32(1), standardOutput), (Int32(2), standardError)] {
            switch destination {
            case nil: posix_spawn_file_actions_adddup2(&actions, 1, 2)
            case .discard?: posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", O_WRONLY, 0)
            case .collect?: posix_spawn_file_actions_adddup2(&actions, pipes[descriptor]![1], descriptor)
            case let .file(path)?: posix_spawn_file_actions_addopen(&actions, descriptor, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            }
        }
        if let closeFrom = SpawnFunctions.addCloseFrom { _ = closeFrom(&actions, 3) }
        if let currentDirectory {
            guard let changeDirectory = SpawnFunctions.addChangeDirectory else {
                throw SpawnError(what: "posix_spawn_file_actions_addchdir_np (missing from this C library)", code: ENOSYS)
            }
            _ = changeDirectory(&actions, currentDirectory)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid = pid_t()
        let result = executable.contains("/")
            ? posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
            : posix_spawnp(&pid, executable, &actions, &attributes, argv, envp)
        pipes.values.forEach { close($0[1]) }
        guard result == 0 else {
            pipes.values.forEach { close($0[0]) }
            throw SpawnError(what: "posix_spawn \(executable)", code: result)
        }
        processIdentifier = pid
        state.withLock { $0.openStreams = pipes.count }
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
        reaped.lock()
        state.withLock { $0.termination = termination }
        reaped.broadcast()
        reaped.unlock()
    }

    private func readOutput(_ descriptor: Int32, stream: Int32) {
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            state.withLock {
                if stream == 1 { $0.output.append(contentsOf: buffer[..<count]) } else { $0.errorOutput.append(contentsOf: buffer[..<count]) }
            }
        }
        reaped.lock()
        state.withLock { $0.openStreams -= 1 }
        reaped.broadcast()
        reaped.unlock()
    }

    /// What the child wrote to standard output (and to standard error, when that follows
    /// it) so far, if it is collected.
    public var output: Data { state.withLock { $0.output } }

    /// What the child wrote to standard error so far, if it is collected on its own.
    public var errorOutput: Data { state.withLock { $0.errorOutput } }

    public var isRunning: Bool { state.withLock { $0.termination == nil } }

    /// How the child ended, nil while it runs.
    public var termination: Termination? { state.withLock { $0.termination } }

    /// Sends `signal` to the child, unless it has already been reaped (its pid could be
    /// another process's by then).
    public func send(_ signal: Int32) {
        reaped.lock()
        defer { reaped.unlock() }
        if state.withLock({ $0.termination == nil }) { kill(processIdentifier, signal) }
    }

    /// Blocks until the child has ended and its collected output is complete.
    @available(*, noasync, message: "blocks its thread: await exit()")
    @discardableResult
    public func waitUntilExit() -> Termination {
        reaped.lock()
        defer { reaped.unlock() }
        while true {
            let (termination, done) = state.withLock { ($0.termination, $0.openStreams == 0) }
            if let termination, done { return termination }
            reaped.wait()
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

public struct SpawnError: Error, CustomStringConvertible {
    public let what: String
    public let code: Int32
    public var description: String { "\(what): \(String(cString: strerror(code)))" }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34) and `..._addchdir_np` (2.29),
/// which its Swift module does not export (they need _GNU_SOURCE).
enum SpawnFunctions {
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias ChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    static let addCloseFrom: CloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map { unsafeBitCast($0, to: CloseFrom.self) }
    static let addChangeDirectory: ChangeDirectory? = dlsym(nil, "posix_spawn_file_actions_addchdir_np").map { unsafeBitCast($0, to: ChangeDirectory.self) }
}
