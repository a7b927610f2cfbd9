import Foundation

/// The processes running on this machine, read from /proc (no `pgrep` to start: it costs a
/// process each time, and a poll that starts one is slow to notice a short-lived child).
public enum Processes {
    /// The ids of the processes whose command line (arguments joined by spaces) contains
    /// `text`. Zombies have none and are not listed.
    public static func matching(_ text: String) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        let own = ProcessInfo.processInfo.processIdentifier
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry), pid != own,
                  let raw = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"), !raw.isEmpty else { return nil }
            let commandLine = String(decoding: raw.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return commandLine.contains(text) ? pid : nil
        }
    }

    /// Polls, on a thread of its own (so that a busy test process cannot make it look rarely),
    /// until a process whose command line contains `text` runs; returns their ids.
    /// - Throws: ``DidNotHappen`` if none ran before `timeout`.
    public static func waitForAny(_ text: String, _ what: @autoclosure () -> String, timeout: Duration = Deadline.standard) async throws -> [Int32] {
        let found = try await onOwnThread { () -> [Int32] in
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                let pids = matching(text)
                if !pids.isEmpty { return pids }
                Thread.sleep(forTimeInterval: 0.005)
            }
            return []
        }
        guard !found.isEmpty else { throw DidNotHappen(what: what(), timeout: timeout) }
        return found
    }

    /// Waits until no process whose command line contains `text` runs any more (a killed
    /// process may take a moment to be gone).
    /// - Throws: ``DidNotHappen`` naming `what` and those still running.
    public static func waitUntilNone(_ text: String, _ what: @autoclosure () -> String, timeout: Duration = Deadline.standard) async throws {
        try await waitUntil("\(what()) (still running: \(matching(text)))", timeout: timeout) { matching(text).isEmpty }
    }
}
