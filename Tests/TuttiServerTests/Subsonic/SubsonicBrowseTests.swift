import Foundation
import HTTPTypes
import NIOCore
import Testing
@testable import TuttiServer
import TuttiTestSupport

/// A small published catalog for the Subsonic tests: an artist with a paid album (genre,
/// date, cover, lyrics) and a free single.
struct SubsonicCatalog: Sendable {
    var artist: TestAPI.Account
    var paidTrack: String
    var freeTrack: String
    var albumID: String
    var singleID: String

    static func make(_ api: TestAPI) async throws -> SubsonicCatalog {
        let artist = try await api.account("ada", role: "artist")
        let paid = try await api.publishedTrack(Fixtures.media("sine-440-44100-stereo.flac"), title: "Paid Song", by: artist)
        let free = try await api.publishedTrack(Fixtures.media("sine-1000-48000-mono.wav"), title: "Free Song", by: artist, free: true)
        let paidJSON = try await api.request(.get, "/api/v1/tracks/\(paid)", token: artist.token).json()
        let freeJSON = try await api.request(.get, "/api/v1/tracks/\(free)", token: artist.token).json()
        let albumID = try #require(paidJSON["releaseID"] as? String)
        let singleID = try #require(freeJSON["releaseID"] as? String)
        let edited = try await api.request(.patch, "/api/v1/releases/\(albumID)", token: artist.token,
                                           json: ["title": "Sines & <Waves>", "type": "album", "releaseDate": "2024-05-01", "genres": ["ambient", "drone"]])
        #expect(edited.status == .ok, "\(String(buffer: edited.body))")
        let lyrics = try await api.request(.patch, "/api/v1/tracks/\(paid)", token: artist.token, json: ["lyrics": "first line\nsecond line"])
        #expect(lyrics.status == .ok, "\(String(buffer: lyrics.body))")
        let folder = Fixtures.scratch("subsonic-cover")
        let jpeg = try ReleaseFiles.bytes(try await ReleaseFiles.picture(in: folder, named: "cover.jpg", width: 800, height: 800))
        let (body, type) = ReleaseFiles.form([("file", "cover.jpg", jpeg)])
        let cover = try await api.request(.put, "/api/v1/releases/\(albumID)/cover", token: artist.token, headers: [.contentType: type], body: body)
        #expect(cover.status == .ok, "\(String(buffer: cover.body))")
        return SubsonicCatalog(artist: artist, paidTrack: paid, freeTrack: free, albumID: albumID, singleID: singleID)
    }
}

