extension OpenAPIDocument {
    /// Play sessions, metered streaming and the original's download.
    static var playOperations: [Operation] {
        [
            Operation(method: "post", path: "/api/v1/tracks/{id}/plays", summary: "Open a play session: signed stream URLs, the preview length and, signed in, the next price", tag: "plays",
                      responses: [("201", json("PlaySession", "The session; Location names it.", links: [
                                      Link(name: "session", operationID: "getPlaysById", parameters: [("id", "$response.body#/id")])])),
                                  ("409", problem("The track is not ready.")),
                                  ("429", problem("Too many sessions opened in the last minute; see Retry-After."))]),
            Operation(method: "get", path: "/api/v1/plays/{id}", summary: "A play session: counted or not, and what it cost (its listener or an admin)", tag: "plays", signedIn: true,
                      responses: [("200", json("PlaySession", "The session."))]),
            playAudio("get"), playAudio("head"),
            Operation(method: "get", path: "/api/v1/tracks/{id}/original", summary: "Download the original upload (its artist, an admin, or a listener who owns the track)", tag: "plays", signedIn: true,
                      responses: [("200", binary("The untouched upload, as an attachment, typed by the format it was recognised as.", mediaTypes: originalMediaTypes)),
                                  ("403", problem("Not owned yet.")),
                                  ("502", problem("The media store refused the read or answered with other bytes than recorded.")),
                                  ("503", problem("The original upload is missing on the server, or the media store is unreachable."))]),
        ]
    }

    static let paymentRequired = ("402", problem("The wallet cannot pay for the play (members 'price' and 'balance', minor units), or an anonymous session reached the preview's end."))

    static func playAudio(_ method: String) -> Operation {
        Operation(
            method: method, path: "/api/v1/plays/{id}/audio/{rendition}",
            summary: method == "get"
                ? "Stream a rendition in a play session (metered: the preview is free; going on past it counts the play)"
                : "Headers of a rendition in a play session",
            tag: "plays",
            parameters: [query("expires", ["type": "integer", "format": "int64"], "Expiry (Unix seconds), as signed.", required: true),
                         query("signature", string, "The URL's signature, as returned with the session.", required: true),
                         header("Range", "bytes=first-last, bytes=first- or bytes=-suffix (RFC 9110 §14); other forms are ignored."),
                         header("If-Range", "An ETag or date; the Range applies only if it still matches."),
                         header("If-None-Match", "ETags; 304 if one matches.")],
            responses: [
                ("200", ["description": "The whole rendition (held at the preview's end until the preview has been listened to).", "content": renditionContent]),
                ("206", ["description": "The requested bytes, with Content-Range.", "content": renditionContent]),
                ("304", ["description": "Not modified."]), paymentRequired,
                ("403", problem("The URL's signature is wrong, or it has expired, or expires/signature is missing.")),
                ("408", problem("The listener left while the stream was held at the preview's end; nothing was counted.")),
                ("412", problem("If-Match or If-Unmodified-Since failed.")),
                ("416", problem("No requested range overlaps the rendition.")),
                ("502", problem("The media store refused the read or answered with other bytes than recorded.")),
                ("503", problem("The rendition's file is missing on the server, or the media store is unreachable.")),
            ])
    }

    static var playSchemas: [(String, JSONValue)] {
        [
            ("PlaySession", object([
                ("id", string), ("trackID", string),
                ("access", ["type": "string", "enum": ["metered", "free", "own", "owned", "admin"]]),
                ("previewSeconds", integer), ("expiresAt", dateTime), ("counted", boolean), ("countedAt", nullable("string")),
                ("price", nullable("integer")), ("pricingVersion", nullable("integer")),
                ("audio", ["type": "object", "additionalProperties": string]),
                ("nextPrice", nullable("integer")), ("countedPlays", nullable("integer")), ("playsRemainingToOwn", nullable("integer")),
                ("balance", nullable("integer")),
            ], required: ["id", "trackID", "access", "previewSeconds", "expiresAt", "counted", "audio"])),
        ]
    }
}

extension JSONValue {
    /// This object with `members` appended.
    func merging(_ members: [(String, JSONValue)]) -> JSONValue {
        guard case .object(let existing) = self else { return self }
        return .object(existing + members)
    }
}
