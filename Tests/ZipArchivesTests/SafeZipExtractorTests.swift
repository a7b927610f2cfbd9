import Foundation
import Testing
import TuttiTestSupport
import ZIPFoundation
import ZipArchives

private func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var generator = SplitMix(seed: seed)
    return (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
}

extension Archive {
    /// Adds an entry with `contents`, as ZIPFoundation's own `addEntry` writes it.
    func add(_ path: String, type: Entry.EntryType = .file, _ contents: [UInt8], compressed: Bool = false) throws {
        let provider: Provider = { position, size in Data(contents[Int(position)..<Int(position) + size]) }
        try addEntry(with: path, type: type, uncompressedSize: Int64(contents.count), modificationDate: Date(),
                     permissions: nil, compressionMethod: compressed ? .deflate : .none, bufferSize: defaultWriteChunkSize,
                     progress: nil, provider: provider)
    }
}

/// Runs the extractor and returns its refusal; records an issue if it accepted.
private func refusal(_ workspace: Workspace, limits: ZipLimits = .upload) -> ZipExtractionError? {
    do {
        let result = try SafeZipExtractor.extract(archive: workspace.archive.path, to: workspace.destination, limits: limits)
        Issue.record("the archive was accepted: \(result.files.map(\.path))")
        return nil
    } catch {
        return error
    }
}

@Suite("ZIP uploads: what is accepted", .ownThreads)
struct SafeZipAcceptanceTests {
    @Test("a release of three tracks in folders, with a cover, made by ZIPFoundation, extracts whole")
    func goodRelease() throws {
        let workspace = Workspace()
        let files: [(String, [UInt8])] = [
            ("Release/Disc 1/01 Intro.flac", randomBytes(150_000, seed: 1)),
            ("Release/Disc 1/02 Song.flac", randomBytes(90_000, seed: 2)),
            ("Release/Disc 2/01 Outro.flac", randomBytes(120_000, seed: 3)),
            ("Release/cover.jpg", randomBytes(20_000, seed: 4)),
            ("Release/notes.txt", Array(String(repeating: "liner notes ", count: 500).utf8)),
        ]
        let archive = try Archive(url: workspace.archive, accessMode: .create)
        try archive.add("Release/", type: .directory, [])
        for (path, contents) in files { try archive.add(path, contents, compressed: true) }
        // What macOS's Finder adds to every archive it makes.
        try archive.add("__MACOSX/Release/._cover.jpg", [0, 5, 22, 7])
        try archive.add("Release/.DS_Store", [1, 2, 3])

        let result = try SafeZipExtractor.extract(archive: workspace.archive.path, to: workspace.destination)
        #expect(result.folder == workspace.destination)
        #expect(result.files.map(\.path) == files.map(\.0))
        #expect(result.files.map(\.size) == files.map { Int64($0.1.count) })
        #expect(result.skipped == ["__MACOSX/Release/._cover.jpg", "Release/.DS_Store"])
        for (path, contents) in files {
            let written = try Data(contentsOf: URL(fileURLWithPath: "\(workspace.destination)/\(path)"))
            #expect(Array(written) == contents, "\(path) differs")
        }
        #expect(!FileManager.default.fileExists(atPath: "\(workspace.destination)/__MACOSX"))
        #expect(workspace.leftovers == ["extracted"])
    }

    @Test("names in code page 437 (no UTF-8 flag) and in UTF-8 both come out readable")
    func nameEncodings() throws {
        let workspace = Workspace()
        var legacy = RawZip.Entry.stored("x", [1, 2, 3])
        legacy.name = Array("Caf".utf8) + [0x82] + Array(".flac".utf8)  // 0x82 is "é" in CP437
        legacy.flags = 0
        try RawZip(entries: [legacy, .stored("Béla/Dal.flac", [4, 5])]).write(to: workspace.archive)
        let result = try SafeZipExtractor.extract(archive: workspace.archive.path, to: workspace.destination)
        #expect(result.files.map(\.path) == ["Café.flac", "Béla/Dal.flac"])
    }
}

@Suite("ZIP uploads: hostile archives are refused and leave nothing behind", .ownThreads)
struct SafeZipRefusalTests {
    /// 10 GiB of zeros, deflated: about 10 MB.
    static let bombStream = Deflate.zeros(mebibytes: 10 * 1_024)

