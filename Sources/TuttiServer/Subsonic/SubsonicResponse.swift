import FoundationEssentials
import HTTPTypes
import Hummingbird

/// A Subsonic API error: answered inside the envelope with HTTP 200, as clients expect.
struct SubsonicError: Error, Sendable, Equatable {
    /// The codes of the Subsonic API (and OpenSubsonic's API key extension).
    enum Code: Int, Sendable {
        case generic = 0
        case missingParameter = 10
        case clientTooOld = 20
        case serverTooOld = 30
        case wrongCredentials = 40
        case tokenNotSupported = 41
        case authenticationNotSupported = 42
        case conflictingAuthentication = 43
        case invalidAPIKey = 44
        case notAuthorized = 50
        case notFound = 70
    }

    var code: Code
    var message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    static func missing(_ name: String) -> SubsonicError {
        SubsonicError(.missingParameter, "Required parameter is missing: \(name)")
    }

    static func invalid(_ name: String, _ why: String) -> SubsonicError {
        SubsonicError(.generic, "Invalid value of \(name): \(why)")
    }

    static func notFound(_ what: String) -> SubsonicError {
        SubsonicError(.notFound, "\(what) not found")
    }

    var element: SubsonicElement {
        SubsonicElement("error", [("code", .int32(code.rawValue)), ("message", .string(message))])
    }
}

/// Writes the Subsonic envelope, as XML (the default) or JSON (`f=json`).
struct SubsonicEnvelope: Sendable {
    enum Format: Sendable {
        case xml, json
    }

    /// The Subsonic API version Tutti implements.
    static let apiVersion = "1.16.1"
    static let serverType = "tutti"
    /// Tutti's version, as `serverVersion`.
    static let serverVersion = "1.0.0"

    var format: Format

    /// The format a request asks for: `f=json` gives JSON, anything else XML.
    init(_ parameters: SubsonicParameters) {
        format = parameters.first("f")?.lowercased() == "json" ? .json : .xml
    }

    init(format: Format) {
        self.format = format
    }

    func ok(_ payload: SubsonicElement? = nil) -> Response {
        respond(status: "ok", payload: payload.map { .one($0) })
    }

    /// A payload that is a list itself (getOpenSubsonicExtensions): an array in JSON.
    func ok(list name: String, _ elements: [SubsonicElement]) -> Response {
        respond(status: "ok", payload: .many(name, elements))
    }

    func failure(_ error: SubsonicError) -> Response {
        respond(status: "failed", payload: .one(error.element))
    }

    /// The envelope's text and content type.
    func render(status: String, payload: SubsonicElement.Children?) -> (text: String, contentType: String) {
        var text: String
        let contentType: String
        switch format {
        case .xml:
            text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<subsonic-response xmlns=\"http://subsonic.org/restapi\" status=\"\(status)\" version=\"\(Self.apiVersion)\" type=\"\(Self.serverType)\" serverVersion=\"\(Self.serverVersion)\" openSubsonic=\"true\""
            if let payload {
                text += ">"
                SubsonicElement(children: [payload]).writeChildrenXML(into: &text)
                text += "</subsonic-response>"
            } else {
                text += "/>"
            }
            contentType = "text/xml; charset=utf-8"
        case .json:
            text = "{\"subsonic-response\":{\"status\":\"\(status)\",\"version\":\"\(Self.apiVersion)\",\"type\":\"\(Self.serverType)\",\"serverVersion\":\"\(Self.serverVersion)\",\"openSubsonic\":true"
            if let payload {
                var members = ""
                SubsonicElement(children: [payload]).writeJSONObject(into: &members)
                // The payload's members, after the envelope's own.
                text += "," + members.dropFirst().dropLast()
            }
            text += "}}"
            contentType = "application/json; charset=utf-8"
        }
        return (text, contentType)
    }

    private func respond(status: String, payload: SubsonicElement.Children?) -> Response {
        let (text, contentType) = render(status: status, payload: payload)
        var headers: HTTPFields = [.contentType: contentType, .cacheControl: "no-store", .accessControlAllowOrigin: "*"]
        headers.append(contentsOf: SecurityHeadersMiddleware<TuttiRequestContext>.fields)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
