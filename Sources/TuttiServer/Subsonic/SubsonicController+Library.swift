import Catalog
import FoundationEssentials
import Hummingbird

/// The listener's library through the Subsonic API: stars are Tutti's favourites, playlists
/// its playlists, scrobbles its history (never a charge).
extension SubsonicController {
    var library: Library { services.library }
    var playlistStore: Playlists { services.playlists }

    /// star / unstar: `id` (a song, album or artist), `albumId`, `artistId`, each repeatable.
    func star(_ call: Call, adding: Bool) async throws -> Response {
        let user = try call.user
        var items: [(FavouriteKind, String)] = []
        for id in call.parameters.all("id") {
            if try await services.browse.songs(ids: [id]).first != nil { items.append((.track, id)) }
            else if try await services.browse.albums(ids: [id]).first != nil { items.append((.release, id)) }
            else if try await services.browse.artists(ids: [id]).first != nil { items.append((.artist, id)) }
            else if adding { throw SubsonicError.notFound("Item \(id.prefix(40))") }
            else { items.append((.track, id)) }  // unstarring something gone: remove whatever it was
        }
        items += call.parameters.all("albumId").map { (.release, $0) }
        items += call.parameters.all("artistId").map { (.artist, $0) }
        guard !items.isEmpty else { throw SubsonicError.missing("id, albumId or artistId") }
        for (kind, id) in items {
            if adding {
                try await library.addFavourite(kind, id: id, by: user)
            } else {
                for candidate in kind == .track ? FavouriteKind.allCases : [kind] {
                    try await library.removeFavourite(candidate, id: id, by: user)
                }
            }
        }
        return call.ok()
    }

    func starred(_ call: Call) async throws -> Response {
        let user = try call.user
        try checkMusicFolder(call)
        let library = self.library
        func ids(_ kind: FavouriteKind) async throws -> [String] {
            try await library.favourites(of: user, kind: kind, limit: 10_000, offset: 0).items.map(\.id)
        }
        let artists = try await services.browse.artists(ids: try await ids(.artist))
        let albums = try await services.browse.albums(ids: try await ids(.release))
        let songs = try await services.browse.songs(ids: try await ids(.track))
        let listener = try await listener(call, songs: songs)
        return call.ok(SubsonicElement("starred2", children: [
            .many("artist", artists.map { listener.artist($0) }),
            .many("album", albums.map { listener.album($0) }),
            .many("song", songs.map { listener.song($0) }),
        ]))
    }

    // MARK: Playlists

    /// A playlist's element (`Playlist`), with its songs (`entry`) for getPlaylist.
    func playlistElement(_ detail: PlaylistDetail, owner: String, songs: [BrowseSong], listener: SubsonicListener?) -> SubsonicElement {
        let playlist = detail.playlist
        let duration = songs.reduce(Int64(0)) { $0 + ($1.track.durationSamples ?? 0) }
        return SubsonicElement("playlist", [
            ("id", .string(playlist.id)), ("name", .string(playlist.title)), ("comment", .string(playlist.description)),
            ("owner", .string(owner)), ("public", .bool(playlist.public)), ("songCount", .int32(songs.count)),
            ("duration", .int32(SubsonicListener.seconds(duration))), ("created", .date(playlist.createdAt)),
            ("changed", .date(playlist.updatedAt)), ("coverArt", songs.first?.coverImage.map { .string($0) }),
        ], children: listener.map { listener in [.many("entry", songs.map { listener.song($0, name: "entry") })] } ?? [])
    }

    /// The songs of a playlist the listener may hear, in order.
    func playlistSongs(_ detail: PlaylistDetail) async throws -> [BrowseSong] {
        try await services.browse.songs(ids: detail.entries.filter(\.available).map(\.trackID))
    }

    func playlists(_ call: Call) async throws -> Response {
        let user = try call.user
        if let asked = call.parameters.first("username"), asked.lowercased() != user.username {
            throw SubsonicError(.notAuthorized, "Only your own playlists are listed")
        }
        let page = try await playlistStore.playlists(of: user.id, viewer: user, limit: 500, offset: 0)
        var elements: [SubsonicElement] = []
        for playlist in page.items {
            guard let detail = try await playlistStore.playlist(id: playlist.id, viewer: user) else { continue }
            elements.append(playlistElement(detail, owner: user.username, songs: try await playlistSongs(detail), listener: nil))
        }
        return call.ok(SubsonicElement("playlists", children: [.many("playlist", elements)]))
    }

    func playlist(_ call: Call) async throws -> Response {
        let user = try call.user
        let id = try call.parameters.required("id")
        guard let detail = try await playlistStore.playlist(id: id, viewer: user) else { throw SubsonicError.notFound("Playlist") }
        return try await playlistAnswer(call, detail)
    }

