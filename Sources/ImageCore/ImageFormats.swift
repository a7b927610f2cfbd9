/// The picture formats Tutti accepts as uploads.
public enum ImageFormat: String, Codable, Sendable, CaseIterable {
    case jpeg, png, webp

    public var mimeType: String { "image/\(rawValue)" }
}

/// The formats Tutti serves: every size is made as both, and `Accept` picks one.
public enum ImageOutputFormat: String, Codable, Sendable, CaseIterable {
    case jpeg, webp

    public var mimeType: String { "image/\(rawValue)" }
    /// The file name extension, without the dot.
    public var fileExtension: String { self == .jpeg ? "jpg" : "webp" }
}

/// What an image is for, which fixes the square sizes made of it.
public enum ImageKind: String, Codable, Sendable, CaseIterable {
    /// A release's cover art.
    case cover
    /// An artist's profile picture.
    case avatar

    /// Edge lengths of the square outputs in pixels, largest first.
    public var sizes: [Int] {
        switch self {
        case .cover: [1200, 600, 300, 96]
        case .avatar: [400, 96]
        }
    }
}

/// Limits applied before any pixel is decoded.
public struct ImageLimits: Sendable, Equatable {
    /// Largest upload accepted, in bytes (20 MB).
    public var maxBytes: Int
    /// Largest width × height accepted, in pixels (50 megapixels), read from the header.
    public var maxPixels: Int

    public init(maxBytes: Int = 20_000_000, maxPixels: Int = 50_000_000) {
        self.maxBytes = maxBytes
        self.maxPixels = maxPixels
    }

    public static let standard = ImageLimits()
}
