/// Why an uploaded ZIP archive is refused, in words an artist understands.
///
/// Every refusal leaves nothing extracted behind. The server shows `description` in the
/// problem+json `detail`.
public enum ZipExtractionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No end-of-central-directory record: not a ZIP archive, or cut short.
    case notZip
    /// The archive's structure is inconsistent (offsets, sizes or records that do not fit).
    case damaged(detail: String)
    /// Split over several files ("disks").
    case multiPart
    /// More entries than the limit, as the end-of-central-directory record states them.
    case tooManyEntries(count: UInt64, limit: Int)
    /// A path that would leave the upload's folder, or is otherwise unsafe.
    case unsafePath(path: String, problem: PathProblem)
    /// A symbolic link (or device, pipe or socket) entry.
    case link(path: String)
    /// Two entries extract to the same path, or a file and a folder share a name.
    case duplicatePath(path: String)
    case encrypted(path: String)
    case unsupportedCompression(path: String, method: UInt16)
    /// More bytes in all than the limit (bytes), declared or actually produced.
    case tooLarge(limit: Int64)
    /// One entry expands more than the ratio limit allows (produced ÷ compressed bytes).
    case compressionRatio(path: String, limit: Int)
    /// An entry produced more bytes than its header declares (stopped at that byte).
    case expandsPastHeader(path: String, declared: UInt64)
    /// An entry's data ended at a different length than its header declares (bytes).
    case sizeMismatch(path: String, declared: UInt64, produced: UInt64)
    case checksumMismatch(path: String)
    /// The deflate data of an entry is damaged or ends before its stream does.
    case corruptData(path: String, detail: String)
    /// The archive could not be read or the files written (missing, permissions, disk full).
    case io(path: String, detail: String)

    public var description: String {
        switch self {
        case .notZip:
            return "the file is not a ZIP archive (or it is cut short)"
        case .damaged(let detail):
            return "the ZIP archive is damaged: \(detail)"
        case .multiPart:
            return "the ZIP archive is split into parts; upload it as one file"
        case .tooManyEntries(let count, let limit):
            return "the ZIP archive has \(count) entries; at most \(limit) are accepted"
        case .unsafePath(let path, let problem):
            return "the ZIP archive holds an unsafe path '\(Self.printable(path))': \(problem)"
        case .link(let path):
            return "the ZIP archive holds a link or special file '\(Self.printable(path))'; only files and folders are accepted"
        case .duplicatePath(let path):
            return "the ZIP archive holds '\(Self.printable(path))' more than once"
        case .encrypted(let path):
            return "'\(Self.printable(path))' in the ZIP archive is encrypted"
        case .unsupportedCompression(let path, let method):
            return "'\(Self.printable(path))' in the ZIP archive uses compression method \(method); only stored and deflate are accepted"
        case .tooLarge(let limit):
            return "the ZIP archive expands to more than \(limit / (1 << 30)) GiB"
        case .compressionRatio(let path, let limit):
            return "'\(Self.printable(path))' in the ZIP archive expands more than \(limit) times its compressed size"
        case .expandsPastHeader(let path, let declared):
            return "'\(Self.printable(path))' in the ZIP archive expands past the \(declared) bytes its header declares"
        case .sizeMismatch(let path, let declared, let produced):
            return "'\(Self.printable(path))' in the ZIP archive holds \(produced) bytes but its header says \(declared)"
        case .checksumMismatch(let path):
            return "'\(Self.printable(path))' in the ZIP archive is damaged (its checksum does not match)"
        case .corruptData(let path, let detail):
            return "'\(Self.printable(path))' in the ZIP archive is damaged (\(detail))"
        case .io(let path, let detail):
            return "\(path): \(detail)"
        }
    }

    /// A path as it can be shown in one line: control characters escaped, long ones cut.
    static func printable(_ path: String) -> String {
        var text = ""
        for scalar in path.unicodeScalars {
            text += scalar.value < 0x20 || scalar.value == 0x7F ? scalar.escaped(asASCII: true) : String(scalar)
        }
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}
