import Catalog

extension OpenAPIDocument {
    static let notYours = "Not found: no such listener, or not the caller (a listener's library is theirs alone)."
    static let versionMember: JSONValue = ["type": "integer", "minimum": 1, "maximum": .int(Int(Int32.max)),
                                           "description": "The playlist's version as the client last read it: an edit on another version is refused (409)."]
    static let positionMember: JSONValue = ["type": "integer", "minimum": 0, "maximum": .int(PlaylistRules.maximumTracks - 1)]
    static let positionConflict = ("409", problem("The version sent is not the playlist's current one (type urn:tutti:problem:stale-version, with currentVersion), or the playlist has no such position in this version, or is full."))
    static let staleVersion = ("409", problem("The version sent is not the playlist's current one (type urn:tutti:problem:stale-version, with currentVersion): read it again and redo the change."))

    /// A required integer query parameter, read with ``PlaylistsController/requiredInteger(_:_:in:)``.
    static func requiredInteger(_ name: String, _ range: ClosedRange<Int64>, _ description: String) -> JSONValue {
        query(name, ["type": "integer", "format": "int64", "minimum": .int(Int(range.lowerBound)), "maximum": .int(Int(range.upperBound))],
              description, required: true)
    }

    /// The listener's library (issue 17).
    static var libraryOperations: [Operation] {
        var operations: [Operation] = [
            Operation(method: "get", path: "/api/v1/listeners/{id}/favourites", summary: "The caller's favourite tracks, releases and artists, newest first", tag: "library", signedIn: true,
                      parameters: [query("kind", ["type": "string", "enum": .array(FavouriteKind.allCases.map { .string($0.rawValue) })], "Only favourites of this kind.")]
                          + pagingParameters(),
                      responses: [("200", json("FavouritePage", "A page of favourites.")), ("404", problem(notYours))]),
        ]
        for (path, kind) in LibraryController.favouriteKinds {
            operations.append(Operation(method: "put", path: "/api/v1/listeners/{id}/favourites/\(path)/{item}", summary: "Add a \(kind.rawValue) to the caller's favourites (again: no change)", tag: "library", signedIn: true,
                                        responses: [("204", ["description": "It is a favourite."]), ("404", problem("Not the caller, or no such \(kind.rawValue) visible to them."))]))
            operations.append(Operation(method: "delete", path: "/api/v1/listeners/{id}/favourites/\(path)/{item}", summary: "Remove a \(kind.rawValue) from the caller's favourites", tag: "library", signedIn: true,
                                        responses: [("204", ["description": "It is not a favourite (any more)."]), ("404", problem(notYours))]))
        }
        operations += [
            Operation(method: "get", path: "/api/v1/listeners/{id}/follows", summary: "Artists the caller follows, most recently followed first", tag: "library", signedIn: true,
                      parameters: pagingParameters(),
                      responses: [("200", json("FollowPage", "A page of artists.")), ("404", problem(notYours))]),
            Operation(method: "get", path: "/api/v1/listeners/{id}/follows/releases", summary: "New from artists you follow: their published releases, newest first", tag: "library", signedIn: true,
                      parameters: pagingParameters(),
                      responses: [("200", json("ReleasePage", "A page of releases.")), ("404", problem(notYours))]),
            Operation(method: "put", path: "/api/v1/listeners/{id}/follows/{artist}", summary: "Follow an artist", tag: "library", signedIn: true,
                      responses: [("204", ["description": "Followed."]), ("404", problem("Not the caller, or no such artist.")),
                                  ("409", problem("An artist cannot follow themself."))]),
            Operation(method: "delete", path: "/api/v1/listeners/{id}/follows/{artist}", summary: "Stop following an artist", tag: "library", signedIn: true,
                      responses: [("204", ["description": "Not followed (any more)."]), ("404", problem(notYours))]),
            Operation(method: "get", path: "/api/v1/listeners/{id}/history", summary: "The caller's plays and previews, newest first; pages by cursor, each at the same cost", tag: "library", signedIn: true,
                      parameters: [integerQuery("limit", 1...100, default: 20, "Entries per page."),
                                   query("cursor", ["type": "string", "maxLength": 64, "pattern": "^[A-Za-z0-9_-]+$"], "The cursor in the previous page's next URL.")],
                      responses: [("200", json("HistoryPage", "A page of history.")), ("400", problem("A limit out of range, or a cursor this history did not make.")),
                                  ("404", problem(notYours))]),
            Operation(method: "delete", path: "/api/v1/listeners/{id}/history", summary: "Erase the caller's history, all of it or between two instants (the ledger keeps its charges, without listening details)", tag: "library", signedIn: true,
                      parameters: [instantQuery("from", "Only entries at or after this instant."), instantQuery("to", "Only entries before this instant.")],
                      responses: [("200", json("Erased", "How many entries were erased.")), ("404", problem(notYours))]),
            Operation(method: "delete", path: "/api/v1/listeners/{id}/history/{entry}", summary: "Erase one entry of the caller's history", tag: "library", signedIn: true,
                      responses: [("204", ["description": "Erased."]), ("404", problem("Not the caller, or no such entry."))]),
            Operation(method: "get", path: "/api/v1/listeners/{id}/collection", summary: "The caller's collection: owned tracks and releases; for each track played, plays n of the plays to own and what is left to pay", tag: "library", signedIn: true,
                      responses: [("200", json("Collection", "The collection, at the pricing in force.")), ("404", problem(notYours))]),
            Operation(method: "get", path: "/api/v1/listeners/{id}/spending-limit", summary: "The caller's monthly spending limit and this month's spending", tag: "library", signedIn: true,
                      responses: [("200", json("SpendingLimit", "The limit.")), ("404", problem("Not the caller, or no limit set."))]),
            Operation(method: "put", path: "/api/v1/listeners/{id}/spending-limit", summary: "Set the caller's monthly spending limit (calendar months in their time zone)", tag: "library", signedIn: true,
                      requestBody: body("SpendingLimitInput"),
                      responses: [("200", json("SpendingLimit", "The limit, with what was already spent this month.")), ("404", problem(notYours)),
                                  ("422", problem("A negative limit or an unknown time zone."))]),
            Operation(method: "delete", path: "/api/v1/listeners/{id}/spending-limit", summary: "Remove the caller's monthly spending limit", tag: "library", signedIn: true,
                      responses: [("204", ["description": "No limit (any more)."]), ("404", problem(notYours))]),
            Operation(method: "post", path: "/api/v1/tracks/{id}/purchase", summary: "Own it now: pay what is left of the track's price to own (the remaining plays' prices at the pricing in force) in one charge", tag: "library", signedIn: true,
                      requestBody: body("PurchaseInput"),
                      responses: [("200", json("Purchase", "Bought (or, for a retry of the same requestID, bought before): the track is owned.")),
                                  ("402", problem("The wallet cannot pay (needed, available), or the caller's monthly spending limit refuses it (type urn:tutti:problem:spending-limit: limit, spent, needed, resetsAt).")),
                                  ("409", problem("Already owned, free, the caller's own track, not ready, or the requestID was used for another track.")),
                                  ("422", problem("A requestID that is not 1 to 64 of A-Z, a-z, 0-9, '-', '_'."))]),
            Operation(method: "get", path: "/api/v1/artists/{id}/feed", summary: "An artist's Atom 1.0 feed of published releases, newest first", tag: "library",
                      responses: [("200", ["description": "The feed.", "content": ["application/atom+xml; charset=utf-8": ["schema": string]]])]),

            Operation(method: "post", path: "/api/v1/playlists", summary: "Make a playlist (private unless public is true)", tag: "playlists", signedIn: true,
                      requestBody: body("NewPlaylist"),
                      responses: [("201", json("Playlist", "The playlist, version 1; Location names it.", links: playlistLinks)),
                                  ("422", problem("A title that is blank or too long, or a description too long."))]),
            Operation(method: "get", path: "/api/v1/playlists/{id}", summary: "A playlist with its tracks in order: public ones for anyone, private ones for their owner only", tag: "playlists",
                      responses: [("200", json("Playlist", "The playlist."))]),
            Operation(method: "patch", path: "/api/v1/playlists/{id}", summary: "Rename, describe, or make public or private (the owner, on the current version)", tag: "playlists", signedIn: true,
                      requestBody: body("PlaylistChanges"),
                      responses: [("200", json("Playlist", "The playlist at its next version.")), staleVersion,
                                  ("422", problem("A field outside its rules."))]),
            Operation(method: "delete", path: "/api/v1/playlists/{id}", summary: "Delete a playlist (the owner, on the current version)", tag: "playlists", signedIn: true,
                      parameters: [requiredInteger("version", 1...Int64(Int32.max), "The playlist's current version.")],
                      responses: [("204", ["description": "Deleted."]), ("400", problem("version missing or out of range.")), staleVersion]),
            Operation(method: "post", path: "/api/v1/playlists/{id}/tracks", summary: "Add a track at a position (default: the end)", tag: "playlists", signedIn: true,
                      requestBody: body("PlaylistAddition"),
                      responses: [("200", json("Playlist", "The playlist at its next version.")), positionConflict,
                                  ("404", problem("No such playlist of the caller's.")),
                                  ("422", problem("version below 1, position outside 0 to 999, or no such track visible to the caller."))]),
            Operation(method: "delete", path: "/api/v1/playlists/{id}/tracks", summary: "Remove the track at a position", tag: "playlists", signedIn: true,
                      parameters: [requiredInteger("version", 1...Int64(Int32.max), "The playlist's current version."),
                                   requiredInteger("position", 0...Int64(PlaylistRules.maximumTracks - 1), "The position (from 0) of the track to remove.")],
                      responses: [("200", json("Playlist", "The playlist at its next version.")), ("400", problem("version or position missing or out of range.")),
                                  positionConflict]),
            Operation(method: "post", path: "/api/v1/playlists/{id}/moves", summary: "Move the track at one position to another", tag: "playlists", signedIn: true,
                      requestBody: body("PlaylistMove"),
                      responses: [("200", json("Playlist", "The playlist at its next version.")), positionConflict,
                                  ("422", problem("version below 1, or from or to outside 0 to 999."))]),
            Operation(method: "get", path: "/api/v1/listeners/{id}/playlists", summary: "A listener's playlists: all of them for themself, the public ones for anyone else", tag: "playlists",
                      parameters: pagingParameters(),
                      responses: [("200", json("PlaylistPage", "A page of playlists, most recently changed first."))]),
        ]
        operations += [
            Operation(method: "get", path: "/embed/releases/{id}", summary: "The embeddable player of a published release (HTML; the one page that may be framed: frame-ancestors *)", tag: "web",
                      responses: [("200", ["description": "The player page, with Open Graph and Twitter card tags.", "content": ["text/html": ["schema": string]]])]),
            Operation(method: "get", path: "/embed/tracks/{id}", summary: "The embeddable player of a published track (HTML; may be framed)", tag: "web",
                      responses: [("200", ["description": "The player page, with Open Graph and Twitter card tags.", "content": ["text/html": ["schema": string]]])]),
            Operation(method: "get", path: "/releases/{id}", summary: "A published release's shared link (HTML): the web pages' shell with the release's Open Graph and Twitter card tags; the script moves to its view", tag: "web",
                      responses: [("200", ["description": "The page, its head carrying title, description, cover, URL and player tags and an oEmbed link.", "content": ["text/html": ["schema": string]]]),
                                  ("404", ["description": "No such published release: the shell, with no preview tags.", "content": ["text/html": ["schema": string]]])]),
            Operation(method: "get", path: "/artists/{id}", summary: "An artist's shared link (HTML): the shell with the artist's Open Graph and Twitter card tags", tag: "web",
                      responses: [("200", ["description": "The page, its head carrying name, bio, avatar and URL tags and an oEmbed link.", "content": ["text/html": ["schema": string]]]),
                                  ("404", ["description": "No such artist: the shell, with no preview tags.", "content": ["text/html": ["schema": string]]])]),
            Operation(method: "get", path: "/playlists/{id}", summary: "A public playlist's shared link (HTML): the shell with the playlist's Open Graph and Twitter card tags", tag: "web",
                      responses: [("200", ["description": "The page, its head carrying title, description, cover of its first track's release and URL tags and an oEmbed link.", "content": ["text/html": ["schema": string]]]),
                                  ("404", ["description": "No such playlist, or a private one: the shell, with no preview tags.", "content": ["text/html": ["schema": string]]])]),
            Operation(method: "get", path: "/api/v1/oembed", summary: "oEmbed 1.0 (JSON) for a release, track, artist or public playlist URL of Tutti", tag: "web",
                      parameters: [query("url", ["type": "string", "minLength": 1, "maxLength": 2_000], "The page to embed.", required: true),
                                   choiceQuery("format", ["json"], default: "json", "json, the only format offered."),
                                   integerQuery("maxwidth", 1...10_000, "The widest the embed may be, in pixels.")],
                      responses: [("200", json("OEmbed", "The embed.")), ("400", problem("url missing or too long, a format other than json, or maxwidth out of range.")),
                                  ("404", problem("The URL names nothing public Tutti can embed."))]),
        ]
        return operations
    }

