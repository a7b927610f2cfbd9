import GRDB

/// The catalog's schema: users and their tokens, tracks, renditions and transcode jobs;
/// releases, credits, artist profiles and search (CatalogMigrations+Releases).
enum CatalogMigrations {
    /// Registers the catalog's migrations; with `last`, only up to that one (a test rebuilding
    /// an older schema to migrate from).
    static func register(_ migrator: inout DatabaseMigrator, through last: String? = nil) {
        migrator.registerMigration("catalog-1-accounts") { db in
            try db.create(table: "users") { t in
                t.primaryKey("id", .text)
                t.column("username", .text).notNull().unique()
                t.column("displayName", .text).notNull()
                t.column("passwordHash", .text).notNull()
                t.column("role", .text).notNull().check { ["listener", "artist", "admin"].contains($0) }
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "accessTokens") { t in
                t.primaryKey("id", .text)
                t.column("userID", .text).notNull().references("users", onDelete: .cascade)
                t.column("tokenDigest", .text).notNull().unique()
                t.column("createdAt", .datetime).notNull()
                t.column("expiresAt", .datetime).notNull()
                t.column("revokedAt", .datetime)
            }
            try db.create(index: "accessTokens_user", on: "accessTokens", columns: ["userID"])
        }
        migrator.registerMigration("catalog-2-tracks") { db in
            try db.create(table: "tracks") { t in
                t.primaryKey("id", .text)
                t.column("artistID", .text).notNull().references("users")
                t.column("title", .text).notNull()
                t.column("album", .text)
                t.column("status", .text).notNull().check { ["processing", "ready", "failed"].contains($0) }
                t.column("progress", .integer).notNull().defaults(to: 0)
                t.column("failureReason", .text)
                t.column("published", .boolean).notNull().defaults(to: false)
                t.column("free", .boolean).notNull().defaults(to: false)
                t.column("originalPath", .text).notNull()
                t.column("originalFormat", .text).notNull()
                t.column("originalBytes", .integer).notNull()
                t.column("originalSHA256", .text).notNull()
                t.column("durationSamples", .integer)
                t.column("sourceSampleRate", .integer)
                t.column("sourceChannels", .integer)
                t.column("loudnessLUFS", .double)
                t.column("truePeakDBTP", .double)
                t.column("trackGainQ78", .integer)
                t.column("peaks", .blob)
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
                t.column("deletedAt", .datetime)
            }
            try db.create(index: "tracks_artist", on: "tracks", columns: ["artistID"])
            try db.create(table: "renditions") { t in
                t.column("trackID", .text).notNull().references("tracks")
                t.column("name", .text).notNull()
                t.column("bitrate", .integer).notNull()
                t.column("channels", .integer).notNull()
                t.column("path", .text).notNull()
                t.column("bytes", .integer).notNull()
                t.column("sha256", .text).notNull()
                t.column("preSkip", .integer).notNull()
                t.column("samples", .integer).notNull()
                t.column("pageIndex", .blob).notNull()
                t.column("createdAt", .datetime).notNull()
                t.primaryKey(["trackID", "name"])
            }
            try db.create(table: "transcodeJobs") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("trackID", .text).notNull().references("tracks")
                t.column("state", .text).notNull().check { ["queued", "running", "done", "failed"].contains($0) }
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("createdAt", .datetime).notNull()
                t.column("startedAt", .datetime)
                t.column("finishedAt", .datetime)
                t.column("error", .text)
            }
            try db.create(index: "transcodeJobs_state", on: "transcodeJobs", columns: ["state", "id"])
        }
        migrator.registerMigration("catalog-3-play-sessions") { db in
            try db.create(table: "playSessions") { t in
                t.primaryKey("id", .text)
                t.column("trackID", .text).notNull().references("tracks")
                t.column("artistID", .text).notNull()
                // Nil for an anonymous listener (preview only).
                t.column("listenerID", .text).references("users")
                t.column("access", .text).notNull().check { ["metered", "free", "own", "owned", "admin"].contains($0) }
                t.column("createdAt", .datetime).notNull()
                t.column("expiresAt", .datetime).notNull()
                // The free preview of this session, from the pricing in force when it opened.
                t.column("previewSeconds", .integer).notNull()
                // When the first audio of the session was delivered: listening time counts from here.
                t.column("firstAudioAt", .datetime)
                // When the play counted (the ledger charged it or found it free).
                t.column("countedAt", .datetime)
                t.column("price", .integer)
                t.column("pricingVersion", .integer)
            }
            try db.create(index: "playSessions_listener", on: "playSessions", columns: ["listenerID", "createdAt"])
        }
        if last == "catalog-3-play-sessions" { return }
        registerReleases(&migrator)
        if last == "catalog-4-releases" { return }
        // Covers and avatars (see Images): tables of their own; releases and profiles name them.
        Images.register(&migrator)
        // The listener's library (issue 17).
        LibraryMigrations.register(&migrator)
        // App passwords for Subsonic apps (issue 18).
        AppPasswords.register(&migrator)
        // Leases on running transcode jobs, for several workers (issue 20).
        JobQueue.register(&migrator)
    }
}
