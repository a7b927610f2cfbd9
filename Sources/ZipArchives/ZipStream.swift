import Foundation

/// One file of a streamed archive: its name and length must be known before streaming
/// starts, so the archive's length is too.
public struct ZipStreamEntry: Sendable, Equatable {
    /// Path inside the archive, "/"-separated, relative (the same rules as extraction).
    public var path: String
    /// Length of the file in bytes.
    public var size: Int64
    /// Modification time, seconds since 1970 UTC (stored as an MS-DOS date, 2 s steps,
    /// 1980–2107).
    public var modified: Int64

    public init(path: String, size: Int64, modified: Int64) {
        self.path = path
        self.size = size
        self.modified = modified
    }
}

/// Why an archive cannot be streamed.
public enum ZipStreamError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidPath(path: String, problem: PathProblem)
    case duplicatePath(String)
    case negativeSize(path: String)
    /// A file gave a different number of bytes than its entry declared.
    case sizeMismatch(path: String, declared: Int64, actual: Int64)
    /// The calls came out of order (a bug in the caller).
    case outOfOrder(String)

    public var description: String {
        switch self {
        case .invalidPath(let path, let problem): "cannot put '\(path)' in a ZIP archive: \(problem)"
        case .duplicatePath(let path): "'\(path)' appears twice"
        case .negativeSize(let path): "'\(path)' has a negative size"
        case .sizeMismatch(let path, let declared, let actual): "'\(path)' gave \(actual) bytes instead of \(declared)"
        case .outOfOrder(let detail): "ZIP stream used out of order: \(detail)"
        }
    }
}

/// Writes a ZIP archive as a stream, in order, with its exact length known before the first
/// byte: a whole release downloads as one archive with a Content-Length and no temporary copy.
///
/// Entries are stored, not compressed (Opus and FLAC are compressed already). Each entry's
/// CRC-32 is computed as its bytes pass and written in a data descriptor after them (flag
/// bit 3), since it is not known when the local header goes out. ZIP64 records appear only
/// where needed: entries of 4 GiB or more, offsets past 4 GiB, 65,535 entries or more.
///
/// The caller moves the bytes; this type only makes the ZIP records and counts:
///
///     var zip = try ZipStream(entries: entries)
///     response.contentLength = zip.contentLength
///     for entry in entries {
///         send(try zip.beginEntry())
///         for chunk in contents(of: entry) { try zip.append(chunk); send(chunk) }
///         send(try zip.endEntry())
///     }
///     send(try zip.finish())
///
/// Written by hand: ZIPFoundation 0.9.20 writes only to a file or to `Data` in memory, and
/// seeks back to patch each local header and to rewrite the central directory, so it cannot
/// write to a stream.
public struct ZipStream: Sendable {
    public let entries: [ZipStreamEntry]
    /// The archive's exact length in bytes.
    public let contentLength: Int64

    private let layout: [EntryLayout]
    private var next = 0
    private var open: (index: Int, written: Int64, crc: CRC32)?
    private var crcs: [UInt32] = []

    public init(entries: [ZipStreamEntry]) throws(ZipStreamError) {
        var seen: Set<String> = []
        var layout: [EntryLayout] = []
        var offset: UInt64 = 0
        for entry in entries {
            switch ZipPath.clean(entry.path) {
            case .failure(let problem): throw .invalidPath(path: entry.path, problem: problem)
            case .success(let clean) where clean.path != entry.path || clean.isDirectory:
                throw .invalidPath(path: entry.path, problem: .notNormalised)
            case .success: break
            }
            guard seen.insert(entry.path).inserted else { throw .duplicatePath(entry.path) }
            guard entry.size >= 0 else { throw .negativeSize(path: entry.path) }
            let item = EntryLayout(entry: entry, offset: offset)
            layout.append(item)
            offset += item.localLength
        }
        let directory = Self.directoryLength(layout, startingAt: offset)
        self.entries = entries
        self.layout = layout
        contentLength = Int64(offset + directory)
    }

    /// The local header of the next entry.
    public mutating func beginEntry() throws(ZipStreamError) -> [UInt8] {
        guard open == nil else { throw .outOfOrder("beginEntry before endEntry") }
        guard next < layout.count else { throw .outOfOrder("beginEntry after the last entry") }
        open = (next, 0, CRC32())
        next += 1
        return layout[next - 1].localHeader()
    }

