import Catalog
import FoundationEssentials
import HTTPTypes
import Hummingbird

/// Browsing: artists, albums, songs, genres, search, lyrics; by tags (ID3 methods) and by
/// folders (artist → album → songs).
extension SubsonicController {
    /// Whose words an index letter ignores ("The Beatles" under B); none: names are shown as
    /// artists wrote them.
    static let ignoredArticles = ""

    func listener(_ call: Call, songs: [BrowseSong] = []) async throws -> SubsonicListener {
        guard let caller = call.caller else { throw SubsonicError(.wrongCredentials, "Sign in first") }
        return try await SubsonicListener.load(caller, songs: songs, services: services)
    }

    /// The index letter of a name: its first letter, uppercased; "#" for anything else.
    static func indexLetter(_ name: String) -> String {
        guard let first = name.trimmingWhitespace().first, first.isLetter else { return "#" }
        return String(first).uppercased()
    }

    /// Artists grouped by index letter, in order.
    static func indexed(_ artists: [BrowseArtist]) -> [(String, [BrowseArtist])] {
        var groups: [(String, [BrowseArtist])] = []
        for artist in artists {
            let letter = indexLetter(artist.name)
            if let last = groups.indices.last, groups[last].0 == letter {
                groups[last].1.append(artist)
            } else if let existing = groups.firstIndex(where: { $0.0 == letter }) {
                groups[existing].1.append(artist)
            } else {
                groups.append((letter, [artist]))
            }
        }
        return groups.sorted { ($0.0 == "#" ? "\u{10FFFF}" : $0.0) < ($1.0 == "#" ? "\u{10FFFF}" : $1.0) }
    }

    /// The only music folder is 1; another id names nothing.
    func checkMusicFolder(_ call: Call) throws {
        if let folder = try call.parameters.integer("musicFolderId", in: Int(Int32.min)...Int(Int32.max)), folder != Self.musicFolderID {
            throw SubsonicError.notFound("Music folder")
        }
    }

    func artists(_ call: Call) async throws -> Response {
        try checkMusicFolder(call)
        let listener = try await listener(call)
        let artists = try await services.browse.artists().items
        return call.ok(SubsonicElement("artists", [("ignoredArticles", .string(Self.ignoredArticles))], children: [
            .many("index", Self.indexed(artists).map { letter, members in
                SubsonicElement("index", [("name", .string(letter))], children: [.many("artist", members.map { listener.artist($0) })])
            }),
        ]))
    }

    func indexes(_ call: Call) async throws -> Response {
        try checkMusicFolder(call)
        let listener = try await listener(call)
        let artists = try await services.browse.artists().items
        let lastModified = Int64(services.configuration.now().timeIntervalSince1970 * 1_000)
        return call.ok(SubsonicElement("indexes", [("lastModified", .long(lastModified)), ("ignoredArticles", .string(Self.ignoredArticles))], children: [
            .many("index", Self.indexed(artists).map { letter, members in
                SubsonicElement("index", [("name", .string(letter))], children: [.many("artist", members.map { artist in
                    SubsonicElement("artist", [("id", .string(artist.id)), ("name", .string(artist.name)),
                                               ("starred", listener.starredAt(.artist, artist.id))])
                })])
            }),
        ]))
    }

    /// A directory: an artist (their albums) or an album (its songs).
    func musicDirectory(_ call: Call) async throws -> Response {
        let id = try call.parameters.required("id")
        if let artist = try await services.browse.artists(ids: [id]).first {
            let listener = try await listener(call)
            let albums = try await services.browse.albums(artistID: artist.id)
            return call.ok(SubsonicElement("directory", [
                ("id", .string(artist.id)), ("parent", .string(String(Self.musicFolderID))), ("name", .string(artist.name)),
                ("starred", listener.starredAt(.artist, artist.id)),
            ], children: [.many("child", albums.map { listener.albumDirectoryEntry($0) })]))
        }
        if let album = try await services.browse.albums(ids: [id]).first {
            let songs = try await services.browse.songs(albumID: album.release.id)
            let listener = try await listener(call, songs: songs)
            return call.ok(SubsonicElement("directory", [
                ("id", .string(album.release.id)), ("parent", .string(album.release.artistID)), ("name", .string(album.release.title)),
                ("starred", listener.starredAt(.release, album.release.id)),
            ], children: [.many("child", songs.map { listener.song($0, name: "child") })]))
        }
        throw SubsonicError.notFound("Directory")
    }

