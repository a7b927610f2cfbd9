import ArgumentParser
import AudioCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes one line to standard error.
func printError(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

extension AudioError {
    /// Ends a command with the error's one-line reason and exit status 1.
    func exit(command: String, file: String) -> ExitCode {
        printError("tutti \(command): \(file): \(self)")
        return ExitCode(1)
    }
}
