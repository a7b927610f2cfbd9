import Foundation
import HTTPTypes
import Ledger
import Testing
@testable import TuttiServer
import TuttiTestSupport

@Suite("The listener's library over HTTP: favourites, follows, feeds, collection, own it now")
struct LibraryFlowTests {
    @Test("favourites of tracks, releases and artists: added, listed newest first, by kind, removed; invisible things are 404")
    func favourites() async throws {
        try await TestService().run { api in
            let ada = try await api.account("ada", role: "artist")
            let lena = try await api.account("lena")
            let tracks = try await api.publishedTracks(2, by: ada)
            let release = try await api.releaseOf(tracks[1])
            let base = "/api/v1/listeners/\(lena.id)/favourites"
            for path in ["tracks/\(tracks[0])", "releases/\(release)", "artists/\(ada.id)", "tracks/\(tracks[1])"] {
                #expect(try await api.request(.put, "\(base)/\(path)", token: lena.token).status == .noContent, "\(path)")
            }
            // Again: no change, still the first time it was added.
            #expect(try await api.request(.put, "\(base)/tracks/\(tracks[0])", token: lena.token).status == .noContent)
            let all = try await api.items(try await api.request(.get, base, token: lena.token))
            #expect(all.map { $0["id"] as? String } == [tracks[1], ada.id, release, tracks[0]])
            #expect(all.map { $0["kind"] as? String } == ["track", "artist", "release", "track"])
            #expect(all.first?["title"] as? String == "Song 2")
            #expect(all.first?["artistName"] as? String == "ada")
            let onlyTracks = try await api.items(try await api.request(.get, "\(base)?kind=track", token: lena.token))
            #expect(onlyTracks.map { $0["id"] as? String } == [tracks[1], tracks[0]])
            let page = try await api.request(.get, "\(base)?limit=1&offset=1", token: lena.token).json()
            #expect(page["total"] as? Int == 4)
            #expect((page["next"] as? String)?.contains("offset=2") == true)

            #expect(try await api.request(.delete, "\(base)/tracks/\(tracks[1])", token: lena.token).status == .noContent)
            #expect(try await api.items(try await api.request(.get, base, token: lena.token)).count == 3)
            // A draft, a listener taken for an artist, or nothing at all: not found.
            let draft = try await api.upload(Fixtures.media("sine-1000-48000-mono.wav"), title: "Draft", by: ada)
            #expect(try await api.request(.put, "\(base)/tracks/\(draft)", token: lena.token).status == .notFound)
            #expect(try await api.request(.put, "\(base)/artists/\(lena.id)", token: lena.token).status == .notFound)
            #expect(try await api.request(.put, "\(base)/releases/\(UUID().uuidString.lowercased())", token: lena.token).status == .notFound)
            // Withdrawn: no longer listed.
            #expect(try await api.request(.patch, "/api/v1/tracks/\(tracks[0])", token: ada.token, json: ["published": false]).status == .ok)
            let left = try await api.items(try await api.request(.get, "\(base)?kind=track", token: lena.token))
            #expect(left.isEmpty)
        }
    }

