import AudioCore
import Catalog

extension OpenAPIDocument {
    /// Service, accounts, the catalog and plain streaming.
    static var operations: [Operation] {
        [
            Operation(method: "get", path: "/health", summary: "Liveness and database check", tag: "service",
                      responses: [("200", json("Health", "The service and its database answer."))]),
            Operation(method: "get", path: "/metrics", summary: "Prometheus metrics", tag: "service",
                      responses: [("200", ["description": "Metrics in the Prometheus text format.", "content": ["text/plain": ["schema": string]]])]),
            Operation(method: "get", path: "/api/v1/openapi.json", summary: "This document", tag: "service",
                      responses: [("200", ["description": "The OpenAPI 3.1 document.", "content": ["application/json": ["schema": ["type": "object"]]]])]),

            Operation(method: "post", path: "/api/v1/users", summary: "Create a listener or artist account", tag: "accounts",
                      requestBody: body("Registration"),
                      responses: [("201", json("User", "The new account.", links: [
                                      Link(name: "credit", operationID: "postAdminWalletsByUserIDCredits", parameters: [("userID", "$response.body#/id")])])),
                                  ("409", problem("The username is taken.")),
                                  ("422", problem("A username, password, display name or role outside its schema."))]),
            Operation(method: "post", path: "/api/v1/sessions", summary: "Log in: exchange username and password for a bearer token", tag: "accounts",
                      requestBody: body("Credentials"),
                      responses: [("201", json("Session", "A new bearer token.")), ("401", problem("Wrong username or password, or an invalid bearer token sent.")),
                                  ("429", problem("Too many failed attempts for this account or address; see Retry-After."))]),
            Operation(method: "delete", path: "/api/v1/sessions/current", summary: "Log out: revoke the token used", tag: "accounts", signedIn: true,
                      responses: [("204", ["description": "Revoked."])]),
            Operation(method: "get", path: "/api/v1/me", summary: "The signed-in account", tag: "accounts", signedIn: true,
                      responses: [("200", json("User", "The account."))]),

            Operation(method: "get", path: "/api/v1/tracks", summary: "List and search tracks (published ones; an artist also sees their own)", tag: "catalog",
                      parameters: [textQuery("q", "Words matched against title, album and artist."), textQuery("artist", "Only this artist's tracks (an artist id).")]
                          + pagingParameters(),
                      responses: [("200", json("TrackPage", "A page of tracks.", links: trackLinks("$response.body#/items/0/id")))]),
            Operation(method: "post", path: "/api/v1/tracks", summary: "Upload a track (artists)", tag: "catalog", signedIn: true,
                      parameters: [textQuery("title", "The title (raw-body uploads)."), textQuery("album", "The album (raw-body uploads).")],
                      requestBody: ["required": true, "description": "The audio file as the raw body, or a multipart form with 'file', 'title' and 'album'. WAV, FLAC, AIFF, MP3 or Ogg Vorbis; recognised by content.",
                                    "content": ["application/octet-stream": ["schema": ["type": "string", "format": "binary"]],
                                                "multipart/form-data": ["schema": object([("file", ["type": "string", "format": "binary"]), ("title", string), ("album", string)], required: ["file", "title"])]]],
                      responses: [("202", json("UploadAccepted", "Stored; transcoding. Location names the track.", links: [
                                      Link(name: "status", operationID: "getTracksById", parameters: [("id", "$response.body#/id")])])),
                                  ("400", problem("A multipart body without a boundary, or malformed.")),
                                  ("403", problem("Only artists upload.")), ("413", problem("Larger than the upload limit.")),
                                  ("415", problem("Not audio in a format Tutti reads (recognised by content, not by the declared type).")),
                                  ("422", problem("No title, or an empty file.")),
                                  ("502", problem("The media store refused or failed to store the file.")),
                                  ("503", problem("The media store is unreachable or read-only; see Retry-After.")),
                                  ("507", problem("The media store is full."))]),
            Operation(method: "get", path: "/api/v1/tracks/{id}", summary: "A track with its renditions, loudness and waveform", tag: "catalog",
                      responses: [("200", json("Track", "The track."))]),
            Operation(method: "patch", path: "/api/v1/tracks/{id}", summary: "Edit a track, mark it free, or publish or withdraw its release (its artist)", tag: "catalog", signedIn: true,
                      requestBody: body("TrackChanges"),
                      responses: [("200", json("Track", "The changed track.")), ("403", problem("Not your track.")),
                                  ("409", problem("Only ready tracks can be published; publishing is per release, so every track of the release must be ready.")),
                                  ("422", problem("A title, album, ISRC, lyrics or credit outside its schema, or a credit naming no account."))]),
            Operation(method: "delete", path: "/api/v1/tracks/{id}", summary: "Delete a track (its artist); plays and payments keep their history", tag: "catalog", signedIn: true,
                      responses: [("204", ["description": "Deleted."]), ("403", problem("Not your track."))]),
            audio("get"), audio("head"),

            Operation(method: "get", path: "/api/v1/artists", summary: "List and search artists with published tracks", tag: "catalog",
                      parameters: [textQuery("q", "Words matched against the name.")] + pagingParameters(),
                      responses: [("200", json("ArtistPage", "A page of artists.", links: [
                          Link(name: "artist", operationID: "getArtistsById", parameters: [("id", "$response.body#/items/0/id")]),
                          Link(name: "profile", operationID: "patchArtistsById", parameters: [("id", "$response.body#/items/0/id")]),
                          Link(name: "payout", operationID: "postAdminPayoutsByArtistIDPaid", parameters: [("artistID", "$response.body#/items/0/id")]),
                      ]))]),
            Operation(method: "get", path: "/api/v1/artists/{id}", summary: "An artist's profile, releases and tracks", tag: "catalog",
                      responses: [("200", json("Artist", "The artist.", links: trackLinks("$response.body#/tracks/0/id")))]),
        ]
    }

