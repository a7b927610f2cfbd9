import AsyncHTTPClient
import Foundation
@testable import MediaStore
import NIOCore
import Testing
import TuttiTestSupport

/// Everything that needs a running SeaweedFS, under one instance for the whole suite (the
/// machine runs one `weed` at a time). Each test keeps to its own keys.
@Suite("Against a real SeaweedFS", .seaweedFS(buckets: [S3Fixture.bucket, S3Fixture.otherBucket]))
struct SeaweedFSTests {}

extension SeaweedFSTests {
    @Suite("The S3 client")
    struct S3ClientTests {
        @Test("the gateway refuses anonymous requests (it checks signatures at all)")
        func anonymousRefused() async throws {
            let weed = try S3Fixture.weed()
            let list = try await weed.curl(["\(weed.endpoint)/\(S3Fixture.bucket)?list-type=2"], signed: false)
            #expect(list.status == 403 && list.body.contains("AccessDenied"), "HTTP \(list.status) \(list.body)")
            let put = try await weed.curl(["-X", "PUT", "--data-binary", "x", "\(weed.endpoint)/\(S3Fixture.bucket)/anonymous"], signed: false)
            #expect(put.status == 403)
            print("SeaweedFS \(SeaweedFS.version): S3 gateway storing objects \(String(format: "%.1f", weed.startSeconds)) s after spawn; RSS \((weed.residentKiB ?? 0) / 1024) MiB")
        }

        @Test("put, head, get, list, copy and delete an object, keys with spaces and non-ASCII characters")
        func roundTrip() async throws {
            try await withClient { client in
                let prefix = "client-\(UUID().uuidString)/"
                let key = prefix + "a folder/tëst $file+1.bin"
                let bytes = testBytes(100_000)
                try await client.putObject(key: key, bytes: ByteBuffer(bytes: bytes), contentType: "application/octet-stream")

                let info = try #require(try await client.headObject(key: key))
                #expect(info.size == 100_000)
                #expect(info.etag != nil)
                #expect(info.lastModified != nil)

                let whole = try await client.getObject(key: key)
                #expect(whole.contentLength == 100_000 && whole.range == nil && whole.totalSize == 100_000)
                #expect(try await collect(whole.body) == bytes)

                try await client.copyObject(from: key, to: prefix + "copy")
                let page = try await client.listObjects(prefix: prefix)
                #expect(page.objects.map(\.key) == [key, prefix + "copy"])
                #expect(page.objects.map(\.size) == [100_000, 100_000])
                #expect(page.nextContinuationToken == nil)

                try await client.deleteObject(key: key)
                try await client.deleteObject(key: key)  // again: S3 answers the same
                #expect(try await client.headObject(key: key) == nil)
                try await client.deleteObject(key: prefix + "copy")
            }
        }

        @Test("virtual-host addressing: BUCKET.domain, signed and presigned")
        func virtualHost() async throws {
            let weed = try S3Fixture.weed()
            let host = "\(S3Fixture.bucket).\(SeaweedFS.virtualHostDomain)"
            try await withClient(configure: {
                $0.host = SeaweedFS.virtualHostDomain
                $0.addressing = .virtualHost
                $0.connectAddresses = [host: "127.0.0.1"]
            }) { client in
                #expect(client.configuration.hostHeader == "\(host):\(weed.s3Port)")
                let key = "virtual-\(UUID().uuidString)/a b.txt"
                try await client.putObject(key: key, bytes: ByteBuffer(string: "by virtual host"))
                #expect(try await collect(client.getObject(key: key).body) == Array("by virtual host".utf8))
                #expect(try await client.listObjects(prefix: key).objects.map(\.key) == [key])
                let url = client.presignedGetURL(key: key, expires: 60)
                #expect(url.hasPrefix("http://\(host):\(weed.s3Port)/virtual-"))
                let fetched = try await weed.curl(["--resolve", "\(host):\(weed.s3Port):127.0.0.1", url], signed: false)
                #expect(fetched.status == 200 && fetched.body == "by virtual host")
                // The same object by path-style, to show both name one bucket.
                let pathStyle = try await withClient { try await collect($0.getObject(key: key).body) }
                #expect(pathStyle == Array("by virtual host".utf8))
                try await client.deleteObject(key: key)
            }
        }