    @Test("follows: new from artists you follow lists their releases newest first; the artist's Atom feed is valid Atom 1.0")
    func followsAndFeed() async throws {
        try await TestService().run { api in
            let ada = try await api.account("ada", role: "artist")
            let bela = try await api.account("bela", role: "artist")
            let lena = try await api.account("lena")
            let adaTracks = try await api.publishedTracks(2, by: ada, prefix: "Ada & <Friends>")
            _ = try await api.publishedTracks(1, by: bela, prefix: "Bela")
            let base = "/api/v1/listeners/\(lena.id)/follows"
            #expect(try await api.request(.put, "\(base)/\(ada.id)", token: lena.token).status == .noContent)
            #expect(try await api.request(.put, "\(base)/\(lena.id)", token: lena.token).status == .notFound)
            let followed = try await api.items(try await api.request(.get, base, token: lena.token))
            #expect(followed.map { $0["id"] as? String } == [ada.id])
            let news = try await api.items(try await api.request(.get, "\(base)/releases", token: lena.token))
            // Ada's two singles, the one published last first; nothing of Bela's.
            #expect(news.map { $0["title"] as? String } == ["Ada & <Friends> 2", "Ada & <Friends> 1"])
            #expect(try await api.request(.delete, "\(base)/\(ada.id)", token: lena.token).status == .noContent)
            #expect(try await api.items(try await api.request(.get, "\(base)/releases", token: lena.token)).isEmpty)

            // The feed: public, Atom's media type, checked by Python's XML parser.
            let feed = try await api.request(.get, "/api/v1/artists/\(ada.id)/feed")
            #expect(feed.status == .ok)
            #expect(feed.headers[.contentType] == "application/atom+xml; charset=utf-8")
            let file = Fixtures.scratch("atom").appendingPathComponent("feed.xml")
            try Data(buffer: feed.body).write(to: file)
            let checked = try await ThirdPartyTools.run("python3", ["-c", Self.atomCheck, file.path])
            #expect(checked.status == 0, "\(checked.stderr)")
            let titles = checked.stdout.split(separator: "\n").map(String.init)
            #expect(titles == ["feed: ada: releases on Tutti", "Ada & <Friends> 2", "Ada & <Friends> 1"], "\(checked.stdout)")
            #expect(try await api.request(.get, "/api/v1/artists/\(lena.id)/feed").status == .notFound)
            _ = adaTracks
        }
    }

    /// Parses an Atom document with xml.etree and checks what RFC 4287 requires: a feed with
    /// id, title, updated (RFC 3339) and an author (or one in every entry); every entry with
    /// id, title, updated and, without content, a link rel="alternate"; ids unique. Prints the
    /// feed's title and the entries' titles, in order.
    static let atomCheck = """
        import sys, datetime, xml.etree.ElementTree as ET
        A = '{http://www.w3.org/2005/Atom}'
        root = ET.parse(sys.argv[1]).getroot()
        assert root.tag == A + 'feed', root.tag
        def when(text):
            return datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))
        def one(parent, name):
            found = parent.findall(A + name)
            assert len(found) == 1, (name, len(found))
            assert (found[0].text or '').strip(), name + ' is empty'
            return found[0]
        one(root, 'id'); title = one(root, 'title'); when(one(root, 'updated').text)
        feed_author = root.find(A + 'author') is not None
        self_links = [l for l in root.findall(A + 'link') if l.get('rel') == 'self']
        assert len(self_links) == 1 and self_links[0].get('href', '').startswith('http'), 'self link'
        ids = set()
        print('feed: ' + title.text)
        for entry in root.findall(A + 'entry'):
            entry_id = one(entry, 'id').text
            assert entry_id not in ids, 'duplicate id ' + entry_id
            ids.add(entry_id)
            entry_title = one(entry, 'title').text
            when(one(entry, 'updated').text)
            assert feed_author or entry.find(A + 'author') is not None, 'no author'
            if entry.find(A + 'content') is None:
                assert any(l.get('rel', 'alternate') == 'alternate' and l.get('href') for l in entry.findall(A + 'link')), 'no alternate link'
            print(entry_title)
        """

