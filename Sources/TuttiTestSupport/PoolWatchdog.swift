import Foundation
import Synchronization

/// Watches the threads that Swift's concurrency shares between every test and every
/// in-process server of the test run, and when they stop taking work records where every
/// thread of the process stands, so that a stall can be explained after the fact.
///
/// A stall was seen once in five suite runs: for two minutes no in-process server answered
/// and every test waiting on one failed at its deadline, then the run went on. Something
/// held both shared threads (there are two on these machines), and nothing told what. The
/// watchdog, on a thread of its own, hands the shared threads an empty task every second;
/// if none has run for ``threshold``, it attaches `gdb` to the test process once and writes
/// every thread's backtrace to `.build/test-artifacts/stall-PID.txt`, and says so on
/// standard error. It only observes: it never fails a test (the test that waited fails on
/// its own deadline, naming what it waited for).
public enum PoolWatchdog {
    /// How long the shared threads may take no work before the watchdog records them; far
    /// above what a busy machine causes (a few seconds), far below the tests' deadlines.
    public static let threshold: Duration = .seconds(45)

    private static let lastRan = Mutex(ContinuousClock.now)
    private static let reported = Atomic<Bool>(false)

    private static let started: Void = {
        Thread.detachNewThread { watch() }
    }()

    /// Starts the watchdog if it is not running yet; cheap to call from every test helper.
    public static func ensureRunning() { _ = started }

    private static func watch() {
        while true {
            Thread.sleep(forTimeInterval: 1)
            Task.detached { lastRan.withLock { $0 = .now } }
            let idle = lastRan.withLock { ContinuousClock.now - $0 }
            if idle > threshold, !reported.exchange(true, ordering: .relaxed) {
                record(idle: idle)
            }
        }
    }

    private static func record(idle: Duration) {
        let pid = ProcessInfo.processInfo.processIdentifier
        let folder = Fixtures.repository.appendingPathComponent(".build/test-artifacts")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("stall-\(pid).txt").path
        let message = "PoolWatchdog: the shared threads took no work for \(idle); backtraces of every thread in \(path)\n"
        FileHandle.standardError.write(Data(message.utf8))
        guard let gdb = ["/usr/bin/gdb", "/bin/gdb"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            FileHandle.standardError.write(Data("PoolWatchdog: gdb is not installed, no backtraces\n".utf8))
            return
        }
        do {
            let gdbRun = try Spawned(gdb, ["-p", "\(pid)", "-batch", "-nx", "-ex", "set pagination off", "-ex", "thread apply all bt 40"],
                                     standardOutput: .file(path))
            gdbRun.waitUntilExit()
        } catch {
            FileHandle.standardError.write(Data("PoolWatchdog: gdb did not start: \(error)\n".utf8))
            return
        }
        // CI keeps only what the run prints: the threads that were running a task, in short.
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        for summary in runningTasks(inBacktraces: text) {
            FileHandle.standardError.write(Data("PoolWatchdog: \(summary)\n".utf8))
        }
    }

    /// From gdb's `thread apply all bt`: each thread that was running a task when stopped
    /// (its stack holds `swift_job_run`), as its name and its innermost frames.
    static func runningTasks(inBacktraces text: String, frames: Int = 8) -> [String] {
        text.components(separatedBy: "\n\nThread ").filter { $0.contains("swift_job_run") }.map { block in
            let lines = block.split(separator: "\n")
            let header = lines.first.map(String.init) ?? ""
            let top = lines.dropFirst().prefix(frames).map { line in
                // "#3  0x... in SYMBOL (args) at FILE:LINE": keep the symbol and the place.
                let symbol = line.range(of: " in ").map { String(line[$0.upperBound...]) } ?? String(line)
                return "    " + String(symbol.prefix(220))
            }
            return (["thread " + header] + top).joined(separator: "\n")
        }
    }
}
