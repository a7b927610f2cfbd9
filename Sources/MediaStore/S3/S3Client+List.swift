import Foundation

/// One page of a ListObjectsV2 answer.
public struct S3ObjectPage: Sendable {
    public let objects: [S3ObjectInfo]
    /// The token for the next page, or nil after the last.
    public let nextContinuationToken: String?
}

extension S3Client {
    /// One page (up to `maximumKeys`, S3 caps it at 1,000) of the objects whose keys start
    /// with `prefix`, in key order, after `continuationToken`'s page.
    public func listObjects(prefix: String = "", continuationToken: String? = nil, maximumKeys: Int = 1_000) async throws -> S3ObjectPage {
        var query: [(name: String, value: String)] = [
            (name: "list-type", value: "2"), (name: "prefix", value: prefix), (name: "max-keys", value: String(maximumKeys)),
        ]
        if let continuationToken { query.append((name: "continuation-token", value: continuationToken)) }
        let (response, body) = try await sendCollecting(Call(operation: "ListObjectsV2", method: .GET, query: query))
        guard let root = S3XMLElement.parse(body), root.name == "ListBucketResult" else {
            throw S3Error(code: .init("MalformedResponse"), status: Int(response.status.code),
                          message: "unreadable object listing", operation: "ListObjectsV2", key: nil)
        }
        let objects = root.children("Contents").compactMap { entry -> S3ObjectInfo? in
            guard let key = entry.value("Key"), let size = entry.value("Size").flatMap({ Int64($0) }) else { return nil }
            return S3ObjectInfo(key: key, size: size, etag: entry.value("ETag"), lastModified: entry.value("LastModified").flatMap(S3Dates.parseISO8601))
        }
        let truncated = root.value("IsTruncated") == "true"
        return S3ObjectPage(objects: objects, nextContinuationToken: truncated ? root.value("NextContinuationToken") : nil)
    }

    /// Every object whose key starts with `prefix`, fetched a page at a time as the sequence
    /// is iterated.
    public func listAllObjects(prefix: String = "", pageSize: Int = 1_000) -> S3ObjectListing {
        S3ObjectListing(client: self, prefix: prefix, pageSize: pageSize)
    }
}

/// The objects under a prefix, one ListObjectsV2 page fetched whenever the previous one is
/// used up.
public struct S3ObjectListing: AsyncSequence, Sendable {
    public typealias Element = S3ObjectInfo
    let client: S3Client
    let prefix: String
    let pageSize: Int

    public struct AsyncIterator: AsyncIteratorProtocol {
        let client: S3Client
        let prefix: String
        let pageSize: Int
        var buffered: [S3ObjectInfo] = []
        var token: String?
        var started = false

        public mutating func next() async throws -> S3ObjectInfo? {
            while buffered.isEmpty {
                if started, token == nil { return nil }
                let page = try await client.listObjects(prefix: prefix, continuationToken: token, maximumKeys: pageSize)
                started = true
                token = page.nextContinuationToken
                buffered = page.objects.reversed()
            }
            return buffered.popLast()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(client: client, prefix: prefix, pageSize: pageSize)
    }
}
