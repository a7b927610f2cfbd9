import GRDB

/// Publishing is per release: a track's `published` is its release's, kept so by triggers
/// in the database (the governance roll and the streaming path read `tracks.published`).
/// A deleted track is never published, whatever its release.
enum PublicationRules {
    static func install(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TRIGGER releases_publish_tracks AFTER UPDATE OF published ON releases
            BEGIN
                UPDATE tracks SET published = NEW.published
                 WHERE releaseID = NEW.id AND deletedAt IS NULL AND published <> NEW.published;
            END;
            CREATE TRIGGER tracks_published_with_release_on_insert AFTER INSERT ON tracks
            BEGIN
                UPDATE tracks SET published = (SELECT published FROM releases WHERE id = NEW.releaseID)
                 WHERE id = NEW.id AND deletedAt IS NULL;
            END;
            CREATE TRIGGER tracks_published_with_release_on_move AFTER UPDATE OF releaseID ON tracks
            BEGIN
                UPDATE tracks SET published = (SELECT published FROM releases WHERE id = NEW.releaseID)
                 WHERE id = NEW.id AND deletedAt IS NULL;
            END;
            CREATE TRIGGER tracks_published_only_with_release BEFORE UPDATE OF published, deletedAt ON tracks
            WHEN (NEW.deletedAt IS NULL AND NEW.published <> (SELECT published FROM releases WHERE id = NEW.releaseID))
              OR (NEW.deletedAt IS NOT NULL AND NEW.published <> 0)
            BEGIN
                SELECT RAISE(ABORT, 'a track is published exactly when its release is (and never once deleted)');
            END;
            """)
    }
}
