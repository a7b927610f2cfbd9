import FoundationEssentials

/// The tags an owner's downloaded copy of a track carries (Vorbis comment field names, as
/// Ogg Opus players read them; RFC 7845 §5.2).
public struct DownloadTags: Sendable, Equatable {
    public var title: String?
    public var artist: String?
    public var album: String?
    /// Position on its disc, from 1.
    public var trackNumber: Int?
    /// Disc of the release, from 1.
    public var discNumber: Int?
    /// Release date, "YYYY" or "YYYY-MM-DD".
    public var date: String?
    /// ISRC, 12 characters without dashes.
    public var isrc: String?
    /// The licence, e.g. "CC BY 4.0" or "All rights reserved".
    public var license: String?
    /// R128_TRACK_GAIN in Q7.8 fixed-point dB; nil keeps the source's value, if it has one.
    public var trackGain: Int16?
    /// Written as METADATA_BLOCK_PICTURE (front cover).
    public var cover: CoverPicture?

    public init(
        title: String? = nil, artist: String? = nil, album: String? = nil, trackNumber: Int? = nil,
        discNumber: Int? = nil, date: String? = nil, isrc: String? = nil, license: String? = nil,
        trackGain: Int16? = nil, cover: CoverPicture? = nil
    ) {
        self.title = title
        self.artist = artist
        self.album = album
        self.trackNumber = trackNumber
        self.discNumber = discNumber
        self.date = date
        self.isrc = isrc
        self.license = license
        self.trackGain = trackGain
        self.cover = cover
    }

    /// The comments in the order they are written; empty values are left out.
    func comments(sourceGain: Int16?) -> [String] {
        var comments: [String] = []
        func add(_ field: String, _ value: String?) {
            if let value, !value.isEmpty { comments.append("\(field)=\(value)") }
        }
        add("TITLE", title)
        add("ARTIST", artist)
        add("ALBUM", album)
        add("TRACKNUMBER", trackNumber.map(String.init))
        add("DISCNUMBER", discNumber.map(String.init))
        add("DATE", date)
        add("ISRC", isrc)
        add("LICENSE", license)
        add("R128_TRACK_GAIN", (trackGain ?? sourceGain).map(String.init))
        add("METADATA_BLOCK_PICTURE", cover.map { Data($0.flacPictureBlock).base64EncodedString() })
        return comments
    }
}

/// A picture for METADATA_BLOCK_PICTURE: a FLAC picture block (RFC 9639 §8.8), base64 in
/// the comment.
public struct CoverPicture: Sendable, Equatable {
    /// Largest picture written, in bytes: players read the whole comment header into memory.
    public static let maxBytes = 8 << 20

    /// e.g. "image/jpeg".
    public var mimeType: String
    /// In pixels.
    public var width: Int
    public var height: Int
    /// Bits per pixel (24 for an RGB JPEG).
    public var depth: Int
    /// The encoded picture file.
    public var data: [UInt8]
    public var description: String

    public init(mimeType: String, width: Int, height: Int, depth: Int = 24, data: [UInt8], description: String = "") {
        self.mimeType = mimeType
        self.width = width
        self.height = height
        self.depth = depth
        self.data = data
        self.description = description
    }

    /// Picture type 3, "Cover (front)".
    static let frontCover: UInt32 = 3

    /// The picture block, big-endian: type, MIME type, description, width, height, depth,
    /// colour count (0: not indexed), data.
    var flacPictureBlock: [UInt8] {
        var bytes: [UInt8] = []
        func append(_ value: UInt32) { bytes += [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)] }
        let mime = Array(mimeType.utf8)
        let text = Array(description.utf8)
        append(Self.frontCover)
        append(UInt32(mime.count))
        bytes += mime
        append(UInt32(text.count))
        bytes += text
        append(UInt32(width))
        append(UInt32(height))
        append(UInt32(depth))
        append(0)
        append(UInt32(data.count))
        bytes += data
        return bytes
    }
}