        @Test("listing pages through continuation tokens")
        func listPages() async throws {
            try await withClient { client in
                let prefix = "pages-\(UUID().uuidString)/"
                for index in 0..<7 { try await client.putObject(key: prefix + "k\(index)", bytes: ByteBuffer(string: "\(index)")) }
                let first = try await client.listObjects(prefix: prefix, maximumKeys: 3)
                #expect(first.objects.map(\.key) == ["k0", "k1", "k2"].map { prefix + $0 })
                #expect(first.nextContinuationToken != nil)
                var all: [String] = []
                for try await object in client.listAllObjects(prefix: prefix, pageSize: 3) { all.append(object.key) }
                #expect(all == (0..<7).map { prefix + "k\($0)" })
                for key in all { try await client.deleteObject(key: key) }
            }
        }

        @Test("a Range GET returns exactly those bytes, with the whole size")
        func rangeGet() async throws {
            try await withClient { client in
                let key = "range-\(UUID().uuidString)"
                let bytes = testBytes(70_000)
                try await client.putObject(key: key, bytes: ByteBuffer(bytes: bytes))
                let part = try await client.getObject(key: key, range: 65_536...69_999)
                #expect(part.range == 65_536...69_999)
                #expect(part.totalSize == 70_000 && part.contentLength == 4_464)
                #expect(try await collect(part.body) == Array(bytes[65_536...69_999]))

                // Past the end is cut to it; starting past it is refused.
                let tail = try await client.getObject(key: key, range: 69_990...80_000)
                #expect(tail.range == 69_990...69_999)
                #expect(try await collect(tail.body) == Array(bytes[69_990...]))
                await #expect { try await client.getObject(key: key, range: 70_000...70_010) } throws: { error in
                    (error as? S3Error)?.code == .invalidRange
                }
                try await client.deleteObject(key: key)
            }
        }

        @Test("a file above the threshold goes up in parts and comes back byte for byte; no upload is left open")
        func multipartFile() async throws {
            try await withClient(configure: {
                $0.partSize = 5 * 1024 * 1024
                $0.multipartThreshold = 5 * 1024 * 1024
            }) { client in
                let key = "multipart-\(UUID().uuidString)/file.bin"
                let bytes = testBytes(12 * 1024 * 1024 + 123)
                try await client.putObject(key: key, fileAt: try writeTemporaryFile(bytes))
                let info = try #require(try await client.headObject(key: key))
                #expect(info.size == Int64(bytes.count))
                // A multipart object's ETag ends in -PARTS.
                #expect(info.etag?.hasSuffix("-3\"") == true, "ETag \(info.etag ?? "none")")
                #expect(sha256Hex(try await collect(client.getObject(key: key).body)) == sha256Hex(bytes))
                #expect(try await client.listMultipartUploads(prefix: key).isEmpty)
                try await client.deleteObject(key: key)
            }
        }

        @Test("a stream of known length goes up aws-chunked, each chunk signed")
        func streamingUpload() async throws {
            try await withClient { client in
                let key = "chunked-\(UUID().uuidString)"
                let bytes = testBytes(200_000)
                try await client.putObject(key: key, stream: ByteStream(bytes: bytes, chunk: 10_000), length: Int64(bytes.count))
                #expect(try await collect(client.getObject(key: key).body) == bytes)
                try await client.deleteObject(key: key)
            }
        }

