/// One entry as the central directory describes it, with where its data lies.
struct ZipEntryRecord {
    var rawName: [UInt8]
    var name: String
    var flags: UInt16
    var method: UInt16
    var crc: UInt32
    var compressedSize: UInt64
    var uncompressedSize: UInt64
    var localHeaderOffset: UInt64
    var host: UInt16
    var externalAttributes: UInt32
    /// Offset of the first data byte, from the local header (set by `locateData`).
    var dataOffset: UInt64 = 0

    /// The Unix file type bits (S_IFMT) where the archive recorded Unix attributes.
    var unixFileType: UInt32? {
        host == ZipFormat.hostUnix || host == ZipFormat.hostMacOS ? (externalAttributes >> 16) & 0o170000 : nil
    }

    var isDirectory: Bool {
        name.hasSuffix("/") || unixFileType == 0o040000 || (host == ZipFormat.hostMSDOS && externalAttributes & 0x10 != 0)
    }

    /// Anything but a regular file or a folder: symlink, device, pipe, socket.
    var isSpecial: Bool {
        guard let type = unixFileType, type != 0 else { return false }
        return type != 0o100000 && type != 0o040000
    }
}

/// The central directory of an archive, read strictly: the entry count comes from the
/// end-of-central-directory record (or its ZIP64 form) and is checked against the limit
/// before a single entry is read; every record must lie where the directory says.
///
/// Written by hand rather than through ZIPFoundation 0.9.20: its `Archive` keeps the entry
/// count and each entry's data offset internal, and on Linux its inflate loop never ends when
/// an entry's deflate stream runs to the end of the file (`Data.decode` keeps asking for more
/// input and gets empty chunks), which a 120-byte upload can trigger.
struct ZipDirectory {
    var entries: [ZipEntryRecord]
    /// Where the central directory starts: every entry's data must end before it.
    var centralDirectoryOffset: UInt64

    static func read(_ file: ArchiveFile, maxEntries: Int) throws(ZipExtractionError) -> ZipDirectory {
        let end = try EndRecord.find(in: file)
        guard end.entryCount <= UInt64(maxEntries) else {
            throw .tooManyEntries(count: end.entryCount, limit: maxEntries)
        }
        // Each record is at least 46 bytes plus three fields of at most 65,535 bytes.
        let largest = UInt64(maxEntries) * UInt64(ZipFormat.centralHeaderSize + 3 * 0xFFFF)
        let (directoryEnd, overflow) = end.directoryOffset.addingReportingOverflow(end.directorySize)
        guard end.directorySize <= largest, !overflow, directoryEnd <= end.directoryEnd else {
            throw .damaged(detail: "the central directory does not fit where the archive says it is")
        }
        let directory = FieldReader(bytes: try file.read(Int(end.directorySize), at: end.directoryOffset))
        var entries: [ZipEntryRecord] = []
        var cursor = 0
        for _ in 0..<end.entryCount {
            let (entry, length) = try parseCentralHeader(directory, at: cursor)
            entries.append(entry)
            cursor += length
        }
        guard cursor == directory.bytes.count else {
            throw .damaged(detail: "the central directory holds more than its entries")
        }
        return ZipDirectory(entries: entries, centralDirectoryOffset: end.directoryOffset)
    }

