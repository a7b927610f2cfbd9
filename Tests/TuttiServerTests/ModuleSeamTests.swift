import Foundation
import Testing
import TuttiTestSupport

/// The server and the CLI reach storage through TuttiStorage's types, never a database
/// library: a second backend (PostgreSQL) then changes TuttiStorage and the storage modules,
/// not the HTTP layer. With `MemberImportVisibility` on, a GRDB call needs `import GRDB` in
/// its file to compile; this refuses the import.
@Suite("Module seams")
struct ModuleSeamTests {
    @Test("no file of the server or the CLI imports GRDB or SQLite", arguments: ["Sources/TuttiServer", "Sources/tutti"])
    func noDatabaseImports(folder: String) throws {
        let root = Fixtures.repository.appendingPathComponent(folder)
        let files = try #require(FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)).compactMap { $0 as? URL }
            .filter { $0.pathExtension == "swift" }
        #expect(files.count > 10, "the sources of \(folder) are found")
        let forbidden = ["GRDB", "GRDBSQLite", "SQLite3", "CSQLite"]
        var offenders: [String] = []
        for file in files {
            for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") {
                let words = line.split(whereSeparator: \.isWhitespace)
                // `import X`, `@testable import X`, `internal import X`, `import struct X.Y`...
                guard let at = words.firstIndex(of: "import"), at + 1 < words.count else { continue }
                let module = words[words.index(after: at)...].last.map { $0.split(separator: ".").first.map(String.init) ?? "" } ?? ""
                if forbidden.contains(module) { offenders.append("\(file.lastPathComponent): \(line)") }
            }
        }
        #expect(offenders.isEmpty, "\(folder) imports a database library: \(offenders)")
    }
}
