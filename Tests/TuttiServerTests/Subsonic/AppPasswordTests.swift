import Catalog
import Foundation
import GRDB
import HTTPTypes
import Testing
@testable import TuttiServer
import TuttiTestSupport

@Suite("App passwords: how apps sign in")
struct AppPasswordTests {
    @Test("made with a name and shown once, listed with its last use, usable as p, enc:, t+s and apiKey, revoked at once")
    func lifecycle() async throws {
        try await TestService().run { api in
            let lena = try await api.account("lena")
            let made = try await api.appPassword(lena, name: "Symfonium")
            #expect(made.username == "lena")
            #expect(made.secret.count == 24, "five groups of four: \(made.secret)")
            let listed = try await api.request(.get, "/api/v1/me/app-passwords", token: lena.token).json()
            let items = try #require(listed["items"] as? [[String: Any]])
            #expect(items.count == 1)
            #expect(items.first?["name"] as? String == "Symfonium")
            #expect(items.first?["secret"] == nil, "the secret is shown once, when made")
            #expect(items.first?["lastUsedAt"] == nil, "never used yet")
            #expect(!String(buffer: try await api.request(.get, "/api/v1/me/app-passwords", token: lena.token).body).contains(made.secret))

            for signIn: SubsonicSignIn in [.password("lena", made.secret), .encoded("lena", made.secret), .token("lena", made.secret),
                                           .token("LENA", made.secret), .apiKey(made.secret)] {
                let ping = try await api.restJSON("ping", as: signIn)
                #expect(ping["status"] as? String == "ok", "\(signIn): \(ping)")
                #expect(ping["version"] as? String == "1.16.1")
                #expect(ping["type"] as? String == "tutti")
                #expect(ping["openSubsonic"] as? Bool == true)
                #expect((ping["serverVersion"] as? String)?.isEmpty == false)
            }
            let used = try await api.request(.get, "/api/v1/me/app-passwords", token: lena.token).json()
            #expect(((used["items"] as? [[String: Any]])?.first?["lastUsedAt"] as? String) != nil, "the sign-ins are the last use")
            let user = try await api.restJSON("getUser", [("username", "lena")], as: made.signIn)
            #expect((user["user"] as? [String: Any])?["username"] as? String == "lena")
            let info = try await api.restJSON("tokenInfo", as: .apiKey(made.secret))
            #expect((info["tokenInfo"] as? [String: Any])?["username"] as? String == "lena")

            // Another listener's username with this password, or a wrong one: refused (40).
            _ = try await api.account("mira")
            for signIn: SubsonicSignIn in [.token("mira", made.secret), .password("lena", "not-the-password"), .token("lena", "wrong")] {
                let refused = try await api.restJSON("ping", as: signIn)
                #expect(refused.subsonicError?.code == 40, "\(signIn): \(refused)")
            }
            #expect(try await api.restJSON("ping", as: .apiKey("not-a-key")).subsonicError?.code == 44)
            #expect(try await api.restJSON("ping", [("u", "lena")], as: .apiKey(made.secret)).subsonicError?.code == 43)
            #expect(try await api.restJSON("ping", as: .none).subsonicError?.code == 10)
            #expect(try await api.restJSON("ping", [("u", "lena")], as: .none).subsonicError?.code == 10)
            // The extensions are listed without signing in.
            let extensions = try await api.restJSON("getOpenSubsonicExtensions", as: .none)
            #expect((extensions["openSubsonicExtensions"] as? [[String: Any]])?.contains { $0["name"] as? String == "apiKeyAuthentication" } == true)

            // Revoked: every app using it is refused from the next request on.
            #expect(try await api.request(.delete, "/api/v1/me/app-passwords/\(made.id)", token: lena.token).status == .noContent)
            for signIn: SubsonicSignIn in [.token("lena", made.secret), .password("lena", made.secret), .apiKey(made.secret)] {
                let refused = try await api.restJSON("ping", as: signIn)
                #expect([40, 44].contains(refused.subsonicError?.code ?? 0), "\(signIn): \(refused)")
            }
            #expect((try await api.request(.get, "/api/v1/me/app-passwords", token: lena.token).json()["items"] as? [Any])?.isEmpty == true)
            #expect(try await api.request(.delete, "/api/v1/me/app-passwords/\(made.id)", token: lena.token).status == .notFound)
        }
    }

    @Test("the account password is never accepted, plain or as a token, and the error says to make an app password")
    func accountPasswordRefused() async throws {
        try await TestService().run { api in
            let lena = try await api.account("lena", password: "correct horse battery")
            _ = try await api.appPassword(lena)
            for signIn: SubsonicSignIn in [.password("lena", "correct horse battery"), .encoded("lena", "correct horse battery"),
                                           .token("lena", "correct horse battery"), .apiKey("correct horse battery")] {
                let refused = try await api.restJSON("getArtists", as: signIn)
                let error = try #require(refused.subsonicError, "\(signIn)")
                #expect([40, 44].contains(error.code))
                #expect(error.message.contains("app password"), "\(error.message)")
            }
        }
    }

