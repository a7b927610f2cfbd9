import Foundation
import HTTPTypes
import NIOCore
import Testing
import TuttiServer
import TuttiTestSupport

@Suite("Authorization: every route, every role")
struct AuthorizationTests {
    enum Caller: String, CaseIterable, Sendable {
        case anonymous, badToken, listener, owner, otherArtist, admin
    }

    @Test("each caller gets what its role allows, on its own and on another artist's tracks")
    func matrix() async throws {
        try await TestService().run { api in
            let listener = try await api.account("lena")
            let owner = try await api.account("ada", role: "artist")
            let other = try await api.account("bela", role: "artist")
            let admin = try await api.adminAccount("root")
            let published = try await api.publishedTrack(Fixtures.media("sine-1000-48000-mono.wav"), title: "Public", by: owner)
            let draftID = try await api.upload(Fixtures.media("sine-1000-48000-mono.wav"), title: "Draft", by: owner)
            _ = try await api.waitUntilProcessed(draftID, token: owner.token)
            let tokens: [Caller: String?] = [
                .anonymous: nil, .badToken: "not-a-real-token", .listener: listener.token,
                .owner: owner.token, .otherArtist: other.token, .admin: admin.token,
            ]
            func status(_ caller: Caller, _ method: HTTPRequest.Method, _ uri: String, json: Any? = nil, body: ByteBuffer? = nil) async throws -> Int {
                Int(try await api.request(method, uri, token: tokens[caller]!, json: json, body: body).status.code)
            }
            let wav = ByteBuffer(data: try Data(contentsOf: URL(fileURLWithPath: Fixtures.media("sine-1000-48000-mono.wav"))))
            // Expected statuses per caller, in Caller.allCases order.
            let cases: [(String, HTTPRequest.Method, String, Any?, ByteBuffer?, [Int])] = [
                ("list", .get, "/api/v1/tracks", nil, nil, [200, 401, 200, 200, 200, 200]),
                ("published detail", .get, "/api/v1/tracks/\(published)", nil, nil, [200, 401, 200, 200, 200, 200]),
                ("draft detail", .get, "/api/v1/tracks/\(draftID)", nil, nil, [404, 401, 404, 200, 404, 200]),
                // A paid track's plain URL serves only those who are never counted; others open a play session.
                ("published audio", .get, "/api/v1/tracks/\(published)/audio/low", nil, nil, [403, 401, 403, 200, 403, 200]),
                ("open play", .post, "/api/v1/tracks/\(published)/plays", nil, nil, [201, 401, 201, 201, 201, 201]),
                ("open play of draft", .post, "/api/v1/tracks/\(draftID)/plays", nil, nil, [404, 401, 404, 201, 404, 201]),
                ("original", .get, "/api/v1/tracks/\(published)/original", nil, nil, [401, 401, 403, 200, 403, 200]),
                ("draft original", .get, "/api/v1/tracks/\(draftID)/original", nil, nil, [401, 401, 404, 200, 404, 200]),
                ("draft audio", .get, "/api/v1/tracks/\(draftID)/audio/low", nil, nil, [404, 401, 404, 200, 404, 200]),
                ("upload", .post, "/api/v1/tracks?title=x", nil, wav, [401, 401, 403, 202, 202, 403]),
                ("edit published", .patch, "/api/v1/tracks/\(published)", ["title": "Renamed"], nil, [401, 401, 403, 200, 403, 200]),
                ("edit draft", .patch, "/api/v1/tracks/\(draftID)", ["album": "A"], nil, [401, 401, 404, 200, 404, 200]),
                ("me", .get, "/api/v1/me", nil, nil, [401, 401, 200, 200, 200, 200]),
                ("artists", .get, "/api/v1/artists", nil, nil, [200, 401, 200, 200, 200, 200]),
                ("artist", .get, "/api/v1/artists/\(owner.id)", nil, nil, [200, 401, 200, 200, 200, 200]),
                ("listener is no artist", .get, "/api/v1/artists/\(listener.id)", nil, nil, [404, 401, 404, 404, 404, 404]),
                ("health", .get, "/health", nil, nil, [200, 401, 200, 200, 200, 200]),
                ("delete draft", .delete, "/api/v1/tracks/\(draftID)", nil, nil, [401, 401, 404, 204, 404, 404]),
            ]
            for (name, method, uri, json, body, expected) in cases {
                var got: [Int] = []
                for caller in Caller.allCases {
                    got.append(try await status(caller, method, uri, json: json, body: body))
                }
                #expect(got == expected, "\(name): \(Caller.allCases.map(\.rawValue)) → \(got)")
            }
            // A play session's state is its listener's (and admins') only.
            let play = try await api.request(.post, "/api/v1/tracks/\(published)/plays", token: listener.token).json()["id"] as! String
            var playStatuses: [Int] = []
            for caller in Caller.allCases { playStatuses.append(try await status(caller, .get, "/api/v1/plays/\(play)")) }
            #expect(playStatuses == [401, 401, 200, 404, 404, 200])
            // Admins may take down any track; listeners may not delete.
            #expect(try await status(.listener, .delete, "/api/v1/tracks/\(published)") == 403)
            #expect(try await status(.otherArtist, .delete, "/api/v1/tracks/\(published)") == 403)
            #expect(try await status(.admin, .delete, "/api/v1/tracks/\(published)") == 204)
            #expect(try await status(.anonymous, .get, "/api/v1/tracks/\(published)") == 404)
            // Nobody can register as an admin over the API.
            let promoted = try await api.request(.post, "/api/v1/users", json: ["username": "mallory", "password": "long enough pw", "role": "admin"])
            #expect(promoted.status == .unprocessableContent)
            _ = try promoted.problem()
        }
    }

