import CLibZ
import Foundation

/// Limits on what one uploaded archive may hold.
public struct ZipLimits: Sendable, Equatable {
    /// Entries (files and folders), as the end-of-central-directory record counts them.
    public var maxEntries: Int
    /// Bytes the whole archive may expand to, counted as they are produced.
    public var maxTotalBytes: Int64
    /// Largest expansion of one entry: produced bytes ÷ compressed bytes consumed so far...
    public var maxRatio: Int
    /// ...once the entry has produced more than this many bytes (small files of repeated
    /// bytes compress very well and are harmless).
    public var ratioFloor: Int64

    public init(maxEntries: Int = 100, maxTotalBytes: Int64 = 4 << 30, maxRatio: Int = 200, ratioFloor: Int64 = 1 << 20) {
        self.maxEntries = maxEntries
        self.maxTotalBytes = maxTotalBytes
        self.maxRatio = maxRatio
        self.ratioFloor = ratioFloor
    }

    /// The limits for a release uploaded as one archive: 100 entries, 4 GiB, 200:1 past 1 MiB.
    public static let upload = ZipLimits()
}

/// A file taken out of an archive.
public struct ExtractedFile: Sendable, Equatable {
    /// Path inside the extracted folder, "/"-separated, normalised (no "." components).
    public var path: String
    /// Length in bytes.
    public var size: Int64
}

/// What `SafeZipExtractor.extract` made.
public struct ExtractedArchive: Sendable, Equatable {
    /// The folder now holding the archive's files.
    public var folder: String
    /// Regular files, in the archive's order.
    public var files: [ExtractedFile]
    /// Entries checked like the rest but not written: macOS's `__MACOSX/` resource forks and
    /// `.DS_Store` files, which are not part of any release.
    public var skipped: [String]
}

/// Extracts an uploaded ZIP archive, treating it as hostile until proven otherwise.
///
/// - The entry count is read from the end-of-central-directory record and refused past the
///   limit before any entry is read.
/// - Every path must stay inside the destination (`ZipPath`): no "..", absolute paths,
///   backslashes or drive letters. Links, devices and encrypted entries are refused; only
///   stored and deflate data is accepted. Entries may not overlap.
/// - Sizes are checked against the headers before extracting, and again while extracting by
///   counting the bytes actually produced: an entry that expands past its declared size or
///   the ratio limit, or an archive past the total limit, is stopped at that byte.
/// - Everything is extracted into a temporary folder beside the destination and renamed into
///   place only when all of it checked out; on any refusal or error that folder is removed.
///
/// Written on zlib directly rather than ZIPFoundation 0.9.20: see `ZipDirectory`.
public enum SafeZipExtractor {
    /// Extracts `archive` into `destination`, which must not exist yet (its parent must).
    public static func extract(archive: String, to destination: String, limits: ZipLimits = .upload) throws(ZipExtractionError) -> ExtractedArchive {
        let file = try ArchiveFile(path: archive)
        var directory = try ZipDirectory.read(file, maxEntries: limits.maxEntries)
        let plan = try plan(directory.entries, limits: limits)
        try directory.locateData(in: file)

        guard !FileManager.default.fileExists(atPath: destination) else {
            throw .io(path: destination, detail: "already exists")
        }
        let parent = (destination as NSString).deletingLastPathComponent
        var template = Array("\(parent.isEmpty ? "." : parent)/.zip-partial-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw .io(path: parent, detail: String(cString: strerror(errno))) }
        let temporary = String(cString: made)
        do {
            var writer = try EntryWriter(root: temporary, archive: file, limits: limits)
            var files: [ExtractedFile] = []
            for (entry, target) in zip(directory.entries, plan) {
                switch target {
                case .skip: continue
                case .directory(let path): try writer.makeDirectory(path)
                case .file(let path): files.append(ExtractedFile(path: path, size: try writer.extract(entry, to: path)))
                }
            }
            guard rename(temporary, destination) == 0 else { throw ZipExtractionError.io(path: destination, detail: String(cString: strerror(errno))) }
            let skipped = zip(directory.entries, plan).compactMap { entry, target in target == .skip ? entry.name : nil }
            return ExtractedArchive(folder: destination, files: files, skipped: skipped)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error as? ZipExtractionError ?? .io(path: destination, detail: "\(error)")
        }
    }

    enum Target: Equatable {
        case file(String), directory(String), skip
    }

    /// Checks every entry's path, type, encryption, method and declared sizes, and decides
    /// where it goes, before anything is written.
    static func plan(_ entries: [ZipEntryRecord], limits: ZipLimits) throws(ZipExtractionError) -> [Target] {
        var seen: Set<String> = []
        var declaredTotal: UInt64 = 0
        var targets: [Target] = []
        for entry in entries {
            let clean: ZipPath.Clean
            switch ZipPath.clean(entry.name) {
            case .success(let value): clean = value
            case .failure(let problem): throw .unsafePath(path: entry.name, problem: problem)
            }
            if entry.isSpecial { throw .link(path: entry.name) }
            if entry.flags & (ZipFormat.flagEncrypted | ZipFormat.flagStrongEncryption) != 0 { throw .encrypted(path: entry.name) }
            guard entry.method == 0 || entry.method == 8 else {
                throw .unsupportedCompression(path: entry.name, method: entry.method)
            }
            guard seen.insert(clean.path).inserted else { throw .duplicatePath(path: clean.path) }
            let (total, overflow) = declaredTotal.addingReportingOverflow(entry.uncompressedSize)
            guard !overflow, total <= UInt64(limits.maxTotalBytes) else { throw .tooLarge(limit: limits.maxTotalBytes) }
            declaredTotal = total
            let (allowed, tooBig) = max(entry.compressedSize, 1).multipliedReportingOverflow(by: UInt64(limits.maxRatio))
            if entry.uncompressedSize > UInt64(limits.ratioFloor), !tooBig, entry.uncompressedSize > allowed {
                throw .compressionRatio(path: entry.name, limit: limits.maxRatio)
            }
            let components = clean.path.split(separator: "/")
            if components.first == "__MACOSX" || components.last == ".DS_Store" {
                targets.append(.skip)
            } else if entry.isDirectory || clean.isDirectory {
                guard entry.uncompressedSize == 0 else { throw .damaged(detail: "the folder '\(entry.name)' holds data") }
                targets.append(.directory(clean.path))
            } else {
                targets.append(.file(clean.path))
            }
        }
        return targets
    }
}
