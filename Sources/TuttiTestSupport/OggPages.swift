import Foundation

/// Ogg pages as read straight from a file's bytes (RFC 3533 §6), independent of libogg.
public struct OggPage: Equatable {
    public var offset: Int64
    public var length: Int
    public var headerType: UInt8
    public var granule: Int64
    public var sequence: UInt32
    /// Bytes of each packet or packet part on the page, from the lacing values.
    public var segmentTable: [UInt8]
    public var body: Data

    public var isFirst: Bool { headerType & 0x02 != 0 }
    public var isLast: Bool { headerType & 0x04 != 0 }
    public var continuesPacket: Bool { headerType & 0x01 != 0 }

    public static func read(path: String) throws -> [OggPage] {
        try parse(Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// The pages of an Ogg stream held in memory.
    public static func parse(_ data: Data) throws -> [OggPage] {
        var pages: [OggPage] = []
        var offset = 0
        while offset < data.count {
            guard data.count >= offset + 27, data[offset..<offset + 4] == Data("OggS".utf8) else {
                throw DecodeFailure(message: "no Ogg page at byte \(offset)")
            }
            func le<T: FixedWidthInteger>(_ at: Int, _: T.Type) -> T {
                (0..<MemoryLayout<T>.size).reduce(T(0)) { $0 | T(truncatingIfNeeded: data[offset + at + $1]) << (8 * $1) }
            }
            let segments = Int(data[offset + 26])
            let table = Array(data[(offset + 27)..<(offset + 27 + segments)])
            let bodyLength = table.reduce(0) { $0 + Int($1) }
            let length = 27 + segments + bodyLength
            pages.append(OggPage(
                offset: Int64(offset), length: length, headerType: data[offset + 5],
                granule: le(6, Int64.self), sequence: le(18, UInt32.self), segmentTable: table,
                body: data[(offset + 27 + segments)..<(offset + length)]))
            offset += length
        }
        return pages
    }

    /// Packets completed on this page.
    public var packetsEnding: Int { segmentTable.filter { $0 < 255 }.count }
}
