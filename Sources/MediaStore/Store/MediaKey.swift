/// The name of one stored file, relative to the store: `originals/ID.flac`,
/// `media/TRACK/standard-1.opus`. The same key names the same file in every store (a path
/// under the data folder, an object key under the bucket's prefix).
///
/// Keys are made by the service, never taken from a request as they are: each `/`-separated
/// segment is 1–255 characters of `A–Z a–z 0–9 . _ -`, not `.` or `..`, and the first does not
/// start with `.` (names starting with `.` are the store's own, such as its staging area).
/// At most 1,024 bytes in all.
public struct MediaKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// - Throws: ``MediaStoreError/invalidKey(_:reason:)`` saying what is wrong.
    public init(_ rawValue: String) throws(MediaStoreError) {
        if let reason = Self.problem(with: rawValue) { throw .invalidKey(rawValue, reason: reason) }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }
    public static func < (lhs: MediaKey, rhs: MediaKey) -> Bool { lhs.rawValue < rhs.rawValue }

    static func problem(with key: String) -> String? {
        guard !key.isEmpty else { return "it is empty" }
        guard key.utf8.count <= 1_024 else { return "it is longer than 1,024 bytes" }
        let segments = key.split(separator: "/", omittingEmptySubsequences: false)
        for (index, segment) in segments.enumerated() {
            guard !segment.isEmpty else { return "it has an empty segment (a leading, trailing or double /)" }
            guard segment.utf8.count <= 255 else { return "a segment is longer than 255 bytes" }
            guard segment != ".", segment != ".." else { return "it has a . or .. segment" }
            if index == 0, segment.hasPrefix(".") { return "it starts with . (reserved for the store)" }
            let allowed = segment.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                     UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                    true
                default:
                    false
                }
            }
            guard allowed else { return "it has a character outside A-Z a-z 0-9 . _ - /" }
        }
        return nil
    }
}