    private func playlistAnswer(_ call: Call, _ detail: PlaylistDetail) async throws -> Response {
        let user = try call.user
        let songs = try await playlistSongs(detail)
        let listener = try await listener(call, songs: songs)
        let owner = detail.playlist.ownerID == user.id ? user.username : detail.ownerName
        return call.ok(playlistElement(detail, owner: owner, songs: songs, listener: listener))
    }

    /// createPlaylist: a new one named `name`, or (with `playlistId`) an existing one's songs
    /// replaced; `songId` repeated, in order.
    func createPlaylist(_ call: Call) async throws -> Response {
        let user = try call.user
        let songs = call.parameters.all("songId")
        var detail: PlaylistDetail
        if let id = call.parameters.first("playlistId") {
            guard var current = try await playlistStore.playlist(id: id, viewer: user), current.playlist.ownerID == user.id else {
                throw SubsonicError.notFound("Playlist")
            }
            for position in current.entries.indices.reversed() {
                current = try await edit(current, user, .remove(position: position))
            }
            detail = current
        } else {
            detail = try await playlistStore.create(by: user, title: try call.parameters.required("name"), description: "", public: false)
        }
        for song in songs { detail = try await edit(detail, user, .add(trackID: song, position: nil)) }
        return try await playlistAnswer(call, detail)
    }

    func updatePlaylist(_ call: Call) async throws -> Response {
        let user = try call.user
        let id = try call.parameters.required("playlistId")
        guard var detail = try await playlistStore.playlist(id: id, viewer: user), detail.playlist.ownerID == user.id else {
            throw SubsonicError.notFound("Playlist")
        }
        let name = call.parameters.first("name")
        let comment = call.parameters.first("comment")
        let isPublic = call.parameters.contains("public") ? try call.parameters.boolean("public", default: false) : nil
        if name != nil || comment != nil || isPublic != nil {
            detail = try await edit(detail, user, .details(title: name, description: comment, public: isPublic))
        }
        let positions = Array(Set(try call.parameters.all("songIndexToRemove").map { text throws(SubsonicError) -> Int in
            guard let index = Int(text), detail.entries.indices.contains(index) else {
                throw SubsonicError.invalid("songIndexToRemove", "no song at index '\(text.prefix(20))'")
            }
            return index
        })).sorted(by: >)
        for position in positions { detail = try await edit(detail, user, .remove(position: position)) }
        for song in call.parameters.all("songIdToAdd") { detail = try await edit(detail, user, .add(trackID: song, position: nil)) }
        return call.ok()
    }

    func deletePlaylist(_ call: Call) async throws -> Response {
        let user = try call.user
        let id = try call.parameters.required("id")
        guard let detail = try await playlistStore.playlist(id: id, viewer: user), detail.playlist.ownerID == user.id else {
            throw SubsonicError.notFound("Playlist")
        }
        do {
            try await playlistStore.delete(id: id, by: user, version: detail.playlist.version)
        } catch is PlaylistVersionConflict {
            throw SubsonicError(.generic, "The playlist changed meanwhile; try again")
        }
        return call.ok()
    }

    /// One edit on the version just read (an app's edit is one request: a conflict is reported).
    private func edit(_ detail: PlaylistDetail, _ user: User, _ edit: PlaylistEdit) async throws -> PlaylistDetail {
        do {
            return try await playlistStore.edit(id: detail.playlist.id, by: user, version: detail.playlist.version, edit)
        } catch is PlaylistVersionConflict {
            throw SubsonicError(.generic, "The playlist changed meanwhile; try again")
        } catch CatalogError.notFound(let kind, let id) where kind == "track" {
            throw SubsonicError.notFound("Song \(id.prefix(40))")
        }
    }

    // MARK: Scrobbles

    /// How far back a stream's play session makes a scrobble of the same track redundant.
    static let scrobbleWindow: TimeInterval = 30 * 60

    /// scrobble: with `submission` (the default), each song joins the listener's history,
    /// unless a session of it was opened in the last half hour (a counted stream's already
    /// is); nothing is ever charged. "Now playing" notices (`submission=false`) change nothing.
    func scrobble(_ call: Call) async throws -> Response {
        let user = try call.user
        let ids = call.parameters.all("id")
        guard !ids.isEmpty else { throw SubsonicError.missing("id") }
        guard try call.parameters.boolean("submission", default: true) else { return call.ok() }
        let plays = PlaysController(services: services)
        let since = services.configuration.now().addingTimeInterval(-Self.scrobbleWindow)
        for id in ids {
            guard Identifier.isValid(id), let track = try await services.tracks.visibleTrack(id: id, viewer: user), track.status == .ready else {
                throw SubsonicError.notFound("Song \(id.prefix(40))")
            }
            if try await services.playSessions.hasSession(listenerID: user.id, trackID: track.id, since: since) { continue }
            // A session that never delivers audio: in the history, never counted or charged.
            _ = try await plays.openSession(track, user: user, remoteAddress: call.context.remoteAddress, logger: call.context.logger)
        }
        return call.ok()
    }
}
