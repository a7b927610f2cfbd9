extension OpenAPIDocument {
    static let unauthorized = ("401", problem("No valid bearer token."))
    static let notFound = ("404", problem("No such resource, or not visible to the caller."))

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
                      responses: [("201", json("User", "The new account.")), ("409", problem("The username is taken.")),
                                  ("422", problem("Invalid username, password or role."))]),
            Operation(method: "post", path: "/api/v1/sessions", summary: "Log in: exchange username and password for a bearer token", tag: "accounts",
                      requestBody: body("Credentials"),
                      responses: [("201", json("Session", "A new bearer token.")), ("401", problem("Wrong username or password.")),
                                  ("429", problem("Too many failed attempts for this account or address; see Retry-After."))]),
            Operation(method: "delete", path: "/api/v1/sessions/current", summary: "Log out: revoke the token used", tag: "accounts", signedIn: true,
                      responses: [("204", ["description": "Revoked."]), unauthorized]),
            Operation(method: "get", path: "/api/v1/me", summary: "The signed-in account", tag: "accounts", signedIn: true,
                      responses: [("200", json("User", "The account.")), unauthorized]),

            Operation(method: "get", path: "/api/v1/tracks", summary: "List and search tracks", tag: "catalog",
                      parameters: [query("q", "string", "Words matched against title, album and artist."),
                                   query("artist", "string", "Only this artist's tracks."),
                                   query("limit", "integer", "1 to 100, default 20."), query("offset", "integer", "Default 0.")],
                      responses: [("200", json("TrackPage", "A page of tracks."))]),
            Operation(method: "post", path: "/api/v1/tracks", summary: "Upload a track (artists)", tag: "catalog", signedIn: true,
                      parameters: [query("title", "string", "The title (raw-body uploads)."), query("album", "string", "The album (raw-body uploads).")],
                      requestBody: ["required": true, "description": "The audio file as the raw body, or a multipart form with 'file', 'title' and 'album'. WAV, FLAC, AIFF, MP3 or Ogg Vorbis; recognised by content.",
                                    "content": ["application/octet-stream": ["schema": ["type": "string", "format": "binary"]],
                                                "multipart/form-data": ["schema": object([("file", ["type": "string", "format": "binary"]), ("title", string), ("album", string)], required: ["file", "title"])]]],
                      responses: [("202", json("UploadAccepted", "Stored; transcoding. Location names the track.")), unauthorized,
                                  ("403", problem("Only artists upload.")), ("413", problem("Larger than the upload limit.")),
                                  ("415", problem("Not audio in a format Tutti reads.")), ("422", problem("No title or an empty file."))]),
            Operation(method: "get", path: "/api/v1/tracks/{id}", summary: "A track with its renditions, loudness and waveform", tag: "catalog",
                      responses: [("200", json("Track", "The track.")), notFound]),
            Operation(method: "patch", path: "/api/v1/tracks/{id}", summary: "Edit, publish or mark free a track (its artist)", tag: "catalog", signedIn: true,
                      requestBody: body("TrackChanges"),
                      responses: [("200", json("Track", "The changed track.")), unauthorized, ("403", problem("Not your track.")), notFound,
                                  ("409", problem("Only ready tracks can be published.")), ("422", problem("Invalid value."))]),
            Operation(method: "delete", path: "/api/v1/tracks/{id}", summary: "Delete a track (its artist); plays and payments keep their history", tag: "catalog", signedIn: true,
                      responses: [("204", ["description": "Deleted."]), unauthorized, ("403", problem("Not your track.")), notFound]),
            audio("get"), audio("head"),

            Operation(method: "get", path: "/api/v1/artists", summary: "List and search artists with published tracks", tag: "catalog",
                      parameters: [query("q", "string", "Words matched against the name."), query("limit", "integer", "1 to 100."), query("offset", "integer", "Default 0.")],
                      responses: [("200", json("ArtistPage", "A page of artists."))]),
            Operation(method: "get", path: "/api/v1/artists/{id}", summary: "An artist and their tracks", tag: "catalog",
                      responses: [("200", json("Artist", "The artist.")), notFound]),
        ] + moneyOperations
    }

    static func audio(_ method: String) -> Operation {
        Operation(
            method: method, path: "/api/v1/tracks/{id}/audio/{rendition}",
            summary: method == "get" ? "Stream a rendition (Ogg Opus) with Range requests" : "Headers of a rendition",
            tag: "streaming",
            parameters: [header("Range", "bytes=first-last, bytes=first- or bytes=-suffix (RFC 9110 §14)."),
                         header("If-Range", "An ETag or date; the Range applies only if it still matches."),
                         header("If-None-Match", "ETags; 304 if one matches.")],
            responses: [
                ("200", ["description": "The whole rendition.", "content": ["audio/ogg; codecs=opus": ["schema": ["type": "string", "format": "binary"]]]]),
                ("206", ["description": "The requested bytes, with Content-Range.", "content": ["audio/ogg; codecs=opus": ["schema": ["type": "string", "format": "binary"]]]]),
                ("304", ["description": "Not modified."]), notFound,
                ("412", problem("If-Match or If-Unmodified-Since failed.")),
                ("416", problem("No requested range overlaps the rendition; Content-Range: bytes */SIZE.")),
            ])
    }

    static var schemas: JSONValue {
        var schemas: JSONValue = [
            "Problem": object([("type", string), ("title", string), ("status", integer), ("detail", string), ("instance", string)],
                              required: ["type", "title", "status", "detail"]),
            "Health": object([("status", string), ("database", string)]),
            "Registration": object([("username", string), ("password", string), ("displayName", string), ("role", ["type": "string", "enum": ["listener", "artist"]])],
                                   required: ["username", "password"]),
            "Credentials": object([("username", string), ("password", string)], required: ["username", "password"]),
            "User": object([("id", string), ("username", string), ("displayName", string), ("role", ["type": "string", "enum": ["listener", "artist", "admin"]]), ("createdAt", dateTime)]),
            "Session": object([("token", string), ("tokenType", string), ("expiresAt", dateTime), ("user", ref("User"))]),
            "Rendition": object([("name", string), ("bitrate", integer), ("channels", integer), ("bytes", integer), ("contentType", string), ("url", string)]),
            "Track": object([
                ("id", string), ("title", string), ("album", nullable("string")),
                ("artist", object([("id", string), ("name", string)])),
                ("status", ["type": "string", "enum": ["processing", "ready", "failed"]]), ("progress", integer),
                ("failureReason", nullable("string")), ("published", boolean), ("free", boolean),
                ("durationSeconds", nullable("number")),
                ("loudness", object([("integratedLUFS", nullable("number")), ("truePeakDBTP", nullable("number")), ("trackGainDB", nullable("number"))])),
                ("renditions", array(ref("Rendition"))),
                ("peaks", object([("minimums", array(number)), ("maximums", array(number))])),
                ("createdAt", dateTime), ("updatedAt", dateTime), ("url", string),
            ]),
            "TrackPage": page(of: "Track"),
            "TrackChanges": object([("title", string), ("album", nullable("string")), ("published", boolean), ("free", boolean)]),
            "UploadAccepted": object([("id", string), ("status", string), ("statusURL", string)]),
            "Artist": object([("id", string), ("username", string), ("displayName", string), ("trackCount", integer), ("tracks", array(ref("Track")))]),
            "ArtistPage": page(of: "Artist"),
        ]
        for (name, schema) in moneySchemas { schemas.set(name, schema) }
        return schemas
    }
}
