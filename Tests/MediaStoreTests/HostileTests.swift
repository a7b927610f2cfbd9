import Foundation
@testable import MediaStore
import NIOCore
import Synchronization
import Testing
import TuttiTestSupport

#if canImport(Glibc)
import Glibc
#endif

extension SeaweedFSTests {
    @Suite("Interrupted uploads")
    struct InterruptedUploadTests {
        @Test("a source that fails midway stages nothing, whichever way the bytes go up", arguments: StoreKind.allCases)
        func failingSource(kind: StoreKind) async throws {
            // Parts of 5 MiB, so the unknown-length case fails after a part has gone up.
            try await StoreUnderTest.with(kind, configure: { $0.partSize = 5 * 1024 * 1024 }) { subject in
                let bytes = testBytes(8 * 1024 * 1024)
                for length in [Int64(bytes.count), nil] {
                    let source = ByteStream(bytes: bytes, chunk: 256 * 1024, failAfter: 6 * 1024 * 1024)
                    await #expect(throws: (any Error).self, "length \(length.map(String.init) ?? "unknown")") {
                        _ = try await subject.store.stage(source, length: length, contentType: nil)
                    }
                }
                let nothingVisible = try await subject.store.list(prefix: "").collect().isEmpty
                #expect(nothingVisible, "nothing visible anywhere in the store")
                if case let store as S3MediaStore = subject.store {
                    let noUploadLeft = try await store.client.listMultipartUploads(prefix: store.keyPrefix).isEmpty
                    #expect(noUploadLeft, "the multipart upload was aborted")
                }
            }
        }

        @Test("a cancelled upload stages nothing", arguments: StoreKind.allCases)
        func cancelled(kind: StoreKind) async throws {
            try await StoreUnderTest.with(kind, configure: { $0.partSize = 5 * 1024 * 1024 }) { subject in
                let store = subject.store
                let bytes = testBytes(12 * 1024 * 1024)
                for length in [Int64(bytes.count), nil] {
                    // A slow source (about 1.5 s in all), cancelled once it has begun.
                    let read = DigestState()
                    let source = DigestingSequence(base: ByteStream(bytes: bytes, chunk: 256 * 1024, pauseMilliseconds: 30), state: read)
                    let upload = Task { try await store.stage(source, length: length, contentType: nil) }
                    try await waitUntil("6 MiB of the upload to be read") { read.size >= 6 * 1024 * 1024 }
                    upload.cancel()
                    let result = await upload.result
                    #expect(throws: (any Error).self) { try result.get() }
                }
                #expect(try await store.list(prefix: "").collect().isEmpty)
                if case let store as S3MediaStore = store {
                    try await waitUntil("the aborted multipart upload to disappear") {
                        try await store.client.listMultipartUploads(prefix: store.keyPrefix).isEmpty
                    }
                }
            }
        }

        @Test("the sweeper aborts a multipart upload a dead writer left, once it is an hour old")
        func abandonedMultipart() async throws {
            try await StoreUnderTest.with(.s3) { subject in
                let store = try #require(subject.store as? S3MediaStore)
                // What a writer killed mid-upload leaves: an upload begun, a part stored, no end.
                let key = store.keyPrefix + StagedMedia.newKey()
                let uploadID = try await store.client.createMultipartUpload(key: key)
                let upload = S3MultipartUpload(key: key, uploadID: uploadID, client: store.client)
                try await upload.send(part: 1, bytes: ByteBuffer(bytes: testBytes(5 * 1024 * 1024)))
                let pending = try await store.client.listMultipartUploads(prefix: store.keyPrefix)
                #expect(pending.map(\.uploadID) == [uploadID])
                #expect(pending.first?.initiated.map { abs($0.timeIntervalSinceNow) < 600 } == true, "initiated \(String(describing: pending.first?.initiated))")

                let sweeper = MediaSweeper(store: store, prefixes: ["media/"]) { [] }
                #expect(try await sweeper.sweep().abortedUploads == 0, "too young")
                #expect(try await sweeper.sweep(now: Date().addingTimeInterval(7_200)).abortedUploads == 1)
                #expect(try await store.client.listMultipartUploads(prefix: store.keyPrefix).isEmpty)
                #expect(try await store.client.headObject(key: key) == nil)
            }
        }

