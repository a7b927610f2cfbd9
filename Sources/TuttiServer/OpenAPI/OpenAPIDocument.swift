import FoundationEssentials

/// The OpenAPI 3.1 description of Tutti's HTTP API, served at /api/v1/openapi.json.
///
/// Written by hand, operation by operation; a test compares its operations with the routes
/// the router really has, so neither can drift from the other.
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

    static var document: JSONValue {
        var paths: [(String, JSONValue)] = []
        for operation in operations + playOperations + governanceOperations + webOperations {
            var entry: JSONValue = [
                "summary": .string(operation.summary),
                "operationId": .string(operationID(operation)),
                "tags": [.string(operation.tag)],
            ]
            if operation.signedIn { entry.set("security", [["bearer": []]]) }
            let pathParameters = operation.path.split(separator: "/").filter { $0.hasPrefix("{") }.map { segment -> JSONValue in
                ["name": .string(String(segment.dropFirst().dropLast())), "in": "path", "required": true, "schema": ["type": "string"]]
            }
            if !(pathParameters + operation.parameters).isEmpty { entry.set("parameters", .array(pathParameters + operation.parameters)) }
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
                "description": "A music streaming service owned by the people who make the music. Errors are RFC 9457 problem documents (application/problem+json).",
            ],
            "paths": .object(paths),
            "components": ["schemas": schemas.merging(playSchemas).merging(governanceSchemas), "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer"]]],
        ]
    }

    private static func operationID(_ operation: Operation) -> String {
        let words = operation.path.split(separator: "/").filter { !$0.hasPrefix("{") && $0 != "api" && $0 != "v1" }
        return operation.method + words.map { $0.prefix(1).uppercased() + $0.dropFirst().replacing(".", with: "") }.joined()
    }

    // MARK: Building blocks

    static func ref(_ schema: String) -> JSONValue { ["$ref": .string("#/components/schemas/\(schema)")] }

    static func json(_ schema: String, _ description: String) -> JSONValue {
        ["description": .string(description), "content": ["application/json": ["schema": ref(schema)]]]
    }

    static func problem(_ description: String) -> JSONValue {
        ["description": .string(description), "content": ["application/problem+json": ["schema": ref("Problem")]]]
    }

    static func body(_ schema: String) -> JSONValue {
        ["required": true, "content": ["application/json": ["schema": ref(schema)]]]
    }

    static func query(_ name: String, _ type: String, _ description: String) -> JSONValue {
        ["name": .string(name), "in": "query", "required": false, "description": .string(description), "schema": ["type": .string(type)]]
    }

    static func header(_ name: String, _ description: String) -> JSONValue {
        ["name": .string(name), "in": "header", "required": false, "description": .string(description), "schema": ["type": "string"]]
    }

    static func object(_ properties: [(String, JSONValue)], required: [String] = []) -> JSONValue {
        var value: JSONValue = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { value.set("required", .array(required.map { .string($0) })) }
        return value
    }

    static let string: JSONValue = ["type": "string"]
    static let integer: JSONValue = ["type": "integer"]
    static let number: JSONValue = ["type": "number"]
    static let boolean: JSONValue = ["type": "boolean"]
    static let dateTime: JSONValue = ["type": "string", "format": "date-time"]
    static func nullable(_ type: String) -> JSONValue { ["type": [.string(type), "null"]] }
    static func array(_ items: JSONValue) -> JSONValue { ["type": "array", "items": items] }
    static func page(of item: String) -> JSONValue {
        object([("items", array(ref(item))), ("total", integer), ("limit", integer), ("offset", integer), ("next", nullable("string"))],
               required: ["items", "total", "limit", "offset"])
    }
}
