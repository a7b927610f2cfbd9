import Catalog
import FoundationEssentials
import Hummingbird
import NIOCore

/// Each artist's public Atom 1.0 feed (RFC 4287) of their published releases, newest first.
struct ArtistFeedController {
    let services: AppServices
    static let entries = 50

    func addRoutes(public group: RouterGroup<TuttiRequestContext>) {
        group.get("artists/{id}/feed", use: feed)
    }

    @Sendable func feed(_ request: Request, context: TuttiRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let library = services.library
        guard let found = try await library.feed(artistID: id, limit: Self.entries) else {
            throw CatalogError.notFound(kind: "artist", id: id)
        }
        let (artist, releases) = found
        let base = Self.base(request)
        let xml = AtomFeed.document(artist: artist, releases: releases, base: base, now: services.configuration.now())
        return Response(status: .ok, headers: [.contentType: "application/atom+xml; charset=utf-8", .cacheControl: "public, max-age=300"],
                        body: .init(byteBuffer: ByteBuffer(string: xml)))
    }

    /// The absolute origin the feed's links start with: Atom readers need absolute IRIs.
    static func base(_ request: Request) -> String {
        let host = request.head.authority ?? "localhost"
        let safe = host.utf8.allSatisfy { $0 > 32 && $0 < 127 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") }
        return "http://" + (safe && !host.isEmpty ? host : "localhost")
    }
}

/// Writes Atom 1.0 (RFC 4287) documents.
enum AtomFeed {
    static func document(artist: User, releases: [Release], base: String, now: Date) -> String {
        let updated = releases.compactMap(\.publishedAt).max() ?? artist.createdAt
        var xml = """
            <?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom">
              <id>urn:uuid:\(artist.id)</id>
              <title>\(XMLText.escape(artist.displayName)): releases on Tutti</title>
              <updated>\(timestamp(updated))</updated>
              <author><name>\(XMLText.escape(artist.displayName))</name></author>
              <link rel="self" type="application/atom+xml" href="\(XMLText.escape(base))/api/v1/artists/\(artist.id)/feed"/>
              <link rel="alternate" type="application/json" href="\(XMLText.escape(base))/api/v1/artists/\(artist.id)"/>
              <generator>Tutti</generator>

            """
        for release in releases {
            let published = release.publishedAt ?? release.createdAt
            xml += """
                  <entry>
                    <id>urn:uuid:\(release.id)</id>
                    <title>\(XMLText.escape(release.title))</title>
                    <published>\(timestamp(published))</published>
                    <updated>\(timestamp(max(published, release.updatedAt)))</updated>
                    <link rel="alternate" type="application/json" href="\(XMLText.escape(base))/api/v1/releases/\(release.id)"/>
                    <category term="\(release.type.rawValue)"/>
                    <summary>\(XMLText.escape(release.description.isEmpty ? "A new \(release.type.rawValue) by \(artist.displayName)." : release.description))</summary>
                  </entry>

                """
        }
        xml += "</feed>\n"
        return xml
    }

    /// RFC 3339, UTC, whole seconds.
    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
