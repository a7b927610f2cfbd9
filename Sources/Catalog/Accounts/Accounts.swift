import FoundationEssentials
import GRDB

/// Users and their bearer tokens.
///
/// Password hashing is CPU-heavy and left to the caller (the server runs it on a thread
/// pool): this type stores and looks up hashes, never computes them.
public struct Accounts: Sendable {
    private let database: any DatabaseWriter
    private let now: @Sendable () -> Date

    package init(database: any DatabaseWriter, now: @escaping @Sendable () -> Date) {
        self.database = database
        self.now = now
    }

    /// Creates an account. `passwordHash` is the bcrypt hash of a password that passed
    /// `CredentialRules.checkPassword`.
    public func createUser(username: String, displayName: String?, role: Role, passwordHash: String) async throws -> User {
        let name = try CredentialRules.normalizedUsername(username)
        let display = try CredentialRules.displayName(displayName ?? name)
        let user = User(id: Identifier.make(), username: name, displayName: display, passwordHash: passwordHash, role: role, createdAt: now())
        return try await database.write { db in
            if try User.filter(Column("username") == name).fetchCount(db) > 0 { throw CatalogError.usernameTaken(name) }
            try user.insert(db)
            return user
        }
    }

    public func user(id: String) async throws -> User? {
        try await database.read { db in try User.fetchOne(db, key: id) }
    }

    /// The users of `ids` that exist, by id.
    public func users(_ ids: some Collection<String>) async throws -> [String: User] {
        let unique = Array(Set(ids))
        guard !unique.isEmpty else { return [:] }
        return try await database.read { db in
            try User.filter(keys: unique).fetchAll(db).reduce(into: [:]) { $0[$1.id] = $1 }
        }
    }

    public func user(username: String) async throws -> User? {
        let name = username.lowercased()
        return try await database.read { db in try User.filter(Column("username") == name).fetchOne(db) }
    }

    /// Issues a new bearer token for `user`, valid for `lifetime` seconds.
    public func issueToken(for user: User, lifetime: TimeInterval) async throws -> IssuedToken {
        let token = Secret.make()
        let issued = now()
        let record = AccessToken(
            id: Identifier.make(), userID: user.id, tokenDigest: Secret.digest(token),
            createdAt: issued, expiresAt: issued.addingTimeInterval(lifetime), revokedAt: nil)
        try await database.write { db in try record.insert(db) }
        return IssuedToken(token: token, expiresAt: record.expiresAt, user: user)
    }

    /// The user a live (unexpired, unrevoked) token belongs to.
    public func user(forToken token: String) async throws -> User? {
        let digest = Secret.digest(token)
        let instant = now()
        // Every signed-in request comes here: cached statements, not SQL built and compiled per call.
        return try await database.read { db in
            guard let record = try AccessToken.fetchOne(
                      db.cachedStatement(sql: "SELECT * FROM accessTokens WHERE tokenDigest = ?"), arguments: [digest]),
                  record.revokedAt == nil, record.expiresAt > instant else { return nil }
            return try User.fetchOne(db.cachedStatement(sql: "SELECT * FROM users WHERE id = ?"), arguments: [record.userID])
        }
    }

    /// Revokes one token; returns whether it was live.
    @discardableResult
    public func revoke(token: String) async throws -> Bool {
        let digest = Secret.digest(token)
        let instant = now()
        return try await database.write { db in
            try AccessToken.filter(Column("tokenDigest") == digest && Column("revokedAt") == nil)
                .updateAll(db, Column("revokedAt").set(to: instant)) > 0
        }
    }

    /// Revokes every token of a user (log out everywhere); returns how many were live.
    @discardableResult
    public func revokeAll(userID: String) async throws -> Int {
        let instant = now()
        return try await database.write { db in
            try AccessToken.filter(Column("userID") == userID && Column("revokedAt") == nil)
                .updateAll(db, Column("revokedAt").set(to: instant))
        }
    }

    public func userCount() async throws -> Int {
        try await database.read { db in try User.fetchCount(db) }
    }
}