    @Test("paths that leave the folder are refused", arguments: [
        ("../evil.flac", PathProblem.parent),
        ("Release/../../evil.flac", .parent),
        ("/etc/cron.d/evil", .absolute),
        ("C:/Windows/evil.dll", .driveLetter),
        ("c:evil.flac", .driveLetter),
        ("..\\evil.flac", .backslash),
        ("Release\\evil.flac", .backslash),
        ("Release//evil.flac", .emptyComponent),
        ("Release/\u{1B}[2Jevil.flac", .controlCharacter),
    ])
    func traversal(name: String, problem: PathProblem) throws {
        let workspace = Workspace()
        // A harmless entry first: a refusal must undo work already done.
        try RawZip(entries: [.stored("Release/01.flac", randomBytes(1_000, seed: 9)), .stored(name, [1, 2, 3])]).write(to: workspace.archive)
        #expect(refusal(workspace) == .unsafePath(path: name, problem: problem))
        #expect(workspace.leftovers.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: workspace.folder.deletingLastPathComponent().appendingPathComponent("evil.flac").path))
    }

    @Test("a ZIPFoundation archive with a '..' path is refused")
    func traversalFromZIPFoundation() throws {
        let workspace = Workspace()
        let archive = try Archive(url: workspace.archive, accessMode: .create)
        try archive.add("../../outside.txt", [1, 2])
        #expect(refusal(workspace) == .unsafePath(path: "../../outside.txt", problem: .parent))
        #expect(workspace.leftovers.isEmpty)
    }

    @Test("a symbolic link is refused, pointing inside or outside", arguments: ["../../../etc/passwd", "track.flac"])
    func symlink(target: String) throws {
        let workspace = Workspace()
        let archive = try Archive(url: workspace.archive, accessMode: .create)
        try archive.add("track.flac", [1, 2, 3])
        try archive.add("link.flac", type: .symlink, Array(target.utf8))
        #expect(refusal(workspace) == .link(path: "link.flac"))
        #expect(workspace.leftovers.isEmpty)
    }

    @Test("a zip bomb whose header tells the truth (10 GiB) is refused from its header")
    func honestBomb() throws {
        let workspace = Workspace()
        let stream = Self.bombStream
        #expect(stream.count < 12_000_000, "the bomb is \(stream.count) bytes")
        let bomb = RawZip.Entry(name: Array("silence.wav".utf8), data: stream, method: 8, crc: 0,
                                compressedSize: UInt64(stream.count), uncompressedSize: 10 << 30)
        try RawZip(entries: [bomb]).write(to: workspace.archive)
        #expect(refusal(workspace) == .tooLarge(limit: 4 << 30))
        #expect(workspace.leftovers.isEmpty)
    }

    @Test("a zip bomb that claims to be small is stopped while extracting, at its declared size")
    func lyingBomb() throws {
        let workspace = Workspace()
        let stream = Self.bombStream
        // The header claims 512 KiB, under the ratio check's 1 MiB floor: only counting the
        // bytes produced against the declared size stops it.
        let bomb = RawZip.Entry(name: Array("silence.wav".utf8), data: stream, method: 8, crc: 0,
                                compressedSize: UInt64(stream.count), uncompressedSize: 512 << 10)
        try RawZip(entries: [bomb]).write(to: workspace.archive)
        #expect(refusal(workspace) == .expandsPastHeader(path: "silence.wav", declared: 512 << 10))
        #expect(workspace.leftovers.isEmpty)
    }

    @Test("a zip bomb whose header claims a ratio at the limit is stopped by the bytes it produces")
    func ratioBomb() throws {
        let workspace = Workspace()
        let stream = Self.bombStream
        // 200:1 declared passes the header check; the data really expands about 1,000:1.
        let bomb = RawZip.Entry(name: Array("silence.wav".utf8), data: stream, method: 8, crc: 0,
                                compressedSize: UInt64(stream.count), uncompressedSize: UInt64(stream.count) * 200)
        try RawZip(entries: [.stored("01.flac", randomBytes(5_000, seed: 5)), bomb]).write(to: workspace.archive)
        #expect(refusal(workspace) == .compressionRatio(path: "silence.wav", limit: 200))
        #expect(workspace.leftovers.isEmpty)
    }

