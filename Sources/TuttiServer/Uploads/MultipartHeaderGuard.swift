import HTTPTypes
import NIOCore

/// Finds a byte above 0x7F in a part's header name before MultipartKit's parser sees it.
///
/// MultipartKit 4.7.1 looks such a byte up in a 128-entry table without a bounds check and
/// traps (`MultipartParser.parseHeaderName`, `UInt8.isAllowedHeaderFieldNameCharacter`): one
/// form with a non-ASCII header name would end the whole service. This guard runs over every
/// chunk first, byte by byte, and answers whether the chunk is safe to hand to the parser.
///
/// It is deliberately broader than the parser: every occurrence of `--BOUNDARY` starts a
/// header section for the guard (the parser only takes delimiters at a line start), which
/// lasts until a line with no name ends it. In a header line, bytes before the first `:` are
/// the name and must be ASCII. A real form never has a non-ASCII header name (RFC 7578 sends
/// non-ASCII file names in the value), so the only cost of being broader is refusing a body
/// whose audio happens to hold `--BOUNDARY` followed by such a line, which a random boundary
/// makes practically impossible unless the sender wants it.
struct MultipartHeaderGuard {
    private let delimiter: [UInt8]
    /// KMP failure function of `delimiter`, so that matches across chunks are never missed.
    private let failure: [Int]
    private var matched = 0

    private enum Section { case body, leadingLineBreak, name(empty: Bool), value }
    private var section = Section.body

    /// The answer to a body the guard stops.
    static var refusal: Problem {
        Problem(.badRequest, title: "Malformed multipart body", detail: "A part's header name holds a byte outside ASCII.")
    }

    init(boundary: String) {
        delimiter = Array("--\(boundary)".utf8)
        var failure = [Int](repeating: 0, count: delimiter.count)
        var k = 0
        for index in delimiter.indices.dropFirst() {
            while k > 0 && delimiter[index] != delimiter[k] { k = failure[k - 1] }
            if delimiter[index] == delimiter[k] { k += 1 }
            failure[index] = k
        }
        self.failure = failure
    }

    /// False once a header name holds a byte the parser cannot take.
    mutating func accepts(_ chunk: ByteBuffer) -> Bool {
        chunk.withUnsafeReadableBytes { bytes in
            for byte in bytes where !accepts(byte) { return false }
            return true
        }
    }

    private mutating func accepts(_ byte: UInt8) -> Bool {
        defer { track(byte) }
        switch section {
        case .body:
            return true
        case .leadingLineBreak:
            if byte == 13 || byte == 10 { return true }
            return acceptsInName(byte, empty: true)
        case .name(let empty):
            return acceptsInName(byte, empty: empty)
        case .value:
            if byte == 10 { section = .name(empty: true) }
            return true
        }
    }

    private mutating func acceptsInName(_ byte: UInt8, empty: Bool) -> Bool {
        switch byte {
        case 58: section = .value  // ':'
        case 13, 10: section = empty ? .body : .name(empty: true)
        case 0x80...: return false
        default: section = .name(empty: false)
        }
        return true
    }

    /// Follows the delimiter through every byte, whatever the section.
    private mutating func track(_ byte: UInt8) {
        while matched > 0 && byte != delimiter[matched] { matched = failure[matched - 1] }
        if byte == delimiter[matched] { matched += 1 }
        if matched == delimiter.count {
            section = .leadingLineBreak
            matched = failure[matched - 1]
        }
    }
}
