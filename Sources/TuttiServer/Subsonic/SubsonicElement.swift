import FoundationEssentials

/// An attribute's value in a Subsonic response, typed as the XML schema types it: numbers
/// stay numbers in JSON, dates are ISO 8601 UTC with `Z`.
enum SubsonicValue: Sendable, Equatable {
    case string(String)
    /// xs:int: callers clamp to 32 bits (``SubsonicValue/int32(_:)``).
    case int(Int64)
    case bool(Bool)
    case double(Double)
    case date(Date)

    /// An xs:int, clamped to its 32-bit range (clients parse it into a 32-bit integer).
    static func int32(_ value: some BinaryInteger) -> SubsonicValue {
        .int(Int64(clamping: min(max(Int64(clamping: value), Int64(Int32.min)), Int64(Int32.max))))
    }

    /// An xs:long.
    static func long(_ value: some BinaryInteger) -> SubsonicValue { .int(Int64(clamping: value)) }

    var xmlText: String {
        switch self {
        case .string(let text): text
        case .int(let number): String(number)
        case .bool(let flag): flag ? "true" : "false"
        case .double(let number): String(number)
        case .date(let date): Self.format(date)
        }
    }

    var json: String {
        switch self {
        case .string(let text): SubsonicElement.jsonString(text)
        case .int(let number): String(number)
        case .bool(let flag): flag ? "true" : "false"
        case .double(let number): number.isFinite ? String(number) : "0"
        case .date(let date): SubsonicElement.jsonString(Self.format(date))
        }
    }

    /// `2026-12-07T05:30:00.000Z`: xs:dateTime, always UTC.
    static func format(_ date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
    }
}

/// An element of a Subsonic response: written as XML (attributes, child elements) or as the
/// API's JSON form (attributes as members; children by name, as an array where the schema
/// allows several — even one or none — and as an object where it allows one).
struct SubsonicElement: Sendable {
    /// The children of one name.
    enum Children: Sendable {
        /// Exactly one element (schema: maxOccurs 1).
        case one(SubsonicElement)
        /// Any number (schema: maxOccurs unbounded): always an array in JSON.
        case many(String, [SubsonicElement])
        /// Simple-typed child elements (`<allowedUser>name</allowedUser>`), always an array in JSON.
        case values(String, [SubsonicValue])
        /// One simple-typed child element (`<biography>text</biography>`).
        case value(String, SubsonicValue)
    }

    var name: String
    var attributes: [(String, SubsonicValue)]
    var children: [Children]
    /// Text content (the lyrics' text): `value` in JSON.
    var text: String?

    /// A nameless holder of children (the envelope's payload).
    init(children: [Children]) {
        self.init("", children: children)
    }

    init(_ name: String, _ attributes: [(String, SubsonicValue?)] = [], children: [Children] = [], text: String? = nil) {
        self.name = name
        // Absent values are left out: a response never holds a null.
        self.attributes = attributes.compactMap { key, value in value.map { (key, $0) } }
        self.children = children
        self.text = text
    }

    // MARK: XML

    func writeXML(into output: inout String) {
        output += "<" + name
        for (key, value) in attributes {
            output += " " + key + "=\"" + XMLText.escape(value.xmlText) + "\""
        }
        if children.isEmpty && text == nil {
            output += "/>"
            return
        }
        output += ">"
        if let text { output += XMLText.escape(text) }
        writeChildrenXML(into: &output)
        output += "</" + name + ">"
    }

    func writeChildrenXML(into output: inout String) {
        for group in children {
            switch group {
            case .one(let element): element.writeXML(into: &output)
            case .many(_, let elements): for element in elements { element.writeXML(into: &output) }
            case .values(let childName, let values):
                for value in values { output += "<\(childName)>\(XMLText.escape(value.xmlText))</\(childName)>" }
            case .value(let childName, let value):
                output += "<\(childName)>\(XMLText.escape(value.xmlText))</\(childName)>"
            }
        }
    }

    // MARK: JSON

    /// The element's body as a JSON object (its name is the key its parent gives it).
    func writeJSONObject(into output: inout String) {
        output += "{"
        var first = true
        func member(_ key: String) {
            if !first { output += "," }
            first = false
            output += Self.jsonString(key) + ":"
        }
        for (key, value) in attributes {
            member(key)
            output += value.json
        }
        if let text, !attributes.contains(where: { $0.0 == "value" }) {
            member("value")
            output += Self.jsonString(text)
        }
        for group in children {
            switch group {
            case .one(let element):
                member(element.name)
                element.writeJSONObject(into: &output)
            case .many(let childName, let elements):
                member(childName)
                output += "["
                for (index, element) in elements.enumerated() {
                    if index > 0 { output += "," }
                    element.writeJSONObject(into: &output)
                }
                output += "]"
            case .values(let childName, let values):
                member(childName)
                output += "[" + values.map(\.json).joined(separator: ",") + "]"
            case .value(let childName, let value):
                member(childName)
                output += value.json
            }
        }
        output += "}"
    }

    static func jsonString(_ text: String) -> String {
        var escaped = "\""
        escaped.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    escaped += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    escaped.unicodeScalars.append(scalar)
                }
            }
        }
        return escaped + "\""
    }
}
