import Crypto
import FoundationEssentials
import GRDB

/// A password a listener made for one app (a Subsonic player): named, shown once, revocable,
/// never their account password.
public struct AppPassword: Sendable, Equatable {
    public var id: String
    public var userID: String
    public var name: String
    /// Whether streams in this app follow the web player's metering (held at the preview's
    /// end, then charged); off, paid tracks not owned play their preview only.
    public var countPlays: Bool
    public var createdAt: Date
    /// When an app last signed in with it (to the minute: see ``AppPasswords/lastUsedResolution``).
    public var lastUsedAt: Date?
}

/// Seals app passwords' secrets for the database and opens them again (AES-GCM under a key
/// kept outside the database, in the data folder): Subsonic's token sign-in sends
/// MD5(secret + salt), so the server must be able to recover the secret, yet a copy of the
/// database alone must not reveal it.
public struct AppPasswordSealer: Sendable {
    /// 32 bytes (SymmetricKey is not Sendable; a key is made per use).
    private let keyBytes: [UInt8]

    public init(keyBytes: [UInt8]) {
        precondition(keyBytes.count == 32, "an AES-256 key is 32 bytes")
        self.keyBytes = keyBytes
    }

    /// The secret sealed for the row `id` of `userID` (nonce, ciphertext and tag in one):
    /// bound to that row, so a sealed secret copied to another row does not open.
    public func seal(_ secret: String, id: String, userID: String) throws -> Data {
        let box = try AES.GCM.seal(Data(secret.utf8), using: SymmetricKey(data: keyBytes),
                                   authenticating: Data(Self.context(id: id, userID: userID).utf8))
        guard let combined = box.combined else { throw CatalogError.conflict("AES-GCM gave no combined form") }
        return combined
    }

    /// The secret, or nil if `sealed` was not sealed for this row under this key.
    public func open(_ sealed: Data, id: String, userID: String) -> String? {
        guard let box = try? AES.GCM.SealedBox(combined: sealed),
              let plain = try? AES.GCM.open(box, using: SymmetricKey(data: keyBytes), authenticating: Data(Self.context(id: id, userID: userID).utf8))
        else { return nil }
        return String(decoding: plain, as: UTF8.self)
    }

    private static func context(id: String, userID: String) -> String { "tutti-app-password:\(id):\(userID)" }
}

/// App passwords: made, listed, switched and revoked by their listener; checked when an app
/// signs in (Subsonic `p`, `t`+`s`, or OpenSubsonic `apiKey`).
public struct AppPasswords: Sendable {
    private let database: any DatabaseWriter
    private let now: @Sendable () -> Date
    private let sealer: AppPasswordSealer

    /// How often the last use is written: at most once a minute per app password, so that an
    /// app's many requests do not each cost a write.
    public static let lastUsedResolution: TimeInterval = 60
    /// Names are for the listener's eyes: 1 to this many characters.
    public static let nameLength = 100
    /// Live app passwords one account may hold.
    public static let maximumPerUser = 50

    package init(database: any DatabaseWriter, sealer: AppPasswordSealer, now: @escaping @Sendable () -> Date) {
        self.database = database
        self.sealer = sealer
        self.now = now
    }

