import Foundation
import Testing

/// Runs programs from Debian's packages (opus-tools, oggz-tools, ffmpeg) on Tutti's output.
public enum ThirdPartyTools {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `executable` (found on PATH) with `arguments` and collects its output. Blocks its
    /// thread until the program ends: from async code, `await` the other `run`.
    @available(*, noasync, message: "blocks its thread until the program ends: await the async run")
    public static func run(_ executable: String, _ arguments: [String]) throws -> Output {
        // Both pipes are read while the program runs (a chatty child never blocks on a full
        // pipe), on threads of their own: see ``Spawned``.
        let child = try Spawned(executable, arguments, standardOutput: .collect, standardError: .collect)
        let status: Int32 = switch child.waitUntilExit() {
        case let .exited(code): code
        case let .signalled(signal): 128 + signal
        }
        return Output(status: status, stdout: String(decoding: child.output, as: UTF8.self), stderr: String(decoding: child.errorOutput, as: UTF8.self))
    }

    /// Runs `executable` on a thread of its own, so tests with a server in the same process
    /// never block the threads that server needs (a blocked cooperative pool deadlocks both).
    public static func run(_ executable: String, _ arguments: [String]) async throws -> Output {
        try await onOwnThread { try run(executable, arguments) as Output }
    }

    /// Checks `path` with opusinfo and oggz-validate: both must accept it without a warning.
    /// (The tools run on a thread of their own; the expectations are checked in the test's task.)
    public static func expectValid(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let opusinfo = try await run("opusinfo", [path])
        let validate = try await run("oggz-validate", [path])
        expectValid(opusinfo: opusinfo, validate: validate, sourceLocation: sourceLocation)
    }

    public static func expectValid(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        expectValid(opusinfo: try run("opusinfo", [path]), validate: try run("oggz-validate", [path]), sourceLocation: sourceLocation)
    }

    private static func expectValid(opusinfo: Output, validate: Output, sourceLocation: SourceLocation) {
        #expect(opusinfo.status == 0, "opusinfo: \(opusinfo.stdout)\(opusinfo.stderr)", sourceLocation: sourceLocation)
        let complaints = (opusinfo.stdout + opusinfo.stderr).split(separator: "\n").filter {
            $0.contains("WARNING") || $0.contains("ERROR") || $0.contains("error")
        }
        #expect(complaints.isEmpty, "opusinfo complains: \(complaints)", sourceLocation: sourceLocation)
        #expect(validate.status == 0, "oggz-validate: \(validate.stdout)\(validate.stderr)", sourceLocation: sourceLocation)
    }

    /// The number of sample frames ffmpeg decodes from `path` (48 kHz, s16), which applies
    /// pre-skip and end trimming from the granule positions.
    public static func ffmpegFrames(_ path: String, channels: Int) async throws -> Int {
        try await onOwnThread { try ffmpegFrames(path, channels: channels) }
    }

    public static func ffmpegFrames(_ path: String, channels: Int) throws -> Int {
        let folder = Fixtures.scratch()
        let raw = folder.appendingPathComponent("decoded.raw").path
        let result = try run("ffmpeg", ["-nostdin", "-v", "error", "-i", path, "-f", "s16le", "-acodec", "pcm_s16le", "-y", raw])
        guard result.status == 0 else { throw DecodeFailure(message: "ffmpeg: \(result.stderr)") }
        let size = try FileManager.default.attributesOfItem(atPath: raw)[.size] as! Int
        return size / (2 * channels)
    }
}
