import Crypto
import HTTPTypes
import NIOCore

/// One embedded file of the web pages.
struct WebAsset: Sendable {
    let body: ByteBuffer
    let contentType: String
    /// Strong entity tag: the first 128 bits of the content's SHA-256, quoted.
    let etag: String

    init(_ bytes: [UInt8], contentType: String) {
        body = ByteBuffer(bytes: bytes)
        self.contentType = contentType
        etag = "\"" + Hex.string(SHA256.hash(data: bytes).prefix(16)) + "\""
    }
}

/// The files of `Sources/TuttiServer/Web`, compiled into the binary by SwiftPM
/// (`.embedInCode` in Package.swift: a new file there is listed in both places).
enum WebAssets {
    static let files: [String: WebAsset] = [
        "index.html": WebAsset(PackageResources.index_html, contentType: "text/html; charset=utf-8"),
        "app.css": WebAsset(PackageResources.app_css, contentType: "text/css; charset=utf-8"),
        "icon.svg": WebAsset(PackageResources.icon_svg, contentType: "image/svg+xml"),
        "app.js": WebAsset(PackageResources.app_js, contentType: script),
        "api.js": WebAsset(PackageResources.api_js, contentType: script),
        "format.js": WebAsset(PackageResources.format_js, contentType: script),
        "auth.js": WebAsset(PackageResources.auth_js, contentType: script),
        "catalog.js": WebAsset(PackageResources.catalog_js, contentType: script),
        "player.js": WebAsset(PackageResources.player_js, contentType: script),
        "waveform.js": WebAsset(PackageResources.waveform_js, contentType: script),
        "wallet.js": WebAsset(PackageResources.wallet_js, contentType: script),
        "artist.js": WebAsset(PackageResources.artist_js, contentType: script),
        "charts.js": WebAsset(PackageResources.charts_js, contentType: script),
        "governance.js": WebAsset(PackageResources.governance_js, contentType: script),
        "release.js": WebAsset(PackageResources.release_js, contentType: script),
        "profile.js": WebAsset(PackageResources.profile_js, contentType: script),
        "studio.js": WebAsset(PackageResources.studio_js, contentType: script),
        "library.js": WebAsset(PackageResources.library_js, contentType: script),
        "embed.js": WebAsset(PackageResources.embed_js, contentType: script),
        "splits.js": WebAsset(PackageResources.splits_js, contentType: script),
    ]

    private static let script = "text/javascript; charset=utf-8"

    static func named(_ name: String) -> WebAsset? { files[name] }

    /// Everything the pages load comes from this origin; nothing inline, nothing framed.
    static let contentSecurityPolicy = [
        "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "media-src 'self'",
        "connect-src 'self'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
    ].joined(separator: "; ")

    /// Headers of every page and file. `no-cache` keeps the files in the browser's cache but
    /// revalidates them (a 304 by ETag), so a new server version is picked up at once: the
    /// modules import each other by plain names, which cannot carry a content hash.
    static var headers: HTTPFields {
        [
            .contentSecurityPolicy: contentSecurityPolicy, .cacheControl: "no-cache",
            .crossOriginOpenerPolicy: "same-origin", .permissionsPolicy: "camera=(), microphone=(), geolocation=()",
        ]
    }

    /// Whether an If-None-Match list names `etag` (weak comparison, RFC 9110 §13.1.2).
    static func matches(_ list: String, _ etag: String) -> Bool {
        list.split(separator: ",").contains { candidate in
            var tag = candidate.trimmingWhitespace()
            if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
            return tag == "*" || tag == etag
        }
    }
}

extension HTTPField.Name {
    static let crossOriginOpenerPolicy = Self("Cross-Origin-Opener-Policy")!
    static let permissionsPolicy = Self("Permissions-Policy")!
}
