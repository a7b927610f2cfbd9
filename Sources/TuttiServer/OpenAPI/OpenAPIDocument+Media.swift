import Catalog
import ImageCore

/// Covers and avatars, whole-release uploads and owners' downloads.
extension OpenAPIDocument {
    static var mediaOperations: [Operation] {
        [
            Operation(method: "get", path: "/api/v1/images/{hash}", summary: "One size of a cover or avatar, named by its JPEG's SHA-256; WebP if Accept takes it", tag: "images",
                      parameters: [header("Accept", "image/webp (with q above 0) gets WebP; anything else gets JPEG. Responses carry Vary: Accept."),
                                   header("If-None-Match", "ETags; 304 if one matches.")],
                      responses: [
                          ("200", ["description": .string("The picture, with a strong ETag (its SHA-256) and Cache-Control: \(ImagesController.cacheControl)."),
                                   "content": ["image/jpeg": ["schema": ["type": "string", "format": "binary"]],
                                               "image/webp": ["schema": ["type": "string", "format": "binary"]]]]),
                          ("304", ["description": "Not modified."]),
                          ("502", problem("The media store refused or failed to read the file.")),
                          ("503", problem("The image's file is missing on the server, or the media store is unreachable.")),
                      ]),
            Operation(method: "put", path: "/api/v1/artists/{id}/avatar", summary: "Set an artist's avatar (the artist or an admin)", tag: "images", signedIn: true,
                      requestBody: pictureBody,
                      responses: pictureResponses(forbidden: "Not your profile.")),
            Operation(method: "put", path: "/api/v1/releases/{id}/cover", summary: "Set a release's cover (its artist or an admin)", tag: "images", signedIn: true,
                      requestBody: pictureBody,
                      responses: pictureResponses(forbidden: "Not your release.")),

            Operation(method: "post", path: "/api/v1/release-uploads", summary: "Upload a whole release in one request (artists): a form of audio files, cover and description, or a ZIP archive", tag: "releases", signedIn: true,
                      requestBody: releaseUploadBody,
                      responses: withStoreWrites([
                          ("202", json("ReleaseUploadAccepted", "A draft release made; its tracks are transcoding. Location names its processing.", links: [
                              Link(name: "processing", operationID: "getReleasesByIdProcessing", parameters: [("id", "$response.body#/releaseID")])])),
                          ("400", problem("A multipart body without a boundary, malformed, or cut short inside a part.")),
                          ("403", problem("Only artists upload.")),
                          ("413", problem("Larger than the upload limit; a cover over 20 MB; a description over 64 KiB.")),
                          ("415", problem("Neither a multipart form nor a ZIP archive; a 'files' part that is not audio Tutti reads; a cover that is not JPEG, PNG or WebP.")),
                          ("422", problem("No audio; a refused archive (unsafe path, link, more than 100 entries, more than 4 GiB, compression ratio, damaged); a description that is not valid; an order that cannot be told; no title; a cover that is damaged or too many pixels; a release field outside its rules.")),
                      ])),
            Operation(method: "get", path: "/api/v1/releases/{id}/processing", summary: "A release's processing, track by track (its artist or an admin)", tag: "releases", signedIn: true,
                      responses: [("200", json("ReleaseProcessing", "Each track's state and progress; the release is ready once all are.")),
                                  ("403", problem("Not your release."))]),
            Operation(method: "put", path: "/api/v1/releases/{id}/tracks/{trackID}/audio", summary: "Replace the audio of a track whose processing failed (its artist or an admin)", tag: "releases", signedIn: true,
                      requestBody: ["required": true, "description": "The audio file as the raw body or the 'file' part of a multipart form. WAV, FLAC, AIFF, MP3 or Ogg Vorbis; recognised by content.",
                                    "content": ["application/octet-stream": ["schema": ["type": "string", "format": "binary"]],
                                                "multipart/form-data": ["schema": object([("file", ["type": "string", "format": "binary"])], required: ["file"])]]],
                      responses: withStoreWrites([("202", json("ReleaseProcessing", "Stored; the track transcodes again.")),
                                  ("400", problem("A multipart body without a boundary, or malformed.")),
                                  ("403", problem("Not your release.")), ("409", problem("The track has not failed.")),
                                  ("413", problem("Larger than the upload limit.")),
                                  ("415", problem("Not audio in a format Tutti reads.")), ("422", problem("An empty file."))])),

            Operation(method: "get", path: "/api/v1/tracks/{id}/download", summary: "An owned track as Ogg Opus tagged with its release's details and cover", tag: "downloads", signedIn: true,
                      responses: [("200", ["description": "The tagged file, made from the stored rendition without re-encoding.", "content": renditionContent]),
                                  ("403", problem("Not owned yet.")), ("409", problem("The track is not ready.")),
                                  ("502", problem("The media store refused or failed to read the audio.")),
                                  ("503", problem("The track's audio is missing on the server, or the media store is unreachable."))]),
            Operation(method: "get", path: "/api/v1/releases/{id}/download", summary: "A release whose tracks the caller all owns, as one ZIP archive of tagged Ogg Opus files and the cover", tag: "downloads", signedIn: true,
                      responses: [("200", ["description": "The archive, streamed as it is made (exact Content-Length).",
                                           "content": ["application/zip": ["schema": ["type": "string", "format": "binary"]]]]),
                                  ("403", problem("A track of the release is not owned yet.")), ("409", problem("A track is not ready, or there are none.")),
                                  ("502", problem("The media store refused or failed to read the audio.")),
                                  ("503", problem("A track's audio is missing on the server, or the media store is unreachable."))]),
        ]
    }

