import Foundation
import Testing
import TuttiTestSupport
@testable import TuttiServer

#if canImport(Glibc)
import Glibc
#endif

/// The pieces of the sendfile path that are not seen from the wire: which request headers it
/// defers to the controllers, and how long an event loop keeps a file's descriptor open.
@Suite("Sendfile path: header names and descriptors")
struct SendfilePartsTests {
    @Test("header names are told apart byte by byte, in any letter case")
    func headerKinds() {
        typealias Kind = SendfileRoutes.HeaderKind
        #expect(Kind("Range") == .range && Kind("range") == .range && Kind("RANGE") == .range && Kind("rAnGe") == .range)
        #expect(Kind("Content-Length") == .contentLength && Kind("CONTENT-LENGTH") == .contentLength)
        for name in ["If-Match", "if-none-match", "If-Modified-Since", "IF-UNMODIFIED-SINCE", "If-Range", "Authorization", "Transfer-Encoding", "Expect"] {
            #expect(Kind(name) == .deferred, "\(name)")
        }
        for name in ["Host", "Ranges", "X-Range", "Rang", "Content-Type", "If-Matc", "If-Matches", "Accept", "", "Rangé", "range "] {
            #expect(Kind(name) == .other, "\(name)")
        }
    }

    /// A mapped file of `bytes` bytes (no mapping: only its descriptor is used here).
    private func file(_ bytes: Int, in folder: URL, named name: String) throws -> MappedFile {
        let path = folder.appendingPathComponent(name).path
        try Data(count: bytes).write(to: URL(fileURLWithPath: path))
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        try #require(descriptor >= 0)
        return MappedFile(base: nil, size: Int64(bytes), descriptor: descriptor)
    }

    @Test("an event loop keeps one descriptor per file, lets the oldest go past its limit, and closes it once its regions have left")
    func loopFiles() throws {
        let folder = Fixtures.scratch("loop-files")
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = LoopFiles()
        let first = try file(100, in: folder, named: "first")
        let sending = try #require(files.sending(first))
        #expect(files.sending(first) === sending, "the same file is sent from the same descriptor")
        #expect(sending.handle.isOpen)

        // A region in flight keeps the descriptor open after the loop lets the file go.
        sending.regionStarted()
        var others: [MappedFile] = []
        for index in 0..<LoopFiles.limit {
            let other = try file(10, in: folder, named: "other-\(index)")
            others.append(other)
            #expect(files.sending(other) != nil)
        }
        #expect(sending.handle.isOpen, "let go, but a region is still being written")
        sending.regionLeft()
        #expect(!sending.handle.isOpen, "closed once its last region left")

        // Asked again, the file gets a descriptor of its own anew.
        let again = try #require(files.sending(first))
        #expect(again !== sending && again.handle.isOpen)

        // An empty file has no descriptor to send from.
        let empty = MappedFile(base: nil, size: 0, descriptor: -1)
        #expect(files.sending(empty) == nil)
    }
}
