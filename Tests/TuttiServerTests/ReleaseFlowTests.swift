import Foundation
import HTTPTypes
import Testing
@testable import TuttiServer
import TuttiTestSupport

/// Releases over real HTTP: make, fill, publish, find, withdraw; drafts stay private.
@Suite("Releases over HTTP")
struct ReleaseFlowTests {
    static let wav = Fixtures.media("sine-1000-48000-mono.wav")

    @Test("an artist makes a release, places two tracks, publishes it; listeners find it by a credit; withdrawing hides it")
    func releaseFlow() async throws {
        try await TestService().run { api in
            let ada = try await api.account("ada", role: "artist")
            let lena = try await api.account("lena")
            let made = try await api.request(.post, "/api/v1/releases", token: ada.token, json: [
                "title": "Night Engines", "type": "ep", "releaseDate": "2026-03-01", "upc": "036000291452",
                "licence": "CC-BY-SA-4.0", "description": "Two pieces.\nRecorded at night.", "genres": ["Electronic", "Ambient"],
            ])
            #expect(made.status == .created, "\(String(buffer: made.body))")
            let release = try made.json()
            let id = release["id"] as! String
            #expect(made.headers[.location] == "/api/v1/releases/\(id)")
            #expect(release["genres"] as? [String] == ["electronic", "ambient"])
            #expect(release["published"] as? Bool == false)

            // Empty: not ready to publish, and the problem says why.
            let empty = try await api.request(.post, "/api/v1/releases/\(id)/publish", token: ada.token)
            #expect(empty.status == .conflict)
            #expect((try empty.problem()["detail"] as? String)?.contains("no tracks") == true)

            // Two uploads (singles of their own at first), placed in the release in reverse order.
            let first = try await api.upload(Self.wav, title: "Ignition", by: ada)
            let second = try await api.upload(Self.wav, title: "Cruise", by: ada)
            for track in [first, second] { #expect(try await api.waitUntilProcessed(track, token: ada.token)["status"] as? String == "ready") }
            let placed = try await api.request(.put, "/api/v1/releases/\(id)/tracks", token: ada.token, json: [
                "tracks": [["id": second, "trackNumber": 2], ["id": first, "trackNumber": 1]],
            ])
            #expect(placed.status == .ok, "\(String(buffer: placed.body))")
            let tracks = try placed.json()["tracks"] as! [[String: Any]]
            #expect(tracks.map { $0["title"] as! String } == ["Ignition", "Cruise"])
            #expect(tracks.map { $0["album"] as? String } == ["Night Engines", "Night Engines"])

            // Credits and an ISRC on a track (stored without dashes, shown with them).
            let edited = try await api.request(.patch, "/api/v1/tracks/\(first)", token: ada.token, json: [
                "isrc": "gbaaa2600001", "explicit": true, "lyrics": "la la",
                "credits": [["name": "Zoë Keating", "role": "cello"], ["name": "Ada", "role": "composer", "accountID": ada.id]],
            ])
            #expect(edited.status == .ok, "\(String(buffer: edited.body))")
            #expect(try edited.json()["isrc"] as? String == "GB-AAA-26-00001")

            // Drafts: the owner sees it, a listener and the public get 404.
            #expect(try await api.request(.get, "/api/v1/releases/\(id)", token: lena.token).status == .notFound)
            #expect(try await api.request(.get, "/api/v1/releases/\(id)").status == .notFound)
            #expect(try await api.request(.get, "/api/v1/search?q=keating").json()["total"] as? Int == 0)

            let published = try await api.request(.post, "/api/v1/releases/\(id)/publish", token: ada.token)
            #expect(published.status == .ok, "\(String(buffer: published.body))")
            let seen = try await api.request(.get, "/api/v1/releases/\(id)", token: lena.token)
            #expect(seen.status == .ok)
            let seenTracks = try seen.json()["tracks"] as! [[String: Any]]
            #expect(seenTracks.map { $0["published"] as? Bool } == [true, true])
            #expect((seenTracks[0]["credits"] as? [[String: Any]])?.first?["name"] as? String == "Zoë Keating")
            // The old track endpoints still work, and show the release.
            let track = try await api.request(.get, "/api/v1/tracks/\(first)", token: lena.token).json()
            #expect(track["releaseID"] as? String == id && track["trackNumber"] as? Int == 1)

            // Found by a credit's name without its accent, by genre, listed newest first.
            let hits = try await api.request(.get, "/api/v1/search?q=zoe%20keating").json()["items"] as! [[String: Any]]
            #expect(Set(hits.map { "\($0["kind"]!):\($0["title"]!)" }) == ["track:Ignition", "release:Night Engines"])
            let byGenre = try await api.request(.get, "/api/v1/releases?genre=Ambient").json()
            #expect((byGenre["items"] as! [[String: Any]]).map { $0["id"] as! String } == [id])
            let genres = try await api.request(.get, "/api/v1/genres").json()["items"] as! [[String: Any]]
            #expect(Set(genres.map { $0["genre"] as! String }) == ["electronic", "ambient"])

            // A published release's tracks stay put until it is withdrawn.
            let reorder = try await api.request(.put, "/api/v1/releases/\(id)/tracks", token: ada.token, json: ["tracks": [["id": first, "trackNumber": 2], ["id": second, "trackNumber": 1]]])
            #expect(reorder.status == .conflict)
            _ = try reorder.problem()

            let withdrawn = try await api.request(.post, "/api/v1/releases/\(id)/unpublish", token: ada.token)
            #expect(withdrawn.status == .ok)
            #expect(try await api.request(.get, "/api/v1/tracks/\(first)", token: lena.token).status == .notFound)
            #expect(try await api.request(.get, "/api/v1/search?q=keating").json()["total"] as? Int == 0)
            // Deleting a release that still has tracks is refused.
            #expect(try await api.request(.delete, "/api/v1/releases/\(id)", token: ada.token).status == .conflict)
        }
    }

    @Test("who sees and changes a draft release")
    func draftVisibility() async throws {
        try await TestService().run { api in
            let ada = try await api.account("ada", role: "artist")
            let bela = try await api.account("bela", role: "artist")
            let lena = try await api.account("lena")
            let admin = try await api.adminAccount("root")
            let id = try await api.request(.post, "/api/v1/releases", token: ada.token, json: ["title": "Draft", "type": "album"]).json()["id"] as! String
            let callers: [(String, String?)] = [("anonymous", nil), ("listener", lena.token), ("other artist", bela.token), ("owner", ada.token), ("admin", admin.token)]
            var reads: [Int] = [], edits: [Int] = [], lists: [Int] = []
            for (_, token) in callers {
                reads.append(Int(try await api.request(.get, "/api/v1/releases/\(id)", token: token).status.code))
                edits.append(Int(try await api.request(.patch, "/api/v1/releases/\(id)", token: token, json: ["description": "x"]).status.code))
                let listed = try await api.request(.get, "/api/v1/releases?artist=\(ada.id)", token: token).json()
                lists.append(listed["total"] as! Int)
            }
            #expect(reads == [404, 404, 404, 200, 200])
            #expect(edits == [401, 404, 404, 200, 200])
            #expect(lists == [0, 0, 0, 1, 1])
            // Listeners make no releases.
            #expect(try await api.request(.post, "/api/v1/releases", token: lena.token, json: ["title": "X", "type": "single"]).status == .forbidden)
            // Another artist cannot place the owner's tracks, nor their own in the owner's release.
            let own = try await api.upload(Self.wav, title: "Bela's", by: bela)
            let foreign = try await api.request(.put, "/api/v1/releases/\(id)/tracks", token: ada.token, json: ["tracks": [["id": own, "trackNumber": 1]]])
            #expect(foreign.status == .unprocessableContent)
            _ = try foreign.problem()
        }
    }

    @Test("refusals are problem+json naming the field", arguments: [
        ("POST", ["title": "T", "type": "album", "upc": "036000291453"], 422, "check digit"),
        ("POST", ["title": "T", "type": "album", "releaseDate": "2026-02-30"], 422, "calendar"),
        ("POST", ["title": "T", "type": "album", "releaseDate": "1066-10-14"], 422, "year"),
        ("POST", ["title": "T", "type": "album", "licence": "GPL-3.0"], 422, "licence must be one of all-rights-reserved, CC-BY-4.0"),
        ("POST", ["title": "T", "type": "mixtape"], 422, "type must be one of album, ep, single, compilation"),
        ("POST", ["title": 5, "type": "album"], 400, "title"),
        ("POST", ["type": "album"], 422, "title"),
        ("POST", ["title": " \n ", "type": "album"], 422, "title"),
        ("POST", ["title": String(repeating: "é", count: 201), "type": "album"], 422, "200"),
        ("POST", ["title": "T", "type": "album", "genres": ["a", "b", "c", "d", "e", "f"]], 422, "genres"),
        ("PATCH-TRACK", ["isrc": "GB-AAA-2A-00001"], 422, "CC-XXX-YY-NNNNN"),
        ("PATCH-TRACK", ["credits": [["name": "", "role": "cello"]]], 422, "credits.name"),
        ("PATCH-TRACK", ["credits": [["name": "A", "role": "b", "accountID": "00000000-0000-0000-0000-000000000000"]]], 422, "account"),
        ("PATCH-ARTIST", ["links": [["url": "http://example.com"]]], 422, "https"),
        ("PATCH-ARTIST", ["links": [["url": "https://user@example.com"]]], 422, "host"),
        ("PATCH-ARTIST", ["location": String(repeating: "x", count: 101)], 422, "100"),
    ] as [(String, [String: any Sendable], Int, String)])
    func refusals(target: String, body: [String: any Sendable], status: Int, mention: String) async throws {
        try await TestService().run { api in
            let ada = try await api.account("ada", role: "artist")
            let uri: String
            let method: HTTPRequest.Method
            switch target {
            case "POST": (method, uri) = (.post, "/api/v1/releases")
            case "PATCH-TRACK": (method, uri) = (.patch, "/api/v1/tracks/\(try await api.upload(Self.wav, title: "T", by: ada))")
            default: (method, uri) = (.patch, "/api/v1/artists/\(ada.id)")
            }
            let response = try await api.request(method, uri, token: ada.token, json: body)
            #expect(Int(response.status.code) == status, "\(String(buffer: response.body))")
            let detail = try response.problem()["detail"] as? String ?? ""
            #expect(detail.contains(mention), "\(detail)")
        }
    }

    @Test("an artist edits their profile; others cannot")
    func profile() async throws {
        try await TestService().run { api in
            let ada = try await api.account("ada", role: "artist")
            let bela = try await api.account("bela", role: "artist")
            let changed = try await api.request(.patch, "/api/v1/artists/\(ada.id)", token: ada.token, json: [
                "displayName": "Ada L.", "bio": "Engines.\nPoetry.", "location": "London",
                "links": [["label": "Site", "url": "https://ada.example/"]],
            ])
            #expect(changed.status == .ok, "\(String(buffer: changed.body))")
            let artist = try await api.request(.get, "/api/v1/artists/\(ada.id)", token: ada.token).json()
            #expect(artist["displayName"] as? String == "Ada L.")
            #expect(artist["bio"] as? String == "Engines.\nPoetry.")
            #expect((artist["links"] as? [[String: Any]])?.first?["url"] as? String == "https://ada.example/")
            // Ada has nothing published: to others her profile does not exist, to edit or to read.
            #expect(try await api.request(.patch, "/api/v1/artists/\(ada.id)", token: bela.token, json: ["bio": "hacked"]).status == .notFound)
            #expect(try await api.request(.get, "/api/v1/artists/\(ada.id)", token: bela.token).status == .notFound)
            _ = try await api.publishedTrack(Self.wav, title: "Out", by: ada)
            #expect(try await api.request(.patch, "/api/v1/artists/\(ada.id)", token: bela.token, json: ["bio": "hacked"]).status == .forbidden)
            #expect(try await api.request(.get, "/api/v1/artists/\(ada.id)", token: bela.token).json()["bio"] as? String == "Engines.\nPoetry.")
        }
    }

    @Test("the OpenAPI document declares every release route")
    func documented() throws {
        let document = try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as! [String: Any]
        let paths = document["paths"] as! [String: [String: Any]]
        for (path, methods) in [
            ("/api/v1/releases", ["get", "post"]), ("/api/v1/releases/{id}", ["get", "patch", "delete"]),
            ("/api/v1/releases/{id}/publish", ["post"]), ("/api/v1/releases/{id}/unpublish", ["post"]),
            ("/api/v1/releases/{id}/tracks", ["put"]), ("/api/v1/genres", ["get"]), ("/api/v1/search", ["get"]),
            ("/api/v1/artists/{id}", ["get", "patch"]),
        ] {
            for method in methods { #expect(paths[path]?[method] != nil, "\(method) \(path)") }
        }
    }
}