    static var releaseUploadBody: JSONValue {
        let binary: JSONValue = ["type": "string", "format": "binary"]
        return [
            "required": true,
            "description": """
                A multipart form: audio files in 'files' parts (their filenames name them), an optional 'cover' (JPEG, PNG or WebP) and an                 optional 'description' (JSON, ReleaseUploadDescription); or an 'archive' part instead of 'files'. Or a ZIP archive as the                 raw body (application/zip), which may hold release.json (the description) and cover.jpg/png/webp. Track order and titles come                 from the description's track list, else the files' TITLE, TRACKNUMBER and DISCNUMBER tags, else numbers leading their names.                 Archives may not hold paths leaving the folder, links, more than 100 entries or more than 4 GiB, checked while extracting.                 A refused upload leaves nothing behind.
                """,
            "content": [
                "multipart/form-data": ["schema": object([
                    ("files", array(binary)), ("cover", binary), ("archive", binary), ("description", ref("ReleaseUploadDescription")),
                ])],
                "application/zip": ["schema": binary],
            ],
        ]
    }

    /// A picture as the raw body or the 'file' part of a form.
    static var pictureBody: JSONValue {
        let binary: JSONValue = ["schema": ["type": "string", "format": "binary"]]
        return [
            "required": true,
            "description": "A JPEG, PNG or WebP image of at most 20 MB and 50 megapixels (recognised by content), as the raw body or the 'file' part of a multipart form. It is decoded in a separate process, turned upright, stripped of metadata and cut to square sizes; the upload is not kept.",
            "content": ["image/jpeg": binary, "image/png": binary, "image/webp": binary, "application/octet-stream": binary,
                        "multipart/form-data": ["schema": object([("file", ["type": "string", "format": "binary"])], required: ["file"])]],
        ]
    }

    static func pictureResponses(forbidden: String) -> [(String, JSONValue)] {
        withStoreWrites([("200", json("Image", "The new picture's sizes.")),
         ("400", problem("A multipart body without a boundary, or malformed.")),
         ("403", problem(forbidden)),
         ("413", problem("Larger than 20 MB.")),
         ("415", problem("Not a JPEG, PNG or WebP image (recognised by content).")),
         ("422", problem("Empty, more than 50 megapixels, truncated or damaged."))])
    }

    /// `responses` and what a route that stores files answers when the media store fails.
    static func withStoreWrites(_ responses: [(String, JSONValue)]) -> [(String, JSONValue)] {
        responses + storeWriteResponses
    }

    /// What a route that stores files answers when the media store fails.
    static var storeWriteResponses: [(String, JSONValue)] {
        [("502", problem("The media store refused or failed to store the file.")),
         ("503", problem("The media store is unreachable or read-only; see Retry-After.")),
         ("507", problem("The media store is full."))]
    }

    static var mediaSchemas: [(String, JSONValue)] {
        [
            ("Image", object([
                ("id", string), ("kind", ["type": "string", "enum": ["cover", "avatar"]]),
                ("sourceWidth", integer), ("sourceHeight", integer),
                ("sizes", array(object([("size", integer), ("url", string)], required: ["size", "url"]))),
                ("createdAt", dateTime),
            ], required: ["id", "kind", "sourceWidth", "sourceHeight", "sizes", "createdAt"])),
            ("ReleaseUploadDescription", object([
                ("title", string), ("type", ["type": "string", "enum": .array(ReleaseType.allCases.map { .string($0.rawValue) })]),
                ("releaseDate", string), ("upc", string),
                ("licence", ["type": "string", "enum": .array(ReleaseLicence.allCases.map { .string($0.rawValue) })]),
                ("description", string), ("genres", array(string)),
                ("tracks", array(object([("file", string), ("title", string), ("disc", ["type": "integer", "minimum": 1, "maximum": 99])], required: ["file"]))),
            ])),
            ("ReleaseUploadAccepted", object([
                ("releaseID", string), ("statusURL", string), ("orderFrom", ["type": "string", "enum": ["description", "tags", "fileNames", "single"]]),
                ("tracks", array(object([("id", string), ("title", string), ("discNumber", integer), ("trackNumber", integer), ("file", string), ("status", string)]))),
                ("cover", orNull(ref("Image"))), ("ignored", array(string)),
            ], required: ["releaseID", "statusURL", "orderFrom", "tracks", "ignored"])),
            ("ReleaseProcessing", object([
                ("releaseID", string), ("status", ["type": "string", "enum": ["processing", "ready", "failed"]]),
                ("tracks", array(object([("id", string), ("title", string), ("discNumber", integer), ("trackNumber", integer),
                                         ("status", ["type": "string", "enum": ["processing", "ready", "failed"]]), ("progress", integer),
                                         ("failureReason", nullable("string"))]))),
            ], required: ["releaseID", "status", "tracks"])),
        ]
    }
}
