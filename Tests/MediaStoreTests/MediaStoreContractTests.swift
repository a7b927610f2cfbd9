import Foundation
@testable import MediaStore
import NIOCore
import Testing
import TuttiTestSupport

#if canImport(Glibc)
import Glibc
#endif

extension SeaweedFSTests {
    /// One behaviour, both stores: what the service may rely on whichever `--media` it runs with.
    @Suite("MediaStore contract")
    struct MediaStoreContractTests {
        @Test("stage a file, finalize it, read it whole and by ranges", arguments: StoreKind.allCases)
        func stageFinalizeRead(kind: StoreKind) async throws {
            try await StoreUnderTest.with(kind) { subject in
                let store = subject.store
                let bytes = testBytes(300_000)
                let source = try writeTemporaryFile(bytes)
                let staged = try await store.stage(fileAt: source, contentType: "audio/ogg")
                #expect(staged.size == 300_000)
                #expect(staged.sha256 == sha256Hex(bytes))
                #expect(staged.stagingKey.hasPrefix(StagedMedia.stagingPrefix))
                // The caller's file is left as it was.
                #expect(try Data(contentsOf: URL(fileURLWithPath: source)) == Data(bytes))

                let key = try MediaKey("media/track-1/standard-1.opus")
                #expect(try await store.info(key) == nil)
                try await store.finalize(staged, as: key)

                let info = try #require(try await store.info(key))
                #expect(info.key == key.rawValue && info.size == 300_000)
                #expect(abs(info.lastModified.timeIntervalSinceNow) < 600)
                #expect(try await store.bytes(of: key).bytes == bytes)

                try await store.read(key, range: 1_000...1_999) { content in
                    #expect(content.offset == 1_000 && content.length == 1_000 && content.totalSize == 300_000)
                    #expect(content.range == 1_000...1_999)
                    let served = try await content.chunks.collect().bytes
                    #expect(served == Array(bytes[1_000...1_999]))
                }
                // A range running past the end is cut to it.
                try await store.read(key, range: 299_000...400_000) { content in
                    #expect(content.length == 1_000)
                    let tail = try await content.chunks.collect().bytes
                    #expect(tail == Array(bytes[299_000...]))
                }
                // One that starts past the end is refused, naming the size.
                await #expect(throws: MediaStoreError.rangeNotSatisfiable(key: key.rawValue, size: 300_000)) {
                    try await store.read(key, range: 300_000...300_100) { _ in }
                }
                // The staged object is gone after finalizing.
                #expect(try await store.list(prefix: StagedMedia.stagingPrefix).collect().isEmpty)
            }
        }

        @Test("stage from a stream, of known and of unknown length", arguments: StoreKind.allCases)
        func stageStream(kind: StoreKind) async throws {
            try await StoreUnderTest.with(kind) { subject in
                let store = subject.store
                for length in [0, 1, 65_536, 200_001] {
                    let bytes = testBytes(length, seed: UInt64(length))
                    for known in [true, false] {
                        let staged = try await store.stage(ByteStream(bytes: bytes, chunk: 7_000), length: known ? Int64(length) : nil, contentType: nil)
                        #expect(staged.size == Int64(length) && staged.sha256 == sha256Hex(bytes))
                        let key = try MediaKey("originals/stream-\(length)-\(known).bin")
                        try await store.finalize(staged, as: key)
                        #expect(try await store.bytes(of: key).bytes == bytes, "\(length) bytes, length known: \(known)")
                        let whole = try await store.read(key, range: nil) { ($0.offset, $0.length, $0.range) }
                        #expect(whole.0 == 0 && whole.1 == Int64(length) && whole.2 == (length > 0 ? 0...Int64(length - 1) : nil))
                    }
                }
            }
        }

