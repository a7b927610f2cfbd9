/// The two header packets of an Ogg Opus stream (RFC 7845 §5).
enum OpusHeaders {
    /// The identification header: version 1, mapping family 0 (mono or stereo).
    static func head(channels: Int, preSkip: Int, inputSampleRate: Int, outputGain: Int16 = 0) -> [UInt8] {
        var bytes = Array("OpusHead".utf8)
        bytes.append(1)
        bytes.append(UInt8(channels))
        bytes.appendLittleEndian(UInt16(preSkip))
        bytes.appendLittleEndian(UInt32(inputSampleRate))
        bytes.appendLittleEndian(UInt16(bitPattern: outputGain))
        bytes.append(0)
        return bytes
    }

    /// The comment header. Zero padding (allowed after the comment list, §5.2) brings it to
    /// `paddedTo` bytes, so a later rewrite with a different loudness gain keeps every page
    /// where it was.
    static func tags(vendor: String, comments: [String], paddedTo length: Int? = nil) -> [UInt8] {
        var bytes = Array("OpusTags".utf8)
        let vendorBytes = Array(vendor.utf8)
        bytes.appendLittleEndian(UInt32(vendorBytes.count))
        bytes += vendorBytes
        bytes.appendLittleEndian(UInt32(comments.count))
        for comment in comments {
            let commentBytes = Array(comment.utf8)
            bytes.appendLittleEndian(UInt32(commentBytes.count))
            bytes += commentBytes
        }
        if let length, length > bytes.count {
            bytes += [UInt8](repeating: 0, count: length - bytes.count)
        }
        return bytes
    }

    /// The tags Tutti writes: the upload's title, artist and album, and the gain that brings
    /// the track to −23 LUFS (`R128_TRACK_GAIN`, Q7.8 fixed point dB, RFC 7845 §5.2.1).
    static func comments(tags: AudioTags, trackGain: Int16?) -> [String] {
        var comments: [String] = []
        if let title = tags.title { comments.append("TITLE=\(title)") }
        if let artist = tags.artist { comments.append("ARTIST=\(artist)") }
        if let album = tags.album { comments.append("ALBUM=\(album)") }
        comments.append("ENCODER=Tutti")
        if let trackGain { comments.append("R128_TRACK_GAIN=\(trackGain)") }
        return comments
    }

    /// The longest `R128_TRACK_GAIN` value, "-32768", reserved before the gain is known.
    static let gainReserve = "R128_TRACK_GAIN=-32768".utf8.count + 4
}

extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
