import CLibZ
import Foundation
import TuttiTestSupport

/// Builds ZIP archives byte by byte, so a test can make every field say what it wants:
/// hostile names, lying sizes, wrong checksums, links, overlapping entries.
struct RawZip {
    struct Entry {
        var name: [UInt8]
        /// The bytes stored in the archive (already compressed for method 8).
        var data: [UInt8]
        var method: UInt16 = 0
        var crc: UInt32
        var compressedSize: UInt64
        var uncompressedSize: UInt64
        var flags: UInt16 = 1 << 11
        /// Upper byte of "version made by": 3 = Unix.
        var host: UInt16 = 3
        var externalAttributes: UInt32 = 0o100644 << 16
        /// Where the local header goes; nil: after the previous entry.
        var sharesLocalHeaderWith: Int?

        /// A stored file whose headers tell the truth.
        static func stored(_ name: String, _ contents: [UInt8]) -> Entry {
            Entry(name: Array(name.utf8), data: contents, crc: crc32Of(contents),
                  compressedSize: UInt64(contents.count), uncompressedSize: UInt64(contents.count))
        }

        /// A deflated file whose headers tell the truth.
        static func deflated(_ name: String, _ contents: [UInt8]) -> Entry {
            let packed = Deflate.raw(contents)
            return Entry(name: Array(name.utf8), data: packed, method: 8, crc: crc32Of(contents),
                         compressedSize: UInt64(packed.count), uncompressedSize: UInt64(contents.count))
        }
    }

    var entries: [Entry]
    /// Overrides the entry count written in the end record.
    var declaredCount: UInt64?

    /// The archive's bytes. ZIP64 records are used when a size, the count or an offset needs them.
    func bytes() -> [UInt8] {
        var out: [UInt8] = []
        var offsets: [UInt64] = []
        for entry in entries {
            if let shared = entry.sharesLocalHeaderWith {
                offsets.append(offsets[shared])
                continue
            }
            offsets.append(UInt64(out.count))
            let large = entry.compressedSize >= 0xFFFF_FFFF || entry.uncompressedSize >= 0xFFFF_FFFF
            out.le32(0x0403_4B50); out.le16(large ? 45 : 20); out.le16(entry.flags); out.le16(entry.method)
            out.le16(0); out.le16(0x5821); out.le32(entry.crc)
            out.le32(large ? .max : UInt32(entry.compressedSize)); out.le32(large ? .max : UInt32(entry.uncompressedSize))
            out.le16(UInt16(entry.name.count)); out.le16(large ? 20 : 0)
            out += entry.name
            if large { out.le16(1); out.le16(16); out.le64(entry.uncompressedSize); out.le64(entry.compressedSize) }
            out += entry.data
        }
        let directoryStart = UInt64(out.count)
        for (entry, offset) in zip(entries, offsets) {
            let large = entry.compressedSize >= 0xFFFF_FFFF || entry.uncompressedSize >= 0xFFFF_FFFF
            var extra: [UInt8] = []
            if large { extra.le16(1); extra.le16(16); extra.le64(entry.uncompressedSize); extra.le64(entry.compressedSize) }
            out.le32(0x0201_4B50); out.le16(entry.host << 8 | 63); out.le16(large ? 45 : 20); out.le16(entry.flags)
            out.le16(entry.method); out.le16(0); out.le16(0x5821); out.le32(entry.crc)
            out.le32(large ? .max : UInt32(entry.compressedSize)); out.le32(large ? .max : UInt32(entry.uncompressedSize))
            out.le16(UInt16(entry.name.count)); out.le16(UInt16(extra.count)); out.le16(0); out.le16(0); out.le16(0)
            out.le32(entry.externalAttributes); out.le32(UInt32(offset))
            out += entry.name + extra
        }
        let directorySize = UInt64(out.count) - directoryStart
        let count = declaredCount ?? UInt64(entries.count)
        if count >= 0xFFFF {
            let recordOffset = UInt64(out.count)
            out.le32(0x0606_4B50); out.le64(44); out.le16(0x033F); out.le16(45); out.le32(0); out.le32(0)
            out.le64(count); out.le64(count); out.le64(directorySize); out.le64(directoryStart)
            out.le32(0x0706_4B50); out.le32(0); out.le64(recordOffset); out.le32(1)
        }
        out.le32(0x0605_4B50); out.le16(0); out.le16(0)
        out.le16(UInt16(min(count, 0xFFFF))); out.le16(UInt16(min(count, 0xFFFF)))
        out.le32(UInt32(directorySize)); out.le32(UInt32(directoryStart)); out.le16(0)
        return out
    }

    func write(to url: URL) throws { try Data(bytes()).write(to: url) }
}

func crc32Of(_ bytes: [UInt8]) -> UInt32 {
    bytes.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
}

extension Array where Element == UInt8 {
    mutating func le16(_ value: UInt16) { append(UInt8(value & 0xFF)); append(UInt8(value >> 8)) }
    mutating func le32(_ value: UInt32) { for shift in [0, 8, 16, 24] { append(UInt8((value >> UInt32(shift)) & 0xFF)) } }
    mutating func le64(_ value: UInt64) { for shift in stride(from: 0, to: 64, by: 8) { append(UInt8((value >> UInt64(shift)) & 0xFF)) } }
}

/// Raw deflate with zlib, and the zip-bomb stream.
enum Deflate {
    static func raw(_ input: [UInt8], level: Int32 = 9) -> [UInt8] {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { deflateEnd(stream); stream.deallocate() }
        precondition(tutti_deflate_init_raw(stream, level) == Z_OK)
        return run(stream, input, flush: Z_FINISH)
    }

    /// A deflate stream that expands to `mebibytes` MiB of zeros, made without producing
    /// them: 1 MiB of zeros is deflated once, ending with a full flush (which resets the
    /// compressor, so the piece decodes the same wherever it stands), and that piece is
    /// repeated; an empty final block closes the stream. About 1,000:1.
    static func zeros(mebibytes: Int) -> [UInt8] {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { deflateEnd(stream); stream.deallocate() }
        precondition(tutti_deflate_init_raw(stream, 9) == Z_OK)
        let piece = run(stream, [UInt8](repeating: 0, count: 1 << 20), flush: Z_FULL_FLUSH)
        let end = run(stream, [], flush: Z_FINISH)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(piece.count * mebibytes + end.count)
        for _ in 0..<mebibytes { bytes += piece }
        return bytes + end
    }

    private static func run(_ stream: UnsafeMutablePointer<z_stream>, _ input: [UInt8], flush: Int32) -> [UInt8] {
        var input = input
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        input.withUnsafeMutableBufferPointer { source in
            stream.pointee.next_in = source.baseAddress
            stream.pointee.avail_in = UInt32(source.count)
            repeat {
                buffer.withUnsafeMutableBufferPointer { target in
                    stream.pointee.next_out = target.baseAddress
                    stream.pointee.avail_out = UInt32(target.count)
                    _ = deflate(stream, flush)
                    output += target[..<(target.count - Int(stream.pointee.avail_out))]
                }
            } while stream.pointee.avail_out == 0
        }
        return output
    }
}

/// A folder for one test's archive and its extraction, so "nothing left behind" can be
/// checked by listing it.
struct Workspace {
    let folder = Fixtures.scratch()
    var archive: URL { folder.appendingPathComponent("upload.zip") }
    var destination: String { folder.appendingPathComponent("extracted").path }

    /// Everything in the folder but the archive itself.
    var leftovers: [String] { Fixtures.files(in: folder).filter { $0 != "upload.zip" } }
}
