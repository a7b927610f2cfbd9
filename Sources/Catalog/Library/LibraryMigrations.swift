import GRDB

/// The listener's library (issue 17): favourites, playlists, follows and settings. History is
/// the listener's play sessions (``ListeningHistory``); collection and money are the ledger's.
enum LibraryMigrations {
    static func register(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("library-1") { db in
            try db.execute(sql: """
                CREATE TABLE libraryFavourites (
                    listenerID TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    kind TEXT NOT NULL CHECK (kind IN ('track', 'release', 'artist')),
                    itemID TEXT NOT NULL,
                    addedAt DATETIME NOT NULL,
                    PRIMARY KEY (listenerID, kind, itemID)
                ) WITHOUT ROWID;
                CREATE INDEX libraryFavourites_newest ON libraryFavourites (listenerID, addedAt);

                CREATE TABLE playlists (
                    id TEXT PRIMARY KEY NOT NULL,
                    ownerID TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND \(PlaylistRules.titleLength)),
                    description TEXT NOT NULL DEFAULT '' CHECK (length(description) <= \(PlaylistRules.descriptionLength)),
                    public BOOLEAN NOT NULL DEFAULT 0 CHECK (public IN (0, 1)),
                    -- Every edit adds one; an edit made on another version is refused (409).
                    version INTEGER NOT NULL CHECK (version >= 1),
                    createdAt DATETIME NOT NULL,
                    updatedAt DATETIME NOT NULL
                );
                CREATE INDEX playlists_owner ON playlists (ownerID, updatedAt);
                CREATE TABLE playlistTracks (
                    playlistID TEXT NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
                    position INTEGER NOT NULL CHECK (position BETWEEN 0 AND \(PlaylistRules.maximumTracks - 1)),
                    trackID TEXT NOT NULL REFERENCES tracks(id),
                    PRIMARY KEY (playlistID, position)
                ) WITHOUT ROWID;
                CREATE INDEX playlistTracks_track ON playlistTracks (trackID);

                CREATE TABLE artistFollows (
                    listenerID TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    artistID TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    followedAt DATETIME NOT NULL,
                    PRIMARY KEY (listenerID, artistID),
                    CHECK (listenerID <> artistID)
                ) WITHOUT ROWID;
                CREATE INDEX artistFollows_newest ON artistFollows (listenerID, followedAt);

                -- Per-account settings of the library: the time zone whose calendar months a
                -- spending limit counts (the ledger keeps a copy with the limit).
                CREATE TABLE listenerSettings (
                    userID TEXT PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    timeZone TEXT NOT NULL CHECK (length(timeZone) BETWEEN 1 AND 64),
                    updatedAt DATETIME NOT NULL
                ) WITHOUT ROWID;
                """)
        }
    }
}

/// Limits of playlists.
public enum PlaylistRules {
    public static let titleLength = 200
    public static let descriptionLength = 5_000
    public static let maximumTracks = 1_000
}
