import Catalog
import Foundation
import Governance
import GRDB
import Ledger
import Testing
import TuttiTestSupport

/// `catalog-4-releases` on a database of the schema before it, with plays and charges:
/// tracks move into releases and nothing a listener or an artist sees of their money moves.
@Suite("Migration to releases", .ownThreads)
struct ReleasesMigrationTests {
    static var others: [TuttiDatabase.Migrations] { [Ledger.registerMigrations, Governance.registerMigrations] }
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    struct OldTrack {
        var id = Identifier.make()
        var artist: String
        var title: String
        var album: String?
        var published: Bool
        var deleted = false
        var status = "ready"
        var minute: Double
    }

    /// What must not change: every track row's own columns, statements, wallets, earnings.
    struct Snapshot: Equatable {
        var tracks: [[String]]
        var statements: [ArtistStatement]
        var balances: [AccountBalance]
        var sessions: [[String]]
        var governanceMembers: [String]
    }

    static func snapshot(_ pool: DatabasePool, ledger: Ledger, artists: [String], listeners: [String]) throws -> Snapshot {
        let tracks = try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, artistID, title, status, progress, published, free, originalPath, originalFormat, originalBytes,
                       originalSHA256, durationSamples, createdAt, updatedAt, deletedAt FROM tracks ORDER BY id
                """).map { row in Array(row.columnNames).map { name in (row[name] as DatabaseValue).description } }
        }
        let sessions = try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM playSessions ORDER BY id").map { row in Array(row.columnNames).map { (row[$0] as DatabaseValue).description } }
        }
        let members = try pool.read { db in
            try String.fetchAll(db, sql: """
                SELECT u.id FROM users u WHERE EXISTS (SELECT 1 FROM tracks t WHERE t.artistID = u.id AND t.published = 1 AND t.deletedAt IS NULL) ORDER BY u.id
                """)
        }
        var balances: [AccountBalance] = []
        for listener in listeners { balances.append(try ledger.balance(of: .listenerWallet(listener))) }
        for artist in artists { balances.append(try ledger.balance(of: .artistEarnings(artist))) }
        balances.append(try ledger.balance(of: .treasury))
        return Snapshot(tracks: tracks, statements: try artists.map { try ledger.statement(artist: $0) }, balances: balances,
                        sessions: sessions, governanceMembers: members)
    }

    @Test("tracks move into releases by artist, album and publication; plays, charges, wallets, statements and URLs are unchanged")
    func migratesWithoutMovingMoney() async throws {
        let path = Fixtures.scratch().appendingPathComponent("tutti.sqlite").path
        let pool = try DatabasePool(path: path, configuration: TuttiDatabase.configuration())
        try TuttiDatabase.migrator(others: Self.others, catalogThrough: "catalog-3-play-sessions").migrate(pool)
        #expect(try await pool.read { try $0.tableExists("releases") } == false)

        let ada = Identifier.make(), bela = Identifier.make(), lena = Identifier.make(), max = Identifier.make()
        let old = [
            OldTrack(artist: ada, title: "Opening", album: "Alpha", published: true, minute: 1),
            OldTrack(artist: ada, title: "Middle", album: "Alpha", published: true, minute: 2),
            OldTrack(artist: ada, title: "Unfinished", album: "Alpha", published: false, minute: 3),
            OldTrack(artist: ada, title: "Loose Song", album: nil, published: true, minute: 4),
            OldTrack(artist: ada, title: "Gone", album: "Beta", published: false, deleted: true, minute: 5),
            OldTrack(artist: ada, title: "Broken", album: "", published: false, status: "failed", minute: 6),
            OldTrack(artist: bela, title: "Béla's Tune", album: "Alpha", published: true, minute: 7),
        ]
        try await pool.write { db in
            for (id, name, role) in [(ada, "ada", "artist"), (bela, "bela", "artist"), (lena, "lena", "listener"), (max, "max", "listener")] {
                try db.execute(sql: "INSERT INTO users (id, username, displayName, passwordHash, role, createdAt) VALUES (?, ?, ?, '-', ?, ?)",
                               arguments: [id, name, name.capitalized, role, Self.start])
            }
            for track in old {
                let at = Self.start.addingTimeInterval(track.minute * 60)
                try db.execute(sql: """
                    INSERT INTO tracks (id, artistID, title, album, status, progress, published, free, originalPath, originalFormat,
                                        originalBytes, originalSHA256, durationSamples, createdAt, updatedAt, deletedAt)
                    VALUES (?, ?, ?, ?, ?, 100, ?, 0, ?, 'WAV', 1000, 'abc', 480000, ?, ?, ?)
                    """, arguments: [track.id, track.artist, track.title, track.album, track.status, track.published,
                                     "originals/\(track.id).wav", at, at, track.deleted ? at.addingTimeInterval(30) : nil])
                try db.execute(sql: """
                    INSERT INTO renditions (trackID, name, bitrate, channels, path, bytes, sha256, preSkip, samples, pageIndex, createdAt)
                    VALUES (?, 'standard', 128000, 2, ?, 100, 'def', 312, 480000, x'5B5D', ?)
                    """, arguments: [track.id, "renditions/\(track.id)/standard.opus", at])
            }
        }
        // Plays and charges: two listeners, every published track, some played several times.
        var ledger = try Ledger(database: pool, clock: { Self.start.addingTimeInterval(3_600) })
        _ = try ledger.topUp(transferID: "top-up-lena", user: lena, amount: 5_000_000)
        _ = try ledger.topUp(transferID: "top-up-max", user: max, amount: 2_000_000)
        var playNumber = 0
        for (listener, rounds) in [(lena, 4), (max, 2)] {
            for round in 0..<rounds {
                for track in old where track.published {
                    playNumber += 1
                    let playID = "play-\(playNumber)"
                    let at = Self.start.addingTimeInterval(3_600 + Double(playNumber))
                    try await pool.write { db in
                        try db.execute(sql: """
                            INSERT INTO playSessions (id, trackID, artistID, listenerID, access, createdAt, expiresAt, previewSeconds, firstAudioAt, countedAt)
                            VALUES (?, ?, ?, ?, 'metered', ?, ?, 30, ?, ?)
                            """, arguments: [playID, track.id, track.artist, listener, at, at.addingTimeInterval(600), at, at])
                    }
                    let result = try await ledger.chargePlay(PlayChargeRequest(playID: playID, listenerID: listener, artistID: track.artist, trackID: track.id, at: at))
                    if round == 0, case .free = result { Issue.record("the first play of a track is charged") }
                }
            }
        }
        let before = try Self.snapshot(pool, ledger: ledger, artists: [ada, bela], listeners: [lena, max])
        #expect(before.statements.allSatisfy { !$0.rows.isEmpty })
        #expect(before.balances[0].balance < 5_000_000)
        try pool.close()

        // The server starting on the new version migrates the file.
        let migrated = try TuttiDatabase.open(path: path, others: Self.others)
        ledger = try Ledger(database: migrated, clock: { Self.start.addingTimeInterval(3_600) })
        let after = try Self.snapshot(migrated, ledger: ledger, artists: [ada, bela], listeners: [lena, max])
        #expect(after == before)
        #expect(try ledger.verify().isIntact)
        #expect(try await migrated.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM renditions") } == old.count)

        // The releases: (artist, album, publication) groups, a lone track a single.
        let releases = try await migrated.read { db in
            try Row.fetchAll(db, sql: """
                SELECT r.artistID, r.title, r.type, r.published, r.deletedAt IS NOT NULL AS deleted,
                       group_concat(t.title || '@' || t.discNumber || '-' || t.trackNumber, ', ') AS tracks
                FROM releases r JOIN (SELECT * FROM tracks ORDER BY trackNumber) t ON t.releaseID = r.id
                GROUP BY r.id ORDER BY r.createdAt
                """).map { row -> String in
                    let owner: String = row["artistID"] == ada ? "ada" : "bela"
                    return "\(owner) \(row["title"] as String) \(row["type"] as String) published=\(row["published"] as Bool) deleted=\(row["deleted"] as Bool): \(row["tracks"] as String)"
                }
        }
        #expect(releases == [
            "ada Alpha album published=true deleted=false: Opening@1-1, Middle@1-2",
            "ada Alpha album published=false deleted=false: Unfinished@1-1",
            "ada Loose Song single published=true deleted=false: Loose Song@1-1",
            "ada Beta album published=false deleted=true: Gone@1-1",
            "ada Broken single published=false deleted=false: Broken@1-1",
            "bela Alpha album published=true deleted=false: Béla's Tune@1-1",
        ])
        // Foreign keys hold after the rebuild of `tracks`.
        #expect(try await migrated.read { try Row.fetchAll($0, sql: "PRAGMA foreign_key_check") }.isEmpty)
        // The search index was built from the migrated rows: accents and case folded.
        let hits = try await CatalogSearch(database: migrated).search("BELA tune", limit: 10, offset: 0)
        #expect(hits.items.map(\.kind) .contains(.track))
        #expect(hits.items.contains { $0.title == "Béla's Tune" })
        // Publishing stays per release after the migration: the triggers are in place.
        try await migrated.write { db in
            let alpha = try String.fetchOne(db, sql: "SELECT releaseID FROM tracks WHERE title = 'Opening'")!
            try db.execute(sql: "UPDATE releases SET published = 0 WHERE id = ?", arguments: [alpha])
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM tracks WHERE releaseID = ? AND published = 1", arguments: [alpha]) == 0)
        }
    }

    @Test("a track's published flag cannot drift from its release's, even in raw SQL")
    func publishedFollowsRelease() async throws {
        let pool = try TuttiDatabase.open(path: Fixtures.scratch().appendingPathComponent("t.sqlite").path)
        let artist = Identifier.make()
        try await pool.write { db in
            try db.execute(sql: "INSERT INTO users (id, username, displayName, passwordHash, role, createdAt) VALUES (?, 'ada', 'Ada', '-', 'artist', ?)",
                           arguments: [artist, Self.start])
            var track = Track(
                id: Identifier.make(), artistID: artist, releaseID: "", discNumber: 1, trackNumber: 1, title: "One", isrc: nil, lyrics: "",
                explicit: false, status: .ready, progress: 100, failureReason: nil, published: false, free: false, originalPath: "o",
                originalFormat: .wav, originalBytes: 1, originalSHA256: "x", durationSamples: nil, sourceSampleRate: nil, sourceChannels: nil,
                loudnessLUFS: nil, truePeakDBTP: nil, trackGainQ78: nil, peaks: nil, createdAt: Self.start, updatedAt: Self.start, deletedAt: nil)
            track = try Tracks.insert(track, placement: .single, now: Self.start, db)
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "UPDATE tracks SET published = 1 WHERE id = ?", arguments: [track.id])
            }
            try db.execute(sql: "UPDATE releases SET published = 1, publishedAt = ? WHERE id = ?", arguments: [Self.start, track.releaseID])
            #expect(try Bool.fetchOne(db, sql: "SELECT published FROM tracks WHERE id = ?", arguments: [track.id]) == true)
            // A second track placed in the published release is published with it.
            var second = track
            second.id = Identifier.make()
            second = try Tracks.insert(second, placement: .release(id: track.releaseID, discNumber: 1, trackNumber: nil), now: Self.start, db)
            #expect(second.published && second.trackNumber == 2)
            // Two tracks cannot share a place.
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "UPDATE tracks SET trackNumber = 1 WHERE id = ?", arguments: [second.id])
            }
        }
    }
}
