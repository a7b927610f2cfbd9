#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads one field of a native FLAC file's Vorbis comment block (RFC 9639 §8.6), for the
/// tags libsndfile has no string for (DISCNUMBER).
///
/// Reads only the metadata blocks before the audio, at most 1 MiB of comments; anything
/// malformed gives nil, never a crash: the tag is a hint for ordering, not a requirement.
enum FLACComments {
    static let maximumBlockLength = 1 << 20

    static func read(path: String, field: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var offset: Int64 = 4
        guard bytes(descriptor, at: 0, count: 4) == Array("fLaC".utf8) else { return nil }
        // At most 64 metadata blocks are looked at.
        for _ in 0..<64 {
            guard let header = bytes(descriptor, at: offset, count: 4) else { return nil }
            let isLast = header[0] & 0x80 != 0
            let type = header[0] & 0x7F
            let length = Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
            if type == 4 {
                guard length <= maximumBlockLength, let block = bytes(descriptor, at: offset + 4, count: length) else { return nil }
                return value(of: field, in: block)
            }
            if isLast { return nil }
            offset += 4 + Int64(length)
        }
        return nil
    }

    /// The first `FIELD=value` comment of `field` (case-insensitive) in a comment block.
    static func value(of field: String, in block: [UInt8]) -> String? {
        var position = 0
        func littleEndian32() -> Int? {
            guard position + 4 <= block.count else { return nil }
            let value = Int(block[position]) | Int(block[position + 1]) << 8 | Int(block[position + 2]) << 16 | Int(block[position + 3]) << 24
            position += 4
            return value
        }
        guard let vendorLength = littleEndian32(), vendorLength <= block.count - position else { return nil }
        position += vendorLength
        guard let count = littleEndian32() else { return nil }
        let prefix = Array((field.uppercased() + "=").utf8)
        for _ in 0..<min(count, 10_000) {
            guard let length = littleEndian32(), length <= block.count - position else { return nil }
            let comment = block[position..<position + length]
            position += length
            guard comment.count >= prefix.count else { continue }
            let name = comment.prefix(prefix.count).map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }
            if name == prefix { return String(decoding: comment.dropFirst(prefix.count), as: UTF8.self) }
        }
        return nil
    }

    private static func bytes(_ descriptor: Int32, at offset: Int64, count: Int) -> [UInt8]? {
        guard count >= 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { return nil }
            done += got
        }
        return buffer
    }
}
