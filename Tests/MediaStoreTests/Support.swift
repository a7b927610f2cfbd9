import Crypto
import Foundation
@testable import MediaStore
import NIOCore
import Testing
import TuttiTestSupport

/// The two stores the contract runs against.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case local
    case s3

    var testDescription: String { rawValue }
}

/// A store of `kind` that only this test uses (its own folder, or its own key prefix in the
/// suite's SeaweedFS bucket), and how to reach it.
struct StoreUnderTest: Sendable {
    let store: any MediaStore
    let kind: StoreKind
    /// The folder of a local store.
    let folder: URL?

    static func make(_ kind: StoreKind, configure: (inout S3Configuration) -> Void = { _ in }) throws -> StoreUnderTest {
        switch kind {
        case .local:
            let folder = Fixtures.scratch("local-store")
            return StoreUnderTest(store: try LocalMediaStore(root: folder.path), kind: kind, folder: folder)
        case .s3:
            let client = try S3Fixture.client(configure: configure)
            return StoreUnderTest(store: S3MediaStore(client: client, keyPrefix: "test-\(UUID().uuidString.lowercased())/"), kind: kind, folder: nil)
        }
    }

    /// Runs `body` with a new store of `kind`, shut down and cleaned up afterwards.
    @discardableResult
    static func with<Result>(
        _ kind: StoreKind, configure: (inout S3Configuration) -> Void = { _ in }, _ body: (StoreUnderTest) async throws -> Result
    ) async throws -> Result {
        let subject = try make(kind, configure: configure)
        do {
            let result = try await body(subject)
            await subject.close()
            return result
        } catch {
            await subject.close()
            throw error
        }
    }

    private func close() async {
        try? await store.shutdown()
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }
}

enum S3Fixture {
    static let bucket = "tutti-test"
    static let otherBucket = "tutti-other"

    /// The running SeaweedFS of the suite, or a failure naming the missing trait.
    static func weed() throws -> SeaweedFS {
        try #require(SeaweedFS.current, "the suite needs .seaweedFS()")
    }

    static func configuration(bucket: String = bucket, secret: String? = nil) throws -> S3Configuration {
        let weed = try weed()
        var configuration = S3Configuration(
            scheme: "http", host: "127.0.0.1", port: weed.s3Port, region: weed.region, bucket: bucket, addressing: .path,
            credentials: AWSCredentials(accessKeyID: weed.accessKey, secretAccessKey: secret ?? weed.secretKey))
        // The service's 30 s without a byte is too short for a store sharing two loaded cores
        // with the whole suite (a whole read after SIGCONT once waited longer); tests that are
        // about the timeout set their own.
        configuration.readTimeout = 120
        return configuration
    }

    static func client(bucket: String = bucket, secret: String? = nil, configure: (inout S3Configuration) -> Void = { _ in }) throws -> S3Client {
        var configuration = try configuration(bucket: bucket, secret: secret)
        configure(&configuration)
        return S3Client(configuration: configuration)
    }
}

/// Reproducible bytes that are not all alike (so a misplaced range shows).
func testBytes(_ count: Int, seed: UInt64 = 0x7475_7474_69) -> [UInt8] {
    var state = seed
    var bytes = [UInt8](repeating: 0, count: count)
    for index in 0..<count {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        bytes[index] = UInt8(truncatingIfNeeded: state >> 33)
    }
    return bytes
}

func sha256Hex(_ bytes: some DataProtocol) -> String {
    SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
}

/// Writes `bytes` to a new file in a scratch folder; returns its path.
func writeTemporaryFile(_ bytes: [UInt8], name: String = "upload.bin") throws -> String {
    let path = Fixtures.scratch("file").appendingPathComponent(name).path
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

/// `bytes` as a stream of buffers of `chunk` bytes; throws `Interrupted` after `failAfter`
/// bytes if given (an upload whose source dies midway).
struct ByteStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    struct Interrupted: Error {}

    let bytes: [UInt8]
    var chunk = 64 * 1024
    var failAfter: Int?
    /// Pause before each chunk (a slow client), in milliseconds.
    var pauseMilliseconds = 0

    struct AsyncIterator: AsyncIteratorProtocol {
        let stream: ByteStream
        var offset = 0

        mutating func next() async throws -> ByteBuffer? {
            if let failAfter = stream.failAfter, offset >= failAfter { throw Interrupted() }
            guard offset < stream.bytes.count else { return nil }
            if stream.pauseMilliseconds > 0 { try await Task.sleep(for: .milliseconds(stream.pauseMilliseconds)) }
            let end = Swift.min(stream.bytes.count, offset + stream.chunk, stream.failAfter ?? .max)
            defer { offset = end }
            return ByteBuffer(bytes: stream.bytes[offset..<end])
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(stream: self) }
}

extension ByteBuffer {
    var bytes: [UInt8] { Array(readableBytesView) }
}

/// Waits until `condition` holds, polling; fails naming `what` after `seconds`.
func waitUntil(_ what: String, seconds: Double = 60, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    Issue.record("timed out after \(seconds) s waiting for \(what)")
    throw CancellationError()
}