    /// A new random secret: 20 characters of an alphabet without look-alikes (100 bits), in
    /// groups of four so that it can be typed into a phone.
    public static func makeSecret() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyz23456789")  // 32 symbols
        var generator = SystemRandomNumberGenerator()
        let symbols = (0..<20).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
        return stride(from: 0, to: 20, by: 4).map { String(symbols[$0..<($0 + 4)]) }.joined(separator: "-")
    }

    /// Makes an app password; returns it and its secret (shown once, never again).
    public func create(for user: User, name: String, countPlays: Bool) async throws -> (AppPassword, secret: String) {
        let name = try TextRules.line(name, field: "name", length: 1...Self.nameLength)
        let secret = Self.makeSecret()
        let id = Identifier.make()
        let sealed = try sealer.seal(secret, id: id, userID: user.id)
        let password = AppPassword(id: id, userID: user.id, name: name, countPlays: countPlays, createdAt: now(), lastUsedAt: nil)
        try await database.write { db in
            let live = try Int.fetchOne(db, sql: "SELECT count(*) FROM appPasswords WHERE userID = ? AND revokedAt IS NULL", arguments: [user.id]) ?? 0
            guard live < Self.maximumPerUser else {
                throw CatalogError.conflict("an account holds at most \(Self.maximumPerUser) app passwords: revoke one first")
            }
            try db.execute(sql: """
                INSERT INTO appPasswords (id, userID, name, secretDigest, sealedSecret, countPlays, createdAt)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [id, user.id, name, Secret.digest(secret), sealed, countPlays, password.createdAt])
        }
        return (password, secret)
    }

    /// The listener's live app passwords, newest first.
    public func list(userID: String) async throws -> [AppPassword] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM appPasswords WHERE userID = ? AND revokedAt IS NULL ORDER BY createdAt DESC, id",
                             arguments: [userID]).map(Self.password)
        }
    }

    /// Switches "count plays in this app"; nil if the listener has no such live app password.
    public func setCountPlays(_ countPlays: Bool, id: String, userID: String) async throws -> AppPassword? {
        guard Identifier.isValid(id) else { return nil }
        return try await database.write { db in
            try db.execute(sql: "UPDATE appPasswords SET countPlays = ? WHERE id = ? AND userID = ? AND revokedAt IS NULL",
                           arguments: [countPlays, id, userID])
            guard db.changesCount > 0 else { return nil }
            return try Row.fetchOne(db, sql: "SELECT * FROM appPasswords WHERE id = ?", arguments: [id]).map(Self.password)
        }
    }

    /// Revokes an app password at once (its sealed secret is erased); false if the listener
    /// has no such live one.
    public func revoke(id: String, userID: String) async throws -> Bool {
        guard Identifier.isValid(id) else { return false }
        let instant = now()
        return try await database.write { db in
            try db.execute(sql: "UPDATE appPasswords SET revokedAt = ?, sealedSecret = x'' WHERE id = ? AND userID = ? AND revokedAt IS NULL",
                           arguments: [instant, id, userID])
            return db.changesCount > 0
        }
    }

    // MARK: Signing in

    /// An app password given whole (OpenSubsonic `apiKey`): its account and itself.
    public func signIn(apiKey: String) async throws -> (User, AppPassword)? {
        guard apiKey.utf8.count <= 256 else { return nil }
        let digest = Secret.digest(apiKey)
        let found = try await database.read { db -> (User, AppPassword)? in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM appPasswords WHERE secretDigest = ? AND revokedAt IS NULL", arguments: [digest]),
                  let user = try User.fetchOne(db, key: row["userID"] as String) else { return nil }
            return (user, Self.password(row))
        }
        return try await markedUsed(found)
    }

    /// An account's username and one of its app passwords (Subsonic `u` and `p`).
    public func signIn(username: String, password: String) async throws -> (User, AppPassword)? {
        guard password.utf8.count <= 256 else { return nil }
        let digest = Secret.digest(password)
        let name = username.lowercased()
        let found = try await database.read { db -> (User, AppPassword)? in
            guard let user = try User.filter(Column("username") == name).fetchOne(db),
                  let row = try Row.fetchOne(db, sql: "SELECT * FROM appPasswords WHERE secretDigest = ? AND userID = ? AND revokedAt IS NULL",
                                             arguments: [digest, user.id]) else { return nil }
            return (user, Self.password(row))
        }
        return try await markedUsed(found)
    }

    /// An account's username and a token made from one of its app passwords (Subsonic `u`,
    /// `t` = hex MD5(secret + `s`), `s`): each live app password of the account is opened and
    /// tried, compared in constant time.
    public func signIn(username: String, token: String, salt: String) async throws -> (User, AppPassword)? {
        let token = Array(token.lowercased().utf8)
        guard token.count == 32, !salt.isEmpty, salt.utf8.count <= 256 else { return nil }
        let name = username.lowercased()
        let sealer = self.sealer
        let found = try await database.read { db -> (User, AppPassword)? in
            guard let user = try User.filter(Column("username") == name).fetchOne(db) else { return nil }
            for row in try Row.fetchAll(db, sql: "SELECT * FROM appPasswords WHERE userID = ? AND revokedAt IS NULL", arguments: [user.id]) {
                guard let secret = sealer.open(row["sealedSecret"], id: row["id"], userID: user.id) else { continue }
                let expected = Array(Insecure.MD5.hash(data: Data((secret + salt).utf8)).map { String(format: "%02x", $0) }.joined().utf8)
                var difference: UInt8 = 0
                for (left, right) in zip(expected, token) { difference |= left ^ right }
                if difference == 0 { return (user, Self.password(row)) }
            }
            return nil
        }
        return try await markedUsed(found)
    }

    /// Records the sign-in as the app password's last use (at most once per ``lastUsedResolution``).
    private func markedUsed(_ found: (User, AppPassword)?) async throws -> (User, AppPassword)? {
        guard var (user, password) = found else { return nil }
        let instant = now()
        if password.lastUsedAt.map({ instant.timeIntervalSince($0) >= Self.lastUsedResolution }) ?? true {
            let id = password.id
            try await database.write { db in
                try db.execute(sql: "UPDATE appPasswords SET lastUsedAt = ? WHERE id = ? AND revokedAt IS NULL", arguments: [instant, id])
            }
            password.lastUsedAt = instant
        }
        return (user, password)
    }

    static func password(_ row: Row) -> AppPassword {
        AppPassword(id: row["id"], userID: row["userID"], name: row["name"], countPlays: row["countPlays"],
                    createdAt: row["createdAt"], lastUsedAt: row["lastUsedAt"])
    }

    static func register(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("app-passwords-1") { db in
            try db.execute(sql: """
                CREATE TABLE appPasswords (
                    id TEXT PRIMARY KEY NOT NULL,
                    userID TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND \(nameLength)),
                    -- SHA-256 of the secret: finds an apiKey or a plain password.
                    secretDigest TEXT NOT NULL UNIQUE,
                    -- The secret under AES-GCM with a key in the data folder (token sign-in needs
                    -- it back); emptied when revoked.
                    sealedSecret BLOB NOT NULL,
                    countPlays BOOLEAN NOT NULL DEFAULT 0 CHECK (countPlays IN (0, 1)),
                    createdAt DATETIME NOT NULL,
                    lastUsedAt DATETIME,
                    revokedAt DATETIME
                );
                CREATE INDEX appPasswords_user ON appPasswords (userID, createdAt);
                """)
        }
    }
}