    @Test("the total is counted across entries against the limit")
    func totalLimit() throws {
        let workspace = Workspace()
        try RawZip(entries: (0..<3).map { .stored("track\($0).flac", randomBytes(400_000, seed: UInt64($0))) }).write(to: workspace.archive)
        #expect(refusal(workspace, limits: ZipLimits(maxTotalBytes: 1_000_000)) == .tooLarge(limit: 1_000_000))
        #expect(workspace.leftovers.isEmpty)
        // Within the limit it extracts.
        let result = try SafeZipExtractor.extract(archive: workspace.archive.path, to: workspace.destination, limits: ZipLimits(maxTotalBytes: 1_200_000))
        #expect(result.files.count == 3)
    }

    @Test("100,001 entries are refused from the end record, before any entry is read")
    func tooManyEntries() throws {
        let workspace = Workspace()
        // Written by ZipStream: a ZIP64 archive of 100,001 empty files.
        let entries = (0..<100_001).map { ZipStreamEntry(path: "f\($0)", size: 0, modified: 1_700_000_000) }
        var stream = try ZipStream(entries: entries)
        var bytes: [UInt8] = []
        for _ in entries {
            bytes += try stream.beginEntry()
            bytes += try stream.endEntry()
        }
        bytes += try stream.finish()
        try Data(bytes).write(to: workspace.archive)
        #expect(refusal(workspace) == .tooManyEntries(count: 100_001, limit: 100))
        #expect(workspace.leftovers.isEmpty)
        // Also without ZIP64: 101 entries.
        try RawZip(entries: (0..<101).map { .stored("f\($0)", []) }).write(to: workspace.archive)
        #expect(refusal(workspace) == .tooManyEntries(count: 101, limit: 100))
    }

    @Test("a deflate stream that runs to the end of the file is refused, not read forever")
    func deflatePastEnd() throws {
        // A stored deflate block that claims 65,535 bytes; the entry holds 15. (ZIPFoundation
        // 0.9.20's extract never returns on this archive on Linux.)
        let workspace = Workspace()
        let data: [UInt8] = [0x01, 0xFF, 0xFF, 0x00, 0x00] + [UInt8](repeating: 0x41, count: 10)
        let entry = RawZip.Entry(name: Array("a.txt".utf8), data: data, method: 8, crc: 0, compressedSize: 15, uncompressedSize: 100)
        try RawZip(entries: [entry]).write(to: workspace.archive)
        #expect(refusal(workspace) == .corruptData(path: "a.txt", detail: "its compressed data ends before the stream does"))
        #expect(workspace.leftovers.isEmpty)
    }

    @Test("damaged or odd entries are refused", arguments: ["checksum", "short", "sharedHeader", "overlap", "encrypted", "lzma", "duplicate", "fileAndFolder", "garbage", "empty", "truncated"])
    func damaged(kind: String) throws {
        let workspace = Workspace()
        let good = RawZip.Entry.deflated("Release/01.flac", randomBytes(30_000, seed: 6))
        var entries = [good]
        var expected: ZipExtractionError
        switch kind {
        case "checksum":
            var bad = RawZip.Entry.stored("Release/02.flac", randomBytes(2_000, seed: 7))
            bad.crc ^= 1
            entries.append(bad)
            expected = .checksumMismatch(path: "Release/02.flac")
        case "short":
            var bad = RawZip.Entry.deflated("Release/02.flac", randomBytes(2_000, seed: 7))
            bad.uncompressedSize += 10
            entries.append(bad)
            expected = .sizeMismatch(path: "Release/02.flac", declared: 2_010, produced: 2_000)
        case "sharedHeader":
            var twin = good
            twin.name = Array("Release/copy.flac".utf8)
            twin.sharesLocalHeaderWith = 0
            entries.append(twin)
            expected = .damaged(detail: "'Release/copy.flac' is described differently in its local header")
        case "overlap":
            // The first entry's sizes are stretched over the second's local header and data, the
            // way overlapping-entry bombs reuse one run of compressed data.
            let second = RawZip.Entry.stored("Release/02.flac", randomBytes(3_000, seed: 7))
            var first = RawZip.Entry.stored("Release/01.flac", randomBytes(1_000, seed: 6))
            first.compressedSize += UInt64(30 + second.name.count + second.data.count)
            first.uncompressedSize = first.compressedSize
            entries = [first, second]
            expected = .damaged(detail: "'Release/01.flac' and 'Release/02.flac' overlap")
        case "encrypted":
            var bad = RawZip.Entry.stored("secret.flac", [1, 2, 3])
            bad.flags |= 1
            entries.append(bad)
            expected = .encrypted(path: "secret.flac")
        case "lzma":
            var bad = RawZip.Entry.stored("packed.flac", [1, 2, 3])
            bad.method = 14
            entries.append(bad)
            expected = .unsupportedCompression(path: "packed.flac", method: 14)
        case "duplicate":
            entries.append(.stored("Release/./01.flac", [1]))
            expected = .duplicatePath(path: "Release/01.flac")
        case "fileAndFolder":
            entries.append(.stored("Release/01.flac/inner.flac", [1]))
            expected = .duplicatePath(path: "Release/01.flac")
        case "garbage":
            try Data(randomBytes(5_000, seed: 8)).write(to: workspace.archive)
            #expect(refusal(workspace) == .notZip)
            #expect(workspace.leftovers.isEmpty)
            return
        case "empty":
            try Data().write(to: workspace.archive)
            #expect(refusal(workspace) == .notZip)
            return
        default:  // truncated: the end record is gone
            let bytes = RawZip(entries: entries).bytes()
            try Data(bytes.prefix(bytes.count - 30)).write(to: workspace.archive)
            #expect(refusal(workspace) == .notZip)
            #expect(workspace.leftovers.isEmpty)
            return
        }
        try RawZip(entries: entries).write(to: workspace.archive)
        #expect(refusal(workspace) == expected)
        #expect(workspace.leftovers.isEmpty)
    }

