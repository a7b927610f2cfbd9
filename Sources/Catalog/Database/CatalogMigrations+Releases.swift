import FoundationEssentials
import GRDB

/// Releases, credits, artist profiles and the search index (issue 15).
///
/// Existing tracks move into releases grouped by artist, album name and publication: each
/// group becomes an album (a track without an album becomes a single titled like it), so
/// every track keeps its id, its URLs, its visibility and its plays; the ledger is not
/// touched. Tracks are rebuilt (SQLite's twelve-step table change, with foreign keys checked
/// before the commit by GRDB) so that `releaseID` is NOT NULL from the start.
extension CatalogMigrations {
    static func registerReleases(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("catalog-4-releases") { db in
            try createReleases(db)
            try createProfiles(db)
            try moveTracksIntoReleases(db)
            try createCredits(db)
            try PublicationRules.install(db)
            try SearchIndex.install(db)
        }
    }

    private static func createReleases(_ db: Database) throws {
        let licences = ReleaseLicence.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let types = ReleaseType.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        try db.execute(sql: """
            CREATE TABLE releases (
                id TEXT PRIMARY KEY NOT NULL,
                artistID TEXT NOT NULL REFERENCES users(id),
                title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND \(ReleaseRules.titleLength)),
                type TEXT NOT NULL CHECK (type IN (\(types))),
                -- A calendar day, YYYY-MM-DD; NULL until the artist gives one.
                releaseDate TEXT CHECK (releaseDate IS NULL OR (length(releaseDate) = 10 AND date(releaseDate) = releaseDate)),
                -- UPC-A (12 digits) or EAN-13, check digit verified on the way in.
                upc TEXT CHECK (upc IS NULL OR ((length(upc) = 12 OR length(upc) = 13) AND upc NOT GLOB '*[^0-9]*')),
                licence TEXT NOT NULL DEFAULT 'all-rights-reserved' CHECK (licence IN (\(licences))),
                description TEXT NOT NULL DEFAULT '' CHECK (length(description) <= \(ReleaseRules.descriptionLength)),
                -- The content hash naming the cover's image set; NULL without a cover.
                coverImage TEXT,
                published BOOLEAN NOT NULL DEFAULT 0 CHECK (published IN (0, 1)),
                publishedAt DATETIME,
                createdAt DATETIME NOT NULL,
                updatedAt DATETIME NOT NULL,
                deletedAt DATETIME,
                CHECK (published = 0 OR deletedAt IS NULL),
                CHECK (published = 0 OR publishedAt IS NOT NULL)
            );
            CREATE INDEX releases_artist ON releases (artistID, createdAt);
            CREATE INDEX releases_newest ON releases (published, publishedAt);
            CREATE TABLE releaseGenres (
                releaseID TEXT NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
                genre TEXT NOT NULL CHECK (length(genre) BETWEEN 1 AND \(ReleaseRules.genreLength) AND genre = lower(genre)),
                position INTEGER NOT NULL,
                PRIMARY KEY (releaseID, genre)
            ) WITHOUT ROWID;
            CREATE INDEX releaseGenres_genre ON releaseGenres (genre, releaseID);
            """)
    }

    private static func createProfiles(_ db: Database) throws {
        // The display name stays in `users` (one name per account); the profile adds the rest.
        try db.execute(sql: """
            CREATE TABLE artistProfiles (
                userID TEXT PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                bio TEXT NOT NULL DEFAULT '' CHECK (length(bio) <= \(ArtistProfileRules.bioLength)),
                location TEXT NOT NULL DEFAULT '' CHECK (length(location) <= \(ArtistProfileRules.locationLength)),
                -- The content hash naming the avatar's image set; NULL without one.
                avatarImage TEXT,
                updatedAt DATETIME NOT NULL
            );
            CREATE TABLE artistLinks (
                userID TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                position INTEGER NOT NULL CHECK (position >= 0),
                label TEXT NOT NULL CHECK (length(label) <= \(ArtistProfileRules.linkLabelLength)),
                url TEXT NOT NULL CHECK (url LIKE 'https://%' AND length(url) <= \(ArtistProfileRules.urlLength)),
                PRIMARY KEY (userID, position)
            ) WITHOUT ROWID;
            """)
    }

