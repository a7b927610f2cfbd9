import Foundation
import Testing
import TuttiTestSupport
import ZIPFoundation
import ZipArchives

#if canImport(Glibc)
import Glibc
#endif

/// Writes a streamed archive into a file through the sink, as a server would into a response.
private func stream(_ sources: [ZipStream.FileSource], to path: String) throws -> Int64 {
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    return try ZipStream.write(sources, to: { handle.write(Data($0)) })
}

private func makeFile(_ folder: URL, _ name: String, _ bytes: [UInt8]) throws -> String {
    let url = folder.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url.path
}

@Suite("Streamed ZIP downloads", .ownThreads)
struct ZipStreamTests {
    @Test("three files stream to an archive of exactly the announced length that unzip, Python and ZIPFoundation read")
    func threeFiles() throws {
        let folder = Fixtures.scratch()
        var generator = SplitMix(seed: 21)
        let contents: [(String, [UInt8])] = [
            ("Tutti Release/01 Intro.opus", (0..<250_000).map { _ in UInt8(truncatingIfNeeded: generator.next()) }),
            ("Tutti Release/02 Béla's Song.opus", (0..<70_001).map { _ in UInt8(truncatingIfNeeded: generator.next()) }),
            ("Tutti Release/empty.txt", []),
        ]
        let modified: Int64 = 1_709_214_330  // 2024-02-29 13:45:30 UTC
        let sources = try contents.enumerated().map { index, item in
            ZipStream.FileSource(entry: ZipStreamEntry(path: item.0, size: Int64(item.1.count), modified: modified),
                                 path: try makeFile(folder, "source\(index)", item.1))
        }
        let announced = try ZipStream(entries: sources.map(\.entry)).contentLength
        let archive = folder.appendingPathComponent("release.zip").path
        FileManager.default.createFile(atPath: archive, contents: nil)
        let written = try stream(sources, to: archive)
        let size = try FileManager.default.attributesOfItem(atPath: archive)[.size] as? Int
        #expect(written == announced)
        #expect(size.map(Int64.init) == announced)

        let unzip = try ThirdPartyTools.run("unzip", ["-t", archive])
        #expect(unzip.status == 0 && unzip.stdout.contains("No errors detected"), "\(unzip.stdout)\(unzip.stderr)")

        let script = """
            import hashlib, json, sys, zipfile
            with zipfile.ZipFile(sys.argv[1]) as z:
                print(json.dumps({"bad": z.testzip(), "members": [[i.filename, i.file_size, i.date_time, hashlib.sha256(z.read(i)).hexdigest()] for i in z.infolist()]}))
            """
        let python = try ThirdPartyTools.run("python3", ["-c", script, archive])
        #expect(python.status == 0, "\(python.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(python.stdout.utf8)) as? [String: Any]
        #expect(report?["bad"] is NSNull)
        let members = report?["members"] as? [[Any]] ?? []
        #expect(members.map { $0[0] as? String } == contents.map(\.0))
        #expect(members.map { $0[1] as? Int } == contents.map { $0.1.count })
        #expect(members.first?[2] as? [Int] == [2024, 2, 29, 13, 45, 30])
        for (member, item) in zip(members, contents) {
            let sum = try ThirdPartyTools.run("sha256sum", [try makeFile(folder, "check", item.1)]).stdout
            #expect(sum.hasPrefix((member[3] as? String ?? "?") + " "))
        }

        // ZIPFoundation reads every entry back, checking each CRC-32.
        let reader = try Archive(url: URL(fileURLWithPath: archive), accessMode: .read)
        var read: [(String, [UInt8])] = []
        for entry in reader {
            var data = Data()
            _ = try reader.extract(entry, consumer: { data.append($0) })
            read.append((entry.path, Array(data)))
        }
        #expect(read.map(\.0) == contents.map(\.0))
        #expect(read.map(\.1) == contents.map(\.1))

        // And Tutti's own extractor accepts what Tutti writes.
        let extracted = try SafeZipExtractor.extract(archive: archive, to: folder.appendingPathComponent("out").path)
        #expect(extracted.files.map(\.path) == contents.map(\.0))
    }

    @Test("70,000 entries need ZIP64 end records; the length is still exact")
    func manyEntries() throws {
        let folder = Fixtures.scratch()
        let entries = (0..<70_000).map { ZipStreamEntry(path: "f/\($0).txt", size: Int64($0 % 3), modified: 1_700_000_000) }
        var zip = try ZipStream(entries: entries)
        var bytes: [UInt8] = []
        for entry in entries {
            bytes += try zip.beginEntry()
            let contents = [UInt8](repeating: 65, count: Int(entry.size))
            try zip.append(contents)
            bytes += contents
            bytes += try zip.endEntry()
        }
        bytes += try zip.finish()
        #expect(Int64(bytes.count) == zip.contentLength)
        let archive = try makeFile(folder, "many.zip", bytes)
        let unzip = try ThirdPartyTools.run("unzip", ["-tq", archive])
        #expect(unzip.status == 0, "\(unzip.stdout)\(unzip.stderr)")
        let python = try ThirdPartyTools.run("python3", ["-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(len(z.infolist()), z.testzip())", archive])
        #expect(python.stdout == "70000 None\n", "\(python.stdout)\(python.stderr)")
    }

