import NIOCore

/// Bytes that must come to exactly `expected` bytes: iterating yields them and ends, or
/// throws ``TruncatedBody`` (fewer arrived, more arrived, or the source failed midway). What
/// a stream of a store's object is wrapped in so a short read never passes for a whole one.
public struct ExactLengthBody<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    public typealias Element = ByteBuffer
    let base: Base
    /// The object's key, for the error.
    let key: String
    /// Bytes announced.
    let expected: Int64

    public init(base: Base, key: String, expected: Int64) {
        self.base = base
        self.key = key
        self.expected = expected
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let key: String
        let expected: Int64
        var received: Int64 = 0
        var finished = false

        public mutating func next() async throws -> ByteBuffer? {
            guard !finished else { return nil }
            let buffer: ByteBuffer?
            do {
                buffer = try await base.next()
            } catch is CancellationError {
                finished = true
                throw CancellationError()
            } catch {
                finished = true
                throw TruncatedBody(key: key, expected: expected, received: received, underlying: String(describing: error))
            }
            guard let buffer else {
                finished = true
                guard received == expected else {
                    throw TruncatedBody(key: key, expected: expected, received: received, underlying: nil)
                }
                return nil
            }
            received += Int64(buffer.readableBytes)
            if received > expected {
                finished = true
                throw TruncatedBody(key: key, expected: expected, received: received, underlying: "more bytes than announced")
            }
            return buffer
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), key: key, expected: expected)
    }
}

/// A read that ended before the length announced for it: the store, the disk or the
/// connection failed mid-transfer. Never treat the bytes received as the whole object.
public struct TruncatedBody: Error, Sendable, Equatable, CustomStringConvertible {
    public let key: String
    /// Bytes announced (`Content-Length`, the file's size).
    public let expected: Int64
    /// Bytes that arrived.
    public let received: Int64
    /// What failed underneath, if anything was reported.
    public let underlying: String?

    public var description: String {
        "reading \(key): the body ended after \(received) of \(expected) bytes" + (underlying.map { " (\($0))" } ?? "")
    }
}
