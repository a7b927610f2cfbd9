import Foundation
import HTTPTypes
import Testing
@testable import TuttiServer
import TuttiTestSupport

/// The auth matrix of the library's routes (AuthorizationTests covers the rest): a listener's
/// library is theirs alone; another listener's private playlist, history and limit are 404.
@Suite("Authorization: the listener's library")
struct LibraryAuthorizationTests {
    enum Caller: String, CaseIterable, Sendable {
        case anonymous, badToken, owner, otherListener, artist, admin
    }

    @Test("each caller on one listener's library, playlists and purchases")
    func matrix() async throws {
        try await TestService().run { api in
            let lena = try await api.account("lena")
            let max = try await api.account("max")
            let ada = try await api.account("ada", role: "artist")
            let admin = try await api.adminAccount("root")
            let track = try await api.publishedTracks(1, by: ada)[0]
            let release = try await api.releaseOf(track)
            try await api.fund(lena, 2_000_000)
            let session = try #require(try await api.request(.post, "/api/v1/tracks/\(track)/plays", token: lena.token).json()["id"] as? String)
            _ = try await api.request(.put, "/api/v1/listeners/\(lena.id)/spending-limit", token: lena.token, json: ["monthlyLimit": 50_000])
            let privateID = try #require(try await api.request(.post, "/api/v1/playlists", token: lena.token, json: ["title": "Private"]).json()["id"] as? String)
            let publicID = try #require(try await api.request(.post, "/api/v1/playlists", token: lena.token, json: ["title": "Public", "public": true]).json()["id"] as? String)
            let tokens: [Caller: String?] = [
                .anonymous: nil, .badToken: "not-a-real-token", .owner: lena.token, .otherListener: max.token, .artist: ada.token, .admin: admin.token,
            ]
            let me = "/api/v1/listeners/\(lena.id)"
            // Expected statuses per caller, in Caller.allCases order. Reads first, then writes
            // (each write by the owner leaves what the next rows expect).
            let cases: [(String, HTTPRequest.Method, String, Any?, [Int])] = [
                ("favourites", .get, "\(me)/favourites", nil, [401, 401, 200, 404, 404, 404]),
                ("add favourite track", .put, "\(me)/favourites/tracks/\(track)", nil, [401, 401, 204, 404, 404, 404]),
                ("add favourite release", .put, "\(me)/favourites/releases/\(release)", nil, [401, 401, 204, 404, 404, 404]),
                ("add favourite artist", .put, "\(me)/favourites/artists/\(ada.id)", nil, [401, 401, 204, 404, 404, 404]),
                ("remove favourite track", .delete, "\(me)/favourites/tracks/\(track)", nil, [401, 401, 204, 404, 404, 404]),
                ("remove favourite release", .delete, "\(me)/favourites/releases/\(release)", nil, [401, 401, 204, 404, 404, 404]),
                ("remove favourite artist", .delete, "\(me)/favourites/artists/\(ada.id)", nil, [401, 401, 204, 404, 404, 404]),
                ("follows", .get, "\(me)/follows", nil, [401, 401, 200, 404, 404, 404]),
                ("follow", .put, "\(me)/follows/\(ada.id)", nil, [401, 401, 204, 404, 404, 404]),
                ("new from follows", .get, "\(me)/follows/releases", nil, [401, 401, 200, 404, 404, 404]),
                ("unfollow", .delete, "\(me)/follows/\(ada.id)", nil, [401, 401, 204, 404, 404, 404]),
                ("history", .get, "\(me)/history", nil, [401, 401, 200, 404, 404, 404]),
                ("collection", .get, "\(me)/collection", nil, [401, 401, 200, 404, 404, 404]),
                ("limit", .get, "\(me)/spending-limit", nil, [401, 401, 200, 404, 404, 404]),
                ("set limit", .put, "\(me)/spending-limit", ["monthlyLimit": 60_000], [401, 401, 200, 404, 404, 404]),
                ("private playlist", .get, "/api/v1/playlists/\(privateID)", nil, [404, 401, 200, 404, 404, 404]),
                ("public playlist", .get, "/api/v1/playlists/\(publicID)", nil, [200, 401, 200, 200, 200, 200]),
                ("playlists of lena", .get, "\(me)/playlists", nil, [200, 401, 200, 200, 200, 200]),
                ("edit public playlist", .patch, "/api/v1/playlists/\(publicID)", ["version": 1, "title": "Renamed"], [401, 401, 200, 404, 404, 404]),
                ("add to private playlist", .post, "/api/v1/playlists/\(privateID)/tracks", ["version": 1, "trackID": track], [401, 401, 200, 404, 404, 404]),
                ("move in private playlist", .post, "/api/v1/playlists/\(privateID)/moves", ["version": 2, "from": 0, "to": 0], [401, 401, 200, 404, 404, 404]),
                ("remove from private playlist", .delete, "/api/v1/playlists/\(privateID)/tracks?version=3&position=0", nil, [401, 401, 200, 404, 404, 404]),
                ("make playlist", .post, "/api/v1/playlists", ["title": "New"], [401, 401, 201, 201, 201, 201]),
                ("artist feed", .get, "/api/v1/artists/\(ada.id)/feed", nil, [200, 401, 200, 200, 200, 200]),
                ("erase history entry", .delete, "\(me)/history/\(session)", nil, [401, 401, 204, 404, 404, 404]),
                ("erase history", .delete, "\(me)/history", nil, [401, 401, 200, 404, 404, 404]),
                ("remove limit", .delete, "\(me)/spending-limit", nil, [401, 401, 204, 404, 404, 404]),
                ("delete private playlist", .delete, "/api/v1/playlists/\(privateID)?version=4", nil, [401, 401, 204, 404, 404, 404]),
            ]
            // The shared links' pages are the same for every caller with a valid token or none
            // (a preview bot sends none): HTML with the tags, or a 404 shell without them.
            let draft = try #require(try await api.request(.post, "/api/v1/releases", token: ada.token, json: ["title": "Draft", "type": "single"]).json()["id"] as? String)
            let pages: [(String, String, [Int])] = [
                ("shared release", "/releases/\(release)", [200, 401, 200, 200, 200, 200]),
                ("shared draft release", "/releases/\(draft)", [404, 401, 404, 404, 404, 404]),
                ("shared artist", "/artists/\(ada.id)", [200, 401, 200, 200, 200, 200]),
                ("shared listener", "/artists/\(lena.id)", [404, 401, 404, 404, 404, 404]),
                ("shared public playlist", "/playlists/\(publicID)", [200, 401, 200, 200, 200, 200]),
                ("shared private playlist", "/playlists/\(privateID)", [404, 401, 404, 404, 404, 404]),
            ]
            for (name, uri, expected) in pages {
                var got: [Int] = []
                for caller in Caller.allCases {
                    let response = try await api.request(.get, uri, token: tokens[caller]!)
                    got.append(Int(response.status.code))
                    if response.status == .unauthorized { _ = try response.problem() }
                    let html = String(buffer: response.body)
                    if response.status != .unauthorized { #expect(html.hasPrefix("<!doctype html>"), "\(name) for \(caller)") }
                    #expect(html.contains("og:title") == (response.status == .ok), "\(name) for \(caller)")
                }
                #expect(got == expected, "\(name): \(Caller.allCases.map(\.rawValue)) → \(got)")
            }
            for (name, method, uri, json, expected) in cases {
                var got: [Int] = []
                // The owner last, so that a write by another caller (which must fail) comes first.
                for caller in Caller.allCases.filter({ $0 != .owner }) + [.owner] {
                    let response = try await api.request(method, uri, token: tokens[caller]!, json: json)
                    got.append(Int(response.status.code))
                    if response.status.code >= 400 { _ = try response.problem() }
                }
                let ordered = Caller.allCases.map { caller in got[(Caller.allCases.filter { $0 != .owner } + [.owner]).firstIndex(of: caller)!] }
                #expect(ordered == expected, "\(name): \(Caller.allCases.map(\.rawValue)) → \(ordered)")
            }
            // Buying: anyone signed in but the track's artist (whose own track it is).
            let purchases: [(Caller, Int)] = [(.anonymous, 401), (.badToken, 401), (.artist, 409), (.owner, 200)]
            for (caller, status) in purchases {
                let response = try await api.request(.post, "/api/v1/tracks/\(track)/purchase", token: tokens[caller]!, json: ["requestID": "r-\(caller.rawValue)"])
                #expect(Int(response.status.code) == status, "purchase by \(caller): \(String(buffer: response.body))")
            }
        }
    }
}
