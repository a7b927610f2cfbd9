import Catalog

extension OpenAPIDocument {
    /// Releases, genres, search and artists' profiles.
    static var releaseOperations: [Operation] {
        [
            Operation(method: "get", path: "/api/v1/releases", summary: "Browse releases: published ones (an artist listing themself also sees drafts), by genre and artist, newest first or by title", tag: "releases",
                      parameters: [textQuery("genre", "Only releases of this genre (case ignored)."), textQuery("artist", "Only this artist's releases (an artist id)."),
                                   choiceQuery("order", ReleasesController.orders, default: "newest", "newest: most recently published first; title: by title.")]
                          + pagingParameters(),
                      responses: [("200", json("ReleasePage", "A page of releases.", links: releaseLinks("$response.body#/items/0/id")))]),
            Operation(method: "post", path: "/api/v1/releases", summary: "Make a draft release (artists)", tag: "releases", signedIn: true,
                      requestBody: body("NewRelease"),
                      responses: [("201", json("Release", "The new draft; Location names it.", links: releaseLinks("$response.body#/id"))),
                                  ("403", problem("Only artists make releases.")),
                                  ("422", problem("A field outside its rules: title or type missing, a release date that is no day, a UPC/EAN whose check digit is wrong, too many genres..."))]),
            Operation(method: "get", path: "/api/v1/releases/{id}", summary: "A release with its tracks in order, their credits and lyrics (a draft: its artist and admins only)", tag: "releases",
                      responses: [("200", json("Release", "The release.", links: releaseLinks("$response.body#/id") + trackLinks("$response.body#/tracks/0/id")))]),
            Operation(method: "patch", path: "/api/v1/releases/{id}", summary: "Edit a release (its artist or an admin)", tag: "releases", signedIn: true,
                      requestBody: body("ReleaseChanges"),
                      responses: [("200", json("Release", "The changed release.")), ("403", problem("Not your release.")),
                                  ("422", problem("A field outside its rules (see NewRelease)."))]),
            Operation(method: "delete", path: "/api/v1/releases/{id}", summary: "Delete a release without tracks (its artist or an admin)", tag: "releases", signedIn: true,
                      responses: [("204", ["description": "Deleted."]), ("403", problem("Not your release.")),
                                  ("409", problem("The release still has tracks: delete them or place them in another release first."))]),
            Operation(method: "post", path: "/api/v1/releases/{id}/publish", summary: "Publish a release and so all its tracks (its artist or an admin)", tag: "releases", signedIn: true,
                      responses: [("200", json("Release", "The published release.")), ("403", problem("Not your release.")),
                                  ("409", problem("Not ready: the release has no tracks, or a track is still processing or failed (the detail names it)."))]),
            Operation(method: "post", path: "/api/v1/releases/{id}/unpublish", summary: "Withdraw a release and all its tracks (its artist or an admin)", tag: "releases", signedIn: true,
                      responses: [("200", json("Release", "The release, a draft again.")), ("403", problem("Not your release."))]),
            Operation(method: "put", path: "/api/v1/releases/{id}/tracks", summary: "Set a draft release's tracks and their order (its artist or an admin)", tag: "releases", signedIn: true,
                      requestBody: body("TrackPlacement"),
                      responses: [("200", json("Release", "The release with its tracks in their new places.")), ("403", problem("Not your release.")),
                                  ("409", problem("The release, or a release a listed track would leave, is published: withdraw it first.")),
                                  ("422", problem("A track listed twice, two tracks at one place, a track of another artist, or a track of this release left out."))]),
            Operation(method: "get", path: "/api/v1/genres", summary: "Genres of published releases, most used first", tag: "releases",
                      parameters: pagingParameters(),
                      responses: [("200", json("GenrePage", "A page of genres."))]),
            Operation(method: "get", path: "/api/v1/search", summary: "Search published releases, tracks and artists (titles, names, credits, genres, descriptions, lyrics), case and accents ignored, most relevant first", tag: "releases",
                      parameters: [query("q", ["type": "string", "minLength": 1, "maxLength": .int(SearchRule.maxLength)],
                                         "Words to find; each matches a word's beginning, all must match.", required: true),
                                   query("kind", ["type": "string", "enum": .array(ReleasesController.kinds.map { .string($0) })], "Only hits of this kind.")]
                          + pagingParameters(),
                      responses: [("200", json("SearchPage", "A page of hits, most relevant first."))]),
            Operation(method: "patch", path: "/api/v1/artists/{id}", summary: "Edit an artist's profile: display name, bio, location, links (the artist or an admin)", tag: "catalog", signedIn: true,
                      requestBody: body("ArtistChanges"),
                      responses: [("200", json("Artist", "The artist with the changed profile.")), ("403", problem("Not your profile.")),
                                  ("422", problem("A field outside its rules: a link that is not https, too many links, text too long."))]),
        ]
    }

    /// Where a release's id leads.
    static func releaseLinks(_ id: String) -> [Link] {
        [("release", "getReleasesById"), ("edit", "patchReleasesById"), ("publish", "postReleasesByIdPublish"),
         ("unpublish", "postReleasesByIdUnpublish"), ("tracks", "putReleasesByIdTracks"), ("delete", "deleteReleasesById")]
            .map { Link(name: $0.0, operationID: $0.1, parameters: [("id", id)]) }
    }