    /// Counts and checksums bytes of the open entry; the caller sends them on unchanged.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) throws(ZipStreamError) {
        guard var current = open else { throw .outOfOrder("append outside an entry") }
        let entry = layout[current.index].entry
        current.written += Int64(bytes.count)
        guard current.written <= entry.size else {
            throw .sizeMismatch(path: entry.path, declared: entry.size, actual: current.written)
        }
        current.crc.update(bytes)
        open = current
    }

    public mutating func append(_ bytes: [UInt8]) throws(ZipStreamError) {
        try bytes.withUnsafeBytes { raw in Result { () throws(ZipStreamError) in try append(raw) } }.get()
    }

    /// Closes the open entry: its data descriptor (CRC-32 and sizes).
    public mutating func endEntry() throws(ZipStreamError) -> [UInt8] {
        guard let current = open else { throw .outOfOrder("endEntry without beginEntry") }
        let item = layout[current.index]
        guard current.written == item.entry.size else {
            throw .sizeMismatch(path: item.entry.path, declared: item.entry.size, actual: current.written)
        }
        open = nil
        crcs.append(current.crc.value)
        return item.dataDescriptor(crc: current.crc.value)
    }

    /// The central directory and end records, after the last entry.
    public mutating func finish() throws(ZipStreamError) -> [UInt8] {
        guard open == nil, next == layout.count else { throw .outOfOrder("finish before every entry was written") }
        var bytes: [UInt8] = []
        for (item, crc) in zip(layout, crcs) { bytes += item.centralHeader(crc: crc) }
        let start = layout.last.map { $0.offset + $0.localLength } ?? 0
        bytes += Self.endRecords(count: layout.count, directoryOffset: start, directorySize: UInt64(bytes.count))
        return bytes
    }

    // MARK: Layout

    private static func directoryLength(_ layout: [EntryLayout], startingAt start: UInt64) -> UInt64 {
        let headers = layout.reduce(UInt64(0)) { $0 + $1.centralLength }
        let needsZip64 = layout.count >= 0xFFFF || start >= ZipFormat.overflow32 || headers >= ZipFormat.overflow32
        let zip64 = needsZip64 ? UInt64(ZipFormat.zip64EndOfCentralDirectorySize + ZipFormat.zip64LocatorSize) : 0
        return headers + zip64 + UInt64(ZipFormat.endOfCentralDirectorySize)
    }

    private static func endRecords(count: Int, directoryOffset: UInt64, directorySize: UInt64) -> [UInt8] {
        var bytes: [UInt8] = []
        let needsZip64 = count >= 0xFFFF || directoryOffset >= ZipFormat.overflow32 || directorySize >= ZipFormat.overflow32
        if needsZip64 {
            let recordOffset = directoryOffset + directorySize
            bytes.append32(ZipFormat.zip64EndOfCentralDirectory)
            bytes.append64(UInt64(ZipFormat.zip64EndOfCentralDirectorySize - 12))
            bytes.append16(EntryLayout.versionMadeBy)
            bytes.append16(45)
            bytes.append32(0)
            bytes.append32(0)
            bytes.append64(UInt64(count))
            bytes.append64(UInt64(count))
            bytes.append64(directorySize)
            bytes.append64(directoryOffset)
            bytes.append32(ZipFormat.zip64Locator)
            bytes.append32(0)
            bytes.append64(recordOffset)
            bytes.append32(1)
        }
        bytes.append32(ZipFormat.endOfCentralDirectory)
        bytes.append16(0)
        bytes.append16(0)
        bytes.append16(UInt16(min(UInt64(count), ZipFormat.overflow16)))
        bytes.append16(UInt16(min(UInt64(count), ZipFormat.overflow16)))
        bytes.append32(UInt32(min(directorySize, ZipFormat.overflow32)))
        bytes.append32(UInt32(min(directoryOffset, ZipFormat.overflow32)))
        bytes.append16(0)
        return bytes
    }
}

/// Where one entry goes and how its records are spelled.
private struct EntryLayout: Sendable {
    /// Unix host (3), APPNOTE version 6.3.
    static let versionMadeBy: UInt16 = ZipFormat.hostUnix << 8 | 63
    /// A regular file, rw-r--r--.
    static let fileAttributes: UInt32 = 0o100644 << 16

    let entry: ZipStreamEntry
    /// Offset of the local header from the start of the archive.
    let offset: UInt64
    let name: [UInt8]
    /// 4 GiB or more: sizes in ZIP64 fields, and a ZIP64 data descriptor.
    let largeEntry: Bool
    let dosTime: UInt16
    let dosDate: UInt16

