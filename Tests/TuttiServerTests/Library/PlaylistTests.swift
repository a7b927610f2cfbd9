import Foundation
import HTTPTypes
import Testing
@testable import TuttiServer
import TuttiTestSupport

@Suite("Playlists over HTTP: order kept under concurrent edits, public or private")
struct PlaylistTests {
    @Test("make, add three tracks, move, remove, rename; a stale version is a 409 and changes nothing")
    func editing() async throws {
        try await TestService().run { api in
            let ada = try await api.account("ada", role: "artist")
            let lena = try await api.account("lena")
            let tracks = try await api.publishedTracks(3, by: ada)
            let made = try await api.request(.post, "/api/v1/playlists", token: lena.token, json: ["title": "  Morning  ", "description": "Slow starts."])
            #expect(made.status == .created, "\(String(buffer: made.body))")
            var playlist = try made.json()
            let id = try #require(playlist["id"] as? String)
            #expect(made.headers[.location] == "/api/v1/playlists/\(id)")
            #expect(playlist["title"] as? String == "Morning")
            #expect(playlist["public"] as? Bool == false)
            #expect(playlist["version"] as? Int == 1)
            func order(_ playlist: [String: Any]) -> [String] {
                (playlist["tracks"] as? [[String: Any]] ?? []).compactMap { $0["trackID"] as? String }
            }
            for track in tracks {
                let added = try await api.request(.post, "/api/v1/playlists/\(id)/tracks", token: lena.token,
                                                  json: ["version": playlist["version"]!, "trackID": track])
                #expect(added.status == .ok, "\(String(buffer: added.body))")
                playlist = try added.json()
            }
            #expect(order(playlist) == tracks)
            #expect(playlist["version"] as? Int == 4)
            // Insert at the front, then move the last to position 1.
            playlist = try await api.request(.post, "/api/v1/playlists/\(id)/tracks", token: lena.token,
                                             json: ["version": 4, "trackID": tracks[2], "position": 0]).json()
            #expect(order(playlist) == [tracks[2], tracks[0], tracks[1], tracks[2]])
            playlist = try await api.request(.post, "/api/v1/playlists/\(id)/moves", token: lena.token, json: ["version": 5, "from": 3, "to": 1]).json()
            #expect(order(playlist) == [tracks[2], tracks[2], tracks[0], tracks[1]])
            playlist = try await api.request(.delete, "/api/v1/playlists/\(id)/tracks?version=6&position=0", token: lena.token).json()
            #expect(order(playlist) == [tracks[2], tracks[0], tracks[1]])
            #expect(playlist["version"] as? Int == 7)

            // Two clients edit version 7: the first wins, the second gets 409 with the current version.
            let first = try await api.request(.post, "/api/v1/playlists/\(id)/moves", token: lena.token, json: ["version": 7, "from": 0, "to": 2])
            #expect(first.status == .ok)
            let stale = try await api.request(.post, "/api/v1/playlists/\(id)/moves", token: lena.token, json: ["version": 7, "from": 2, "to": 0])
            #expect(stale.status == .conflict)
            let problem = try stale.problem()
            #expect(problem["type"] as? String == "urn:tutti:problem:stale-version")
            #expect(problem["currentVersion"] as? Int == 8)
            for (method, uri, body) in [
                (HTTPRequest.Method.patch, "/api/v1/playlists/\(id)", ["version": 7, "title": "Other"] as [String: Any]),
                (.post, "/api/v1/playlists/\(id)/tracks", ["version": 3, "trackID": tracks[0]]),
                (.delete, "/api/v1/playlists/\(id)/tracks?version=1&position=0", nil),
                (.delete, "/api/v1/playlists/\(id)?version=2", nil),
            ] as [(HTTPRequest.Method, String, [String: Any]?)] {
                #expect(try await api.request(method, uri, token: lena.token, json: body).status == .conflict, "\(method) \(uri)")
            }
            playlist = try await api.request(.get, "/api/v1/playlists/\(id)", token: lena.token).json()
            #expect(order(playlist) == [tracks[0], tracks[1], tracks[2]])
            #expect(playlist["version"] as? Int == 8)

            // Concurrent edits of one version: exactly one succeeds, whatever the interleaving.
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for n in 0..<6 {
                    group.addTask {
                        Int(try await api.request(.post, "/api/v1/playlists/\(id)/moves", token: lena.token,
                                                  json: ["version": 8, "from": n % 3, "to": (n + 1) % 3]).status.code)
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 200 }.count == 1 && statuses.filter { $0 == 409 }.count == 5, "\(statuses)")
            let current = try await api.request(.get, "/api/v1/playlists/\(id)", token: lena.token).json()
            #expect(current["version"] as? Int == 9)
            #expect(Set(order(current)) == Set(tracks) && order(current).count == 3)

            // Rename and describe; bad values.
            let renamed = try await api.request(.patch, "/api/v1/playlists/\(id)", token: lena.token,
                                                json: ["version": 9, "title": "Mornings", "description": "Slower starts."])
            #expect(try renamed.json()["title"] as? String == "Mornings")
            #expect(try await api.request(.patch, "/api/v1/playlists/\(id)", token: lena.token, json: ["version": 10, "title": "   "]).status == .unprocessableContent)
            #expect(try await api.request(.post, "/api/v1/playlists/\(id)/moves", token: lena.token, json: ["version": 10, "from": 0, "to": 3]).status == .conflict)
            #expect(try await api.request(.delete, "/api/v1/playlists/\(id)/tracks?version=10", token: lena.token).status == .badRequest)
            #expect(try await api.request(.post, "/api/v1/playlists/\(id)/tracks", token: lena.token,
                                          json: ["version": 10, "trackID": UUID().uuidString.lowercased()]).status == .unprocessableContent,
                    "a track the listener cannot see is a refused value: the playlist is there")
            // Delete on the current version.
            #expect(try await api.request(.delete, "/api/v1/playlists/\(id)?version=10", token: lena.token).status == .noContent)
            #expect(try await api.request(.get, "/api/v1/playlists/\(id)", token: lena.token).status == .notFound)
        }
    }

    @Test("a public playlist opens for anyone, signed in or not; a private one is 404 to all but its owner")
    func visibility() async throws {
        try await TestService().run { api in
            let ada = try await api.account("ada", role: "artist")
            let lena = try await api.account("lena")
            let max = try await api.account("max")
            let tracks = try await api.publishedTracks(1, by: ada)
            let id = try #require(try await api.request(.post, "/api/v1/playlists", token: lena.token, json: ["title": "Mine"]).json()["id"] as? String)
            _ = try await api.request(.post, "/api/v1/playlists/\(id)/tracks", token: lena.token, json: ["version": 1, "trackID": tracks[0]])
            #expect(try await api.request(.get, "/api/v1/playlists/\(id)").status == .notFound)
            #expect(try await api.request(.get, "/api/v1/playlists/\(id)", token: max.token).status == .notFound)
            #expect(try await api.request(.get, "/api/v1/listeners/\(lena.id)/playlists", token: max.token).json()["total"] as? Int == 0)
            #expect(try await api.request(.get, "/api/v1/listeners/\(lena.id)/playlists", token: lena.token).json()["total"] as? Int == 1)
            // Others cannot edit it, public or not: not found.
            #expect(try await api.request(.patch, "/api/v1/playlists/\(id)", token: max.token, json: ["version": 2, "title": "Theirs"]).status == .notFound)

            let published = try await api.request(.patch, "/api/v1/playlists/\(id)", token: lena.token, json: ["version": 2, "public": true])
            #expect(try published.json()["public"] as? Bool == true)
            let open = try await api.request(.get, "/api/v1/playlists/\(id)")
            #expect(open.status == .ok)
            let entry = try #require((try open.json()["tracks"] as? [[String: Any]])?.first)
            #expect(entry["title"] as? String == "Song 1" && entry["available"] as? Bool == true)
            #expect(try await api.request(.get, "/api/v1/listeners/\(lena.id)/playlists").json()["total"] as? Int == 1)
            #expect(try await api.request(.patch, "/api/v1/playlists/\(id)", token: max.token, json: ["version": 3, "title": "Theirs"]).status == .notFound)
            // A track withdrawn later shows as unavailable, without its title, to others.
            _ = try await api.request(.patch, "/api/v1/tracks/\(tracks[0])", token: ada.token, json: ["published": false])
            let withdrawn = try #require((try await api.request(.get, "/api/v1/playlists/\(id)").json()["tracks"] as? [[String: Any]])?.first)
            #expect(withdrawn["available"] as? Bool == false && withdrawn["title"] == nil)
        }
    }
}
