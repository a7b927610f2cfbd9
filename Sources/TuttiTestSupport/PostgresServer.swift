import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL server of the test run's own: Debian's postgresql-15 `initdb` and `pg_ctl` on
/// a data folder in the scratch space, answering on a Unix socket only (no TCP port to clash
/// with), trusting local connections, superuser `tutti`. Run as root (CI), the server runs as
/// the `postgres` user that Debian's package creates (PostgreSQL refuses to run as root).
///
/// A server whose test process died is ended by the next start (``endOrphans()``).
public final class PostgresServer: Sendable {
    /// The folder of the socket (`.s.PGSQL.5432` inside it).
    public let socketFolder: String
    public let dataFolder: String
    /// Where `pg_ctl` writes the server's log.
    public let logPath: String
    public let user = "tutti"
    let runAs: [String]

    /// The server started by ``PostgresTrait`` for the current suite.
    @TaskLocal public static var current: PostgresServer?

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The path of the server's socket, as postgres-nio's `unixSocketPath` wants it.
    public var socketPath: String { socketFolder + "/.s.PGSQL.5432" }

    /// Creates a data folder and starts a server on it; returns once it accepts connections.
    /// - Parameter settings: `-c` settings for the server (e.g. `synchronous_commit=on`).
    public static func start(settings: [String: String] = [:]) async throws -> PostgresServer {
        let binaries = try binaryFolder()
        try? await onOwnThread { endOrphans() }
        let folder = Fixtures.scratch("postgres")
        let data = folder.appendingPathComponent("data").path
        let sockets = folder.appendingPathComponent("run").path
        try FileManager.default.createDirectory(atPath: sockets, withIntermediateDirectories: true)
        let runAs = try account(owning: [folder.path, sockets])
        let log = folder.appendingPathComponent("postgres.log").path
        let (initdbProgram, initdbArguments) = command(runAs, "\(binaries)/initdb", [
            "-D", data, "-U", "tutti", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync",
        ])
        let initdb = try await ThirdPartyTools.run(initdbProgram, initdbArguments)
        guard initdb.status == 0 else { throw Failure(description: "initdb failed (\(initdb.status)): \(initdb.stderr)\(initdb.stdout)") }
        let server = PostgresServer(socketFolder: sockets, dataFolder: data, logPath: log, runAs: runAs, binaries: binaries, settings: settings)
        try await server.restart()
        return server
    }

    let binaries: String
    let settings: [String: String]

    private init(socketFolder: String, dataFolder: String, logPath: String, runAs: [String], binaries: String, settings: [String: String]) {
        self.settings = settings
        self.socketFolder = socketFolder
        self.dataFolder = dataFolder
        self.logPath = logPath
        self.runAs = runAs
        self.binaries = binaries
    }

    /// Creates an empty database (a fresh one per test) and returns its name.
    public func createDatabase(_ prefix: String = "test") async throws -> String {
        let name = "\(prefix.lowercased().filter { $0.isLetter || $0.isNumber })_\(UUID().uuidString.prefix(8).lowercased())"
        let output = try await psql("postgres", "CREATE DATABASE \(name)")
        guard output.status == 0 else { throw Failure(description: "CREATE DATABASE \(name) failed: \(output.stderr)") }
        return name
    }

