import Catalog
import FoundationEssentials
import Hummingbird

/// A JSON request body with rules beyond its shape, checked as the OpenAPI document declares
/// them (the document builds each member's schema from the same rule, see
/// `OpenAPIDocument.text(_:_:)`). Decoding refuses a body of the wrong shape (400); `check()`
/// refuses values the schema excludes (422).
protocol CheckedBody: Decodable {
    func check() throws
}

extension Request {
    /// Decodes and checks a JSON body.
    func decodeChecked<Body: CheckedBody>(as type: Body.Type, context: some RequestContext) async throws -> Body {
        let body = try await decode(as: type, context: context)
        try body.check()
        return body
    }
}

/// A text member of a JSON body: at most `maxLength` Unicode code points (what JSON
/// Schema's `maxLength` counts; the domain's own limits count the trimmed text, which is
/// never longer) and, unless it may be blank, at least one character that is neither white
/// space nor a control character (the domain trims and drops those).
struct TextRule: Sendable {
    var maxLength: Int
    var mayBeBlank = false

    static let title = TextRule(maxLength: 200)
    static let album = TextRule(maxLength: 200, mayBeBlank: true)
    static let displayName = TextRule(maxLength: 100)
    static let reason = TextRule(maxLength: 1_000)
    static let reference = TextRule(maxLength: 1_000, mayBeBlank: true)
    static let rationale = TextRule(maxLength: 20_000)
    static let releaseTitle = TextRule(maxLength: ReleaseRules.titleLength)
    static let description = TextRule(maxLength: ReleaseRules.descriptionLength, mayBeBlank: true)
    static let genre = TextRule(maxLength: ReleaseRules.genreLength)
    static let lyrics = TextRule(maxLength: TrackRules.lyricsLength, mayBeBlank: true)
    static let creditName = TextRule(maxLength: TrackRules.creditNameLength)
    static let creditRole = TextRule(maxLength: TrackRules.creditRoleLength)
    static let bio = TextRule(maxLength: ArtistProfileRules.bioLength, mayBeBlank: true)
    static let location = TextRule(maxLength: ArtistProfileRules.locationLength, mayBeBlank: true)
    static let linkLabel = TextRule(maxLength: ArtistProfileRules.linkLabelLength, mayBeBlank: true)

    /// Code points that count as blank: Unicode White_Space and the control characters (Cc).
    static func isBlank(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || scalar.properties.generalCategory == .control
    }

    /// ``isBlank(_:)``'s complement as a JSON Schema (ECMA-262) pattern: matches a text with
    /// one code point that is not blank. `TextRuleTests` checks the two agree.
    static let notBlankPattern = "[^\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"

    func check(_ value: String, _ name: String) throws {
        guard value.unicodeScalars.count <= maxLength else {
            throw Problem(.unprocessableContent, title: "Invalid value", detail: "\(name) must be at most \(maxLength) characters.")
        }
        guard mayBeBlank || value.unicodeScalars.contains(where: { !Self.isBlank($0) }) else {
            throw Problem(.unprocessableContent, title: "Invalid value", detail: "\(name) must not be empty.")
        }
    }

    func check(_ value: String?, _ name: String) throws {
        if let value { try check(value, name) }
    }
}

/// Usernames and passwords as the document declares them (``CredentialRules`` stays the
/// domain's rule; these are at least as strict, and expressible in JSON Schema).
enum CredentialFormat {
    /// 3 to 32 of a-z (either case), digits, '.', '_' and '-'; stored lowercased.
    static let usernamePattern = "^[A-Za-z0-9._-]{3,32}$"
    /// Passwords are 8 to 72 code points (see ``PasswordHash`` for longer encodings).
    static let passwordLength = 8...72

    static func checkUsername(_ username: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-".unicodeScalars)
        guard (3...32).contains(username.unicodeScalars.count), username.unicodeScalars.allSatisfy(allowed.contains) else {
            throw CatalogError.invalidUsername("use 3 to 32 characters: letters a-z, digits, '.', '_' and '-'")
        }
    }

    static func checkPassword(_ password: String) throws {
        guard passwordLength.contains(password.unicodeScalars.count) else {
            throw CatalogError.invalidPassword("use \(passwordLength.lowerBound) to \(passwordLength.upperBound) characters")
        }
    }
}

/// An amount of money in a request: minor units, at least 1 (the document's `positiveUnits`).
enum AmountRule {
    static func check(_ amount: Int64) throws {
        guard amount >= 1 else {
            throw Problem(.unprocessableContent, title: "Invalid amount", detail: "amount must be a positive number of minor units (1 credit = 1000000).")
        }
    }
}
