import Foundation
import NIOCore
import Testing
import TuttiTestSupport
@testable import TuttiServer

#if canImport(Glibc)
import Glibc
#endif

/// The pieces of the sendfile path that are not seen from the wire: which request headers it
/// defers to the controllers, how long an event loop keeps a file's descriptor open, and how
/// a file part's token is told from a body's own bytes.
@Suite("Sendfile path: header names, descriptors, file parts")
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

    @Test("a file part is taken by its token's storage only, once; a body's own single byte is never taken for one")
    func fileParts() throws {
        let folder = Fixtures.scratch("file-parts")
        defer { try? FileManager.default.removeItem(at: folder) }
        let mapped = try file(1_000, in: folder, named: "audio")
        let parts = FileParts()
        var lone = ByteBufferAllocator().buffer(capacity: 1)
        lone.writeInteger(UInt8(0))
        #expect(parts.take(lone) == nil, "nothing registered")

        let first = parts.token(for: mapped, range: 0...499)
        let second = parts.token(for: mapped, range: 500...999)
        #expect(first.readableBytes == 1 && first == lone, "the same content as a body's own zero byte...")
        #expect(parts.take(lone) == nil, "...but not the same storage: not a token")
        var copy = ByteBufferAllocator().buffer(capacity: 1)
        copy.writeImmutableBuffer(first)
        #expect(parts.take(copy) == nil, "a copy of a token is no token")

        // Taken in any order, each once.
        let takenSecond = try #require(parts.take(second))
        #expect(takenSecond.range == 500...999 && takenSecond.file === mapped)
        #expect(parts.take(second) == nil, "taken once")
        #expect(try #require(parts.take(first)).range == 0...499)
        #expect(parts.take(first) == nil)
    }
}
