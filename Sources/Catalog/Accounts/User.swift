import FoundationEssentials
import GRDB

/// What an account may do.
public enum Role: String, Codable, Sendable, CaseIterable {
    case listener, artist, admin
}

/// An account: a listener, an artist or an admin.
public struct User: Codable, Sendable, Equatable, Identifiable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "users"

    public var id: String
    /// Unique, lowercase, 3 to 32 of a-z 0-9 . _ -
    public var username: String
    public var displayName: String
    /// bcrypt hash of the password; never leaves the server.
    public var passwordHash: String
    public var role: Role
    public var createdAt: Date
}

/// A bearer token's stored form: its SHA-256 digest, never the token itself.
public struct AccessToken: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "accessTokens"

    public var id: String
    public var userID: String
    public var tokenDigest: String
    public var createdAt: Date
    public var expiresAt: Date
    public var revokedAt: Date?
}

/// A token as handed to the client once, at log-in.
public struct IssuedToken: Sendable, Equatable {
    /// The bearer token (43 characters of base64url); only its digest is kept.
    public var token: String
    public var expiresAt: Date
    public var user: User
}
