import Crypto
import NIOCore
import Synchronization

/// Passes a byte stream through unchanged, counting and hashing it on the way (a staged
/// object's size and SHA-256 without a second read).
struct DigestingSequence<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer
    let base: Base
    let state: DigestState

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let state: DigestState
        mutating func next() async throws -> ByteBuffer? {
            guard let buffer = try await base.next() else { return nil }
            state.update(buffer)
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), state: state) }
}

/// The running count and hash of the bytes that passed one or more ``DigestingSequence``s
/// in turn (fed by the HTTP client's task, read once the upload is done).
final class DigestState: Sendable {
    private let state = Mutex((hasher: SHA256(), count: Int64(0)))

    func update(_ buffer: ByteBuffer) {
        state.withLock { state in
            buffer.withUnsafeReadableBytes { state.hasher.update(bufferPointer: $0) }
            state.count += Int64(buffer.readableBytes)
        }
    }

    /// Bytes seen so far.
    var size: Int64 { state.withLock { $0.count } }

    /// Bytes seen and their SHA-256, lowercase hex.
    func result() -> (size: Int64, sha256: String) {
        state.withLock { ($0.count, SigV4Encoding.hex($0.hasher.finalize())) }
    }
}