    /// Where a track's id leads.
    static func trackLinks(_ id: String) -> [Link] {
        [("track", "getTracksById"), ("play", "postTracksByIdPlays"), ("ownership", "getTracksByIdOwnership"),
         ("original", "getTracksByIdOriginal"), ("stream", "getTracksByIdAudioByRendition"), ("edit", "patchTracksById")]
            .map { Link(name: $0.0, operationID: $0.1, parameters: [("id", id)]) }
    }

    static let renditionContent: JSONValue = ["audio/ogg; codecs=opus": ["schema": ["type": "string", "format": "binary"]]]

    static func audio(_ method: String) -> Operation {
        Operation(
            method: method, path: "/api/v1/tracks/{id}/audio/{rendition}",
            summary: method == "get" ? "Stream a rendition (Ogg Opus) with Range requests (free tracks; signed in: one's own, owned, or as an admin)" : "Headers of a rendition",
            tag: "streaming",
            parameters: [header("Range", "bytes=first-last, bytes=first- or bytes=-suffix (RFC 9110 §14); other forms are ignored."),
                         header("If-Range", "An ETag or date; the Range applies only if it still matches."),
                         header("If-None-Match", "ETags; 304 if one matches.")],
            responses: [
                ("200", ["description": "The whole rendition.", "content": renditionContent]),
                ("206", ["description": "The requested bytes, with Content-Range.", "content": renditionContent]),
                ("304", ["description": "Not modified."]),
                ("403", problem("A paid track nobody has bought for the caller: open a play session (POST /api/v1/tracks/{id}/plays).")),
                ("412", problem("If-Match or If-Unmodified-Since failed.")),
                ("416", problem("No requested range overlaps the rendition; Content-Range: bytes */SIZE.")),
                ("502", problem("The media store refused the read or answered with other bytes than recorded.")),
                ("503", problem("The rendition's file is missing on the server, or the media store is unreachable.")),
            ])
    }

    /// The media types an original upload is served with: one per format Tutti reads.
    static var originalMediaTypes: [String] {
        var types: [String] = []
        for format in AudioFormat.allCases where !types.contains(format.mediaType) { types.append(format.mediaType) }
        return types
    }

