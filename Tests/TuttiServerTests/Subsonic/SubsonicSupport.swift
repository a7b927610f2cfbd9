import Crypto
import Foundation
import HTTPTypes
import NIOCore
import Testing
@testable import TuttiServer
import TuttiTestSupport

/// How a test signs in to the Subsonic API.
enum SubsonicSignIn: Sendable {
    case none
    /// `u` and `p` (plain).
    case password(String, String)
    /// `u` and `p=enc:HEX`.
    case encoded(String, String)
    /// `u`, `t` = MD5(password + salt), `s`.
    case token(String, String)
    case apiKey(String)

    var parameters: [(String, String)] {
        switch self {
        case .none: return []
        case .password(let user, let password): return [("u", user), ("p", password)]
        case .encoded(let user, let password): return [("u", user), ("p", "enc:" + password.utf8.map { String(format: "%02x", $0) }.joined())]
        case .token(let user, let password):
            let salt = UUID().uuidString.prefix(12).lowercased()
            let token = Insecure.MD5.hash(data: Data((password + salt).utf8)).map { String(format: "%02x", $0) }.joined()
            return [("u", user), ("t", token), ("s", String(salt))]
        case .apiKey(let key): return [("apiKey", key)]
        }
    }
}

/// An app password as made over the API.
struct MadeAppPassword: Sendable {
    var id: String
    var secret: String
    var username: String

    var signIn: SubsonicSignIn { .token(username, secret) }
}

extension TestAPI {
    /// Makes an app password for `account` (201, its secret shown in the answer).
    func appPassword(_ account: Account, name: String = "Phone", countPlays: Bool = false) async throws -> MadeAppPassword {
        let made = try await request(.post, "/api/v1/me/app-passwords", token: account.token, json: ["name": name, "countPlays": countPlays])
        #expect(made.status == .created, "\(String(buffer: made.body))")
        let json = try made.json()
        return MadeAppPassword(id: try #require(json["id"] as? String), secret: try #require(json["secret"] as? String),
                               username: try #require(json["username"] as? String))
    }

    static func formEncoded(_ pairs: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return pairs.map { "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed)!)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }
            .joined(separator: "&")
    }

    /// A Subsonic method, by GET (or POST with a form body), signed in as `signIn`.
    func rest(_ method: String, _ parameters: [(String, String)] = [], as signIn: SubsonicSignIn, json: Bool = false, post: Bool = false,
              headers: HTTPFields = [:]) async throws -> TestResponse {
        let version = parameters.contains { $0.0 == "v" } ? [] : [("v", "1.16.1")]
        var all = signIn.parameters + version + [("c", "tutti-tests")] + parameters
        if json { all.append(("f", "json")) }
        let query = Self.formEncoded(all)
        if post {
            var headers = headers
            headers[.contentType] = "application/x-www-form-urlencoded"
            return try await request(.post, "/rest/\(method)", headers: headers, body: ByteBuffer(string: query))
        }
        return try await request(.get, "/rest/\(method)?\(query)", headers: headers)
    }

    /// A Subsonic method's JSON envelope, checked against the schema's types; fails the test
    /// unless HTTP 200.
    func restJSON(_ method: String, _ parameters: [(String, String)] = [], as signIn: SubsonicSignIn,
                  sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String: Any] {
        let response = try await rest(method, parameters, as: signIn, json: true)
        #expect(response.status == .ok, sourceLocation: sourceLocation)
        #expect(response.headers[.contentType]?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
        let problems = SubsonicSchema.check(json: Data(buffer: response.body))
        #expect(problems.isEmpty, "\(method) JSON: \(problems)", sourceLocation: sourceLocation)
        let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
        return try #require(object?["subsonic-response"] as? [String: Any], sourceLocation: sourceLocation)
    }

    /// A Subsonic method's XML envelope, checked against the schema; returns its root.
    @discardableResult
    func restXML(_ method: String, _ parameters: [(String, String)] = [], as signIn: SubsonicSignIn,
                 sourceLocation: SourceLocation = #_sourceLocation) async throws -> SubsonicSchema.Node {
        let response = try await rest(method, parameters, as: signIn)
        #expect(response.status == .ok, sourceLocation: sourceLocation)
        #expect(response.headers[.contentType]?.hasPrefix("text/xml") == true, sourceLocation: sourceLocation)
        let data = Data(buffer: response.body)
        let problems = SubsonicSchema.check(xml: data)
        #expect(problems.isEmpty, "\(method) XML: \(problems)", sourceLocation: sourceLocation)
        return try #require(SubsonicSchema.parse(data), sourceLocation: sourceLocation)
    }
}

extension Dictionary where Key == String, Value == Any {
    /// The Subsonic error of a failed envelope: code and message.
    var subsonicError: (code: Int, message: String)? {
        guard self["status"] as? String == "failed", let error = self["error"] as? [String: Any], let code = error["code"] as? Int else { return nil }
        return (code, error["message"] as? String ?? "")
    }
}
