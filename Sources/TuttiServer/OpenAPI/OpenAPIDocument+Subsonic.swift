import Catalog

extension OpenAPIDocument {
    /// App passwords and the OpenSubsonic API (issue 18).
    static var subsonicOperations: [Operation] {
        let subsonicParameters: [JSONValue] = [
            query("u", "string", "The username (with p, or with t and s)."),
            query("p", "string", "An app password, plain or as enc: followed by its UTF-8 bytes in hex. Account passwords are refused."),
            query("t", "string", "Hex MD5 of an app password followed by the salt s."),
            query("s", "string", "The salt of t."),
            query("apiKey", "string", "An app password used whole as an OpenSubsonic API key (without u, p, t or s)."),
            query("v", "string", "The Subsonic API version the client speaks (Tutti: 1.16.1)."),
            query("c", "string", "The client's name."),
            query("f", "string", "json for JSON; anything else (or nothing) for XML."),
            query("id", "string", "The song, album, artist, playlist or cover the method acts on."),
        ]
        let answers: [(String, JSONValue)] = [
            ("200", ["description": """
                The Subsonic envelope (subsonic-response, status ok or failed with a Subsonic error code: errors are answered with 200 too), \
                as XML or JSON; stream answers audio, download the original file, getCoverArt a JPEG.
                """,
                     "content": [
                        "text/xml": ["schema": string], "application/json": ["schema": ["type": "object"]],
                        "audio/ogg": ["schema": ["type": "string", "format": "binary"]], "image/jpeg": ["schema": ["type": "string", "format": "binary"]],
                        "application/octet-stream": ["schema": ["type": "string", "format": "binary"]],
                     ]]),
            ("206", binary("stream: part of the audio (Range).", mediaTypes: ["audio/ogg"])),
            ("304", ["description": "stream: not modified (If-None-Match)."]),
            ("412", problem("stream: the precondition (If-Match) failed.")),
            ("416", ["description": "stream: the range lies outside the audio."]),
        ]
        let summary = "The OpenSubsonic API (Subsonic 1.16.1) for listeners' apps: ping, browsing, search3, stars, playlists, scrobble, stream, download, getCoverArt... Signs in with app passwords"
        var operations: [Operation] = [
            Operation(method: "get", path: "/rest/{method}", summary: summary, tag: "subsonic", parameters: subsonicParameters, responses: answers),
            Operation(method: "post", path: "/rest/{method}", summary: summary + " (parameters also as a form body)", tag: "subsonic", parameters: subsonicParameters,
                      requestBody: ["required": false, "content": ["application/x-www-form-urlencoded": ["schema": ["type": "object", "additionalProperties": string]]]],
                      responses: answers),
        ]
        operations += [
            Operation(method: "post", path: "/api/v1/me/app-passwords", summary: "Make an app password for a music app (the secret is shown in this answer only)", tag: "apps", signedIn: true,
                      requestBody: body("NewAppPassword"),
                      responses: [("201", json("AppPassword", "The app password, with its secret and the username to sign in with.")),
                                  ("409", problem("The account already holds the most app passwords it may.")), ("422", problem("A blank or too long name."))]),
            Operation(method: "get", path: "/api/v1/me/app-passwords", summary: "The caller's app passwords and when each was last used (never their secrets)", tag: "apps", signedIn: true,
                      responses: [("200", json("AppPasswordList", "The live app passwords, newest first."))]),
            Operation(method: "patch", path: "/api/v1/me/app-passwords/{id}", summary: "Switch \"count plays in this app\" (apps prefetch: switched on, what they fetch past a preview is charged as in the web player)", tag: "apps", signedIn: true,
                      requestBody: body("AppPasswordChanges"),
                      responses: [("200", json("AppPassword", "The app password.")), ("404", problem("No such app password of the caller."))]),
            Operation(method: "delete", path: "/api/v1/me/app-passwords/{id}", summary: "Revoke an app password: apps using it are refused at once", tag: "apps", signedIn: true,
                      responses: [("204", ["description": "Revoked."]), ("404", problem("No such app password of the caller."))]),
        ]
        return operations
    }

    static var subsonicSchemas: [(String, JSONValue)] {
        [
            ("NewAppPassword", object([("name", text(.appPasswordName, "The app's name, for your eyes.")),
                                       ("countPlays", ["type": ["boolean", "null"], "description": "Count plays in this app (absent or null: false, paid tracks not owned play their preview)."])],
                                      required: ["name"])),
            ("AppPasswordChanges", object([("countPlays", boolean)], required: ["countPlays"])),
            ("AppPassword", object([("id", string), ("name", string), ("countPlays", boolean), ("createdAt", dateTime), ("lastUsedAt", nullable("string")),
                                    ("secret", ["type": "string", "description": "Only when made: the password to give the app (also its API key)."]),
                                    ("username", string)],
                                   required: ["id", "name", "countPlays", "createdAt"])),
            ("AppPasswordList", object([("items", array(ref("AppPassword")))], required: ["items"])),
        ]
    }
}