        @Test("a multipart upload cancelled after a part is aborted, even though its task is cancelled")
        func cancelledMultipart() async throws {
            try await withClient { client in
                let key = "cancelled-\(UUID().uuidString)"
                let partSent = Progress()
                let upload = Task {
                    try await client.uploadMultipart(key: key) { upload in
                        try await upload.send(part: 1, bytes: ByteBuffer(bytes: testBytes(5 * 1024 * 1024)))
                        partSent.add(1)
                        try await Task.sleep(for: .seconds(3_600))
                    }
                }
                try await waitUntil("the first part to be stored") { partSent.bytes == 1 }
                #expect(try await client.listMultipartUploads(prefix: key).count == 1)
                upload.cancel()
                let result = await upload.result
                #expect(throws: CancellationError.self) { try result.get() }
                #expect(try await client.headObject(key: key) == nil)
                #expect(try await client.listMultipartUploads(prefix: key).isEmpty, "the abort ran after the cancellation")
            }
        }
    }
}

/// A store that stalls or dies while an object is being read: the reader must get an
/// error, never a short read presented as complete. It kills its own SeaweedFS, so it has
/// one of its own (it waits for the other suite's to stop).
@Suite("A store failing mid-read", .seaweedFS(), .serialized)
struct FailingStoreTests {
    /// An object larger than every buffer between the store and the reader (socket buffers,
    /// the HTTP client's), so most of it is still on the store's side when it fails.
    static let size = 64 * 1024 * 1024 + 17

    static func storeObject(_ store: any MediaStore, key: MediaKey) async throws {
        let path = try writeTemporaryFile(testBytes(size))
        try await store.finalize(try await store.stage(fileAt: path, contentType: nil), as: key)
    }

    @Test("a store that stops answering mid-read fails the read after the read timeout")
    func stalled() async throws {
        let weed = try S3Fixture.weed()
        // Written and read back whole by a store with the usual timeouts; read while stalled by
        // one that gives up after 3 s without a byte.
        try await StoreUnderTest.with(.s3) { subject in
            let store = try #require(subject.store as? S3MediaStore)
            let key = try MediaKey("media/stall/standard-1.opus")
            try await Self.storeObject(store, key: key)
            let impatient = S3MediaStore(client: try S3Fixture.client { $0.readTimeout = 3 }, keyPrefix: store.keyPrefix)
            var received: Int64 = 0
            await #expect {
                try await impatient.read(key, range: nil) { content in
                    var iterator = content.chunks.makeAsyncIterator()
                    received += Int64(try await iterator.next()?.readableBytes ?? 0)
                    kill(weed.pid, SIGSTOP)
                    defer { kill(weed.pid, SIGCONT) }
                    while let chunk = try await iterator.next() { received += Int64(chunk.readableBytes) }
                }
            } throws: { error in
                guard case let .truncated(failedKey, expected, got) = error as? MediaStoreError else { return false }
                return failedKey == key.rawValue && expected == Int64(Self.size) && got < expected
            }
            kill(weed.pid, SIGCONT)
            try await impatient.shutdown()
            #expect(received < Int64(Self.size))
            // Answering again, the store serves the whole object.
            let whole = try await store.read(key, range: nil) { try await $0.chunks.collect().readableBytes }
            #expect(whole == Self.size)
        }
    }

    @Test("a store killed mid-read fails the read; the next read says the store is unavailable")
    func killed() async throws {
        let weed = try S3Fixture.weed()
        try await StoreUnderTest.with(.s3) { subject in
            let key = try MediaKey("media/die/standard-1.opus")
            try await Self.storeObject(subject.store, key: key)
            var received: Int64 = 0
            await #expect {
                try await subject.store.read(key, range: nil) { content in
                    #expect(content.length == Int64(Self.size))
                    var iterator = content.chunks.makeAsyncIterator()
                    received += Int64(try await iterator.next()?.readableBytes ?? 0)
                    await weed.killNow()
                    while let chunk = try await iterator.next() { received += Int64(chunk.readableBytes) }
                }
            } throws: { error in
                guard case let .truncated(_, expected, got) = error as? MediaStoreError else { return false }
                return expected == Int64(Self.size) && got < expected
            }
            #expect(received > 0 && received < Int64(Self.size))
            await #expect {
                try await subject.store.read(key, range: 0...99) { _ in }
            } throws: { error in
                if case .unavailable = error as? MediaStoreError { return true }
                return false
            }
        }
    }
}

/// A count a test waits on.
final class Progress: Sendable {
    private let count = Mutex<Int>(0)
    var bytes: Int { count.withLock { $0 } }
    func add(_ bytes: Int) { count.withLock { $0 += bytes } }
}
