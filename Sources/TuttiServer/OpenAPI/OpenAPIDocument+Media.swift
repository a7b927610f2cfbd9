import ImageCore

/// Covers and avatars, whole-release uploads and owners' downloads.
extension OpenAPIDocument {
    static var mediaOperations: [Operation] {
        [
            Operation(method: "get", path: "/api/v1/images/{hash}", summary: "One size of a cover or avatar, named by its JPEG's SHA-256; WebP if Accept takes it", tag: "images",
                      parameters: [header("Accept", "image/webp (with q above 0) gets WebP; anything else gets JPEG. Responses carry Vary: Accept."),
                                   header("If-None-Match", "ETags; 304 if one matches.")],
                      responses: [
                          ("200", ["description": "The picture, with a strong ETag (its SHA-256) and Cache-Control: \(ImagesController.cacheControl).",
                                   "content": ["image/jpeg": ["schema": ["type": "string", "format": "binary"]],
                                               "image/webp": ["schema": ["type": "string", "format": "binary"]]]]),
                          ("304", ["description": "Not modified."]),
                          ("503", problem("The image's file is missing on the server.")),
                      ]),
            Operation(method: "put", path: "/api/v1/artists/{id}/avatar", summary: "Set an artist's avatar (the artist or an admin)", tag: "images", signedIn: true,
                      requestBody: pictureBody,
                      responses: pictureResponses(forbidden: "Not your profile.")),
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
        [("200", json("Image", "The new picture's sizes.")),
         ("400", problem("A multipart body without a boundary, or malformed.")),
         ("403", problem(forbidden)),
         ("413", problem("Larger than 20 MB.")),
         ("415", problem("Not a JPEG, PNG or WebP image (recognised by content).")),
         ("422", problem("Empty, more than 50 megapixels, truncated or damaged."))]
    }

    static var mediaSchemas: JSONValue {
        [
            "Image": object([
                ("id", string), ("kind", ["type": "string", "enum": ["cover", "avatar"]]),
                ("sourceWidth", integer), ("sourceHeight", integer),
                ("sizes", array(object([("size", integer), ("url", string)], required: ["size", "url"]))),
                ("createdAt", dateTime),
            ], required: ["id", "kind", "sourceWidth", "sourceHeight", "sizes", "createdAt"]),
        ]
    }
}
