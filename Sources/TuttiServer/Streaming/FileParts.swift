import NIOCore
import Synchronization

/// Ranges of mapped files that a response body written through Hummingbird hands to its
/// connection's ``SendfileHandler``, to be sent by the kernel (`sendfile`) instead of copied
/// through `ByteBuffer`s.
///
/// A copying body holds what it has copied until the client takes it: a player reading at
/// its pace (16 KB/s for 128 kb/s) kept two 128 KiB chunks per connection in the server,
/// about 4.6 GiB at 10,000 listeners (BENCHMARKS.md, "Listeners at real pace"). A region
/// waiting in the connection's queue holds no bytes.
///
/// Hummingbird's response writer carries `ByteBuffer`s only, so the body writes a token in
/// the part's place: a one-byte buffer, registered here before it is written. The handler,
/// below Hummingbird's codec, sees every body buffer of its connection and recognises a
/// token by its storage's address; a registered token is held here until it is taken, so no
/// other buffer can have that address meanwhile, and one that is not a token (a body's real
/// single byte) goes on unchanged.
final class FileParts: Sendable {
    struct Part: Sendable {
        let token: ByteBuffer
        let file: MappedFile
        let range: ClosedRange<Int64>

        /// Where the token's byte is stored.
        var address: UInt { Self.address(of: token) }

        static func address(of buffer: ByteBuffer) -> UInt {
            buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        }
    }

    private let parts = Mutex<[Part]>([])
    /// Parts registered and not taken yet: a body buffer is looked up only while some are.
    private let registered = Atomic<Int>(0)

    /// The token to write for `range` of `file` (the range must lie inside the file).
    func token(for file: MappedFile, range: ClosedRange<Int64>) -> ByteBuffer {
        precondition(range.lowerBound >= 0 && range.upperBound < file.size, "range outside the file")
        var token = ByteBufferAllocator().buffer(capacity: 1)
        token.writeInteger(UInt8(0))
        parts.withLock { $0.append(Part(token: token, file: file, range: range)) }
        registered.add(1, ordering: .releasing)
        return token
    }

    /// The part whose token `buffer` is, taken off the list; nil if it is not a token.
    func take(_ buffer: ByteBuffer) -> Part? {
        guard buffer.readableBytes == 1, registered.load(ordering: .acquiring) > 0 else { return nil }
        let address = Part.address(of: buffer)
        let part = parts.withLock { parts -> Part? in
            guard let index = parts.firstIndex(where: { $0.address == address }) else { return nil }
            return parts.remove(at: index)
        }
        if part != nil { registered.subtract(1, ordering: .relaxed) }
        return part
    }

    /// The file parts of `channel`'s connection; nil if its pipeline sends none (no
    /// ``SendfileHandler``, or the connection is gone).
    static func of(_ channel: any Channel) async -> FileParts? {
        try? await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: SendfileHandler.self).fileParts
        }.get()
    }
}
