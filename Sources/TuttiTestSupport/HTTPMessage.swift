import Foundation

/// A response read off a raw connection: its head, Content-Length and body so far.
public enum HTTPMessage {
    public static func parse(_ data: Data) -> (head: String, length: Int, body: Data)? {
        guard let (head, length, bodyStart) = head(of: data) else { return nil }
        return (head, length, Data(data[bodyStart...]))
    }

    /// Whether the whole body has arrived (checked after every read, so without copying it).
    public static func isComplete(_ data: Data) -> Bool {
        guard let (_, length, bodyStart) = head(of: data) else { return false }
        return data.endIndex - bodyStart >= length
    }

    private static func head(of data: Data) -> (head: String, length: Int, bodyStart: Data.Index)? {
        guard let headerEnd = data.firstRange(of: Data("\r\n\r\n".utf8)) else { return nil }
        let head = String(decoding: data[..<headerEnd.lowerBound], as: UTF8.self)
        guard let line = head.split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("content-length:") }),
              let length = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) else { return nil }
        return (head, length, headerEnd.upperBound)
    }
}
