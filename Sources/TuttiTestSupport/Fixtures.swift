import Foundation

/// Paths to the committed fixtures and a scratch folder per test.
public enum Fixtures {
    public static let repository: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// The `tutti` executable `swift build` / `swift test` built beside the test bundle.
    public static var tuttiExecutable: String {
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tutti").path
        if FileManager.default.isExecutableFile(atPath: besideTests) { return besideTests }
        return repository.appendingPathComponent(".build/debug/tutti").path
    }

    /// A demo track from media/demo (about a minute of music-like audio, Ogg Vorbis).
    public static func demo(_ name: String) -> String {
        repository.appendingPathComponent("media/demo/\(name)").path
    }

    public static func media(_ name: String) -> String {
        repository.appendingPathComponent("media/fixtures/\(name)").path
    }

    /// A new empty folder, removed when the process ends if the test leaves it.
    public static func scratch(_ label: String = #function) -> URL {
        let safe = label.filter { $0.isLetter || $0.isNumber }
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("tutti-tests-\(getpid())/\(safe)-\(UUID().uuidString.prefix(8))")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Files in `folder` (not recursive), sorted.
    public static func files(in folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }
}