    func artist(_ call: Call) async throws -> Response {
        let id = try call.parameters.required("id")
        guard let artist = try await services.browse.artists(ids: [id]).first else { throw SubsonicError.notFound("Artist") }
        let listener = try await listener(call)
        let albums = try await services.browse.albums(artistID: id)
        return call.ok(listener.artist(artist, albums: albums))
    }

    func artistInfo(_ call: Call) async throws -> Response {
        let id = try call.parameters.required("id")
        guard try await services.browse.artists(ids: [id]).first != nil, let profile = try await services.profiles.profile(artistID: id) else {
            throw SubsonicError.notFound("Artist")
        }
        var children: [SubsonicElement.Children] = []
        if !profile.bio.isEmpty { children.append(.value("biography", .string(profile.bio))) }
        let sizes = profile.avatarSizes.sorted { $0.size < $1.size }
        if let small = sizes.first { children.append(.value("smallImageUrl", .string(Self.imageURL(small, call)))) }
        if sizes.count > 1 { children.append(.value("mediumImageUrl", .string(Self.imageURL(sizes[sizes.count / 2], call)))) }
        if let large = sizes.last { children.append(.value("largeImageUrl", .string(Self.imageURL(large, call)))) }
        return call.ok(SubsonicElement("artistInfo2", children: children))
    }

    /// An absolute URL of a picture size: apps load it as it is, without the server's address.
    static func imageURL(_ file: StoredImageFile, _ call: Call) -> String {
        let host = call.request.head.authority ?? "localhost"
        let scheme = call.request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https" ? "https" : "http"
        return "\(scheme)://\(host)/api/v1/images/\(file.jpegSHA256)"
    }

    func album(_ call: Call) async throws -> Response {
        let id = try call.parameters.required("id")
        guard let album = try await services.browse.albums(ids: [id]).first else { throw SubsonicError.notFound("Album") }
        let songs = try await services.browse.songs(albumID: id)
        let listener = try await listener(call, songs: songs)
        return call.ok(listener.album(album, songs: songs))
    }

    func albumInfo(_ call: Call) async throws -> Response {
        let id = try call.parameters.required("id")
        guard let album = try await services.browse.albums(ids: [id]).first,
              let detail = try await services.releases.release(id: album.release.id, viewer: nil) else { throw SubsonicError.notFound("Album") }
        var children: [SubsonicElement.Children] = []
        if !detail.release.description.isEmpty { children.append(.value("notes", .string(detail.release.description))) }
        let sizes = detail.coverSizes.sorted { $0.size < $1.size }
        if let small = sizes.first { children.append(.value("smallImageUrl", .string(Self.imageURL(small, call)))) }
        if sizes.count > 1 { children.append(.value("mediumImageUrl", .string(Self.imageURL(sizes[sizes.count / 2], call)))) }
        if let large = sizes.last { children.append(.value("largeImageUrl", .string(Self.imageURL(large, call)))) }
        return call.ok(SubsonicElement("albumInfo", children: children))
    }

    static let listSizes = 1...500

    func albumList(_ call: Call) async throws -> Response {
        let type = try call.parameters.required("type")
        let size = try call.parameters.integer("size", in: Self.listSizes, default: 10) ?? 10
        let offset = try call.parameters.integer("offset", in: 0...Int(Int32.max), default: 0) ?? 0
        try checkMusicFolder(call)
        let user = try call.user
        let listing: AlbumListing
        switch type {
        case "newest": listing = .newest
        case "alphabeticalByName": listing = .alphabeticalByName
        case "alphabeticalByArtist": listing = .alphabeticalByArtist
        case "random": listing = .random
        case "starred": listing = .starred(listenerID: user.id)
        case "frequent": listing = .frequent(listenerID: user.id)
        case "recent": listing = .recent(listenerID: user.id)
        case "highest": listing = .starred(listenerID: user.id)  // no ratings: the listener's favourites stand in
        case "byYear":
            let years = -9_999...9_999
            guard let from = try call.parameters.integer("fromYear", in: years) else { throw SubsonicError.missing("fromYear") }
            guard let to = try call.parameters.integer("toYear", in: years) else { throw SubsonicError.missing("toYear") }
            listing = .byYear(from: from, to: to)
        case "byGenre":
            listing = .byGenre(try call.parameters.required("genre"))
        default:
            throw SubsonicError.invalid("type", "expected one of newest, alphabeticalByName, alphabeticalByArtist, random, starred, frequent, recent, byYear, byGenre")
        }
        let albums = try await services.browse.albums(listing, limit: size, offset: offset)
        let listener = try await listener(call)
        return call.ok(SubsonicElement("albumList2", children: [.many("album", albums.map { listener.album($0) })]))
    }