    private static func parseCentralHeader(_ reader: FieldReader, at offset: Int) throws(ZipExtractionError) -> (ZipEntryRecord, Int) {
        guard reader.u32(offset) == ZipFormat.centralHeader,
              let madeBy = reader.u16(offset + 4), let flags = reader.u16(offset + 8), let method = reader.u16(offset + 10),
              let crc = reader.u32(offset + 16), let compressed = reader.u32(offset + 20), let uncompressed = reader.u32(offset + 24),
              let nameLength = reader.u16(offset + 28), let extraLength = reader.u16(offset + 30), let commentLength = reader.u16(offset + 32),
              let disk = reader.u16(offset + 34), let attributes = reader.u32(offset + 38), let localOffset = reader.u32(offset + 42),
              let rawName = reader.slice(offset + 46, Int(nameLength)),
              let extra = reader.slice(offset + 46 + Int(nameLength), Int(extraLength)),
              reader.slice(offset + 46 + Int(nameLength) + Int(extraLength), Int(commentLength)) != nil else {
            throw .damaged(detail: "a central directory record is cut short")
        }
        let name = ZipPath.decode(rawName, utf8Flag: flags & ZipFormat.flagUTF8 != 0)
        guard let name else { throw .unsafePath(path: String(decoding: rawName, as: UTF8.self), problem: .notText) }
        // ZIP64: each field at its maximum is in the extra field, in this order.
        var sizes = (uncompressed: UInt64(uncompressed), compressed: UInt64(compressed), offset: UInt64(localOffset))
        if sizes.uncompressed == ZipFormat.overflow32 || sizes.compressed == ZipFormat.overflow32 || sizes.offset == ZipFormat.overflow32 || disk == 0xFFFF {
            guard let field = extraField(ZipFormat.zip64ExtraID, in: extra) else {
                throw .damaged(detail: "'\(name)' lacks the ZIP64 field its header calls for")
            }
            var position = 0
            func next() throws(ZipExtractionError) -> UInt64 {
                guard let value = FieldReader(bytes: field).u64(position) else {
                    throw .damaged(detail: "'\(name)' has a ZIP64 field that is cut short")
                }
                position += 8
                return value
            }
            if sizes.uncompressed == ZipFormat.overflow32 { sizes.uncompressed = try next() }
            if sizes.compressed == ZipFormat.overflow32 { sizes.compressed = try next() }
            if sizes.offset == ZipFormat.overflow32 { sizes.offset = try next() }
        } else if disk != 0 {
            throw .multiPart
        }
        let entry = ZipEntryRecord(
            rawName: rawName, name: name, flags: flags, method: method, crc: crc,
            compressedSize: sizes.compressed, uncompressedSize: sizes.uncompressed, localHeaderOffset: sizes.offset,
            host: madeBy >> 8, externalAttributes: attributes)
        return (entry, ZipFormat.centralHeaderSize + Int(nameLength) + Int(extraLength) + Int(commentLength))
    }

    /// The data of the extra field with `id`, if present.
    static func extraField(_ id: UInt16, in extra: [UInt8]) -> [UInt8]? {
        let reader = FieldReader(bytes: extra)
        var offset = 0
        while let header = reader.u16(offset), let length = reader.u16(offset + 2) {
            if header == id { return reader.slice(offset + 4, Int(length)) }
            offset += 4 + Int(length)
        }
        return nil
    }

    /// Reads each entry's local header: it must agree with the central directory on name and
    /// method, and the data must lie before the central directory without overlapping another
    /// entry (overlapping entries are how some zip bombs multiply one run of data).
    mutating func locateData(in file: ArchiveFile) throws(ZipExtractionError) {
        for index in entries.indices {
            let entry = entries[index]
            let header = FieldReader(bytes: try file.read(ZipFormat.localHeaderSize, at: entry.localHeaderOffset))
            guard header.u32(0) == ZipFormat.localHeader, let method = header.u16(8),
                  let nameLength = header.u16(26), let extraLength = header.u16(28) else {
                throw .damaged(detail: "'\(entry.name)' has no local header where the directory says")
            }
            let name = try file.read(Int(nameLength), at: entry.localHeaderOffset + UInt64(ZipFormat.localHeaderSize))
            guard name == entry.rawName, method == entry.method else {
                throw .damaged(detail: "'\(entry.name)' is described differently in its local header")
            }
            let dataOffset = entry.localHeaderOffset + UInt64(ZipFormat.localHeaderSize) + UInt64(nameLength) + UInt64(extraLength)
            let (dataEnd, overflow) = dataOffset.addingReportingOverflow(entry.compressedSize)
            guard !overflow, dataEnd <= centralDirectoryOffset else {
                throw .damaged(detail: "the data of '\(entry.name)' runs into the central directory")
            }
            entries[index].dataOffset = dataOffset
        }
        let ordered = entries.sorted { $0.localHeaderOffset < $1.localHeaderOffset }
        for (earlier, later) in zip(ordered, ordered.dropFirst()) where earlier.dataOffset + earlier.compressedSize > later.localHeaderOffset {
            throw .damaged(detail: "'\(earlier.name)' and '\(later.name)' overlap")
        }
    }
}

