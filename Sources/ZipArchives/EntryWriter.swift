import CLibZ
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Writes entries into the temporary extraction folder, counting every byte produced.
struct EntryWriter {
    private let root: String
    private let archive: ArchiveFile
    private let limits: ZipLimits
    /// Bytes produced by all entries so far.
    private var total: Int64 = 0
    private static let chunk = 64 * 1024

    init(root: String, archive: ArchiveFile, limits: ZipLimits) throws(ZipExtractionError) {
        self.root = root
        self.archive = archive
        self.limits = limits
    }

    /// Makes `path` and its parents. A file already standing where a folder must go is a
    /// name used twice.
    func makeDirectory(_ path: String) throws(ZipExtractionError) {
        var current = root
        for component in path.split(separator: "/") {
            current += "/\(component)"
            if mkdir(current, 0o755) != 0 {
                var status = stat()
                guard errno == EEXIST, lstat(current, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
                    throw errno == EEXIST || errno == ENOTDIR ? .duplicatePath(path: path) : .io(path: current, detail: String(cString: strerror(errno)))
                }
            }
        }
    }

    /// Extracts one file entry to `path` (relative to the root); returns its length in bytes.
    mutating func extract(_ entry: ZipEntryRecord, to path: String) throws(ZipExtractionError) -> Int64 {
        if let slash = path.lastIndex(of: "/") { try makeDirectory(String(path[..<slash])) }
        let fullPath = "\(root)/\(path)"
        // O_EXCL and O_NOFOLLOW: never through a link, never over an existing name.
        let descriptor = open(fullPath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw errno == EEXIST || errno == EISDIR || errno == ENOTDIR ? .duplicatePath(path: path) : .io(path: fullPath, detail: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var output = Output(descriptor: descriptor, path: fullPath, entry: entry, limits: limits, totalBefore: total)
        if entry.method == 0 {
            try copyStored(entry, into: &output)
        } else {
            try inflate(entry, into: &output)
        }
        guard output.produced == entry.uncompressedSize else {
            throw .sizeMismatch(path: entry.name, declared: entry.uncompressedSize, produced: output.produced)
        }
        guard output.crc.value == entry.crc else { throw .checksumMismatch(path: entry.name) }
        total += Int64(output.produced)
        return Int64(output.produced)
    }

    private func copyStored(_ entry: ZipEntryRecord, into output: inout Output) throws(ZipExtractionError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunk, alignment: 16)
        defer { buffer.deallocate() }
        var done: UInt64 = 0
        while done < entry.compressedSize {
            let want = Int(min(UInt64(Self.chunk), entry.compressedSize - done))
            let got = try archive.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<want]), at: entry.dataOffset + done)
            guard got > 0 else { throw .corruptData(path: entry.name, detail: "the file ends inside it") }
            done += UInt64(got)
            try output.append(UnsafeRawBufferPointer(rebasing: buffer[..<got]), consumed: done)
        }
    }

    /// Raw inflate of the entry's compressed bytes, and no byte beyond them: a stream that
    /// has not ended when they run out is damaged.
    private func inflate(_ entry: ZipEntryRecord, into output: inout Output) throws(ZipExtractionError) {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        guard tutti_inflate_init_raw(stream) == Z_OK else { throw .io(path: entry.name, detail: "zlib could not start") }
        defer { inflateEnd(stream) }
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunk, alignment: 16)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunk, alignment: 16)
        defer {
            input.deallocate()
            buffer.deallocate()
        }
        var read: UInt64 = 0
        var ended = false
        while !ended {
            if stream.pointee.avail_in == 0 {
                guard read < entry.compressedSize else {
                    throw .corruptData(path: entry.name, detail: "its compressed data ends before the stream does")
                }
                let want = Int(min(UInt64(Self.chunk), entry.compressedSize - read))
                let got = try archive.read(into: UnsafeMutableRawBufferPointer(rebasing: input[..<want]), at: entry.dataOffset + read)
                guard got > 0 else { throw .corruptData(path: entry.name, detail: "the file ends inside it") }
                read += UInt64(got)
                stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_in = UInt32(got)
            }
            stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = UInt32(Self.chunk)
            let result = CLibZ.inflate(stream, Z_NO_FLUSH)
            switch result {
            case Z_OK, Z_BUF_ERROR: break
            case Z_STREAM_END: ended = true
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(result)"
                throw .corruptData(path: entry.name, detail: message)
            }
            let produced = Self.chunk - Int(stream.pointee.avail_out)
            try output.append(UnsafeRawBufferPointer(rebasing: buffer[..<produced]), consumed: UInt64(stream.pointee.total_in))
        }
        guard UInt64(stream.pointee.total_in) == entry.compressedSize else {
            throw .sizeMismatch(path: entry.name, declared: entry.compressedSize, produced: UInt64(stream.pointee.total_in))
        }
    }
}

/// One file being written: every chunk is counted against the limits before it is written.
private struct Output {
    let descriptor: Int32
    let path: String
    let entry: ZipEntryRecord
    let limits: ZipLimits
    let totalBefore: Int64
    var produced: UInt64 = 0
    var crc = CRC32()

    init(descriptor: Int32, path: String, entry: ZipEntryRecord, limits: ZipLimits, totalBefore: Int64) {
        self.descriptor = descriptor
        self.path = path
        self.entry = entry
        self.limits = limits
        self.totalBefore = totalBefore
    }

    /// `consumed`: compressed bytes taken from the archive for this entry so far.
    mutating func append(_ bytes: UnsafeRawBufferPointer, consumed: UInt64) throws(ZipExtractionError) {
        guard !bytes.isEmpty else { return }
        produced += UInt64(bytes.count)
        if produced > entry.uncompressedSize { throw .expandsPastHeader(path: entry.name, declared: entry.uncompressedSize) }
        if totalBefore + Int64(produced) > limits.maxTotalBytes { throw .tooLarge(limit: limits.maxTotalBytes) }
        if Int64(produced) > limits.ratioFloor, produced / max(consumed, 1) > UInt64(limits.maxRatio) {
            throw .compressionRatio(path: entry.name, limit: limits.maxRatio)
        }
        crc.update(bytes)
        var remaining = bytes
        while !remaining.isEmpty {
            let written = write(descriptor, remaining.baseAddress, remaining.count)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw .io(path: path, detail: String(cString: strerror(errno))) }
            remaining = UnsafeRawBufferPointer(rebasing: remaining[written...])
        }
    }
}
