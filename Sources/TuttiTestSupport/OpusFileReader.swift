import COpusfile

/// Decodes an Ogg Opus file with libopusfile, the reference RFC 7845 reader: it applies
/// pre-skip and end trimming from the granule positions, so its sample count is what any
/// conforming player hears.
public struct DecodedOpus {
    public var channels: Int
    /// Interleaved float samples at 48 kHz.
    public var samples: [Float]
    public var preSkip: Int
    public var inputSampleRate: Int
    public var comments: [String: String]
    public var vendor: String

    public var frames: Int { samples.count / channels }

    public func channel(_ index: Int) -> [Float] {
        stride(from: index, to: samples.count, by: channels).map { samples[$0] }
    }

    public init(path: String) throws {
        var error: Int32 = 0
        guard let file = op_open_file(path, &error) else { throw DecodeFailure(message: "op_open_file: \(error)") }
        defer { op_free(file) }
        let head = op_head(file, -1)!.pointee
        channels = Int(head.channel_count)
        preSkip = Int(head.pre_skip)
        inputSampleRate = Int(head.input_sample_rate)
        let tags = op_tags(file, -1)!.pointee
        vendor = String(cString: tags.vendor)
        var comments: [String: String] = [:]
        for index in 0..<Int(tags.comments) {
            let text = String(cString: tags.user_comments[index]!)
            if let equals = text.firstIndex(of: "=") {
                comments[String(text[..<equals]).uppercased()] = String(text[text.index(after: equals)...])
            }
        }
        self.comments = comments
        var samples: [Float] = []
        var buffer = [Float](repeating: 0, count: 5760 * 8)
        while true {
            let count = op_read_float(file, &buffer, Int32(buffer.count), nil)
            if count < 0 { throw DecodeFailure(message: "op_read_float: \(count)") }
            if count == 0 { break }
            samples.append(contentsOf: buffer[..<(Int(count) * channels)])
        }
        self.samples = samples
    }
}

public struct DecodeFailure: Error, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
