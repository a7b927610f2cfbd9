import GRDB

/// The catalog's full-text index: one FTS5 document per release, track and artist, kept in
/// step with the catalog by triggers (so no write path can forget it), ranked by bm25.
///
/// The tokenizer is `unicode61 remove_diacritics 2`: case and accents are folded on both
/// sides, so "bela" finds "Béla" and "BÉLA". Columns, weighted in that order by ``rank``:
/// `title` (a release's or track's title, an artist's name), `names` (artist, username,
/// credited names and roles) and `body` (genres, description, track titles, lyrics, bio).
/// Visibility is not indexed: the query joins each hit to its row and filters there.
enum SearchIndex {
    /// bm25 weights of title, names and body.
    static let rank = "bm25(catalogSearch, 10.0, 4.0, 1.0)"

    static func install(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE searchEntries (
                id INTEGER PRIMARY KEY,
                kind TEXT NOT NULL CHECK (kind IN ('release', 'track', 'artist')),
                refID TEXT NOT NULL,
                UNIQUE (kind, refID)
            );
            CREATE VIRTUAL TABLE catalogSearch USING fts5(title, names, body, tokenize = 'unicode61 remove_diacritics 2');
            """)
        let triggers = [
            ("releases_search_insert", "AFTER INSERT ON releases", refreshReleases("x.id = NEW.id")),
            ("releases_search_update", "AFTER UPDATE OF title, description, artistID ON releases",
             refreshReleases("x.id = NEW.id") + refreshTracks("x.releaseID = NEW.id")),
            ("releaseGenres_search_insert", "AFTER INSERT ON releaseGenres",
             refreshReleases("x.id = NEW.releaseID") + refreshTracks("x.releaseID = NEW.releaseID")),
            ("releaseGenres_search_delete", "AFTER DELETE ON releaseGenres",
             refreshReleases("x.id = OLD.releaseID") + refreshTracks("x.releaseID = OLD.releaseID")),
            ("tracks_search_insert", "AFTER INSERT ON tracks",
             refreshTracks("x.id = NEW.id") + refreshReleases("x.id = NEW.releaseID")),
            ("tracks_search_update", "AFTER UPDATE OF title, lyrics, releaseID, deletedAt ON tracks",
             refreshTracks("x.id = NEW.id") + refreshReleases("x.id IN (OLD.releaseID, NEW.releaseID)")),
            ("trackCredits_search_insert", "AFTER INSERT ON trackCredits",
             refreshTracks("x.id = NEW.trackID") + refreshReleases("x.id = (SELECT releaseID FROM tracks WHERE id = NEW.trackID)")),
            ("trackCredits_search_update", "AFTER UPDATE ON trackCredits",
             refreshTracks("x.id = NEW.trackID") + refreshReleases("x.id = (SELECT releaseID FROM tracks WHERE id = NEW.trackID)")),
            ("trackCredits_search_delete", "AFTER DELETE ON trackCredits",
             refreshTracks("x.id = OLD.trackID") + refreshReleases("x.id = (SELECT releaseID FROM tracks WHERE id = OLD.trackID)")),
            ("users_search_insert", "AFTER INSERT ON users", refreshArtists("x.id = NEW.id")),
            ("users_search_update", "AFTER UPDATE OF displayName, username, role ON users",
             refreshArtists("x.id = NEW.id") + refreshReleases("x.artistID = NEW.id") + refreshTracks("x.artistID = NEW.id")),
            ("artistProfiles_search_insert", "AFTER INSERT ON artistProfiles", refreshArtists("x.id = NEW.userID")),
            ("artistProfiles_search_update", "AFTER UPDATE ON artistProfiles", refreshArtists("x.id = NEW.userID")),
        ]
        for (name, event, body) in triggers {
            try db.execute(sql: "CREATE TRIGGER \(name) \(event) BEGIN \(body) END")
        }
        try db.execute(sql: refreshArtists("1") + refreshReleases("1") + refreshTracks("1"))
    }

    /// Statements that rewrite the documents of `kind` whose rows `from` (aliased) match `condition`.
    private static func refresh(kind: String, from: String, condition: String, document: String) -> String {
        """
        INSERT OR IGNORE INTO searchEntries (kind, refID) SELECT '\(kind)', x.id FROM \(from) x WHERE \(condition);
        DELETE FROM catalogSearch WHERE rowid IN
            (SELECT e.id FROM searchEntries e JOIN \(from) x ON e.kind = '\(kind)' AND e.refID = x.id WHERE \(condition));
        INSERT INTO catalogSearch (rowid, title, names, body)
            SELECT e.id, \(document) FROM \(from) x JOIN searchEntries e ON e.kind = '\(kind)' AND e.refID = x.id WHERE \(condition);
        """
    }

    /// `condition` names the release `x`.
    static func refreshReleases(_ condition: String) -> String {
        refresh(kind: "release", from: "releases", condition: condition, document: """
            x.title,
            (SELECT u.displayName || ' ' || u.username FROM users u WHERE u.id = x.artistID) || ' ' ||
                coalesce((SELECT group_concat(c.name || ' ' || c.role, ' ') FROM trackCredits c JOIN tracks t ON t.id = c.trackID
                          WHERE t.releaseID = x.id AND t.deletedAt IS NULL), ''),
            coalesce((SELECT group_concat(g.genre, ' ') FROM releaseGenres g WHERE g.releaseID = x.id), '') || ' ' || x.description || ' ' ||
                coalesce((SELECT group_concat(t.title, ' ') FROM tracks t WHERE t.releaseID = x.id AND t.deletedAt IS NULL), '')
            """)
    }

    /// `condition` names the track `x`.
    static func refreshTracks(_ condition: String) -> String {
        refresh(kind: "track", from: "tracks", condition: condition, document: """
            x.title,
            (SELECT u.displayName || ' ' || u.username FROM users u WHERE u.id = x.artistID) || ' ' ||
                coalesce((SELECT group_concat(c.name || ' ' || c.role, ' ') FROM trackCredits c WHERE c.trackID = x.id), ''),
            (SELECT r.title FROM releases r WHERE r.id = x.releaseID) || ' ' ||
                coalesce((SELECT group_concat(g.genre, ' ') FROM releaseGenres g WHERE g.releaseID = x.releaseID), '') || ' ' || x.lyrics
            """)
    }

    /// `condition` names the user `x`.
    static func refreshArtists(_ condition: String) -> String {
        refresh(kind: "artist", from: "users", condition: condition + " AND x.role IN ('artist', 'admin')", document: """
            x.displayName,
            x.username,
            coalesce((SELECT p.bio || ' ' || p.location FROM artistProfiles p WHERE p.userID = x.id), '')
            """)
    }
}