    @Test("an entry of 4 GiB and more is written with ZIP64 sizes and descriptor (sparse file, zeros)")
    func largeEntry() throws {
        let folder = Fixtures.scratch()
        let size: Int64 = (4 << 30) + 12_345
        let entries = [ZipStreamEntry(path: "small.txt", size: 5, modified: 1_700_000_000),
                       ZipStreamEntry(path: "huge.wav", size: size, modified: 1_700_000_000),
                       ZipStreamEntry(path: "after.txt", size: 3, modified: 1_700_000_000)]
        var zip = try ZipStream(entries: entries)
        let path = folder.appendingPathComponent("large.zip").path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        #expect(descriptor >= 0)
        defer { close(descriptor) }
        func put(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } }
        put(try zip.beginEntry()); try zip.append(Array("hello".utf8)); put(Array("hello".utf8)); put(try zip.endEntry())
        put(try zip.beginEntry())
        // Zeros are counted and checksummed like any bytes, but skipped over in the file (a hole).
        let zeros = [UInt8](repeating: 0, count: 1 << 22)
        var remaining = size
        while remaining > 0 {
            let count = Int(min(Int64(zeros.count), remaining))
            try zeros.withUnsafeBytes { try zip.append(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            lseek(descriptor, off_t(count), SEEK_CUR)
            remaining -= Int64(count)
        }
        put(try zip.endEntry())
        put(try zip.beginEntry()); try zip.append(Array("end".utf8)); put(Array("end".utf8)); put(try zip.endEntry())
        put(try zip.finish())
        #expect(Int64(lseek(descriptor, 0, SEEK_CUR)) == zip.contentLength)

        let unzip = try ThirdPartyTools.run("unzip", ["-t", path])
        #expect(unzip.status == 0 && unzip.stdout.contains("No errors detected"), "\(unzip.stdout)\(unzip.stderr)")
        // unzip has checked every CRC; Python reads the ZIP64 fields of the directory.
        let python = try ThirdPartyTools.run("python3", ["-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print([(i.filename, i.file_size, i.header_offset) for i in z.infolist()])", path])
        #expect(python.stdout == "[('small.txt', 5, 0), ('huge.wav', \(size), 60), ('after.txt', 3, \(60 + 30 + 8 + 20 + size + 24))]\n", "\(python.stdout)\(python.stderr)")
    }

    @Test("paths are checked like uploads; sizes are held to what was announced")
    func misuse() throws {
        let refused: [(String, PathProblem)] = [("../x", .parent), ("/abs", .absolute), ("a\\b", .backslash), ("a//b", .emptyComponent),
                                                ("./a", .notNormalised), ("dir/", .notNormalised), ("", .empty)]
        for (path, problem) in refused {
            #expect(throws: ZipStreamError.invalidPath(path: path, problem: problem)) { try ZipStream(entries: [ZipStreamEntry(path: path, size: 1, modified: 0)]) }
        }
        #expect(throws: ZipStreamError.duplicatePath("a")) {
            try ZipStream(entries: [ZipStreamEntry(path: "a", size: 1, modified: 0), ZipStreamEntry(path: "a", size: 2, modified: 0)])
        }
        var zip = try ZipStream(entries: [ZipStreamEntry(path: "a", size: 3, modified: 0)])
        _ = try zip.beginEntry()
        #expect(throws: ZipStreamError.sizeMismatch(path: "a", declared: 3, actual: 4)) { try zip.append([1, 2, 3, 4]) }
        var short = try ZipStream(entries: [ZipStreamEntry(path: "a", size: 3, modified: 0)])
        _ = try short.beginEntry()
        try short.append([1, 2])
        #expect(throws: ZipStreamError.sizeMismatch(path: "a", declared: 3, actual: 2)) { _ = try short.endEntry() }
        var early = try ZipStream(entries: [ZipStreamEntry(path: "a", size: 0, modified: 0)])
        #expect(throws: ZipStreamError.self) { _ = try early.finish() }
    }

    @Test("an empty archive is one 22-byte end record that Python reads")
    func empty() throws {
        var zip = try ZipStream(entries: [])
        let bytes = try zip.finish()
        #expect(bytes.count == 22 && zip.contentLength == 22)
        let path = try makeFile(Fixtures.scratch(), "empty.zip", bytes)
        let python = try ThirdPartyTools.run("python3", ["-c", "import sys, zipfile; print(len(zipfile.ZipFile(sys.argv[1]).infolist()))", path])
        #expect(python.stdout == "0\n", "\(python.stderr)")
    }
}