    static var schemas: JSONValue {
        [
            "Problem": object([("type", string), ("title", string), ("status", integer), ("detail", string), ("instance", string)],
                              required: ["type", "title", "status", "detail"]),
            "Health": object([("status", string), ("database", string)]),
            "Registration": object([
                ("username", ["type": "string", "pattern": .string(CredentialFormat.usernamePattern),
                              "description": "3 to 32 letters a-z (either case; stored lowercased), digits, '.', '_' or '-'."]),
                ("password", ["type": "string", "minLength": .int(CredentialFormat.passwordLength.lowerBound),
                              "maxLength": .int(CredentialFormat.passwordLength.upperBound)]),
                ("displayName", orNull(text(.displayName, "Default: the username."))),
                ("role", ["type": ["string", "null"], "enum": ["listener", "artist", nil], "description": "Default: listener."]),
            ], required: ["username", "password"]),
            "Credentials": object([("username", string), ("password", string)], required: ["username", "password"]),
            "User": object([("id", string), ("username", string), ("displayName", string), ("role", ["type": "string", "enum": ["listener", "artist", "admin"]]), ("createdAt", dateTime)],
                           required: ["id", "username", "displayName", "role", "createdAt"]),
            "Session": object([("token", string), ("tokenType", string), ("expiresAt", dateTime), ("user", ref("User"))], required: ["token", "tokenType", "expiresAt", "user"]),
            "Rendition": object([("name", string), ("bitrate", integer), ("channels", integer), ("bytes", integer), ("contentType", string), ("url", string)]),
            "Track": object([
                ("id", string), ("title", string), ("album", nullable("string")),
                ("artist", object([("id", string), ("name", string)])),
                ("releaseID", string), ("discNumber", integer), ("trackNumber", integer),
                ("isrc", ["type": ["string", "null"], "description": "CC-XXX-YY-NNNNN."]), ("explicit", boolean),
                ("lyrics", nullable("string")), ("credits", array(ref("Credit"))),
                ("status", ["type": "string", "enum": ["processing", "ready", "failed"]]), ("progress", integer),
                ("failureReason", nullable("string")), ("published", boolean), ("free", boolean),
                ("durationSeconds", nullable("number")),
                ("loudness", object([("integratedLUFS", nullable("number")), ("truePeakDBTP", nullable("number")), ("trackGainDB", nullable("number"))])),
                ("renditions", array(ref("Rendition"))),
                ("peaks", object([("minimums", array(number)), ("maximums", array(number))])),
                ("createdAt", dateTime), ("updatedAt", dateTime), ("url", string),
            ], required: ["id", "title", "artist", "releaseID", "discNumber", "trackNumber", "explicit", "status", "progress", "published", "free", "createdAt", "updatedAt", "url"]),
            "TrackPage": page(of: "Track"),
            "TrackChanges": object([
                ("title", orNull(text(.title, "null or absent: unchanged."))),
                ("album", orNull(text(.album, "null or blank: a single of its own; a title: the artist's release of that title (made if none); absent: unchanged."))),
                ("published", ["type": ["boolean", "null"], "description": "Publishes or withdraws the track's whole release."]),
                ("free", nullable("boolean")),
                ("isrc", orNull(["type": "string", "pattern": .string(TrackRules.isrcPattern), "description": "CC-XXX-YY-NNNNN (dashes optional); null removes it."])),
                ("lyrics", orNull(text(.lyrics))), ("explicit", nullable("boolean")),
                ("credits", orNull(["type": "array", "maxItems": .int(TrackRules.creditsPerTrack), "items": ref("CreditInput"), "description": "Replaces every credit."])),
            ]),
            "UploadAccepted": object([("id", string), ("status", string), ("statusURL", string)], required: ["id", "status", "statusURL"]),
            "Artist": object([("id", string), ("username", string), ("displayName", string), ("trackCount", integer), ("tracks", array(ref("Track"))),
                              ("bio", string), ("location", string), ("avatarImage", nullable("string")),
                              ("avatarSizes", imageSizes("The avatar's square sizes (400 and 96 pixels), largest first; empty without an avatar.")),
                              ("links", array(object([("label", string), ("url", string)], required: ["label", "url"]))),
                              ("releases", array(ref("Release")))],
                             required: ["id", "username", "displayName", "trackCount"]),
            "ArtistPage": page(of: "Artist"),
        ]
    }
}
