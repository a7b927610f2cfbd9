/// What usernames and passwords must look like.
public enum CredentialRules {
    public static let usernameLength = 3...32
    /// bcrypt reads only the first 72 bytes of a password; longer ones are refused rather than
    /// silently cut.
    public static let passwordBytes = 8...72

    /// The username as stored (lowercased), or why it is refused.
    public static func normalizedUsername(_ raw: String) throws(CatalogError) -> String {
        let name = raw.lowercased()
        guard usernameLength.contains(name.count) else {
            throw .invalidUsername("use \(usernameLength.lowerBound) to \(usernameLength.upperBound) characters")
        }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789._-")
        guard name.allSatisfy(allowed.contains) else {
            throw .invalidUsername("use only letters a-z, digits, '.', '_' and '-'")
        }
        return name
    }

    public static func checkPassword(_ password: String) throws(CatalogError) {
        guard passwordBytes.contains(password.utf8.count) else {
            throw .invalidPassword("use \(passwordBytes.lowerBound) to \(passwordBytes.upperBound) bytes")
        }
    }

    /// A display name: printable, trimmed, 1 to 100 characters.
    public static func displayName(_ raw: String) throws(CatalogError) -> String {
        let cleaned = TextField.clean(raw)
        guard (1...100).contains(cleaned.count) else {
            throw .invalidField(name: "displayName", reason: "use 1 to 100 characters")
        }
        return cleaned
    }
}

/// Text from users: control characters removed, white space trimmed.
public enum TextField {
    /// Trims code points, not characters: a character that starts with white space but
    /// carries more (a space with a combining accent) keeps the rest, so a text with any code
    /// point that is neither white space nor a control character never cleans to nothing.
    public static func clean(_ raw: String) -> String {
        let scalars = raw.unicodeScalars.filter { $0.properties.generalCategory != .control }
        let trimmed = scalars.drop(while: \.properties.isWhitespace).reversed().drop(while: \.properties.isWhitespace).reversed()
        return String(String.UnicodeScalarView(trimmed))
    }
}