@Suite("OpenSubsonic API: browsing, library and formats")
struct SubsonicBrowseTests {
    @Test("every browsing method answers what the 1.16.1 schema requires, in XML and in JSON, with the values apps rely on")
    func browsing() async throws {
        try await TestService().run { api in
            let catalog = try await SubsonicCatalog.make(api)
            let lena = try await api.account("lena")
            let app = try await api.appPassword(lena).signIn
            // Built a few at a time: one long literal of tuples is slow to type-check.
            typealias Call = (String, [(String, String)])
            var calls: [Call] = [("ping", []), ("getLicense", []), ("getOpenSubsonicExtensions", []), ("getUser", [("username", "lena")])]
            calls += [("getMusicFolders", []), ("getIndexes", []), ("getMusicDirectory", [("id", catalog.artist.id)])]
            calls += [("getMusicDirectory", [("id", catalog.albumID)]), ("getArtists", []), ("getArtist", [("id", catalog.artist.id)])]
            calls += [("getArtistInfo2", [("id", catalog.artist.id)]), ("getAlbum", [("id", catalog.albumID)])]
            calls += [("getAlbumInfo2", [("id", catalog.albumID)]), ("getSong", [("id", catalog.paidTrack)]), ("getGenres", [])]
            calls += [("getSongsByGenre", [("genre", "ambient")]), ("getRandomSongs", [("size", "5")]), ("search3", [("query", "")])]
            calls += [("search3", [("query", "sines")]), ("getLyricsBySongId", [("id", catalog.paidTrack)]), ("getStarred2", [])]
            calls += [("getPlaylists", []), ("tokenInfo", []), ("getSong", [("id", "no-such-song")]), ("notAMethod", [])]
            for type in ["newest", "alphabeticalByName", "alphabeticalByArtist", "random", "starred", "frequent", "recent"] {
                calls.append(("getAlbumList2", [("type", type)]))
            }
            calls.append(("getAlbumList2", [("type", "byYear"), ("fromYear", "2020"), ("toYear", "2025")]))
            calls.append(("getAlbumList2", [("type", "byGenre"), ("genre", "drone")]))
            for (method, parameters) in calls {
                try await api.restXML(method, parameters, as: app)
                _ = try await api.restJSON(method, parameters, as: app)
            }

            // The album: its songs as apps need them.
            let album = try #require(try await api.restJSON("getAlbum", [("id", catalog.albumID)], as: app)["album"] as? [String: Any])
            #expect(album["name"] as? String == "Sines & <Waves>")
            #expect(album["year"] as? Int == 2024)
            #expect(album["genre"] as? String == "ambient")
            #expect(album["songCount"] as? Int == 1)
            let coverArt = try #require(album["coverArt"] as? String)
            let song = try #require((album["song"] as? [[String: Any]])?.first)
            #expect(song["id"] as? String == catalog.paidTrack)
            #expect(song["suffix"] as? String == "opus")
            #expect(song["contentType"] as? String == "audio/ogg")
            #expect(song["isDir"] as? Bool == false)
            #expect(song["albumId"] as? String == catalog.albumID)
            #expect(song["artistId"] as? String == catalog.artist.id)
            let bitRate = try #require(song["bitRate"] as? Int)
            #expect((96...160).contains(bitRate), "kb/s, not b/s: \(bitRate)")
            let duration = try #require(song["duration"] as? Int)
            #expect((1...5).contains(duration), "whole seconds of a short tone: \(duration)")
            #expect((song["created"] as? String)?.hasSuffix("Z") == true)

            // Its size is what stream sends: here the whole track is shorter than the preview,
            // so the preview is all but its last page.
            let streamed = try await api.rest("stream", [("id", catalog.paidTrack)], as: app)
            #expect(streamed.status == .ok)
            #expect(song["size"] as? Int == streamed.body.readableBytes)
            let free = try #require(try await api.restJSON("getSong", [("id", catalog.freeTrack)], as: app)["song"] as? [String: Any])
            let freeStream = try await api.rest("stream", [("id", catalog.freeTrack)], as: app)
            #expect(free["size"] as? Int == freeStream.body.readableBytes)
            #expect(freeStream.headers[.contentType]?.hasPrefix("audio/ogg") == true)

            // search3: an empty query (or "") lists everything, paged.
            for query in ["", "\"\""] {
                let all = try #require(try await api.restJSON("search3", [("query", query)], as: app)["searchResult3"] as? [String: Any])
                #expect((all["artist"] as? [Any])?.count == 1)
                #expect((all["album"] as? [Any])?.count == 2)
                #expect((all["song"] as? [Any])?.count == 2)
            }
            let page = try #require(try await api.restJSON("search3", [("query", ""), ("songCount", "1"), ("songOffset", "1"), ("albumCount", "0")], as: app)["searchResult3"] as? [String: Any])
            #expect((page["song"] as? [Any])?.count == 1)
            #expect((page["album"] as? [Any])?.isEmpty == true, "an empty list, never null or missing")
            let found = try #require(try await api.restJSON("search3", [("query", "free")], as: app)["searchResult3"] as? [String: Any])
            #expect((found["song"] as? [[String: Any]])?.map { $0["id"] as? String } == [catalog.freeTrack])

            // Artists by index letter; genres with their counts; lyrics as lines.
            let artists = try #require(try await api.restJSON("getArtists", as: app)["artists"] as? [String: Any])
            let index = try #require((artists["index"] as? [[String: Any]])?.first)
            #expect(index["name"] as? String == "A")
            #expect((index["artist"] as? [[String: Any]])?.first?["albumCount"] as? Int == 2)
            let genres = try #require((try await api.restJSON("getGenres", as: app)["genres"] as? [String: Any])?["genre"] as? [[String: Any]])
            #expect(genres.map { $0["value"] as? String } == ["ambient", "drone"])
            #expect(genres.first?["songCount"] as? Int == 1)
            let lyrics = try #require((try await api.restJSON("getLyricsBySongId", [("id", catalog.paidTrack)], as: app)["lyricsList"] as? [String: Any])?["structuredLyrics"] as? [[String: Any]])
            #expect((lyrics.first?["line"] as? [[String: Any]])?.map { $0["value"] as? String } == ["first line", "second line"])

            // Album info: the cover's sizes as absolute URLs an app can load.
            let info = try #require(try await api.restJSON("getAlbumInfo2", [("id", catalog.albumID)], as: app)["albumInfo"] as? [String: Any])
            let large = try #require(info["largeImageUrl"] as? String)
            #expect(large.hasPrefix("http://"), "\(large)")
            let loaded = try await api.request(.get, String(large[large.range(of: "/api/")!.lowerBound...]))
            #expect(loaded.headers[.contentType] == "image/jpeg")

            // Cover art at a size; the smallest rendered size at least as large.
            let cover = try await api.rest("getCoverArt", [("id", coverArt), ("size", "250")], as: app)
            #expect(cover.status == .ok)
            #expect(cover.headers[.contentType] == "image/jpeg")
            let path = Fixtures.scratch("subsonic-cover-served").appendingPathComponent("cover.jpg")
            try Data(buffer: cover.body).write(to: path)
            let probe = try await ThirdPartyTools.run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width", "-of", "csv=p=0", path.path])
            #expect(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "300")
            #expect(try await api.rest("getCoverArt", [("id", catalog.albumID)], as: app).headers[.contentType] == "image/jpeg", "an album id names its cover")
            let missing = try await api.rest("getCoverArt", [("id", "nothing")], as: app)
            #expect(missing.status == .ok)
            #expect(SubsonicSchema.check(xml: Data(buffer: missing.body)).isEmpty)
            #expect(String(buffer: missing.body).contains("code=\"70\""), "failures of media methods are XML envelopes")

            // Errors: 200 with the envelope's code; unknown methods 70; .view and POST forms.
            let unknown = try await api.restJSON("getPodcasts", as: app)
            #expect(unknown.subsonicError?.code == 70)
            #expect(try await api.restJSON("getAlbum", as: app).subsonicError?.code == 10)
            #expect(try await api.restJSON("getAlbum", [("id", "nothing")], as: app).subsonicError?.code == 70)
            #expect(try await api.restJSON("getAlbumList2", [("type", "newest"), ("size", "9999999999")], as: app).subsonicError?.code == 0)
            #expect(try await api.restJSON("ping", [("v", "2.0.0")], as: app).subsonicError?.code == 30)
            let view = try await api.rest("getAlbum.view", [("id", catalog.albumID)], as: app, json: true)
            #expect(String(buffer: view.body).contains("\"status\":\"ok\""))
            let posted = try await api.rest("getAlbum", [("id", catalog.albumID)], as: app, json: true, post: true)
            #expect(String(buffer: posted.body).contains(catalog.paidTrack), "POST with a form body")
            let deeper = try await api.request(.get, "/rest/a/b?f=json")
            #expect(deeper.status == .ok)
            #expect(String(buffer: deeper.body).contains("\"code\":70"))
            // An Authorization header (an app's, a proxy's) does not stand in the way.
            let withHeader = try await api.rest("ping", as: app, json: true, headers: [.authorization: "Basic Zm9vOmJhcg=="])
            #expect(String(buffer: withHeader.body).contains("\"status\":\"ok\""))
        }
    }

