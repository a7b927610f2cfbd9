import Catalog
import FoundationEssentials
import Ledger

/// What the catalog looks like to one signed-in app: which items the listener starred, which
/// tracks they own, and so what `stream` will send of each song (whole, or the preview only),
/// whose size a song reports. Built once per request that lists songs.
struct SubsonicListener: Sendable {
    let user: User
    let appPassword: AppPassword
    /// Favourites: when each was added, by kind and id.
    let starred: [FavouriteKind: [String: Date]]
    /// Tracks the listener owns (enough counted plays).
    let owned: Set<String>
    /// The preview's length under the pricing in force, seconds.
    let previewSeconds: Int
    /// Free bytes of each metered rendition's preview, for the songs' sizes.
    let previewBytes: [String: Int64]

    /// Loads what `songs` need (the starred and owned sets, the pricing, and the preview's
    /// size of each song that plays its preview only).
    static func load(_ caller: SubsonicController.Caller, songs: [BrowseSong] = [], services: AppServices) async throws -> SubsonicListener {
        let user = caller.user
        let instant = services.configuration.now()
        let starred = try await services.library.favouriteTimes(of: user.id)
        let (owned, previewSeconds) = try await services.inLedger { ledger throws(LedgerError) in
            (Set(try ledger.trackStatuses(listener: user.id, at: instant).filter(\.owned).map(\.trackID)),
             try ledger.pricing(at: instant).pricing.previewSeconds)
        }
        var listener = SubsonicListener(user: user, appPassword: caller.appPassword, starred: starred, owned: owned,
                                        previewSeconds: previewSeconds, previewBytes: [:])
        var previewBytes: [String: Int64] = [:]
        for song in songs where !listener.playsWhole(song.track) && previewBytes[song.track.id] == nil {
            if let entry = try await services.streamCatalog.entry(trackID: song.track.id, rendition: RenditionName.standard.rawValue) {
                previewBytes[song.track.id] = services.streamCatalog.previewWindow(
                    entry, previewSeconds: previewSeconds, tailProbeBytes: services.configuration.tailProbeBytes).freeEnd
            }
        }
        listener = SubsonicListener(user: user, appPassword: caller.appPassword, starred: starred, owned: owned,
                                    previewSeconds: previewSeconds, previewBytes: previewBytes)
        return listener
    }

    /// Whether `stream` sends the whole track: free, the listener's own, owned, an admin's, or
    /// "count plays in this app" is on (then metered as in the web player).
    func playsWhole(_ track: Track) -> Bool {
        track.free || track.artistID == user.id || user.role == .admin || owned.contains(track.id) || appPassword.countPlays
    }

    /// Never counted: everything streams without a play session.
    func streamsFreely(_ track: Track) -> Bool {
        track.free || track.artistID == user.id || user.role == .admin || owned.contains(track.id)
    }

    func starredAt(_ kind: FavouriteKind, _ id: String) -> SubsonicValue? {
        starred[kind]?[id].map { .date($0) }
    }

    // MARK: Elements

    /// A song (`Child`): suffix opus, audio/ogg, bit rate in kb/s, whole seconds, and the
    /// size `stream` sends it with.
    func song(_ song: BrowseSong, name: String = "song") -> SubsonicElement {
        let track = song.track
        let size: Int64? = playsWhole(track) ? song.standardBytes : previewBytes[track.id] ?? song.standardBytes
        return SubsonicElement(name, [
            ("id", .string(track.id)), ("parent", .string(track.releaseID)), ("isDir", .bool(false)), ("title", .string(track.title)),
            ("album", .string(song.releaseTitle)), ("artist", .string(song.artistName)), ("track", .int32(track.trackNumber)),
            ("year", song.year.map { .int32($0) }), ("genre", song.genre.map { .string($0) }), ("coverArt", song.coverImage.map { .string($0) }),
            ("size", size.map { .long($0) }), ("contentType", .string("audio/ogg")), ("suffix", .string("opus")),
            ("duration", .int32(Self.seconds(track.durationSamples))),
            ("bitRate", song.standardBitrate.map { .int32(($0 + 500) / 1_000) }),
            ("path", .string(Self.path(song))), ("isVideo", .bool(false)), ("discNumber", .int32(track.discNumber)),
            ("created", .date(track.createdAt)), ("starred", starredAt(.track, track.id)),
            ("albumId", .string(track.releaseID)), ("artistId", .string(track.artistID)), ("type", .string("music")),
        ])
    }

    /// An album (`AlbumID3`).
    func album(_ album: BrowseAlbum, name: String = "album", songs: [BrowseSong]? = nil) -> SubsonicElement {
        let release = album.release
        return SubsonicElement(name, [
            ("id", .string(release.id)), ("name", .string(release.title)), ("artist", .string(album.artistName)),
            ("artistId", .string(release.artistID)), ("coverArt", release.coverImage.map { .string($0) }),
            ("songCount", .int32(album.songCount)), ("duration", .int32(Self.seconds(album.durationSamples))),
            ("created", .date(release.publishedAt ?? release.createdAt)), ("starred", starredAt(.release, release.id)),
            ("year", album.year.map { .int32($0) }), ("genre", album.genre.map { .string($0) }),
        ], children: songs.map { [.many("song", $0.map { self.song($0) })] } ?? [])
    }

    /// An artist (`ArtistID3`).
    func artist(_ artist: BrowseArtist, name: String = "artist", albums: [BrowseAlbum]? = nil) -> SubsonicElement {
        SubsonicElement(name, [
            ("id", .string(artist.id)), ("name", .string(artist.name)), ("coverArt", artist.avatarImage.map { .string($0) }),
            ("albumCount", .int32(artist.albumCount)), ("starred", starredAt(.artist, artist.id)),
        ], children: albums.map { [.many("album", $0.map { self.album($0) })] } ?? [])
    }

    /// An album as a directory entry (`Child` with isDir), for the folder-based methods.
    func albumDirectoryEntry(_ album: BrowseAlbum) -> SubsonicElement {
        let release = album.release
        return SubsonicElement("child", [
            ("id", .string(release.id)), ("parent", .string(release.artistID)), ("isDir", .bool(true)), ("title", .string(release.title)),
            ("album", .string(release.title)), ("artist", .string(album.artistName)), ("year", album.year.map { .int32($0) }),
            ("genre", album.genre.map { .string($0) }), ("coverArt", release.coverImage.map { .string($0) }),
            ("duration", .int32(Self.seconds(album.durationSamples))), ("created", .date(release.publishedAt ?? release.createdAt)),
            ("starred", starredAt(.release, release.id)), ("albumId", .string(release.id)), ("artistId", .string(release.artistID)),
        ])
    }

    /// Whole seconds of a length in samples at 48 kHz (rounded).
    static func seconds(_ samples: Int64?) -> Int64 {
        ((samples ?? 0) + 24_000) / 48_000
    }

    /// A path clients may show or use to group files: artist/album/NN title.opus.
    static func path(_ song: BrowseSong) -> String {
        let clean = { (text: String) in String(text.map { $0 == "/" ? "_" : $0 }) }
        let number = song.track.trackNumber < 10 ? "0\(song.track.trackNumber)" : "\(song.track.trackNumber)"
        return "\(clean(song.artistName))/\(clean(song.releaseTitle))/\(number) \(clean(song.track.title)).opus"
    }
}
