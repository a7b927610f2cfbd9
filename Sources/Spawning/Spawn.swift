#if canImport(Glibc)
import Glibc
#endif

/// What every child process Tutti starts gets, whoever starts it (the server's transcode,
/// image and tag jobs; the test suite's tools and servers): its standard streams and no other
/// descriptor, default signal handling and an empty signal mask; then `posix_spawn` with the
/// arguments and environment as C strings.
///
/// Its own small module because the server and the test support both start children and share
/// no other module.
public final class Spawn {
    /// The child's file actions: add the standard streams' before ``run(_:_:environment:searchPath:)``.
    public var actions = posix_spawn_file_actions_t()
    public var attributes = posix_spawnattr_t()
    private var flags: Int32 = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK

    public init() {
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        // Threads of the parent may block signals (the test process's block SIGTERM), and a
        // child inherits the mask of the thread that starts it.
        var defaults = sigset_t()
        sigfillset(&defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
    }

    deinit {
        posix_spawn_file_actions_destroy(&actions)
        posix_spawnattr_destroy(&attributes)
    }

    /// Starts the child in a process group of its own, so that a kill of the group reaches
    /// anything it starts.
    public func ownProcessGroup() {
        posix_spawnattr_setpgroup(&attributes, 0)
        flags |= POSIX_SPAWN_SETPGROUP
    }

    /// Starts the child in `directory`. False where the C library lacks
    /// `posix_spawn_file_actions_addchdir_np` (glibc before 2.29).
    public func changeDirectory(to directory: String) -> Bool {
        guard let changeDirectory = Self.addChangeDirectory else { return false }
        return changeDirectory(&actions, directory) == 0
    }

    /// Starts `executable` (a path; with `searchPath`, a name looked up on PATH too) with
    /// `arguments` and exactly `environment`. Every descriptor from 3 up is closed in the
    /// child first: one opened without O_CLOEXEC (a library's, a file being written) would
    /// otherwise live as long as the child, keeping a deleted file's space or a socket's peer
    /// waiting. Returns the child's pid, or the error number `posix_spawn` gave.
    public func run(_ executable: String, _ arguments: [String], environment: [String: String], searchPath: Bool = false) -> Result<pid_t, SpawnFailure> {
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid = pid_t()
        let result = searchPath && !executable.contains("/")
            ? posix_spawnp(&pid, executable, &actions, &attributes, argv, envp)
            : posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        return result == 0 ? .success(pid) : .failure(SpawnFailure(executable: executable, code: result))
    }

    // glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34) and `..._addchdir_np` (2.29),
    // which its Swift module does not export (they need _GNU_SOURCE): looked up at run time.
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias ChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    static let addCloseFrom: CloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map { unsafeBitCast($0, to: CloseFrom.self) }
    static let addChangeDirectory: ChangeDirectory? = dlsym(nil, "posix_spawn_file_actions_addchdir_np").map { unsafeBitCast($0, to: ChangeDirectory.self) }
}

/// `posix_spawn` refused to start `executable`.
public struct SpawnFailure: Error, CustomStringConvertible {
    public let executable: String
    /// The error number.
    public let code: Int32
    public init(executable: String, code: Int32) {
        self.executable = executable
        self.code = code
    }

    public var description: String { "posix_spawn \(executable): \(String(cString: strerror(code)))" }
}