        @Test("a stream yielding another length than announced stages nothing", arguments: StoreKind.allCases)
        func lengthMismatch(kind: StoreKind) async throws {
            try await StoreUnderTest.with(kind) { subject in
                for (actual, announced) in [(1_000, 2_000), (2_000, 1_000)] {
                    await #expect(throws: MediaStoreError.self) {
                        _ = try await subject.store.stage(ByteStream(bytes: testBytes(actual)), length: Int64(announced), contentType: nil)
                    }
                }
                let stagedLeft = try await subject.store.list(prefix: StagedMedia.stagingPrefix).collect().isEmpty
                #expect(stagedLeft)
            }
        }

        @Test("a missing key: info is nil, a read is notFound, delete is fine", arguments: StoreKind.allCases)
        func missingKey(kind: StoreKind) async throws {
            try await StoreUnderTest.with(kind) { subject in
                let key = try MediaKey("originals/none.flac")
                #expect(try await subject.store.info(key) == nil)
                await #expect(throws: MediaStoreError.notFound(key: key.rawValue)) {
                    try await subject.store.read(key, range: nil) { _ in }
                }
                await #expect(throws: MediaStoreError.notFound(key: key.rawValue)) {
                    try await subject.store.read(key, range: 0...10) { _ in }
                }
                try await subject.store.delete(key)
            }
        }

        @Test("finalize replaces what was at the key; delete and discard remove", arguments: StoreKind.allCases)
        func replaceDeleteDiscard(kind: StoreKind) async throws {
            try await StoreUnderTest.with(kind) { subject in
                let store = subject.store
                let key = try MediaKey("images/cover/512.webp")
                try await store.finalize(try await store.stage(ByteStream(bytes: Array("first".utf8)), length: 5, contentType: nil), as: key)
                try await store.finalize(try await store.stage(ByteStream(bytes: Array("second".utf8)), length: 6, contentType: nil), as: key)
                #expect(String(buffer: try await store.bytes(of: key)) == "second")
                try await store.delete(key)
                #expect(try await store.info(key) == nil)

                let staged = try await store.stage(ByteStream(bytes: Array("never".utf8)), length: nil, contentType: nil)
                #expect(try await store.list(prefix: StagedMedia.stagingPrefix).collect().map(\.key) == [staged.stagingKey])
                try await store.discard(staged)
                try await store.discard(staged)
                #expect(try await store.list(prefix: StagedMedia.stagingPrefix).collect().isEmpty)
                await #expect(throws: MediaStoreError.notFound(key: staged.stagingKey)) {
                    try await store.finalize(staged, as: key)
                }
            }
        }

        @Test("list: by string prefix, in key order, with sizes", arguments: StoreKind.allCases)
        func list(kind: StoreKind) async throws {
            try await StoreUnderTest.with(kind) { subject in
                let store = subject.store
                let keys = ["media/b/low-1.opus", "media/a/standard-1.opus", "media/a/low-1.opus", "media/ab/x", "originals/a.flac"]
                for (index, key) in keys.enumerated() {
                    let bytes = testBytes(index + 1)
                    try await store.finalize(try await store.stage(ByteStream(bytes: bytes), length: Int64(bytes.count), contentType: nil), as: try MediaKey(key))
                }
                let media = try await store.list(prefix: "media/").collect()
                #expect(media.map(\.key) == ["media/a/low-1.opus", "media/a/standard-1.opus", "media/ab/x", "media/b/low-1.opus"])
                #expect(media.map(\.size) == [3, 2, 4, 1])
                #expect(try await store.list(prefix: "media/a").collect().map(\.key) == ["media/a/low-1.opus", "media/a/standard-1.opus", "media/ab/x"])
                #expect(try await store.list(prefix: "media/a/").collect().count == 2)
                #expect(try await store.list(prefix: "nothing/").collect().isEmpty)
            }
        }

        @Test("local file for sendfile, presigned URL for redirects: each store offers its own", arguments: StoreKind.allCases)
        func directAccess(kind: StoreKind) async throws {
            try await StoreUnderTest.with(kind) { subject in
                let store = subject.store
                let key = try MediaKey("media/t/standard-1.opus")
                let text = String(repeating: "tutti ", count: 1_000)
                try await store.finalize(try await store.stage(ByteStream(bytes: Array(text.utf8)), length: nil, contentType: "audio/ogg"), as: key)
                switch kind {
                case .local:
                    let path = try #require(store.localFile(key))
                    #expect(try String(contentsOfFile: path, encoding: .utf8) == text)
                    #expect(store.presignedURL(key, expires: 60, now: nil) == nil)
                case .s3:
                    #expect(store.localFile(key) == nil)
                    let url = try #require(store.presignedURL(key, expires: 60, now: nil))
                    let fetched = try await S3Fixture.weed().curl(["-H", "Range: bytes=6-11", url], signed: false)
                    #expect(fetched.status == 206 && fetched.body == "tutti ")
                }
            }
        }

        @Test("download to a file, whole and byte for byte", arguments: StoreKind.allCases)
        func download(kind: StoreKind) async throws {
            try await StoreUnderTest.with(kind) { subject in
                let bytes = testBytes(1_500_000)
                let key = try MediaKey("originals/big.wav")
                try await subject.store.finalize(try await subject.store.stage(fileAt: try writeTemporaryFile(bytes), contentType: nil), as: key)
                let target = Fixtures.scratch("download").appendingPathComponent("original.wav").path
                try await subject.store.download(key, to: target)
                #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data(bytes))
            }
        }

        @Test("a finalized object is new to the sweeper, however old the file it came from", arguments: StoreKind.allCases)
        func finalizedIsYoung(kind: StoreKind) async throws {
            try await StoreUnderTest.with(kind) { subject in
                let source = try writeTemporaryFile(testBytes(10_000))
                // The upload's file was last written two days ago (the local store may hard-link it).
                var times = [timeval(tv_sec: time(nil) - 172_800, tv_usec: 0), timeval(tv_sec: time(nil) - 172_800, tv_usec: 0)]
                #expect(utimes(source, &times) == 0)
                let key = try MediaKey("originals/old-file.flac")
                try await subject.store.finalize(try await subject.store.stage(fileAt: source, contentType: nil), as: key)
                let info = try #require(try await subject.store.info(key))
                #expect(abs(info.lastModified.timeIntervalSinceNow) < 600, "last modified \(info.lastModified)")
                // Its row is not committed yet: a sweep now must leave it alone.
                let report = try await MediaSweeper(store: subject.store, prefixes: ["originals/"]) { [] }.sweep()
                #expect(report.orphans.isEmpty && report.youngUnreferenced == 1)
                #expect(try await subject.store.info(key) != nil)
            }
        }

        @Test("the sweeper removes old unnamed and staged objects, keeps young ones, reports missing rows",
              arguments: StoreKind.allCases)
        func sweeper(kind: StoreKind) async throws {
            try await StoreUnderTest.with(kind) { subject in
                let store = subject.store
                func put(_ key: String) async throws {
                    try await store.finalize(try await store.stage(ByteStream(bytes: Array(key.utf8)), length: nil, contentType: nil), as: try MediaKey(key))
                }
                try await put("media/kept/standard-1.opus")
                try await put("media/orphan/standard-1.opus")
                try await put("originals/orphan.flac")
                try await put("other/outside.bin")
                _ = try await store.stage(ByteStream(bytes: Array("abandoned".utf8)), length: nil, contentType: nil)
                // The local store's folder is the data folder: its database must survive any sweep.
                if let folder = subject.folder {
                    try Data("SQLite format 3".utf8).write(to: folder.appendingPathComponent("tutti.sqlite"))
                }
                let named: Set<String> = ["media/kept/standard-1.opus", "media/lost/standard-1.opus", "elsewhere/x"]
                let sweeper = MediaSweeper(store: store, prefixes: ["media/", "originals/"]) { named }

                // Now: everything is younger than an hour, so nothing goes.
                let young = try await sweeper.sweep()
                #expect(young.orphans.isEmpty && young.staleStaged.isEmpty)
                #expect(young.youngUnreferenced == 2)
                #expect(young.missing == ["media/lost/standard-1.opus"])
                #expect(young.unchecked == 1)

                // Two hours on, as a dry run: reported, not removed.
                let later = Date().addingTimeInterval(7_200)
                let dry = try await sweeper.sweep(now: later, dryRun: true)
                #expect(dry.orphans.map(\.key) == ["media/orphan/standard-1.opus", "originals/orphan.flac"])
                #expect(dry.staleStaged.count == 1)
                #expect(try await store.info(try MediaKey("originals/orphan.flac")) != nil)

                let swept = try await sweeper.sweep(now: later)
                #expect(swept.orphans.map(\.key) == ["media/orphan/standard-1.opus", "originals/orphan.flac"])
                #expect(swept.missing == ["media/lost/standard-1.opus"])
                #expect(try await store.info(try MediaKey("media/orphan/standard-1.opus")) == nil)
                #expect(try await store.info(try MediaKey("originals/orphan.flac")) == nil)
                #expect(try await store.info(try MediaKey("media/kept/standard-1.opus")) != nil)
                #expect(try await store.info(try MediaKey("other/outside.bin")) != nil, "outside the swept prefixes")
                #expect(try await store.list(prefix: StagedMedia.stagingPrefix).collect().isEmpty)
                if let folder = subject.folder {
                    #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("tutti.sqlite").path))
                }
            }
        }
    }
}