    @Test("wrong app passwords count toward the log-in limit of the account and address")
    func rateLimited() async throws {
        try await TestService { $0.loginAttempts = 3 }.run { api in
            let lena = try await api.account("lena")
            let made = try await api.appPassword(lena)
            for _ in 0..<3 {
                #expect(try await api.restJSON("ping", as: .token("lena", "guess")).subsonicError?.code == 40)
            }
            let limited = try await api.restJSON("ping", as: made.signIn)
            #expect(limited.subsonicError?.message.contains("Too many") == true, "\(limited)")
            let web = try await api.request(.post, "/api/v1/sessions", json: ["username": "lena", "password": "correct horse battery"])
            #expect(web.status == .tooManyRequests, "the same limit as web log-ins")
        }
    }

    @Test("the secret is sealed in the database: not readable from the database file alone, and bound to its row")
    func sealedAtRest() async throws {
        let service = TestService()
        let (secret, userID, id) = try await service.run { api in
            let lena = try await api.account("lena")
            let made = try await api.appPassword(lena)
            return (made.secret, lena.id, made.id)
        }
        let database = try Data(contentsOf: URL(fileURLWithPath: service.configuration.databasePath))
        let wal = (try? Data(contentsOf: URL(fileURLWithPath: service.configuration.databasePath + "-wal"))) ?? Data()
        #expect(database.range(of: Data(secret.utf8)) == nil && wal.range(of: Data(secret.utf8)) == nil, "the secret in clear in the database")
        let pool = try DatabasePool(path: service.configuration.databasePath)
        let row = try #require(try await pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM appPasswords WHERE id = ?", arguments: [id]) })
        let sealed: Data = row["sealedSecret"]
        for column in row.columnNames {
            #expect(!"\(row[column] as DatabaseValue)".contains(secret), "column \(column)")
        }
        // The key file opens it; another key, or the same sealed bytes on another row, does not.
        let keyPath = service.configuration.appPasswordKeyPath
        let key = Array(try Data(contentsOf: URL(fileURLWithPath: keyPath)))
        #expect(key.count == 32)
        let mode = try FileManager.default.attributesOfItem(atPath: keyPath)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(AppPasswordSealer(keyBytes: key).open(sealed, id: id, userID: userID) == secret)
        #expect(AppPasswordSealer(keyBytes: Array(repeating: 7, count: 32)).open(sealed, id: id, userID: userID) == nil)
        #expect(AppPasswordSealer(keyBytes: key).open(sealed, id: Identifier.make(), userID: userID) == nil)
    }

    @Test("who may do what with app passwords")
    func authorization() async throws {
        try await TestService().run { api in
            let lena = try await api.account("lena")
            let mira = try await api.account("mira")
            let made = try await api.appPassword(lena)
            let callers: [(String, String?)] = [("anonymous", nil), ("bad token", "not-a-real-token"), ("owner", lena.token), ("other", mira.token)]
            let cases: [(String, HTTPRequest.Method, String, Any?, [Int])] = [
                ("list", .get, "/api/v1/me/app-passwords", nil, [401, 401, 200, 200]),
                ("make", .post, "/api/v1/me/app-passwords", ["name": "Other app"], [401, 401, 201, 201]),
                ("switch", .patch, "/api/v1/me/app-passwords/\(made.id)", ["countPlays": true], [401, 401, 200, 404]),
                ("revoke", .delete, "/api/v1/me/app-passwords/\(made.id)", nil, [401, 401, 204, 404]),
            ]
            for (name, method, uri, json, expected) in cases {
                var got: [Int] = []
                // The owner goes last for revoke, so the others try a live one.
                for (_, token) in callers.filter({ name != "revoke" || $0.0 != "owner" }) + callers.filter({ name == "revoke" && $0.0 == "owner" }) {
                    got.append(Int(try await api.request(method, uri, token: token, json: json).status.code))
                }
                let order = name == "revoke" ? [expected[0], expected[1], expected[3], expected[2]] : expected
                #expect(got == order, "\(name): \(got)")
            }
            // Invalid input: a blank or long name (422), a missing member (400).
            #expect(try await api.request(.post, "/api/v1/me/app-passwords", token: lena.token, json: ["name": "  "]).status == .unprocessableContent)
            #expect(try await api.request(.post, "/api/v1/me/app-passwords", token: lena.token, json: ["name": String(repeating: "x", count: 101)]).status == .unprocessableContent)
            #expect(try await api.request(.patch, "/api/v1/me/app-passwords/\(made.id)", token: lena.token, json: ["nothing": 1]).status == .badRequest)
            #expect(try await api.request(.patch, "/api/v1/me/app-passwords/not-an-id", token: lena.token, json: ["countPlays": true]).status == .notFound)
        }
    }
}
