extension OpenAPIDocument {
    /// The web pages the service serves beside its API (not JSON: HTML, CSS, JavaScript).
    static var webOperations: [Operation] {
        [
            Operation(method: "get", path: "/", summary: "The web player and dashboards (HTML; a strict Content-Security-Policy, ETag, revalidated on every use)", tag: "web",
                      parameters: [header("If-None-Match", "An ETag from an earlier answer: 304 when the page is unchanged.")],
                      responses: [("200", ["description": "The page.", "content": ["text/html": ["schema": string]]]), ("304", ["description": "Not modified."])]),
            Operation(method: "get", path: "/web/{file}", summary: "A style sheet, JavaScript module or icon of the web pages", tag: "web",
                      parameters: [header("If-None-Match", "An ETag from an earlier answer: 304 when the file is unchanged.")],
                      responses: [("200", ["description": "The file, typed by its extension.", "content": [
                                      "text/javascript": ["schema": string], "text/css": ["schema": string], "image/svg+xml": ["schema": string], "text/html": ["schema": string]]]),
                                  ("304", ["description": "Not modified."]), notFound]),
        ]
    }
}
