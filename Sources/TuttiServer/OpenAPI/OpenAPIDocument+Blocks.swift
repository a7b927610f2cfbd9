import Catalog

/// The building blocks operations are written with. Each parameter block has a reader in
/// ``RequestQuery`` (or a rule in ``TextRule``) that enforces exactly what it declares:
/// declare a parameter with the block, read it with its reader.
extension OpenAPIDocument {
    // MARK: Responses

    static let unauthorized = ("401", problem("No valid bearer token."))
    static let invalidToken = problem("The bearer token sent is unknown, expired or revoked (without one, the request goes on anonymously).")
    static let notFound = ("404", problem("No such resource, or not visible to the caller."))

    static func ref(_ schema: String) -> JSONValue { ["$ref": .string("#/components/schemas/\(schema)")] }

    /// A JSON response; `links` name operations whose parameters this response fills
    /// (OpenAPI links, followed by the contract check's stateful phase).
    static func json(_ schema: String, _ description: String, links: [Link] = []) -> JSONValue {
        var response: JSONValue = ["description": .string(description), "content": ["application/json": ["schema": ref(schema)]]]
        if !links.isEmpty { response.set("links", .object(links.map { ($0.name, $0.value) })) }
        return response
    }

    /// An OpenAPI link: the operation `operationID` (as ``OpenAPIDocument`` names it: method
    /// and path words, `{id}` as `ById`) with `parameters` taken from this response, e.g.
    /// `["id": "$response.body#/id"]`.
    struct Link {
        var name: String
        var operationID: String
        var parameters: [(String, String)]

        var value: JSONValue {
            ["operationId": .string(operationID), "parameters": .object(parameters.map { ($0.0, .string($0.1)) })]
        }
    }

    static func problem(_ description: String) -> JSONValue {
        ["description": .string(description), "content": ["application/problem+json": ["schema": ref("Problem")]]]
    }

    /// A binary download of one of `mediaTypes`.
    static func binary(_ description: String, mediaTypes: [String]) -> JSONValue {
        ["description": .string(description), "content": .object(mediaTypes.map { ($0, ["schema": ["type": "string", "format": "binary"]]) })]
    }

    // MARK: Requests

    /// A required JSON body of `schema`.
    static func body(_ schema: String) -> JSONValue {
        ["required": true, "content": ["application/json": ["schema": ref(schema)]]]
    }

    /// A path parameter: ids are lowercase UUIDs (``Identifier``), renditions and web files
    /// one of their names. A value of another shape names nothing: 404.
    static func pathParameter(_ name: String) -> JSONValue {
        let schema: JSONValue
        switch name {
        case "rendition": schema = ["type": "string", "enum": .array(RenditionName.allCases.map { .string($0.rawValue) })]
        case "file": schema = ["type": "string", "enum": .array(WebAssets.files.keys.sorted().map { .string($0) })]
        case "hash": schema = ["type": "string", "pattern": "^[0-9a-f]{64}$"]
        case "method": schema = ["type": "string", "description": "A Subsonic method, with or without .view (unknown ones: Subsonic error 70)."]
        default: schema = identifier
        }
        return ["name": .string(name), "in": "path", "required": true, "schema": schema]
    }

    /// Read with ``RequestQuery/integer(_:_:in:)``.
    static func integerQuery(_ name: String, _ range: ClosedRange<Int64>, default value: Int64? = nil, _ description: String) -> JSONValue {
        var schema: JSONValue = ["type": "integer", "format": "int64", "minimum": .int(Int(range.lowerBound)), "maximum": .int(Int(range.upperBound))]
        if let value { schema.set("default", .int(Int(value))) }
        return query(name, schema, description)
    }

    /// `limit` and `offset` of a list, read with ``RequestQuery/paging(_:defaultLimit:maximumLimit:)``.
    static func pagingParameters(defaultLimit: Int = 20, maximumLimit: Int = 100) -> [JSONValue] {
        [integerQuery("limit", 1...Int64(maximumLimit), default: Int64(defaultLimit), "Items per page."),
         integerQuery("offset", 0...Int64(Int32.max), default: 0, "Items to skip.")]
    }

    /// One of `choices`; read with ``RequestQuery/choice(_:_:among:)``.
    static func choiceQuery(_ name: String, _ choices: [String], default value: String, _ description: String) -> JSONValue {
        query(name, ["type": "string", "enum": .array(choices.map { .string($0) }), "default": .string(value)], description)
    }

    /// An ISO 8601 instant or a day; read with ``RequestQuery/instant(_:_:)``.
    static func instantQuery(_ name: String, _ description: String) -> JSONValue {
        query(name, ["anyOf": [["type": "string", "format": "date-time"], ["type": "string", "format": "date"]]], description)
    }

    /// Free text: any string.
    static func textQuery(_ name: String, _ description: String) -> JSONValue {
        query(name, string, description)
    }

    /// A query parameter of a plain JSON type ("string", "integer", ...) with no bounds: prefer
    /// the blocks above, which declare what their readers enforce.
    static func query(_ name: String, _ type: String, _ description: String) -> JSONValue {
        query(name, ["type": .string(type)], description)
    }

    static func query(_ name: String, _ schema: JSONValue, _ description: String, required: Bool = false) -> JSONValue {
        ["name": .string(name), "in": "query", "required": .bool(required), "description": .string(description), "schema": schema]
    }

    static func header(_ name: String, _ description: String, schema: JSONValue = ["type": "string"], required: Bool = false) -> JSONValue {
        ["name": .string(name), "in": "header", "required": .bool(required), "description": .string(description), "schema": schema]
    }

    // MARK: Schemas

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
    /// The shape ``Identifier/isValid(_:)`` accepts: a UUID in lowercase hex.
    static let identifier: JSONValue = ["type": "string", "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"]
    static func nullable(_ type: String) -> JSONValue { ["type": [.string(type), "null"]] }
    static func orNull(_ schema: JSONValue) -> JSONValue { ["oneOf": [schema, ["type": "null"]]] }
    static func array(_ items: JSONValue) -> JSONValue { ["type": "array", "items": items] }
    static func page(of item: String) -> JSONValue {
        object([("items", array(ref(item))), ("total", integer), ("limit", integer), ("offset", integer), ("next", nullable("string"))],
               required: ["items", "total", "limit", "offset"])
    }

    /// A text member checked with `rule` (``TextRule``).
    static func text(_ rule: TextRule, _ description: String? = nil) -> JSONValue {
        var schema: JSONValue = ["type": "string", "maxLength": .int(rule.maxLength)]
        if !rule.mayBeBlank { schema.set("pattern", .string(TextRule.notBlankPattern)) }
        if let description { schema.set("description", .string(description)) }
        return schema
    }

    /// Minor units: a positive whole number (``AmountRule``).
    static let positiveUnits: JSONValue = [
        "type": "integer", "format": "int64", "minimum": 1, "maximum": .int(Int(Int64.max)),
        "description": "Minor units (1 credit = 1000000), at least 1.",
    ]
}
