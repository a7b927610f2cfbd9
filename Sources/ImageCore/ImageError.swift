/// A reason an uploaded picture cannot become cover art or an avatar, in words an artist
/// understands.
///
/// The command line prints `description` as its one-line error; the server shows it in the
/// problem+json `detail`.
public enum ImageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The upload has no bytes at all.
    case empty
    /// More bytes than the limit (both in bytes).
    case tooLarge(bytes: Int, limit: Int)
    /// The bytes are not a JPEG, PNG or WebP image; `what` names what they are as far as the
    /// first bytes tell ("a GIF image", "an SVG drawing", "text"), nil when they tell nothing.
    case unsupportedFormat(what: String?)
    /// The header declares more pixels than the limit (width × height, in pixels).
    case tooManyPixels(width: Int, height: Int, limit: Int)
    /// The file is cut short or damaged: its header is incomplete, or the decoder failed.
    case damaged(detail: String)
    /// The file could not be read or an output could not be written.
    case io(path: String, detail: String)
    /// libvips refused an operation on a well-formed image: a bug or a resource problem.
    case processing(detail: String)

    public var description: String {
        switch self {
        case .empty:
            return "the file is empty"
        case .tooLarge(let bytes, let limit):
            return "the file is \(Self.megabytes(bytes)) MB; images may be at most \(Self.megabytes(limit)) MB"
        case .unsupportedFormat(let what?):
            return "the file is \(what); Tutti accepts JPEG, PNG or WebP images"
        case .unsupportedFormat(nil):
            return "the file is not a JPEG, PNG or WebP image"
        case .tooManyPixels(let width, let height, let limit):
            return "the image is \(width) × \(height) pixels (\(Self.megapixels(width * height)) megapixels); "
                + "at most \(Self.megapixels(limit)) megapixels are accepted"
        case .damaged(let detail):
            return "the image is damaged or truncated (\(detail))"
        case .io(let path, let detail):
            return "\(path): \(detail)"
        case .processing(let detail):
            return "the image could not be processed (\(detail))"
        }
    }

    /// Decimal megabytes with one decimal where it matters: 20 MB, 25.3 MB.
    static func megabytes(_ bytes: Int) -> String {
        let tenths = (bytes + 50_000) / 100_000
        return tenths % 10 == 0 ? "\(tenths / 10)" : "\(tenths / 10).\(tenths % 10)"
    }

    static func megapixels(_ pixels: Int) -> String {
        let tenths = (pixels + 50_000) / 100_000
        return tenths % 10 == 0 ? "\(tenths / 10)" : "\(tenths / 10).\(tenths % 10)"
    }
}
