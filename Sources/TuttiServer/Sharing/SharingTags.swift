import Catalog
import FoundationEssentials

/// What a shared link shows as its preview: Open Graph and Twitter card tags (title,
/// description, cover), for any page about a release, a track, an artist or a playlist.
/// The embed pages carry them, and so do the shared links of release, artist and playlist
/// pages (``SharedPagesController``), in the `<head>` the server sends.
struct SharingTags {
    var title: String
    var description: String
    /// An absolute URL of a picture (the cover), if there is one.
    var image: String?
    /// The page's own absolute URL.
    var url: String
    /// An absolute URL of an embeddable player, for a Twitter player card.
    var player: String?
    var type = "music.album"

    var html: String {
        var tags = [
            ("og:site_name", "Tutti"), ("og:type", type), ("og:title", title), ("og:description", description), ("og:url", url),
            ("twitter:title", title), ("twitter:description", description),
        ].map { "<meta property=\"\(HTML.escape($0.0))\" content=\"\(HTML.escape($0.1))\">" }
        tags.append("<meta name=\"twitter:card\" content=\"\(player != nil ? "player" : image != nil ? "summary_large_image" : "summary")\">")
        if let image {
            tags.append("<meta property=\"og:image\" content=\"\(HTML.escape(image))\">")
            tags.append("<meta name=\"twitter:image\" content=\"\(HTML.escape(image))\">")
        }
        if let player {
            tags.append("<meta name=\"twitter:player\" content=\"\(HTML.escape(player))\">")
            tags.append("<meta name=\"twitter:player:width\" content=\"480\">")
            tags.append("<meta name=\"twitter:player:height\" content=\"\(EmbedController.height)\">")
        }
        return tags.joined(separator: "\n")
    }
}

enum HTML {
    /// Text for HTML content and attribute values: XML's escaping (``XMLText``), which HTML
    /// reads the same (a line break or tab as a character reference is that character).
    static func escape(_ text: String) -> String {
        XMLText.escape(text)
    }
}