    static var playlistLinks: [Link] {
        [("playlist", "getPlaylistsById"), ("edit", "patchPlaylistsById"), ("add", "postPlaylistsByIdTracks"), ("move", "postPlaylistsByIdMoves")]
            .map { Link(name: $0.0, operationID: $0.1, parameters: [("id", "$response.body#/id")]) }
    }

    static var librarySchemas: [(String, JSONValue)] {
        let units: JSONValue = ["type": "integer", "format": "int64", "description": "Minor units: 1 credit = 1000000."]
        let nullableText = nullable("string")
        return [
            ("Favourite", object([("kind", ["type": "string", "enum": .array(FavouriteKind.allCases.map { .string($0.rawValue) })]), ("id", string),
                                  ("title", string), ("artistName", nullableText), ("addedAt", dateTime), ("url", string)],
                                 required: ["kind", "id", "title", "addedAt", "url"])),
            ("FavouritePage", page(of: "Favourite")),
            ("FollowedArtist", object([("id", string), ("displayName", string), ("followedAt", dateTime), ("url", string), ("feed", string)],
                                      required: ["id", "displayName", "followedAt", "url", "feed"])),
            ("FollowPage", page(of: "FollowedArtist")),
            ("HistoryEntry", object([("id", string), ("kind", ["type": "string", "enum": ["play", "preview"]]), ("trackID", string), ("title", string),
                                     ("artistName", string), ("releaseID", nullableText), ("at", dateTime), ("price", ["type": ["integer", "null"]])],
                                    required: ["id", "kind", "trackID", "title", "artistName", "at"])),
            ("HistoryPage", object([("items", array(ref("HistoryEntry"))), ("next", nullableText)], required: ["items"])),
            ("Erased", object([("erased", integer)], required: ["erased"])),
            ("CollectionTrack", object([("trackID", string), ("title", nullableText), ("artistName", nullableText), ("releaseID", nullableText),
                                        ("owned", boolean), ("countedPlays", integer), ("playsToOwn", integer), ("nextPrice", units), ("leftToPay", units)],
                                       required: ["trackID", "owned", "countedPlays", "playsToOwn", "nextPrice", "leftToPay"])),
            ("CollectionRelease", object([("id", string), ("title", string), ("artistName", string), ("trackCount", integer)],
                                         required: ["id", "title", "artistName", "trackCount"])),
            ("Collection", object([("tracks", array(ref("CollectionTrack"))), ("releases", array(ref("CollectionRelease"))), ("pricingVersion", integer)],
                                  required: ["tracks", "releases", "pricingVersion"])),
            ("SpendingLimit", object([("monthlyLimit", units), ("timeZone", string), ("monthStart", dateTime), ("monthEnd", dateTime),
                                      ("spent", units), ("remaining", units)],
                                     required: ["monthlyLimit", "timeZone", "monthStart", "monthEnd", "spent", "remaining"])),
            ("SpendingLimitInput", object([
                ("monthlyLimit", ["type": "integer", "format": "int64", "minimum": 0, "maximum": .int(Int(Int64.max)), "description": "Minor units, 0 or more."]),
                ("timeZone", orNull(["type": "string", "maxLength": 64, "description": "An IANA time zone (e.g. Europe/Berlin), stored with the account; default: the stored one, else UTC."])),
            ], required: ["monthlyLimit"])),
            ("PurchaseInput", object([("requestID", ["type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$",
                                                     "description": "Unique per purchase: a retry with the same one returns the first purchase."])],
                                     required: ["requestID"])),
            ("Purchase", object([("requestID", string), ("trackID", string), ("price", units), ("firstPlay", integer), ("lastPlay", integer),
                                 ("pricingVersion", integer), ("balance", units), ("owned", boolean), ("boughtAt", dateTime), ("original", string)],
                                required: ["requestID", "trackID", "price", "firstPlay", "lastPlay", "pricingVersion", "balance", "owned", "boughtAt", "original"])),
            ("PlaylistEntry", object([("position", integer), ("trackID", string), ("available", boolean), ("title", nullableText),
                                      ("artistName", nullableText), ("releaseID", nullableText)], required: ["position", "trackID", "available"])),
            ("Playlist", object([("id", string), ("ownerID", string), ("ownerName", nullableText), ("title", string), ("description", string),
                                 ("public", boolean), ("version", integer), ("trackCount", ["type": ["integer", "null"]]),
                                 ("tracks", ["type": ["array", "null"], "items": ref("PlaylistEntry")]),
                                 ("createdAt", dateTime), ("updatedAt", dateTime), ("url", string)],
                                required: ["id", "ownerID", "title", "description", "public", "version", "createdAt", "updatedAt", "url"])),
            ("PlaylistPage", page(of: "Playlist")),
            ("OEmbed", object([("version", string), ("type", ["type": "string", "enum": ["rich", "link"]]), ("title", string),
                               ("author_name", string), ("author_url", string), ("provider_name", string), ("provider_url", string),
                               ("html", string), ("width", integer), ("height", integer), ("thumbnail_url", string)],
                              required: ["version", "type", "title", "provider_name", "provider_url"])),
            ("NewPlaylist", object([("title", text(.playlistTitle)), ("description", orNull(text(.playlistDescription))), ("public", orNull(boolean))],
                                   required: ["title"])),
            ("PlaylistChanges", object([("version", versionMember), ("title", orNull(text(.playlistTitle))),
                                        ("description", orNull(text(.playlistDescription))), ("public", orNull(boolean))], required: ["version"])),
            ("PlaylistAddition", object([("version", versionMember), ("trackID", string), ("position", orNull(positionMember))],
                                        required: ["version", "trackID"])),
            ("PlaylistMove", object([("version", versionMember), ("from", positionMember), ("to", positionMember)], required: ["version", "from", "to"])),
        ]
    }
}
