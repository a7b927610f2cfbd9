import AudioCore
import Crypto
import FoundationEssentials
import HTTPTypes
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// The temporary file an upload streams into, with its running hash.
///
/// Used by one request task at a time; writes and hashing run on the thread pool, one after
/// the other.
final class UploadFile: @unchecked Sendable {
    let path: String
    private let descriptor: Int32
    private let threadPool: NIOThreadPool
    private var hasher = SHA256()
    private var staging = ByteBuffer()
    /// The first bytes, kept to recognise the format.
    private var prefix: [UInt8] = []
    private var sniffed = false
    private(set) var received: Int64 = 0
    private(set) var written: Int64 = 0
    /// Whether `descriptor` was closed: closing it twice could close another file that
    /// reused the number meanwhile (a socket, a child process's pipe).
    private var closed = false

    private init(path: String, descriptor: Int32, threadPool: NIOThreadPool) {
        self.path = path
        self.descriptor = descriptor
        self.threadPool = threadPool
    }

    static func create(in directory: String, threadPool: NIOThreadPool) async throws -> UploadFile {
        let path = "\(directory)/\(UUID().uuidString.lowercased()).part"
        let descriptor = try await threadPool.runIfActive { () throws -> Int32 in
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw UploadFileError.call("open \(path)", errno) }
            return fd
        }
        return UploadFile(path: path, descriptor: descriptor, threadPool: threadPool)
    }

    func append(_ chunk: ByteBuffer) async throws {
        received += Int64(chunk.readableBytes)
        if prefix.count < FormatSniffer.prefixLength {
            prefix += chunk.readableBytesView.prefix(FormatSniffer.prefixLength - prefix.count)
        }
        var chunk = chunk
        staging.writeBuffer(&chunk)
        if staging.readableBytes >= UploadReceiver.stagingLength { try await flush() }
    }

    /// Once the first 64 KiB are in, a definite "not audio" stops the upload early. An MP3
    /// whose ID3 tag outgrows the prefix is judged later, on the whole file.
    func earlyRejection() -> Problem? {
        guard !sniffed, prefix.count >= FormatSniffer.prefixLength else { return nil }
        sniffed = true
        guard case .failure(let error) = FormatSniffer.sniff(prefix), !prefix.starts(with: Array("ID3".utf8)) else { return nil }
        return UploadProblem.unsupported(error)
    }

    func finish() async throws {
        try await flush()
        let descriptor = self.descriptor
        try await threadPool.runIfActive {
            guard fsync(descriptor) == 0 else { throw UploadFileError.call("fsync", errno) }
            close(descriptor)
        }
        closed = true
    }

    func digest() -> String {
        Hex.string(hasher.finalize())
    }

    /// Closes (unless `finish` did) and removes the file.
    func discard() async {
        let (descriptor, path, open) = (self.descriptor, self.path, !closed)
        closed = true
        _ = try? await threadPool.runIfActive {
            if open { close(descriptor) }
            unlink(path)
        }
    }

    private func flush() async throws {
        guard staging.readableBytes > 0 else { return }
        let buffer = staging
        staging = ByteBuffer()
        let descriptor = self.descriptor
        try await threadPool.runIfActive { [self] in
            try buffer.withUnsafeReadableBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let n = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw UploadFileError.call("write", errno)
                    }
                    offset += n
                }
                hasher.update(bufferPointer: bytes)
            }
        }
        written += Int64(buffer.readableBytes)
    }
}

enum UploadFileError: Error, CustomStringConvertible {
    case call(String, Int32)

    var description: String {
        switch self {
        case .call(let call, let code): "\(call) failed: \(String(cString: strerror(code)))"
        }
    }

    /// The file system has no room (or the quota is used up).
    var isOutOfSpace: Bool {
        switch self {
        case .call(_, let code): code == ENOSPC || code == EDQUOT
        }
    }
}

enum UploadProblem {
    /// 415 for bytes that are not audio Tutti reads, with the sniffer's reason.
    static func unsupported(_ error: AudioError) -> Problem {
        Problem(.unsupportedMediaType, title: "Not an audio file Tutti reads",
                detail: "The upload was refused: \(error). Upload WAV, FLAC, AIFF, MP3 or Ogg Vorbis.")
    }
}