        @Test("a stream that yields fewer or more bytes than declared stores nothing")
        func streamingLengthMismatch() async throws {
            try await withClient { client in
                let key = "mismatch-\(UUID().uuidString)"
                for (actual, declared) in [(100_000, 150_000), (150_000, 100_000)] {
                    await #expect(throws: (any Error).self) {
                        try await client.putObject(key: key, stream: ByteStream(bytes: testBytes(actual)), length: Int64(declared))
                    }
                    let left = try await client.headObject(key: key)
                    #expect(left == nil, "\(actual) bytes declared as \(declared) left an object")
                }
            }
        }

        @Test("a stream of unknown length longer than a part goes up in parts")
        func unknownLengthStream() async throws {
            try await withClient(configure: { $0.partSize = 5 * 1024 * 1024 }) { client in
                let key = "unknown-\(UUID().uuidString)"
                let bytes = testBytes(11 * 1024 * 1024)
                let stored = try await client.putObject(key: key, stream: ByteStream(bytes: bytes, chunk: 100_000))
                #expect(stored == Int64(bytes.count))
                let info = try #require(try await client.headObject(key: key))
                #expect(info.size == Int64(bytes.count))
                #expect(info.etag?.hasSuffix("-3\"") == true, "ETag \(info.etag ?? "none")")
                #expect(sha256Hex(try await collect(client.getObject(key: key).body)) == sha256Hex(bytes))
                try await client.deleteObject(key: key)
            }
        }

        @Test("errors arrive typed: NoSuchKey, NoSuchBucket")
        func typedErrors() async throws {
            try await withClient { client in
                await #expect { try await client.getObject(key: "missing-\(UUID().uuidString)") } throws: { error in
                    let error = error as? S3Error
                    return error?.code == .noSuchKey && error?.status == 404 && error?.operation == "GetObject"
                }
            }
            try await withClient(bucket: "no-such-bucket-\(UUID().uuidString.prefix(8).lowercased())") { nowhere in
                await #expect { try await nowhere.listObjects() } throws: { error in
                    (error as? S3Error)?.code == .noSuchBucket
                }
            }
        }

        @Test("the store refuses requests signed with the wrong secret (SignatureDoesNotMatch)")
        func forgedSignature() async throws {
            let key = "forged-\(UUID().uuidString)"
            try await withClient(secret: "not-the-secret") { forger in
                await #expect { try await forger.putObject(key: key, bytes: ByteBuffer(string: "x")) } throws: { error in
                    let error = error as? S3Error
                    return error?.code == .signatureDoesNotMatch && error?.status == 403
                }
                await #expect { try await forger.listObjects() } throws: { error in
                    (error as? S3Error)?.code == .signatureDoesNotMatch
                }
            }
            let stored = try await withClient { honest in try await honest.headObject(key: key) }
            #expect(stored == nil)
        }

        @Test("the store refuses an aws-chunked body with a chunk changed after signing")
        func tamperedChunk() async throws {
            try await withClient { client in
                let key = "tampered-\(UUID().uuidString)"
                let data = testBytes(70_000)
                let configuration = client.configuration
                let date = Date()
                let request = SigV4Request(method: "PUT", encodedPath: configuration.encodedPath(key: key), headers: [
                    ("Host", configuration.hostHeader), ("Content-Encoding", "aws-chunked"), ("x-amz-decoded-content-length", "70000"),
                ])
                let seed = client.signer.sign(request, payload: .streaming, date: date)
                var chunks = SigV4ChunkSigner(signer: client.signer, seedSignature: seed.signature, date: date)
                var body = ByteBuffer()
                for (index, chunk) in [Array(data[..<65_536]), Array(data[65_536...]), []].enumerated() {
                    let signature = chunk.withUnsafeBytes { chunks.sign(chunk: $0) }
                    // The second chunk is signed as it was and sent with one byte changed.
                    var sent = chunk
                    if index == 1 { sent[0] ^= 0xFF }
                    body.writeString(SigV4ChunkSigner.chunkHeader(length: sent.count, signature: signature))
                    body.writeBytes(sent)
                    body.writeString("\r\n")
                }
                #expect(Int64(body.readableBytes) == SigV4ChunkSigner.encodedLength(ofDecodedLength: 70_000, chunkLength: 65_536))
                var http = HTTPClientRequest(url: configuration.url(encodedPath: request.encodedPath, encodedQuery: ""))
                http.method = .PUT
                for (name, value) in seed.headers { http.headers.add(name: name, value: value) }
                http.body = .bytes(body)
                let response = try await client.http.execute(http, timeout: .seconds(60))
                _ = try await response.body.collect(upTo: 1 << 20)
                // SeaweedFS 4.48 answers 500 InternalError ("chunk signature does not match" in its log).
                #expect(!(200..<300).contains(response.status.code), "HTTP \(response.status)")
                #expect(try await client.headObject(key: key) == nil)

                // The same upload through the client, unchanged, is stored.
                try await client.putObject(key: key, bytes: ByteBuffer(bytes: data))
                #expect(try await collect(client.getObject(key: key).body) == data)
                try await client.deleteObject(key: key)
            }
        }

        @Test("a gap to know: SeaweedFS 4.48 does not check a plain signed body's x-amz-content-sha256")
        func unverifiedPayloadHash() async throws {
            // Which is why every upload of this client goes aws-chunked (whose chunk signatures
            // SeaweedFS does check). If this starts failing, SeaweedFS began checking: good news.
            try await withClient { client in
                let key = "unverified-\(UUID().uuidString)"
                _ = try await client.sendCollecting(S3Client.Call(
                    operation: "PutObject", method: .PUT, key: key, body: .bytes(ByteBuffer(string: "evil")),
                    payload: .bytes(Array("good".utf8))))
                #expect(try await collect(client.getObject(key: key).body) == Array("evil".utf8))
                try await client.deleteObject(key: key)
            }
        }

        @Test("a presigned URL works with curl (no credentials, with Range) and only as signed")
        func presignedURLs() async throws {
            let weed = try S3Fixture.weed()
            let key = "presigned-\(UUID().uuidString)/track one.opus"
            let text = String(repeating: "0123456789", count: 500)
            try await withClient { client in
                try await withClient(bucket: S3Fixture.otherBucket) { other in
                    try await client.putObject(key: key, bytes: ByteBuffer(string: text))
                    // The other bucket holds an object at the same key, so a swapped bucket would find one.
                    try await other.putObject(key: key, bytes: ByteBuffer(string: "the other bucket's object"))

                    let url = client.presignedGetURL(key: key, expires: 300)
                    let whole = try await weed.curl([url], signed: false)
                    #expect(whole.status == 200 && whole.body == text)
                    let ranged = try await weed.curl(["-H", "Range: bytes=105-124", url], signed: false)
                    #expect(ranged.status == 206 && ranged.body == "56789012345678901234")

                    // Expired: signed two hours ago for one hour.
                    let expired = client.presignedGetURL(key: key, expires: 3_600, now: Date().addingTimeInterval(-7_200))
                    let late = try await weed.curl([expired], signed: false)
                    #expect(late.status == 403, "expired URL: HTTP \(late.status) \(late.body)")

                    // The same query on the other bucket's object, and on another key.
                    let wrongBucket = url.replacingOccurrences(of: "/\(S3Fixture.bucket)/", with: "/\(S3Fixture.otherBucket)/")
                    #expect(wrongBucket != url)
                    let swapped = try await weed.curl([wrongBucket], signed: false)
                    #expect(swapped.status == 403, "wrong bucket: HTTP \(swapped.status) \(swapped.body)")
                    #expect(!swapped.body.contains("the other bucket's object"))
                    let wrongKey = url.replacingOccurrences(of: "track%20one.opus", with: "track%20two.opus")
                    #expect(wrongKey != url)
                    #expect(try await weed.curl([wrongKey], signed: false).status == 403)

                    // Forged: one hex digit of the signature changed.
                    let signature = try #require(url.range(of: "X-Amz-Signature=")).upperBound
                    let forged = url.replacingCharacters(in: signature...signature, with: url[signature] == "0" ? "1" : "0")
                    #expect(try await weed.curl([forged], signed: false).status == 403)

                    // A GET URL does not authorise a DELETE.
                    #expect(try await weed.curl(["-X", "DELETE", url], signed: false).status == 403)
                    #expect(try await client.headObject(key: key) != nil)

                    try await client.deleteObject(key: key)
                    try await other.deleteObject(key: key)
                }
            }
        }

        @Test("short range GETs beyond their pool's connections wait their turn, and each gets its bytes")
        func shortReadsQueue() async throws {
            try await withClient(configure: { $0.shortReadConnections = 2 }) { client in
                let key = "short-\(UUID().uuidString)"
                let bytes = testBytes(300_000)
                try await client.putObject(key: key, bytes: ByteBuffer(bytes: bytes))
                // Twenty reads of 64 KiB at once through two connections, each read to its end.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<20 {
                        let first = Int64(index * 11_111)
                        group.addTask {
                            let part = try await client.getObject(key: key, range: first...(first + 65_535))
                            #expect(try await collect(part.body) == Array(bytes[Int(first)...Int(first) + 65_535]))
                        }
                    }
                    try await group.waitForAll()
                }
                try await client.deleteObject(key: key)
            }
        }

        @Test("longer GETs do not wait for the short reads' pool")
        func longReadsBesideShortOnes() async throws {
            try await withClient(configure: { $0.shortReadConnections = 1; $0.shortReadLength = 1_000 }) { client in
                let key = "pools-\(UUID().uuidString)"
                let bytes = testBytes(10_000)
                try await client.putObject(key: key, bytes: ByteBuffer(bytes: bytes))
                // The one short-read connection held by a body left unread...
                let held = try await client.getObject(key: key, range: 0...999)
                // ...does not hold up a range past the short length, nor a whole object.
                let longer = try await client.getObject(key: key, range: 0...1_000)
                #expect(try await collect(longer.body) == Array(bytes[0...1_000]))
                let whole = try await client.getObject(key: key)
                #expect(try await collect(whole.body) == bytes)
                #expect(try await collect(held.body) == Array(bytes[0...999]))
                try await client.deleteObject(key: key)
            }
        }

        @Test("more GETs than AsyncHTTPClient's default pool of 8 stay open at once")
        func manyOpenStreams() async throws {
            try await withClient { client in
                let key = "many-\(UUID().uuidString)"
                let bytes = testBytes(1_000_000)
                try await client.putObject(key: key, bytes: ByteBuffer(bytes: bytes))
                // Each holds its response open with its body unread, like a stream held at the preview.
                var open: [S3ObjectContent] = []
                for _ in 0..<12 { open.append(try await client.getObject(key: key)) }
                for object in open { #expect(try await collect(object.body) == bytes) }
                try await client.deleteObject(key: key)
            }
        }
    }
}

/// Runs `body` with a client of the suite's SeaweedFS, shut down afterwards whatever happens
/// (AsyncHTTPClient traps on a client dropped without it).
@discardableResult
func withClient<Result>(
    bucket: String = S3Fixture.bucket, secret: String? = nil, configure: (inout S3Configuration) -> Void = { _ in },
    _ body: (S3Client) async throws -> Result
) async throws -> Result {
    let client = try S3Fixture.client(bucket: bucket, secret: secret, configure: configure)
    do {
        let result = try await body(client)
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}

func collect(_ body: some AsyncSequence<ByteBuffer, some Error>) async throws -> [UInt8] {
    var bytes: [UInt8] = []
    for try await chunk in body { bytes += chunk.bytes }
    return bytes
}