    init(entry: ZipStreamEntry, offset: UInt64) {
        self.entry = entry
        self.offset = offset
        name = Array(entry.path.utf8)
        largeEntry = UInt64(entry.size) >= ZipFormat.overflow32
        (dosDate, dosTime) = DOSDate.fields(secondsSince1970: entry.modified)
    }

    var versionNeeded: UInt16 { largeEntry || offset >= ZipFormat.overflow32 ? 45 : 20 }
    var flags: UInt16 { ZipFormat.flagDataDescriptor | ZipFormat.flagUTF8 }

    /// Local header, data and data descriptor.
    var localLength: UInt64 {
        UInt64(ZipFormat.localHeaderSize + name.count + (largeEntry ? 20 : 0)) + UInt64(entry.size) + (largeEntry ? 24 : 16)
    }

    /// The ZIP64 fields the central header carries, in APPNOTE's order.
    private var centralZip64Fields: [UInt64] {
        (largeEntry ? [UInt64(entry.size), UInt64(entry.size)] : []) + (offset >= ZipFormat.overflow32 ? [offset] : [])
    }

    var centralLength: UInt64 {
        let fields = centralZip64Fields
        return UInt64(ZipFormat.centralHeaderSize + name.count + (fields.isEmpty ? 0 : 4 + 8 * fields.count))
    }

    /// With a data descriptor the CRC and sizes here are zero; a large entry's are 0xFFFFFFFF
    /// with a ZIP64 field of zeros, which tells readers the descriptor holds 64-bit sizes.
    func localHeader() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.append32(ZipFormat.localHeader)
        bytes.append16(versionNeeded)
        bytes.append16(flags)
        bytes.append16(0)
        bytes.append16(dosTime)
        bytes.append16(dosDate)
        bytes.append32(0)
        bytes.append32(largeEntry ? UInt32.max : 0)
        bytes.append32(largeEntry ? UInt32.max : 0)
        bytes.append16(UInt16(name.count))
        bytes.append16(largeEntry ? 20 : 0)
        bytes += name
        if largeEntry {
            bytes.append16(ZipFormat.zip64ExtraID)
            bytes.append16(16)
            bytes.append64(0)
            bytes.append64(0)
        }
        return bytes
    }

    func dataDescriptor(crc: UInt32) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.append32(ZipFormat.dataDescriptor)
        bytes.append32(crc)
        if largeEntry {
            bytes.append64(UInt64(entry.size))
            bytes.append64(UInt64(entry.size))
        } else {
            bytes.append32(UInt32(entry.size))
            bytes.append32(UInt32(entry.size))
        }
        return bytes
    }

    func centralHeader(crc: UInt32) -> [UInt8] {
        let fields = centralZip64Fields
        var bytes: [UInt8] = []
        bytes.append32(ZipFormat.centralHeader)
        bytes.append16(Self.versionMadeBy)
        bytes.append16(versionNeeded)
        bytes.append16(flags)
        bytes.append16(0)
        bytes.append16(dosTime)
        bytes.append16(dosDate)
        bytes.append32(crc)
        bytes.append32(largeEntry ? UInt32.max : UInt32(entry.size))
        bytes.append32(largeEntry ? UInt32.max : UInt32(entry.size))
        bytes.append16(UInt16(name.count))
        bytes.append16(fields.isEmpty ? 0 : UInt16(4 + 8 * fields.count))
        bytes.append16(0)
        bytes.append16(0)
        bytes.append16(0)
        bytes.append32(Self.fileAttributes)
        bytes.append32(offset >= ZipFormat.overflow32 ? UInt32.max : UInt32(offset))
        bytes += name
        if !fields.isEmpty {
            bytes.append16(ZipFormat.zip64ExtraID)
            bytes.append16(UInt16(8 * fields.count))
            for field in fields { bytes.append64(field) }
        }
        return bytes
    }
}

/// MS-DOS date and time fields (UTC), clamped to the years they can hold.
enum DOSDate {
    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        return calendar
    }()

    static func fields(secondsSince1970 seconds: Int64) -> (date: UInt16, time: UInt16) {
        let earliest: Int64 = 315_532_800  // 1980-01-01
        let latest: Int64 = 4_354_819_198  // 2107-12-31 23:59:58
        let clamped = min(max(seconds, earliest), latest)
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: TimeInterval(clamped)))
        let (year, month, day) = (parts.year ?? 1980, parts.month ?? 1, parts.day ?? 1)
        let (hour, minute, second) = (parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0)
        return (UInt16((year - 1980) << 9 | month << 5 | day), UInt16(hour << 11 | minute << 5 | second / 2))
    }
}