/// The end-of-central-directory record, with its ZIP64 form when there is one.
private struct EndRecord {
    var entryCount: UInt64
    var directorySize: UInt64
    var directoryOffset: UInt64
    /// Where the central directory must end: the ZIP64 record, or the end record.
    var directoryEnd: UInt64

    /// The record sits at the very end, after a comment of at most 65,535 bytes: search
    /// backwards through that window only, for a signature whose comment length reaches the
    /// end of the file exactly.
    static func find(in file: ArchiveFile) throws(ZipExtractionError) -> EndRecord {
        let size = file.size
        guard size >= UInt64(ZipFormat.endOfCentralDirectorySize) else { throw .notZip }
        let window = min(size, UInt64(ZipFormat.endOfCentralDirectorySize + 0xFFFF))
        let tail = FieldReader(bytes: try file.read(Int(window), at: size - window))
        var position = tail.bytes.count - ZipFormat.endOfCentralDirectorySize
        while position >= 0 {
            if tail.u32(position) == ZipFormat.endOfCentralDirectory,
               let commentLength = tail.u16(position + 20),
               position + ZipFormat.endOfCentralDirectorySize + Int(commentLength) == tail.bytes.count {
                return try parse(tail, at: position, recordOffset: size - window + UInt64(position), file: file)
            }
            position -= 1
        }
        throw .notZip
    }

    private static func parse(_ tail: FieldReader, at position: Int, recordOffset: UInt64, file: ArchiveFile) throws(ZipExtractionError) -> EndRecord {
        guard let disk = tail.u16(position + 4), let directoryDisk = tail.u16(position + 6),
              let onDisk = tail.u16(position + 8), let total = tail.u16(position + 10),
              let directorySize = tail.u32(position + 12), let directoryOffset = tail.u32(position + 16) else {
            throw .notZip
        }
        var record = EndRecord(entryCount: UInt64(total), directorySize: UInt64(directorySize),
                               directoryOffset: UInt64(directoryOffset), directoryEnd: recordOffset)
        // A ZIP64 locator right before the record points to the ZIP64 record.
        if recordOffset >= UInt64(ZipFormat.zip64LocatorSize) {
            let locatorOffset = recordOffset - UInt64(ZipFormat.zip64LocatorSize)
            let locator = FieldReader(bytes: try file.read(ZipFormat.zip64LocatorSize, at: locatorOffset))
            if locator.u32(0) == ZipFormat.zip64Locator {
                guard locator.u32(4) == 0, locator.u32(16) == 1, let zip64Offset = locator.u64(8) else { throw .multiPart }
                guard zip64Offset <= locatorOffset, locatorOffset - zip64Offset >= UInt64(ZipFormat.zip64EndOfCentralDirectorySize) else {
                    throw .damaged(detail: "the ZIP64 end record is not where its locator says")
                }
                let zip64 = FieldReader(bytes: try file.read(ZipFormat.zip64EndOfCentralDirectorySize, at: zip64Offset))
                guard zip64.u32(0) == ZipFormat.zip64EndOfCentralDirectory, let zip64Disk = zip64.u32(16), let zip64DirectoryDisk = zip64.u32(20),
                      let zip64OnDisk = zip64.u64(24), let zip64Total = zip64.u64(32),
                      let zip64Size = zip64.u64(40), let zip64DirectoryOffset = zip64.u64(48) else {
                    throw .damaged(detail: "the ZIP64 end record is not where its locator says")
                }
                guard zip64Disk == 0, zip64DirectoryDisk == 0, zip64OnDisk == zip64Total else { throw .multiPart }
                record = EndRecord(entryCount: zip64Total, directorySize: zip64Size, directoryOffset: zip64DirectoryOffset, directoryEnd: zip64Offset)
                return record
            }
        }
        guard disk == 0, directoryDisk == 0, onDisk == total else { throw .multiPart }
        return record
    }
}