    @Test("tokens: log-out revokes; wrong passwords are refused; repeated failures from one address are rate limited")
    func tokens() async throws {
        try await TestService { $0.loginAttempts = 3 }.run { api in
            let lena = try await api.account("lena")
            #expect(try await api.request(.get, "/api/v1/me", token: lena.token).status == .ok)
            #expect(try await api.request(.delete, "/api/v1/sessions/current", token: lena.token).status == .noContent)
            let revoked = try await api.request(.get, "/api/v1/me", token: lena.token)
            #expect(revoked.status == .unauthorized)
            #expect(try revoked.problem()["title"] as? String == "Invalid token")
            // Unknown users get the same answer as wrong passwords (and count as a failure).
            let unknown = try await api.request(.post, "/api/v1/sessions", json: ["username": "nobody", "password": "whatever it is"])
            #expect(unknown.status == .unauthorized)
            #expect(try unknown.problem()["title"] as? String == "Wrong username or password")
            for _ in 0..<2 {
                let wrong = try await api.request(.post, "/api/v1/sessions", json: ["username": "lena", "password": "wrong password!"])
                #expect(wrong.status == .unauthorized)
            }
            let limited = try await api.request(.post, "/api/v1/sessions", json: ["username": "lena", "password": "correct horse battery"])
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter] != nil)
            _ = try limited.problem()
            // Registration rules.
            for (body, status) in [
                (["username": "x", "password": "long enough pw"], HTTPResponse.Status.unprocessableContent),
                (["username": "lena", "password": "long enough pw"], .conflict),
                (["username": "new-user", "password": "short"], .unprocessableContent),
                (["username": "bad name!", "password": "long enough pw"], .unprocessableContent),
            ] {
                let response = try await api.request(.post, "/api/v1/users", json: body)
                #expect(response.status == status, "\(body)")
                _ = try response.problem()
            }
            let malformed = try await api.request(.post, "/api/v1/users", headers: [.contentType: "application/json"], body: ByteBuffer(string: "{not json"))
            #expect(malformed.status == .badRequest)
            _ = try malformed.problem()
        }
    }
}