    private static func createCredits(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE trackCredits (
                trackID TEXT NOT NULL REFERENCES tracks(id),
                position INTEGER NOT NULL CHECK (position >= 0),
                name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND \(TrackRules.creditNameLength)),
                role TEXT NOT NULL CHECK (length(role) BETWEEN 1 AND \(TrackRules.creditRoleLength)),
                -- A member's account, when the credited person has one.
                accountID TEXT REFERENCES users(id),
                PRIMARY KEY (trackID, position)
            ) WITHOUT ROWID;
            CREATE INDEX trackCredits_account ON trackCredits (accountID) WHERE accountID IS NOT NULL;
            """)
    }

    /// The tracks table with its release, position and the new fields; the rows of the old one.
    private static func moveTracksIntoReleases(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE tracks_new (
                id TEXT PRIMARY KEY NOT NULL,
                artistID TEXT NOT NULL REFERENCES users(id),
                releaseID TEXT NOT NULL REFERENCES releases(id),
                -- 1 to 99; 101 to 199 only inside the transaction that re-places a release's tracks
                -- (Placing.place shifts them there first, so no two collide midway).
                discNumber INTEGER NOT NULL DEFAULT 1 CHECK (discNumber BETWEEN 1 AND 199),
                trackNumber INTEGER NOT NULL CHECK (trackNumber BETWEEN 1 AND \(TrackRules.trackNumbers.upperBound)),
                title TEXT NOT NULL,
                -- Stored without dashes: CC XXX YY NNNNN (12 characters).
                isrc TEXT CHECK (isrc IS NULL OR (length(isrc) = 12 AND isrc GLOB '[A-Z][A-Z][A-Z0-9][A-Z0-9][A-Z0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]')),
                lyrics TEXT NOT NULL DEFAULT '' CHECK (length(lyrics) <= \(TrackRules.lyricsLength)),
                explicit BOOLEAN NOT NULL DEFAULT 0 CHECK (explicit IN (0, 1)),
                status TEXT NOT NULL CHECK (status IN ('processing', 'ready', 'failed')),
                progress INTEGER NOT NULL DEFAULT 0,
                failureReason TEXT,
                published BOOLEAN NOT NULL DEFAULT 0,
                free BOOLEAN NOT NULL DEFAULT 0,
                originalPath TEXT NOT NULL,
                originalFormat TEXT NOT NULL,
                originalBytes INTEGER NOT NULL,
                originalSHA256 TEXT NOT NULL,
                durationSamples INTEGER,
                sourceSampleRate INTEGER,
                sourceChannels INTEGER,
                loudnessLUFS DOUBLE,
                truePeakDBTP DOUBLE,
                trackGainQ78 INTEGER,
                peaks BLOB,
                createdAt DATETIME NOT NULL,
                updatedAt DATETIME NOT NULL,
                deletedAt DATETIME
            )
            """)
        // Groups of the old tracks: (artist, album, published); an album-less track alone.
        struct OldTrack {
            var id: String, artistID: String, title: String, album: String?, published: Bool
            var createdAt: Date, updatedAt: Date, deletedAt: Date?
        }
        let rows = try Row.fetchAll(db, sql: "SELECT id, artistID, title, album, published, createdAt, updatedAt, deletedAt FROM tracks ORDER BY createdAt, id")
        let old = rows.map { row in
            OldTrack(id: row["id"], artistID: row["artistID"], title: row["title"], album: row["album"], published: row["published"],
                     createdAt: row["createdAt"], updatedAt: row["updatedAt"], deletedAt: row["deletedAt"])
        }
        var groups: [[OldTrack]] = []
        var albumGroup: [String: Int] = [:]
        for track in old {
            if let album = track.album, !album.isEmpty {
                let key = "\(track.artistID)\u{0}\(album)\u{0}\(track.published)"
                if let index = albumGroup[key] { groups[index].append(track) } else {
                    albumGroup[key] = groups.count
                    groups.append([track])
                }
            } else {
                groups.append([track])
            }
        }
        for group in groups {
            let first = group[0]
            let releaseID = Identifier.make()
            let isSingle = first.album == nil || first.album?.isEmpty == true
            let title = String((isSingle ? first.title : first.album!).unicodeScalars.prefix(ReleaseRules.titleLength))
            let allDeleted = group.allSatisfy { $0.deletedAt != nil }
            let created = group.map(\.createdAt).min()!
            let updated = group.map(\.updatedAt).max()!
            try db.execute(sql: """
                INSERT INTO releases (id, artistID, title, type, published, publishedAt, createdAt, updatedAt, deletedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [releaseID, first.artistID, title, isSingle ? ReleaseType.single.rawValue : ReleaseType.album.rawValue,
                                 first.published, first.published ? updated : nil, created, updated,
                                 allDeleted ? group.compactMap(\.deletedAt).max() : nil])
            for (index, track) in group.enumerated() {
                try db.execute(sql: """
                    INSERT INTO tracks_new (id, artistID, releaseID, discNumber, trackNumber, title, status, progress, failureReason,
                        published, free, originalPath, originalFormat, originalBytes, originalSHA256, durationSamples,
                        sourceSampleRate, sourceChannels, loudnessLUFS, truePeakDBTP, trackGainQ78, peaks, createdAt, updatedAt, deletedAt)
                    SELECT id, artistID, ?, 1, ?, title, status, progress, failureReason,
                        published, free, originalPath, originalFormat, originalBytes, originalSHA256, durationSamples,
                        sourceSampleRate, sourceChannels, loudnessLUFS, truePeakDBTP, trackGainQ78, peaks, createdAt, updatedAt, deletedAt
                    FROM tracks WHERE id = ?
                    """, arguments: [releaseID, index + 1, track.id])
            }
        }
        try db.execute(sql: """
            DROP TABLE tracks;
            ALTER TABLE tracks_new RENAME TO tracks;
            CREATE INDEX tracks_artist ON tracks (artistID);
            -- One track per place in a release (a deleted track gives its place up).
            CREATE UNIQUE INDEX tracks_release_place ON tracks (releaseID, discNumber, trackNumber) WHERE deletedAt IS NULL;
            CREATE INDEX tracks_release ON tracks (releaseID);
            """)
    }
}
