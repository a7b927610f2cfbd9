import CLibZ

/// Record signatures and field limits of the ZIP format (PKWARE APPNOTE 6.3.x).
enum ZipFormat {
    static let localHeader: UInt32 = 0x0403_4B50
    static let centralHeader: UInt32 = 0x0201_4B50
    static let dataDescriptor: UInt32 = 0x0807_4B50
    static let endOfCentralDirectory: UInt32 = 0x0605_4B50
    static let zip64EndOfCentralDirectory: UInt32 = 0x0606_4B50
    static let zip64Locator: UInt32 = 0x0706_4B50
    /// The extra field that carries 64-bit sizes and offsets.
    static let zip64ExtraID: UInt16 = 0x0001

    static let localHeaderSize = 30
    static let centralHeaderSize = 46
    static let endOfCentralDirectorySize = 22
    static let zip64EndOfCentralDirectorySize = 56
    static let zip64LocatorSize = 20

    /// A 32-bit field at this value means "see the ZIP64 extra field".
    static let overflow32: UInt64 = 0xFFFF_FFFF
    static let overflow16: UInt64 = 0xFFFF

    /// General purpose flag bits.
    static let flagEncrypted: UInt16 = 1 << 0
    static let flagDataDescriptor: UInt16 = 1 << 3
    static let flagStrongEncryption: UInt16 = 1 << 6
    static let flagUTF8: UInt16 = 1 << 11

    /// Upper byte of "version made by": the host whose file attributes the entry carries.
    static let hostUnix: UInt16 = 3
    static let hostMacOS: UInt16 = 19
    static let hostMSDOS: UInt16 = 0
}

/// CRC-32 (ISO 3309, as ZIP uses it) through zlib, updated chunk by chunk.
struct CRC32 {
    private(set) var value: UInt32 = 0

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var remaining = bytes
        // zlib takes a 32-bit length.
        while !remaining.isEmpty {
            let count = min(remaining.count, Int(Int32.max))
            value = UInt32(crc32(UInt(value), remaining.baseAddress?.assumingMemoryBound(to: Bytef.self), UInt32(count)))
            remaining = UnsafeRawBufferPointer(rebasing: remaining[count...])
        }
    }
}

/// Little-endian fields, written.
extension Array where Element == UInt8 {
    mutating func append16(_ value: UInt16) {
        append(UInt8(value & 0xFF))
        append(UInt8(value >> 8))
    }

    mutating func append32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { append(UInt8((value >> UInt32(shift)) & 0xFF)) }
    }

    mutating func append64(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { append(UInt8((value >> UInt64(shift)) & 0xFF)) }
    }
}

/// Little-endian fields, read with bounds checks.
struct FieldReader {
    let bytes: [UInt8]

    func u16(_ offset: Int) -> UInt16? {
        guard offset >= 0, offset + 2 <= bytes.count else { return nil }
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    func u32(_ offset: Int) -> UInt32? {
        guard offset >= 0, offset + 4 <= bytes.count else { return nil }
        return (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << UInt32(8 * $1) }
    }

    func u64(_ offset: Int) -> UInt64? {
        guard offset >= 0, offset + 8 <= bytes.count else { return nil }
        return (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << UInt64(8 * $1) }
    }

    func slice(_ offset: Int, _ count: Int) -> [UInt8]? {
        guard offset >= 0, count >= 0, offset + count <= bytes.count else { return nil }
        return Array(bytes[offset..<offset + count])
    }
}