    static let releaseType: JSONValue = ["type": "string", "enum": .array(ReleaseType.allCases.map { .string($0.rawValue) })]
    static let licence: JSONValue = [
        "type": "string", "enum": .array(ReleaseLicence.allCases.map { .string($0.rawValue) }),
        "description": "All rights reserved, a Creative Commons 4.0 licence or CC0 (SPDX identifiers).",
    ]
    static let releaseDate: JSONValue = [
        "type": "string", "format": "date", "pattern": .string(ReleaseRules.releaseDatePattern),
        "description": "A day of the calendar, YYYY-MM-DD, year 1900 to 2199.",
    ]
    static let upc: JSONValue = [
        "type": "string", "pattern": .string(ReleaseRules.upcPattern),
        "description": "UPC-A (12 digits) or EAN-13 (13 digits); the last digit must be the GS1 check digit (422 otherwise).",
    ]
    /// One URL per square size of a picture, largest first.
    static func imageSizes(_ description: String) -> JSONValue {
        [
            "type": "array", "description": .string(description),
            "items": object([("size", integer), ("url", ["type": "string", "description": "/api/v1/images/{hash}: JPEG, or WebP to clients whose Accept takes it."])],
                            required: ["size", "url"]),
        ]
    }

    static let genres: JSONValue = ["type": "array", "maxItems": .int(ReleaseRules.genresPerRelease), "items": text(.genre, "Stored lowercased.")]

    static var releaseSchemas: [(String, JSONValue)] {
        guard case .object(let members) = releaseSchemaObject else { return [] }
        return members
    }

    private static var releaseSchemaObject: JSONValue {
        [
            // Members that may be null mean "absent" (the default, or unchanged), except
            // releaseDate and upc, where null removes the value.
            "NewRelease": object([
                ("title", text(.releaseTitle)), ("type", releaseType),
                ("releaseDate", orNull(releaseDate)), ("upc", orNull(upc)), ("licence", orNull(licence)),
                ("description", orNull(text(.description))), ("genres", orNull(genres)),
            ], required: ["title", "type"]),
            "ReleaseChanges": object([
                ("title", orNull(text(.releaseTitle))), ("type", orNull(releaseType)),
                ("releaseDate", orNull(releaseDate)), ("upc", orNull(upc)), ("licence", orNull(licence)),
                ("description", orNull(text(.description))), ("genres", orNull(genres)),
            ]),
            "Release": object([
                ("id", string), ("title", string), ("type", releaseType), ("releaseDate", nullable("string")), ("upc", nullable("string")),
                ("licence", licence), ("description", string), ("genres", array(string)), ("coverImage", nullable("string")),
                ("coverSizes", imageSizes("The cover's square sizes (1200, 600, 300 and 96 pixels), largest first; empty without a cover.")),
                ("published", boolean), ("publishedAt", ["type": ["string", "null"], "format": "date-time"]),
                ("artist", object([("id", string), ("name", string)])), ("trackCount", integer),
                ("tracks", array(ref("Track"))), ("createdAt", dateTime), ("updatedAt", dateTime), ("url", string),
            ], required: ["id", "title", "type", "licence", "description", "genres", "coverSizes", "published", "artist", "trackCount", "createdAt", "updatedAt", "url"]),
            "ReleasePage": page(of: "Release"),
            "TrackPlacement": object([
                ("tracks", ["type": "array", "maxItems": 200, "items": object([
                    ("id", identifier),
                    ("discNumber", orNull(["type": "integer", "minimum": 1, "maximum": 99, "description": "Default (and null): 1."])),
                    ("trackNumber", ["type": "integer", "minimum": 1, "maximum": 999]),
                ], required: ["id", "trackNumber"])]),
            ], required: ["tracks"]),
            "Genre": object([("genre", string), ("releaseCount", integer), ("url", string)], required: ["genre", "releaseCount", "url"]),
            "GenrePage": page(of: "Genre"),
            "SearchHit": object([
                ("kind", ["type": "string", "enum": .array(ReleasesController.kinds.map { .string($0) })]), ("id", string), ("title", string),
                ("subtitle", string), ("score", number), ("url", string), ("releaseURL", nullable("string")),
            ], required: ["kind", "id", "title", "subtitle", "score", "url"]),
            "SearchPage": page(of: "SearchHit"),
            "Credit": object([("name", string), ("role", string), ("accountID", nullable("string"))], required: ["name", "role"]),
            "CreditInput": object([
                ("name", text(.creditName)), ("role", text(.creditRole)), ("accountID", orNull(identifier)),
            ], required: ["name", "role"]),
            "ArtistChanges": object([
                ("displayName", orNull(text(.displayName))), ("bio", orNull(text(.bio))), ("location", orNull(text(.location))),
                ("links", orNull(["type": "array", "maxItems": .int(ArtistProfileRules.linksPerProfile), "description": "Replaces every link.", "items": object([
                    ("label", orNull(text(.linkLabel))),
                    ("url", ["type": "string", "maxLength": .int(ArtistProfileRules.urlLength), "pattern": .string(ArtistProfileRules.urlPattern)]),
                ], required: ["url"])])),
            ]),
        ]
    }
}