    /// Runs `sql` with `psql` in `database` (as the superuser); returns what it printed
    /// (unaligned, tuples only).
    public func psql(_ database: String, _ sql: String) async throws -> ThirdPartyTools.Output {
        try await ThirdPartyTools.run("psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", socketFolder, "-U", user, "-d", database, "-c", sql])
    }

    /// Stops the server (fast shutdown: open transactions are rolled back, committed ones are
    /// on disk).
    public func stop() async {
        _ = try? await pgctl(["-D", dataFolder, "-m", "fast", "-w", "-t", "120", "stop"])
    }

    /// Stops the server at once, as a crash would (`immediate`: no checkpoint; the next start
    /// recovers from the write-ahead log).
    public func crash() async throws {
        let output = try await pgctl(["-D", dataFolder, "-m", "immediate", "-w", "-t", "120", "stop"])
        guard output.status == 0 else { throw Failure(description: "pg_ctl stop -m immediate failed: \(output.stderr)") }
    }

    /// Starts the server on its data folder (first by ``start(settings:)``, again after ``crash()`` or ``stop()``).
    public func restart() async throws {
        var options = ["-k", socketFolder, "-c", "listen_addresses=", "-c", "max_connections=200"]
        for (name, value) in settings.sorted(by: { $0.key < $1.key }) { options += ["-c", "\(name)=\(value)"] }
        // Generous: a loaded machine can take long to start anything.
        let output = try await pgctl(["-D", dataFolder, "-l", logPath, "-o", options.map(Self.quoted).joined(separator: " "), "-w", "-t", "300", "start"])
        guard output.status == 0 else { throw Failure(description: "pg_ctl start failed (\(output.status)): \(output.stderr)\n--- log ---\n\(logTail())") }
    }

    public func logTail(lines: Int = 40) -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    private func pgctl(_ arguments: [String]) async throws -> ThirdPartyTools.Output {
        let (program, all) = Self.command(runAs, "\(binaries)/pg_ctl", arguments)
        return try await ThirdPartyTools.run(program, all)
    }

    /// `program` with `arguments`, behind the `runAs` prefix if any.
    static func command(_ runAs: [String], _ program: String, _ arguments: [String]) -> (String, [String]) {
        guard let first = runAs.first else { return (program, arguments) }
        return (first, Array(runAs.dropFirst()) + [program] + arguments)
    }

    private static func quoted(_ argument: String) -> String {
        "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Debian's server binaries (`initdb`, `pg_ctl`, `postgres`).
    static func binaryFolder() throws -> String {
        for version in ["15", "16", "17"] {
            let folder = "/usr/lib/postgresql/\(version)/bin"
            if FileManager.default.isExecutableFile(atPath: folder + "/pg_ctl") { return folder }
        }
        throw Failure(description: "PostgreSQL's server is not installed: run tools/install-deps.sh (apt-get install postgresql-15)")
    }

    /// The command prefix that runs PostgreSQL's programs as an unprivileged user when this
    /// process is root (`setpriv` to `postgres`, owning `folders`); empty otherwise.
    static func account(owning folders: [String]) throws -> [String] {
        guard geteuid() == 0 else { return [] }
        guard let entry = getpwnam("postgres") else {
            throw Failure(description: "running as root, and there is no 'postgres' user to run PostgreSQL as (Debian's postgresql package creates it)")
        }
        for folder in folders {
            // The server's user must reach its folders whatever this process's umask: every
            // folder above them (the run's scratch space) is opened for traversal.
            var above = URL(fileURLWithPath: folder).deletingLastPathComponent()
            while above.path.contains("/tutti-tests-") {
                chmod(above.path, 0o755)
                above.deleteLastPathComponent()
            }
            chown(folder, entry.pointee.pw_uid, entry.pointee.pw_gid)
        }
        return ["setpriv", "--reuid=postgres", "--regid=postgres", "--clear-groups", "--"]
    }

    /// Ends the servers that test processes which have died left running: a `postgres` whose
    /// data folder is in the scratch space of a process that no longer exists. Blocks while
    /// they go: call it on a thread of its own.
    @available(*, noasync, message: "blocks while the orphans go: call it on a thread of its own")
    static func endOrphans() {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return }
        for entry in entries {
            guard let pid = pid_t(entry), let commandLine = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")) else { continue }
            let arguments = commandLine.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard arguments.first?.hasSuffix("/postgres") == true, let at = arguments.firstIndex(of: "-D"), at + 1 < arguments.count else { continue }
            let data = arguments[at + 1]
            guard let range = data.range(of: "/tutti-tests-"),
                  let owner = pid_t(data[range.upperBound...].prefix(while: \.isNumber)),
                  kill(owner, 0) != 0, errno == ESRCH
            else { continue }
            print("PostgreSQL: ending \(pid) (\(data)), left running by test process \(owner) that died")
            kill(pid, SIGQUIT)
        }
    }
}

/// Starts one ``PostgresServer`` around a whole suite (`@Suite(.postgres)`) and stops it after;
/// the suite's tests find it in ``PostgresServer/current``.
public struct PostgresTrait: SuiteTrait, TestScoping {
    let settings: [String: String]
    public var isRecursive: Bool { false }

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let server = try await PostgresServer.start(settings: settings)
        do {
            try await PostgresServer.$current.withValue(server) { try await function() }
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}

extension Trait where Self == PostgresTrait {
    /// A PostgreSQL server for the suite (`settings` as `-c` options).
    public static func postgres(settings: [String: String] = [:]) -> Self { PostgresTrait(settings: settings) }
}
