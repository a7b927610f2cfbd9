#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The page layout of a single-stream Ogg Opus file, read from its page headers: the
/// header packets whole, the audio pages' lengths only.
struct OggLayout {
    var serial: UInt32
    var headPacket: [UInt8]
    var sourceTags: (vendor: String, trackGain: Int16?)
    /// Offset of the first audio page, in bytes.
    var audioStart: Int64
    var audioPageLengths: [Int32]
    var fileSize: Int64

    static func read(path: String) throws(AudioError) -> OggLayout {
        let file = try PageFile(path: path)
        var offset: Int64 = 0
        // OpusHead: alone, whole, on the first page.
        let first = try file.page(at: offset)
        guard first.isFirst, first.packetSizes.count == 1, !first.endsWithPartialPacket else {
            throw .notAudio(detail: "the first Ogg page does not hold OpusHead alone")
        }
        let head = try file.body(of: first)
        guard head.count >= 19, head.starts(with: Array("OpusHead".utf8)), head[8] & 0xF0 == 0 else {
            throw .notAudio(detail: "not an Ogg Opus stream")
        }
        offset += Int64(first.length)
        // OpusTags: from the second page, ending a page of its own (RFC 7845 §3).
        var tags: [UInt8] = []
        while true {
            let page = try file.page(at: offset)
            guard page.serial == first.serial, !page.isFirst else { throw .notAudio(detail: "the stream has more than one logical stream") }
            guard tags.isEmpty == !page.continuesPacket else { throw .notAudio(detail: "the OpusTags packet is split wrongly") }
            guard tags.count <= 64 << 20 else { throw .notAudio(detail: "the OpusTags packet is implausibly large") }
            tags += try file.body(of: page)
            offset += Int64(page.length)
            // Either the packet goes on (no packet ends here) or it ends and the page with it.
            let completed = page.packetSizes.count
            if completed == 0 && page.endsWithPartialPacket { continue }
            guard completed == 1 && !page.endsWithPartialPacket else {
                throw .notAudio(detail: "audio shares a page with OpusTags")
            }
            break
        }
        guard tags.starts(with: Array("OpusTags".utf8)) else { throw .notAudio(detail: "the second packet is not OpusTags") }
        let audioStart = offset
        var lengths: [Int32] = []
        while offset < file.size {
            let page = try file.page(at: offset)
            guard page.serial == first.serial, !page.isFirst else { throw .notAudio(detail: "the stream has more than one logical stream") }
            lengths.append(Int32(page.length))
            offset += Int64(page.length)
        }
        guard !lengths.isEmpty else { throw .notAudio(detail: "the stream has no audio pages") }
        return OggLayout(serial: first.serial, headPacket: head, sourceTags: parseTags(tags), audioStart: audioStart,
                         audioPageLengths: lengths, fileSize: file.size)
    }

    /// The vendor string and R128_TRACK_GAIN of an OpusTags packet (RFC 7845 §5.2), leniently:
    /// a malformed comment list just yields no gain.
    static func parseTags(_ packet: [UInt8]) -> (vendor: String, trackGain: Int16?) {
        func u32(_ at: Int) -> Int? {
            guard at >= 0, at + 4 <= packet.count else { return nil }
            return (0..<4).reduce(0) { $0 | Int(packet[at + $1]) << (8 * $1) }
        }
        guard let vendorLength = u32(8), 12 + vendorLength <= packet.count else { return ("", nil) }
        let vendor = String(decoding: packet[12..<12 + vendorLength], as: UTF8.self)
        var cursor = 12 + vendorLength
        guard let count = u32(cursor) else { return (vendor, nil) }
        cursor += 4
        var gain: Int16?
        for _ in 0..<count {
            guard let length = u32(cursor), cursor + 4 + length <= packet.count else { break }
            let comment = String(decoding: packet[(cursor + 4)..<(cursor + 4 + length)], as: UTF8.self)
            if comment.uppercased().hasPrefix("R128_TRACK_GAIN=") { gain = Int16(comment.dropFirst(16)) }
            cursor += 4 + length
        }
        return (vendor, gain)
    }
}

/// An Ogg page header (RFC 3533 §6).
struct PageHeader {
    var offset: Int64
    var headerType: UInt8
    var serial: UInt32
    var lacing: [UInt8]

    var headerLength: Int { 27 + lacing.count }
    var bodyLength: Int { lacing.reduce(0) { $0 + Int($1) } }
    var length: Int { headerLength + bodyLength }
    var isFirst: Bool { headerType & 0x02 != 0 }
    var continuesPacket: Bool { headerType & 0x01 != 0 }
    /// The last lacing value is 255: the packet goes on onto the next page.
    var endsWithPartialPacket: Bool { lacing.last == 255 }
    /// Sizes of the packets (or packet parts) on the page.
    var packetSizes: [Int] {
        var sizes: [Int] = []
        var current = 0
        for value in lacing {
            current += Int(value)
            if value < 255 {
                sizes.append(current)
                current = 0
            }
        }
        return sizes
    }
}

/// Positioned reads of page headers and bodies.
private final class PageFile {
    let path: String
    let descriptor: Int32
    let size: Int64

    init(path: String) throws(AudioError) {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .io(path: path, detail: String(cString: strerror(errno))) }
        var status = stat()
        fstat(descriptor, &status)
        size = Int64(status.st_size)
    }

    deinit { close(descriptor) }

    func page(at offset: Int64) throws(AudioError) -> PageHeader {
        let fixed = try read(Int(min(27, size - offset)), at: offset)
        guard fixed.starts(with: Array("OggS".utf8)) else { throw .notAudio(detail: "no Ogg page at byte \(offset)") }
        guard fixed.count == 27, fixed[4] == 0 else { throw .notAudio(detail: "the Ogg page at byte \(offset) is cut short or unknown") }
        let lacing = try read(Int(fixed[26]), at: offset + 27)
        let serial = (0..<4).reduce(UInt32(0)) { $0 | UInt32(fixed[14 + $1]) << UInt32(8 * $1) }
        let header = PageHeader(offset: offset, headerType: fixed[5], serial: serial, lacing: lacing)
        guard offset + Int64(header.length) <= size else { throw .notAudio(detail: "the last Ogg page is cut short") }
        return header
    }

    func body(of page: PageHeader) throws(AudioError) -> [UInt8] {
        try read(page.bodyLength, at: page.offset + Int64(page.headerLength))
    }

    private func read(_ count: Int, at offset: Int64) throws(AudioError) -> [UInt8] {
        guard offset + Int64(count) <= size else { throw .notAudio(detail: "the Ogg stream is cut short at byte \(offset)") }
        return try readFully(descriptor, count: count, at: offset, path: path)
    }
}

/// Exactly `count` bytes at `offset` of an open file; a short file is an error.
func readFully(_ descriptor: Int32, count: Int, at offset: Int64, path: String) throws(AudioError) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    var done = 0
    while done < count {
        let got = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
        if got < 0 && errno == EINTR { continue }
        guard got > 0 else { throw .io(path: path, detail: got < 0 ? String(cString: strerror(errno)) : "the file ended early (changed while being read?)") }
        done += got
    }
    return bytes
}