    @Test("stars are favourites and playlists are Tutti's playlists; a scrobble joins the history without a charge")
    func library() async throws {
        try await TestService().run { api in
            let catalog = try await SubsonicCatalog.make(api)
            let lena = try await api.account("lena")
            let app = try await api.appPassword(lena).signIn
            #expect(try await api.restJSON("star", [("id", catalog.paidTrack), ("albumId", catalog.singleID), ("artistId", catalog.artist.id)], as: app)["status"] as? String == "ok")
            let starred = try #require(try await api.restJSON("getStarred2", as: app)["starred2"] as? [String: Any])
            #expect((starred["song"] as? [[String: Any]])?.map { $0["id"] as? String } == [catalog.paidTrack])
            #expect((starred["album"] as? [[String: Any]])?.map { $0["id"] as? String } == [catalog.singleID])
            #expect((starred["artist"] as? [[String: Any]])?.map { $0["id"] as? String } == [catalog.artist.id])
            #expect(((starred["song"] as? [[String: Any]])?.first?["starred"] as? String)?.hasSuffix("Z") == true)
            let favourites = try await api.request(.get, "/api/v1/listeners/\(lena.id)/favourites", token: lena.token).json()
            #expect((favourites["items"] as? [Any])?.count == 3, "the same favourites as the web library")
            let albums = try #require((try await api.restJSON("getAlbumList2", [("type", "starred")], as: app)["albumList2"] as? [String: Any])?["album"] as? [[String: Any]])
            #expect(albums.map { $0["id"] as? String } == [catalog.singleID])
            _ = try await api.restJSON("unstar", [("id", catalog.paidTrack)], as: app)
            let after = try #require(try await api.restJSON("getStarred2", as: app)["starred2"] as? [String: Any])
            #expect((after["song"] as? [Any])?.isEmpty == true)
            try await api.restXML("getStarred2", as: app)

            // Playlists: create with songs, rename and edit, read, delete.
            let created = try #require(try await api.restJSON("createPlaylist", [("name", "Mine"), ("songId", catalog.paidTrack), ("songId", catalog.freeTrack)], as: app)["playlist"] as? [String: Any])
            let playlistID = try #require(created["id"] as? String)
            #expect(created["songCount"] as? Int == 2)
            #expect((created["entry"] as? [[String: Any]])?.map { $0["id"] as? String } == [catalog.paidTrack, catalog.freeTrack])
            #expect(try await api.restJSON("updatePlaylist", [("playlistId", playlistID), ("name", "Renamed"), ("songIndexToRemove", "0"),
                                                             ("songIdToAdd", catalog.paidTrack), ("public", "true")], as: app)["status"] as? String == "ok")
            let read = try #require(try await api.restJSON("getPlaylist", [("id", playlistID)], as: app)["playlist"] as? [String: Any])
            #expect(read["name"] as? String == "Renamed")
            #expect(read["public"] as? Bool == true)
            #expect(read["owner"] as? String == "lena")
            #expect((read["entry"] as? [[String: Any]])?.map { $0["id"] as? String } == [catalog.freeTrack, catalog.paidTrack])
            try await api.restXML("getPlaylist", [("id", playlistID)], as: app)
            let web = try await api.request(.get, "/api/v1/playlists/\(playlistID)", token: lena.token).json()
            #expect(web["title"] as? String == "Renamed", "the same playlist as the web library")
            let listed = try #require((try await api.restJSON("getPlaylists", as: app)["playlists"] as? [String: Any])?["playlist"] as? [[String: Any]])
            #expect(listed.map { $0["id"] as? String } == [playlistID])
            try await api.restXML("getPlaylists", as: app)
            let replaced = try #require(try await api.restJSON("createPlaylist", [("playlistId", playlistID), ("songId", catalog.freeTrack)], as: app)["playlist"] as? [String: Any])
            #expect(replaced["songCount"] as? Int == 1)
            // Another listener cannot touch it.
            let mira = try await api.account("mira")
            let other = try await api.appPassword(mira).signIn
            #expect(try await api.restJSON("deletePlaylist", [("id", playlistID)], as: other).subsonicError?.code == 70)
            #expect(try await api.restJSON("deletePlaylist", [("id", playlistID)], as: app)["status"] as? String == "ok")
            #expect(try await api.restJSON("getPlaylist", [("id", playlistID)], as: app).subsonicError?.code == 70)

            // Scrobbles: history, no charge (lena has no credit at all); "now playing" adds nothing.
            _ = try await api.restJSON("scrobble", [("id", catalog.paidTrack), ("submission", "false")], as: app)
            var history = try await api.request(.get, "/api/v1/listeners/\(lena.id)/history", token: lena.token).json()
            #expect((history["items"] as? [Any])?.isEmpty == true)
            #expect(try await api.restJSON("scrobble", [("id", catalog.paidTrack)], as: app)["status"] as? String == "ok")
            #expect(try await api.restJSON("scrobble", [("id", catalog.paidTrack)], as: app)["status"] as? String == "ok")
            history = try await api.request(.get, "/api/v1/listeners/\(lena.id)/history", token: lena.token).json()
            let entries = try #require(history["items"] as? [[String: Any]])
            #expect(entries.count == 1, "one listening, scrobbled twice: \(entries)")
            #expect(entries.first?["trackID"] as? String == catalog.paidTrack)
            #expect(entries.first?["price"] == nil)
            #expect(try api.services.ledger.verify().plays == 0, "nothing charged")
            let recent = try #require((try await api.restJSON("getAlbumList2", [("type", "recent")], as: app)["albumList2"] as? [String: Any])?["album"] as? [[String: Any]])
            #expect(recent.map { $0["id"] as? String } == [catalog.albumID])
        }
    }
}
