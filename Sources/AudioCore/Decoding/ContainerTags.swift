#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Tags libsndfile has no string for (DISCNUMBER), read from the container itself: FLAC's
/// Vorbis comment block, an Ogg Vorbis stream's comment header, an MP3's ID3v2 TPOS frame.
/// WAV and AIFF have no standard field for a disc (RIFF INFO and AIFF's text chunks name
/// none), so nothing is read from them.
///
/// Only the first bytes of the file are looked at (at most ``maximumBytes``); anything
/// malformed gives nil, never a crash: the tag is a hint for ordering, not a requirement.
public enum ContainerTags {
    static let maximumBytes = 1 << 20

    /// DISCNUMBER as written ("2", "1/2"), if the file's container carries one.
    public static func discNumber(path: String, format: AudioFormat) -> String? {
        switch format {
        case .flac: FLACComments.read(path: path, field: "DISCNUMBER")
        case .oggVorbis: vorbisComment(path: path, field: "DISCNUMBER")
        case .mp3: id3Text(path: path, frames: ["TPOS", "TPA"])
        default: nil
        }
    }

    // MARK: Ogg Vorbis

    /// The field from the comment header (the second packet) of the file's first logical stream.
    static func vorbisComment(path: String, field: String) -> String? {
        guard let file = FileBytes(path: path) else { return nil }
        var offset: Int64 = 0
        var serial: [UInt8]?
        var packet: [UInt8] = []
        var packetIndex = 0
        for _ in 0..<64 {
            guard let header = file.bytes(at: offset, count: 27), header.starts(with: Array("OggS".utf8)) else { return nil }
            let count = Int(header[26])
            guard let lacing = file.bytes(at: offset + 27, count: count) else { return nil }
            let bodyLength = lacing.reduce(0) { $0 + Int($1) }
            let pageSerial = Array(header[14..<18])
            defer { offset += 27 + Int64(count) + Int64(bodyLength) }
            if serial == nil { serial = pageSerial }
            guard pageSerial == serial else { continue }
            guard offset + 27 + Int64(count) + Int64(bodyLength) <= Int64(maximumBytes),
                  let body = file.bytes(at: offset + 27 + Int64(count), count: bodyLength) else { return nil }
            var position = 0
            for segment in lacing {
                packet += body[position..<position + Int(segment)]
                position += Int(segment)
                guard segment < 255 else { continue }
                if packetIndex == 1 {
                    guard packet.starts(with: [0x03] + Array("vorbis".utf8)) else { return nil }
                    return FLACComments.value(of: field, in: Array(packet.dropFirst(7)))
                }
                packetIndex += 1
                packet = []
            }
        }
        return nil
    }

    // MARK: ID3v2

    /// The text of the first of `frames` in the ID3v2 tag at the file's start (v2.2 to v2.4).
    static func id3Text(path: String, frames: Set<String>) -> String? {
        guard let file = FileBytes(path: path), let header = file.bytes(at: 0, count: 10), header.starts(with: Array("ID3".utf8)) else { return nil }
        let major = header[3]
        let flags = header[5]
        // Unsynchronised tags would need their 0xFF 0x00 pairs undone first; they are rare.
        guard (2...4).contains(major), flags & 0x80 == 0, let size = syncsafe(header[6..<10]), size <= maximumBytes,
              let tag = file.bytes(at: 10, count: size) else { return nil }
        var position = 0
        if flags & 0x40 != 0, major >= 3 {
            guard let length = major == 4 ? syncsafe(tag.prefix(4)) : bigEndian(tag.prefix(4)) else { return nil }
            position = major == 4 ? length : length + 4
        }
        let idLength = major == 2 ? 3 : 4
        let headerLength = major == 2 ? 6 : 10
        while position + headerLength <= tag.count {
            let idBytes = tag[position..<position + idLength]
            guard idBytes.allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) }) else { return nil }  // padding or damage
            let sizeBytes = tag[position + idLength..<position + idLength + (major == 2 ? 3 : 4)]
            guard let length = major == 4 ? syncsafe(sizeBytes) : bigEndian(sizeBytes), length <= tag.count - position - headerLength else { return nil }
            let content = tag[position + headerLength..<position + headerLength + length]
            if frames.contains(String(decoding: idBytes, as: UTF8.self)) { return text(Array(content)) }
            position += headerLength + length
        }
        return nil
    }

    /// A text frame's content: its encoding byte, then the text (trailing NULs dropped).
    static func text(_ content: [UInt8]) -> String? {
        guard let encoding = content.first else { return nil }
        var bytes = Array(content.dropFirst())
        switch encoding {
        case 0:
            while bytes.last == 0 { bytes.removeLast() }
            return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
        case 3:
            while bytes.last == 0 { bytes.removeLast() }
            return String(decoding: bytes, as: UTF8.self)
        case 1, 2:
            var bigEndian = encoding == 2
            if bytes.starts(with: [0xFE, 0xFF]) { bigEndian = true; bytes.removeFirst(2) }
            else if bytes.starts(with: [0xFF, 0xFE]) { bigEndian = false; bytes.removeFirst(2) }
            var units: [UInt16] = []
            var index = 0
            while index + 1 < bytes.count {
                let unit = bigEndian ? UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]) : UInt16(bytes[index + 1]) << 8 | UInt16(bytes[index])
                if unit == 0 { break }
                units.append(unit)
                index += 2
            }
            return String(decoding: units, as: UTF16.self)
        default:
            return nil
        }
    }

    static func syncsafe<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Int? {
        guard bytes.count == 4, bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
        return bytes.reduce(0) { $0 << 7 | Int($1) }
    }

    static func bigEndian<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Int? {
        guard (3...4).contains(bytes.count) else { return nil }
        return bytes.reduce(0) { $0 << 8 | Int($1) }
    }
}

/// Reads byte ranges of a file with pread; closed when released.
private final class FileBytes {
    let descriptor: Int32

    init?(path: String) {
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    func bytes(at offset: Int64, count: Int) -> [UInt8]? {
        guard count >= 0, count <= ContainerTags.maximumBytes else { return nil }
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