    @Test("collection: n of 9 and what is left; own it now charges the rest once, then the track is owned and downloads")
    func collectionAndOwnItNow() async throws {
        try await TestService().run { api in
            let ada = try await api.account("ada", role: "artist")
            let lena = try await api.account("lena")
            let tracks = try await api.publishedTracks(2, by: ada)
            try await api.fund(lena, 3_000_000)
            // Three counted plays of the first track, as the meter charges them.
            for n in 1...3 {
                let request = PlayChargeRequest(playID: "00000000-0000-4000-8000-00000000000\(n)", listenerID: lena.id, artistID: ada.id,
                                                trackID: tracks[0], at: api.configuration.now())
                _ = try await api.services.ledger.chargePlay(request)
            }
            let collection = try await api.request(.get, "/api/v1/listeners/\(lena.id)/collection", token: lena.token).json()
            let played = try #require((collection["tracks"] as? [[String: Any]])?.first)
            #expect(played["trackID"] as? String == tracks[0])
            #expect(played["title"] as? String == "Song 1")
            #expect(played["countedPlays"] as? Int == 3 && played["playsToOwn"] as? Int == 9)
            #expect(played["owned"] as? Bool == false)
            #expect(played["nextPrice"] as? Int == 16_000)
            #expect(played["leftToPay"] as? Int == 1_008_000)
            #expect((collection["releases"] as? [Any])?.isEmpty == true)

            // Not owned yet: no original.
            #expect(try await api.request(.get, "/api/v1/tracks/\(tracks[0])/original", token: lena.token).status == .forbidden)
            let buy = try await api.request(.post, "/api/v1/tracks/\(tracks[0])/purchase", token: lena.token, json: ["requestID": "buy-1"])
            #expect(buy.status == .ok, "\(String(buffer: buy.body))")
            let bought = try buy.json()
            #expect(bought["price"] as? Int == 1_008_000)
            #expect(bought["firstPlay"] as? Int == 4 && bought["lastPlay"] as? Int == 9)
            #expect(bought["balance"] as? Int == 3_000_000 - 1_022_000)
            // The same request again: the same purchase, charged once.
            let retry = try await api.request(.post, "/api/v1/tracks/\(tracks[0])/purchase", token: lena.token, json: ["requestID": "buy-1"])
            #expect(retry.status == .ok)
            #expect(try retry.json()["boughtAt"] as? String == bought["boughtAt"] as? String)
            #expect(try await api.walletBalance(lena) == 3_000_000 - 1_022_000)
            // A new request for a track owned: 409; the id used again for another track: 409.
            let again = try await api.request(.post, "/api/v1/tracks/\(tracks[0])/purchase", token: lena.token, json: ["requestID": "buy-2"])
            #expect(again.status == .conflict)
            #expect(try again.problem()["title"] as? String == "Already owned")
            #expect(try await api.request(.post, "/api/v1/tracks/\(tracks[1])/purchase", token: lena.token, json: ["requestID": "buy-1"]).status == .conflict)

            // Owned as if the ninth play had counted: the original downloads, a play session is free.
            let original = try await api.request(.get, "/api/v1/tracks/\(tracks[0])/original", token: lena.token)
            #expect(original.status == .ok)
            #expect(Data(buffer: original.body) == (try Data(contentsOf: URL(fileURLWithPath: Fixtures.media("sine-1000-48000-mono.wav")))))
            let session = try await api.request(.post, "/api/v1/tracks/\(tracks[0])/plays", token: lena.token).json()
            #expect(session["access"] as? String == "owned")

            // The second track, bought whole; its release (a single) is then owned too.
            let whole = try await api.request(.post, "/api/v1/tracks/\(tracks[1])/purchase", token: lena.token, json: ["requestID": "buy-3"])
            #expect(try whole.json()["price"] as? Int == 1_022_000)
            let after = try await api.request(.get, "/api/v1/listeners/\(lena.id)/collection", token: lena.token).json()
            let owned = try #require(after["tracks"] as? [[String: Any]])
            #expect(owned.count == 2 && owned.allSatisfy { $0["owned"] as? Bool == true && $0["leftToPay"] as? Int == 0 && $0["countedPlays"] as? Int == 9 })
            let releases = try #require(after["releases"] as? [[String: Any]])
            #expect(Set(releases.compactMap { $0["id"] as? String }) == Set([try await api.releaseOf(tracks[0]), try await api.releaseOf(tracks[1])]))

            // Refusals: the artist's own track, an unknown track, a bad request id.
            #expect(try await api.request(.post, "/api/v1/tracks/\(tracks[0])/purchase", token: ada.token, json: ["requestID": "x"]).status == .conflict)
            #expect(try await api.request(.post, "/api/v1/tracks/\(UUID().uuidString.lowercased())/purchase", token: lena.token, json: ["requestID": "x"]).status == .notFound)
            #expect(try await api.request(.post, "/api/v1/tracks/\(tracks[0])/purchase", token: lena.token, json: ["requestID": "not ok"]).status == .unprocessableContent)
            let report = try api.services.ledger.verify()
            #expect(report.isIntact, "\(report)")
        }
    }
}
