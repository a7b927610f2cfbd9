import FoundationEssentials

/// The OpenAPI 3.1 description of Tutti's HTTP API, served at /api/v1/openapi.json.
///
/// Written by hand, operation by operation; a test compares its operations with the routes
/// the router really has, and `tools/contract-check.sh` (schemathesis) checks that the
/// server answers what it says, so neither can drift from the other.
///
/// What every operation shares is added here, once (``completed(_:)``), so a new operation
/// states only what is its own:
/// - security: a signed-in operation needs a bearer token; every other one accepts one
///   (the same route may show a signed-in caller more) or none;
/// - 401: a bearer token that is unknown, expired or revoked is refused on every route;
/// - a JSON request body may be malformed (400) or larger than 64 KiB (413);
/// - a query or header parameter may be outside its schema (400);
/// - a path with parameters may name nothing (404).
/// An operation that declares one of these statuses itself keeps its own description.
enum OpenAPIDocument {
    /// One documented operation.
    struct Operation {
        var method: String
        var path: String
        var summary: String
        var tag: String
        /// Needs `Authorization: Bearer`.
        var signedIn = false
        var parameters: [JSONValue] = []
        var requestBody: JSONValue? = nil
        var responses: [(String, JSONValue)]
    }

    static let json: String = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(document), as: UTF8.self)
    }()

    static var allOperations: [Operation] {
        operations + releaseOperations + playOperations + moneyOperations + splitOperations + governanceOperations + webOperations + mediaOperations
            + libraryOperations + subsonicOperations
    }

    static var document: JSONValue {
        var paths: [(String, JSONValue)] = []
        for operation in allOperations.map(completed) {
            var entry: JSONValue = [
                "summary": .string(operation.summary),
                "operationId": .string(operationID(operation)),
                "tags": [.string(operation.tag)],
                "security": operation.signedIn ? [["bearer": []]] : [[:], ["bearer": []]],
            ]
            if !operation.parameters.isEmpty { entry.set("parameters", .array(operation.parameters)) }
            if let body = operation.requestBody { entry.set("requestBody", body) }
            entry.set("responses", .object(operation.responses))
            if let index = paths.firstIndex(where: { $0.0 == operation.path }) {
                paths[index].1.set(operation.method, entry)
            } else {
                paths.append((operation.path, .object([(operation.method, entry)])))
            }
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Tutti",
                "version": "1",
                "description": """
                    A music streaming service owned by the people who make the music. Errors are RFC 9457 problem documents \
                    (application/problem+json). Every path answers OPTIONS with 204 and an Allow header, and HEAD wherever it \
                    answers GET; a method a path does not list gets 405 with Allow. Amounts are integers in minor units \
                    (1 credit = 1000000).
                    """,
            ],
            "paths": .object(paths),
            "components": [
                "schemas": schemas.merging(releaseSchemas).merging(moneySchemas).merging(splitSchemas).merging(playSchemas).merging(governanceSchemas).merging(mediaSchemas)
                    .merging(librarySchemas).merging(subsonicSchemas),
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer", "description": "A token from POST /api/v1/sessions."]],
            ],
        ]
    }

    /// `operation` with what every operation shares (see the type's documentation): path
    /// parameters, and the responses it may give besides its own.
    static func completed(_ operation: Operation) -> Operation {
        var operation = operation
        let pathParameters = operation.path.split(separator: "/").filter { $0.hasPrefix("{") }.map { segment in
            pathParameter(String(segment.dropFirst().dropLast()))
        }
        operation.parameters = pathParameters + operation.parameters
        var added: [(String, JSONValue)] = []
        func add(_ status: String, _ response: JSONValue) {
            guard !operation.responses.contains(where: { $0.0 == status }), !added.contains(where: { $0.0 == status }) else { return }
            added.append((status, response))
        }
        if operation.requestBody.map(isJSON) == true {
            add("400", problem("The body is not JSON of the declared shape (not JSON, a member missing or of the wrong type)."))
            add("413", problem("The body is larger than 64 KiB."))
        }
        if operation.parameters.contains(where: { ["query", "header"].contains($0.member("in")?.stringValue) }) {
            add("400", problem("A query or header parameter is not a value its schema allows."))
        }
        add("401", operation.signedIn ? unauthorized.1 : invalidToken)
        if !pathParameters.isEmpty { add("404", notFound.1) }
        if !["get", "head"].contains(operation.method) {
            add("503", problem("The server's disk is full, so nothing was saved (see Retry-After); or another service it needs is unavailable."))
        }
        operation.responses = (operation.responses + added).sorted { $0.0 < $1.0 }
        return operation
    }

    private static func isJSON(_ body: JSONValue) -> Bool {
        guard case .object(let content)? = body.member("content") else { return false }
        return content.contains { $0.0 == "application/json" }
    }

    /// The method and the path's words, a parameter `{id}` as `ById`: `getTracksById`. A
    /// shared link's page outside the API (`/releases/{id}`) ends in `Page`, so that it does
    /// not take the name of the API's operation on the same words.
    static func operationID(_ operation: Operation) -> String {
        let capitalized = { (word: Substring) in word.prefix(1).uppercased() + word.dropFirst().replacing(".", with: "") }
        let words = operation.path.split(separator: "/").filter { $0 != "api" && $0 != "v1" }.map { word in
            word.hasPrefix("{") ? "By" + capitalized(word.dropFirst().dropLast()) : capitalized(word)
        }
        let sharedPage = !operation.path.hasPrefix("/api/") && SharedPagesController.kinds.contains(where: { operation.path.hasPrefix("/\($0)/") })
        return operation.method + words.joined() + (sharedPage ? "Page" : "")
    }
}
