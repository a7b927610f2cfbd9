import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A headless Chromium (Debian's `chromium`) driven over the DevTools protocol on a pipe:
/// `--remote-debugging-pipe` makes the browser read JSON commands from its fd 3 and write
/// answers and events to its fd 4, one message per NUL-terminated chunk.
public final class Chromium: Sendable {
    public struct ProtocolError: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    private struct State {
        var nextID = 0
        var pending: [Int: CheckedContinuation<Data, any Error>] = [:]
        /// JavaScript exceptions, console errors and browser log errors (CSP violations among them).
        var problems: [String] = []
        var closed = false
    }

    private let pid: pid_t
    private let commands: Int32
    private let answers: Int32
    private let state = Mutex(State())
    /// The profile folder (removed by `close()`); Chromium's own output goes to `chromium.log` in it.
    public let profile: URL

    /// Starts the browser. `chromium` must be on PATH (`tools/install-deps.sh` installs it).
    public init(executable: String = "chromium", windowSize: (width: Int, height: Int) = (1280, 900)) throws {
        profile = Fixtures.scratch("chromium")
        let arguments = [
            executable, "--headless=new", "--remote-debugging-pipe", "--user-data-dir=\(profile.path)",
            // Tests run as root, where Chromium's sandbox cannot start.
            "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
            "--disable-background-networking", "--disable-component-update", "--password-store=basic",
            // Media plays without a click and without a sound card: audio goes to Chromium's
            // fake output, paced by a timer, instead of a device it would first try to open.
            "--autoplay-policy=no-user-gesture-required", "--mute-audio", "--disable-audio-output",
            "--window-size=\(windowSize.width),\(windowSize.height)", "about:blank",
        ]
        // Parent ends stay close-on-exec; the child's ends are placed at 3 and 4 by dup2.
        let toBrowser = try Self.pipe()
        let fromBrowser = try Self.pipe()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let log = profile.appendingPathComponent("chromium.log").path
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_adddup2(&actions, toBrowser.read, 3)
        posix_spawn_file_actions_adddup2(&actions, fromBrowser.write, 4)
        var child: pid_t = 0
        let path = try Self.locate(executable)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let status = posix_spawn(&child, path, &actions, nil, argv, environ)
        Glibc.close(toBrowser.read)
        Glibc.close(fromBrowser.write)
        guard status == 0 else {
            Glibc.close(toBrowser.write)
            Glibc.close(fromBrowser.read)
            throw ProtocolError(description: "posix_spawn \(path): \(String(cString: strerror(status)))")
        }
        pid = child
        commands = toBrowser.write
        answers = fromBrowser.read
        let reader = Thread { [self] in readMessages() }
        reader.name = "chromium-devtools"
        reader.start()
    }

    /// What went wrong inside pages so far: uncaught exceptions, console errors, log errors.
    public var problems: [String] { state.withLock { $0.problems } }

    /// Sends a command and returns its `result` (JSON). `session` addresses an attached page.
    @discardableResult
    public func send(_ method: String, _ parameters: [String: Any] = [:], session: String? = nil, timeout: Double = Double(Deadline.standard.components.seconds)) async throws -> [String: Any] {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        var message: [String: Any] = ["id": id, "method": method, "params": parameters]
        if let session { message["sessionId"] = session }
        let payload = try JSONSerialization.data(withJSONObject: message) + [0]
        let answer = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Data, any Error>) in
            let closed = state.withLock { state -> Bool in
                if state.closed { return true }
                state.pending[id] = continuation
                return false
            }
            if closed { return continuation.resume(throwing: ProtocolError(description: "the browser has exited")) }
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [self] in
                resolve(id, .failure(ProtocolError(description: "\(method): no answer within \(timeout) s")))
            }
            payload.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = write(commands, bytes.baseAddress! + offset, bytes.count - offset)
                    if written <= 0 {
                        if errno == EINTR { continue }
                        resolve(id, .failure(ProtocolError(description: "\(method): write to the browser failed")))
                        return
                    }
                    offset += written
                }
            }
        }
        let object = try JSONSerialization.jsonObject(with: answer) as? [String: Any] ?? [:]
        if let error = object["error"] as? [String: Any] {
            throw ProtocolError(description: "\(method): \(error["message"] as? String ?? "error") \(error["data"] as? String ?? "")")
        }
        return object["result"] as? [String: Any] ?? [:]
    }

    /// Opens a new tab and attaches to it.
    public func newPage() async throws -> BrowserPage {
        let target = try await send("Target.createTarget", ["url": "about:blank"])
        guard let targetID = target["targetId"] as? String else { throw ProtocolError(description: "no targetId") }
        let attached = try await send("Target.attachToTarget", ["targetId": targetID, "flatten": true])
        guard let session = attached["sessionId"] as? String else { throw ProtocolError(description: "no sessionId") }
        let page = BrowserPage(browser: self, session: session, target: targetID)
        for domain in ["Page", "Runtime", "Log", "DOM"] { try await page.send("\(domain).enable") }
        return page
    }

    /// ``close()`` on a thread of its own: it waits for the browser to exit, which must not
    /// hold one of the few threads every test and in-process server shares.
    public func shutDown() async {
        _ = try? await onOwnThread { self.close() }
    }

    /// Asks the browser to quit, and kills it if it has not within a few seconds. Blocks its
    /// thread meanwhile: from async code, use ``shutDown()``.
    @available(*, noasync, message: "blocks its thread while the browser exits: await shutDown()")
    public func close() {
        let payload = #"{"id":0,"method":"Browser.close"}"#
        _ = payload.withCString { write(commands, $0, strlen($0) + 1) }
        var status: Int32 = 0
        var exited = false
        for _ in 0..<50 {
            if waitpid(pid, &status, WNOHANG) == pid { exited = true; break }
            usleep(100_000)
        }
        if !exited {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
        }
        Glibc.close(commands)
        try? FileManager.default.removeItem(at: profile)
    }

    // MARK: Reading

    private func readMessages() {
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(answers, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            buffer.append(contentsOf: chunk[0..<count])
            while let end = buffer.firstIndex(of: 0) {
                dispatch(Data(buffer[..<end]))
                buffer.removeSubrange(...end)
            }
        }
        Glibc.close(answers)
        let pending = state.withLock { state -> [CheckedContinuation<Data, any Error>] in
            state.closed = true
            defer { state.pending = [:] }
            return Array(state.pending.values)
        }
        for continuation in pending { continuation.resume(throwing: ProtocolError(description: "the browser has exited")) }
    }

    private func dispatch(_ message: Data) {
        guard let object = try? JSONSerialization.jsonObject(with: message) as? [String: Any] else { return }
        if let id = object["id"] as? Int {
            resolve(id, .success(message))
            return
        }
        guard let method = object["method"] as? String, let parameters = object["params"] as? [String: Any] else { return }
        var problem: String?
        switch method {
        case "Runtime.exceptionThrown":
            let details = parameters["exceptionDetails"] as? [String: Any]
            let exception = details?["exception"] as? [String: Any]
            problem = "exception: \(exception?["description"] as? String ?? details?["text"] as? String ?? "?")"
        case "Runtime.consoleAPICalled" where parameters["type"] as? String == "error":
            let values = (parameters["args"] as? [[String: Any]] ?? []).map { "\($0["value"] ?? $0["description"] ?? "")" }
            problem = "console.error: \(values.joined(separator: " "))"
        case "Log.entryAdded":
            let entry = parameters["entry"] as? [String: Any]
            if entry?["level"] as? String == "error" {
                problem = "log (\(entry?["source"] as? String ?? "")): \(entry?["text"] as? String ?? "") \(entry?["url"] as? String ?? "")"
            }
        default:
            break
        }
        if let problem { state.withLock { $0.problems.append(problem) } }
    }

    private func resolve(_ id: Int, _ result: Result<Data, any Error>) {
        let continuation = state.withLock { $0.pending.removeValue(forKey: id) }
        continuation?.resume(with: result)
    }

    // MARK: Process set-up

    private static func pipe() throws -> (read: Int32, write: Int32) {
        var ends: [Int32] = [0, 0]
        guard Glibc.pipe(&ends) == 0 else { throw ProtocolError(description: "pipe: \(String(cString: strerror(errno)))") }
        // (Glibc's module does not export pipe2.) Close-on-exec copies at 10 or above: the
        // parent's ends never leak into other children for long, and no dup2 onto 3 or 4 in
        // the child is a no-op that would leave a close-on-exec descriptor in place.
        let moved = ends.map { fcntl($0, F_DUPFD_CLOEXEC, 10) }
        ends.forEach { Glibc.close($0) }
        return (moved[0], moved[1])
    }

    private static func locate(_ executable: String) throws -> String {
        if executable.contains("/") { return executable }
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(folder)/\(executable)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        throw ProtocolError(description: "\(executable) is not on PATH: run tools/install-deps.sh (Debian package chromium)")
    }
}