    @Test("ZIP64 end records that point outside the file are refused, not followed", arguments: [UInt64.max - 10, 1 << 40])
    func lyingEndRecord(directoryOffset: UInt64) throws {
        let workspace = Workspace()
        let plain = RawZip(entries: [.stored("a.flac", [1, 2, 3])]).bytes()
        // Keep the entry and its directory record; replace the end record with a ZIP64 one whose
        // directory offset lies, a locator pointing to it, and a plain end record of 0xFFFF marks.
        var bytes = Array(plain.dropLast(22))
        let directorySize = UInt64(46 + 6)
        let recordOffset = UInt64(bytes.count)
        bytes.le32(0x0606_4B50); bytes.le64(44); bytes.le16(0x033F); bytes.le16(45); bytes.le32(0); bytes.le32(0)
        bytes.le64(1); bytes.le64(1); bytes.le64(directorySize); bytes.le64(directoryOffset)
        bytes.le32(0x0706_4B50); bytes.le32(0); bytes.le64(recordOffset); bytes.le32(1)
        bytes.le32(0x0605_4B50); bytes.le16(0); bytes.le16(0); bytes.le16(0xFFFF); bytes.le16(0xFFFF)
        bytes.le32(0xFFFF_FFFF); bytes.le32(0xFFFF_FFFF); bytes.le16(0)
        try Data(bytes).write(to: workspace.archive)
        #expect(refusal(workspace) == .damaged(detail: "the central directory does not fit where the archive says it is"))
        #expect(workspace.leftovers.isEmpty)
    }

    @Test("an existing destination is never touched")
    func existingDestination() throws {
        let workspace = Workspace()
        try RawZip(entries: [.stored("a.flac", [1])]).write(to: workspace.archive)
        try FileManager.default.createDirectory(atPath: workspace.destination, withIntermediateDirectories: false)
        try Data([9]).write(to: URL(fileURLWithPath: workspace.destination + "/keep"))
        #expect(refusal(workspace) == .io(path: workspace.destination, detail: "already exists"))
        #expect(Fixtures.files(in: URL(fileURLWithPath: workspace.destination)) == ["keep"])
    }

    @Test("refusals read as one clear sentence")
    func messages() {
        #expect("\(ZipExtractionError.tooManyEntries(count: 100_001, limit: 100))" == "the ZIP archive has 100001 entries; at most 100 are accepted")
        #expect("\(ZipExtractionError.unsafePath(path: "../x", problem: .parent))" == "the ZIP archive holds an unsafe path '../x': it climbs out of its folder (..)")
        #expect("\(ZipExtractionError.tooLarge(limit: 4 << 30))" == "the ZIP archive expands to more than 4 GiB")
        #expect("\(ZipExtractionError.link(path: "a\u{7}b"))".contains("'a\\u{07}b'"))
    }
}