    func song(_ call: Call) async throws -> Response {
        let id = try call.parameters.required("id")
        guard let song = try await services.browse.songs(ids: [id]).first else { throw SubsonicError.notFound("Song") }
        let listener = try await listener(call, songs: [song])
        return call.ok(listener.song(song))
    }

    func genres(_ call: Call) async throws -> Response {
        let genres = try await services.browse.genres()
        return call.ok(SubsonicElement("genres", children: [.many("genre", genres.map { genre in
            SubsonicElement("genre", [("songCount", .int32(genre.songCount)), ("albumCount", .int32(genre.albumCount)), ("value", .string(genre.name))],
                            text: genre.name)
        })]))
    }

    func songsByGenre(_ call: Call) async throws -> Response {
        let genre = try call.parameters.required("genre")
        let count = try call.parameters.integer("count", in: Self.listSizes, default: 10) ?? 10
        let offset = try call.parameters.integer("offset", in: 0...Int(Int32.max), default: 0) ?? 0
        try checkMusicFolder(call)
        let songs = try await services.browse.songs(genre: genre, limit: count, offset: offset)
        let listener = try await listener(call, songs: songs)
        return call.ok(SubsonicElement("songsByGenre", children: [.many("song", songs.map { listener.song($0) })]))
    }

    func randomSongs(_ call: Call) async throws -> Response {
        let size = try call.parameters.integer("size", in: Self.listSizes, default: 10) ?? 10
        let years = -9_999...9_999
        let from = try call.parameters.integer("fromYear", in: years)
        let to = try call.parameters.integer("toYear", in: years)
        try checkMusicFolder(call)
        let songs = try await services.browse.randomSongs(count: size, genre: call.parameters.first("genre"), fromYear: from, toYear: to)
        let listener = try await listener(call, songs: songs)
        return call.ok(SubsonicElement("randomSongs", children: [.many("song", songs.map { listener.song($0) })]))
    }

    /// search3: artists, albums and songs whose names contain the query's words; an empty
    /// query (or `""`, as some apps send to sync the whole library) lists everything, paged.
    func search(_ call: Call) async throws -> Response {
        var query = call.parameters.first("query") ?? ""
        if query == "\"\"" { query = "" }
        let counts = 0...500
        let offsets = 0...Int(Int32.max)
        let artistCount = try call.parameters.integer("artistCount", in: counts, default: 20) ?? 20
        let artistOffset = try call.parameters.integer("artistOffset", in: offsets, default: 0) ?? 0
        let albumCount = try call.parameters.integer("albumCount", in: counts, default: 20) ?? 20
        let albumOffset = try call.parameters.integer("albumOffset", in: offsets, default: 0) ?? 0
        let songCount = try call.parameters.integer("songCount", in: counts, default: 20) ?? 20
        let songOffset = try call.parameters.integer("songOffset", in: offsets, default: 0) ?? 0
        try checkMusicFolder(call)
        let browse = services.browse
        let artists = artistCount > 0 ? try await browse.artists(matching: query, limit: artistCount, offset: artistOffset) : []
        let albums = albumCount > 0 ? try await browse.albums(matching: query, limit: albumCount, offset: albumOffset) : []
        let songs = songCount > 0 ? try await browse.songs(matching: query, limit: songCount, offset: songOffset) : []
        let listener = try await listener(call, songs: songs)
        return call.ok(SubsonicElement("searchResult3", children: [
            .many("artist", artists.map { listener.artist($0) }),
            .many("album", albums.map { listener.album($0) }),
            .many("song", songs.map { listener.song($0) }),
        ]))
    }

    /// OpenSubsonic songLyrics: the track's lyrics as unsynchronised lines.
    func lyrics(_ call: Call) async throws -> Response {
        let id = try call.parameters.required("id")
        guard let song = try await services.browse.songs(ids: [id]).first else { throw SubsonicError.notFound("Song") }
        let lines = song.track.lyrics.isEmpty ? [] : song.track.lyrics.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let structured = lines.isEmpty ? [] : [SubsonicElement("structuredLyrics", [
            ("displayArtist", .string(song.artistName)), ("displayTitle", .string(song.track.title)), ("lang", .string("xxx")),
            ("synced", .bool(false)),
        ], children: [.many("line", lines.map { SubsonicElement("line", text: $0) })])]
        return call.ok(SubsonicElement("lyricsList", children: [.many("structuredLyrics", structured)]))
    }
}
