import NIOCore

/// A body of known length re-framed as `aws-chunked`, each chunk signed in turn
/// (``SigV4ChunkSigner``), read from `base` as the HTTP client asks for more: at most one
/// chunk and one incoming buffer are held at a time.
///
/// If `base` yields more or fewer bytes than `decodedLength`, iteration throws
/// ``AWSChunkedBodyLengthMismatch`` before the final chunk, so the store never completes an
/// object of the wrong length.
/// The length of every chunk but the last, in bytes.
let awsChunkLength = 64 * 1024

struct AWSChunkedBody<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer

    let base: Base
    let signer: SigV4ChunkSigner
    let decodedLength: Int64

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        var signer: SigV4ChunkSigner
        let decodedLength: Int64
        var pending = ByteBuffer()
        var sent: Int64 = 0
        var baseFinished = false
        var finished = false

        mutating func next() async throws -> ByteBuffer? {
            guard !finished else { return nil }
            pending.discardReadBytes()
            while pending.readableBytes < awsChunkLength, !baseFinished {
                if var buffer = try await base.next() {
                    pending.writeBuffer(&buffer)
                } else {
                    baseFinished = true
                }
            }
            let count = Swift.min(awsChunkLength, pending.readableBytes)
            sent += Int64(count)
            guard sent <= decodedLength else {
                finished = true
                throw AWSChunkedBodyLengthMismatch(declared: decodedLength, produced: sent)
            }
            if count == 0 {
                finished = true
                guard sent == decodedLength else { throw AWSChunkedBodyLengthMismatch(declared: decodedLength, produced: sent) }
            }
            let data = pending.readableBytesView.prefix(count)
            let signature = data.withContiguousStorageIfAvailable { signer.sign(chunk: UnsafeRawBufferPointer($0)) }
                ?? Array(data).withUnsafeBytes { signer.sign(chunk: $0) }
            let header = SigV4ChunkSigner.chunkHeader(length: count, signature: signature)
            var framed = ByteBuffer()
            framed.reserveCapacity(header.utf8.count + count + 2)
            framed.writeString(header)
            framed.writeBytes(data)
            framed.writeString("\r\n")
            pending.moveReaderIndex(forwardBy: count)
            return framed
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), signer: signer, decodedLength: decodedLength)
    }
}

/// A streamed upload whose source produced a different number of bytes than declared.
public struct AWSChunkedBodyLengthMismatch: Error, Sendable, Equatable, CustomStringConvertible {
    /// Bytes the upload declared.
    public let declared: Int64
    /// Bytes the source produced (at least), when it was noticed.
    public let produced: Int64
    public var description: String { "the upload declared \(declared) bytes but its source produced \(produced)" }
}
