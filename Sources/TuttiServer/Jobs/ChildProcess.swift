import Logging
import NIOPosix
import Spawning
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// How a child process ended.
enum ChildTermination: Equatable, Sendable {
    case exited(Int32)
    case signalled(Int32)
}

/// Runs a program in its own process group with standard error piped back line by line,
/// a wall-clock limit, and a kill on cancellation. Blocking waits run on `threadPool`.
struct ChildProcess: Sendable {
    let executable: String
    let arguments: [String]
    let environment: [String: String]
    let threadPool: NIOThreadPool
    /// A file to receive the child's standard output (created or truncated); nil discards it.
    var standardOutput: String? = nil

    struct Outcome: Sendable {
        var termination: ChildTermination
        var timedOut: Bool
        /// The last lines the child wrote to standard error.
        var stderrTail: [String]
    }

    /// Starts the child and waits for it; `onLine` sees each line of its standard error.
    func run(timeLimit: Duration, onLine: @escaping @Sendable (String) -> Void) async throws -> Outcome {
        let (pid, readEnd) = try spawn()
        let timedOut = Flag()
        let killGroup: @Sendable () -> Void = { kill(-pid, SIGKILL) }
        let outcome = try await withTaskCancellationHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await Task.sleep(for: timeLimit)
                    timedOut.value.store(true, ordering: .relaxed)
                    killGroup()
                }
                async let tail = threadPool.runIfActive { Self.readLines(readEnd, onLine: onLine) }
                async let status = threadPool.runIfActive { Self.wait(pid) }
                let termination = try await status
                let lines = try await tail
                group.cancelAll()
                return Outcome(termination: termination, timedOut: timedOut.value.load(ordering: .relaxed), stderrTail: lines)
            }
        } onCancel: {
            killGroup()
        }
        return outcome
    }

    private func spawn() throws -> (pid_t, Int32) {
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw ChildProcessError.call("pipe", errno) }
        // Neither end may leak into other children the server starts meanwhile.
        _ = fcntl(pipeEnds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(pipeEnds[1], F_SETFD, FD_CLOEXEC)
        let spawn = Spawn()
        posix_spawn_file_actions_addopen(&spawn.actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&spawn.actions, 1, standardOutput ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&spawn.actions, pipeEnds[1], 2)
        spawn.ownProcessGroup()
        let result = spawn.run(executable, arguments, environment: environment)
        close(pipeEnds[1])
        switch result {
        case let .success(pid):
            return (pid, pipeEnds[0])
        case let .failure(failure):
            close(pipeEnds[0])
            throw ChildProcessError.call("posix_spawn \(executable)", failure.code)
        }
    }

    /// Reads lines until the pipe closes; returns the last 20.
    private static func readLines(_ descriptor: Int32, onLine: (String) -> Void) -> [String] {
        defer { close(descriptor) }
        var tail: [String] = []
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            pending += buffer[..<count]
            while let newline = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                onLine(line)
                tail.append(line)
                if tail.count > 20 { tail.removeFirst() }
            }
            // A child that never ends its line cannot make us hold unbounded memory.
            if pending.count > 64 * 1024 { pending.removeAll() }
        }
        if !pending.isEmpty { tail.append(String(decoding: pending, as: UTF8.self)) }
        return tail
    }

    private static func wait(_ pid: pid_t) -> ChildTermination {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED / WTERMSIG are macros Swift cannot import.
        let signal = status & 0x7F
        return signal == 0 ? .exited((status >> 8) & 0xFF) : .signalled(signal)
    }
}

private final class Flag: Sendable {
    let value = Atomic<Bool>(false)
}

enum ChildProcessError: Error, CustomStringConvertible {
    case call(String, Int32)

    var description: String {
        switch self {
        case .call(let call, let code): "\(call) failed: \(String(cString: strerror(code)))"
        }
    }
}
