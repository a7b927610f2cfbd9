import Catalog
import Foundation
import GRDB
import Testing
import TuttiTestSupport

/// Search over a real SQLite file: FTS5, `unicode61 remove_diacritics 2`, bm25.
@Suite("Catalog search", .ownThreads)
struct CatalogSearchTests {
    struct Catalog {
        let pool: DatabasePool
        let accounts: Accounts
        let releases: Releases
        let tracks: Tracks
        let profiles: ArtistProfiles
        let search: CatalogSearch
        let now = Date(timeIntervalSince1970: 1_800_000_000)

        init() throws {
            pool = try TuttiDatabase.open(path: Fixtures.scratch("search").appendingPathComponent("t.sqlite").path)
            let now = self.now
            accounts = Accounts(database: pool, now: { now })
            releases = Releases(database: pool, now: { now })
            tracks = Tracks(database: pool, now: { now })
            profiles = ArtistProfiles(database: pool, now: { now })
            search = CatalogSearch(database: pool)
        }

        func artist(_ username: String, _ name: String) async throws -> User {
            try await accounts.createUser(username: username, displayName: name, role: .artist, passwordHash: "-")
        }

        /// A ready track placed at the end of `release`.
        func readyTrack(_ title: String, in release: ReleaseDetail, lyrics: String = "") async throws -> Track {
            let now = self.now
            let track = Track(
                id: Identifier.make(), artistID: release.release.artistID, releaseID: "", discNumber: 1, trackNumber: 1, title: title,
                isrc: nil, lyrics: lyrics, explicit: false, status: .ready, progress: 100, failureReason: nil, published: false,
                free: false, originalPath: "o", originalFormat: .wav, originalBytes: 1, originalSHA256: "x", durationSamples: 48_000,
                sourceSampleRate: 48_000, sourceChannels: 1, loudnessLUFS: nil, truePeakDBTP: nil, trackGainQ78: nil, peaks: nil,
                createdAt: now, updatedAt: now, deletedAt: nil)
            return try await pool.write { db in
                try Tracks.insert(track, placement: .release(id: release.release.id, discNumber: 1, trackNumber: nil), now: now, db)
            }
        }

        func titles(_ text: String, kind: SearchHit.Kind? = nil) async throws -> [String] {
            try await search.search(text, kind: kind, limit: 50, offset: 0).items.map { "\($0.kind.rawValue):\($0.title)" }
        }
    }

    @Test("accents and case are ignored on both sides; words match their beginnings")
    func accentsAndCase() async throws {
        let catalog = try Catalog()
        let bela = try await catalog.artist("bela", "Béla Bartók")
        let release = try await catalog.releases.create(by: bela, ReleaseDraft(title: "Allegro Barbaro", type: .album, genres: ["Musique Contemporaine"]))
        _ = try await catalog.readyTrack("Für Élise", in: release)
        _ = try await catalog.releases.setPublished(id: release.release.id, by: bela, true)
        for query in ["bela", "BELA", "Béla", "bartok", "BARTÓK", "bél bar"] {
            #expect(try await catalog.titles(query, kind: .artist) == ["artist:Béla Bartók"], "\(query)")
        }
        #expect(try await catalog.titles("fur elise", kind: .track) == ["track:Für Élise"])
        #expect(try await catalog.titles("ELISE", kind: .track) == ["track:Für Élise"])
        #expect(try await catalog.titles("contemporaine", kind: .release) == ["release:Allegro Barbaro"])
        #expect(try await catalog.titles("allegr") .contains("release:Allegro Barbaro"))
        // FTS5 syntax in the text is taken as words, never as a query.
        #expect(try await catalog.titles("bela OR NEAR(\"x\") *") == [])
        #expect(try await catalog.titles("\"") == [])
        #expect(try await catalog.titles("nothing-like-this") == [])
    }

    @Test("credits, genres and profile text are searchable, and edits reach the index")
    func creditsAndEdits() async throws {
        let catalog = try Catalog()
        let ada = try await catalog.artist("ada", "Ada Lovelace")
        let release = try await catalog.releases.create(by: ada, ReleaseDraft(title: "Engines", type: .ep, genres: ["electronic"]))
        let track = try await catalog.readyTrack("Analytical", in: release)
        _ = try await catalog.tracks.update(id: track.id, by: ada, TrackChanges(credits: [CreditInput(name: "Zoë Keating", role: "cello")]))
        _ = try await catalog.releases.setPublished(id: release.release.id, by: ada, true)
        #expect(Set(try await catalog.titles("zoe keating")) == ["track:Analytical", "release:Engines"])
        #expect(Set(try await catalog.titles("cello")) == ["track:Analytical", "release:Engines"])
        #expect(Set(try await catalog.titles("electronic")) == ["track:Analytical", "release:Engines"])
        _ = try await catalog.profiles.update(artistID: ada.id, by: ada, ProfileChanges(bio: "Poetical science from Marylebone", location: "Londres"))
        #expect(try await catalog.titles("marylebone") == ["artist:Ada Lovelace"])
        // Renaming the artist re-indexes her releases and tracks too.
        _ = try await catalog.profiles.update(artistID: ada.id, by: ada, ProfileChanges(displayName: "Augusta Ada King"))
        #expect(Set(try await catalog.titles("augusta")) == ["artist:Augusta Ada King", "release:Engines", "track:Analytical"])
        #expect(try await catalog.titles("lovelace") == [])
        // New credits replace the old in the index.
        _ = try await catalog.tracks.update(id: track.id, by: ada, TrackChanges(credits: [CreditInput(name: "Hildur", role: "viola")]))
        #expect(try await catalog.titles("keating") == [])
        #expect(Set(try await catalog.titles("hildur")) == ["track:Analytical", "release:Engines"])
    }

    @Test("drafts and deleted tracks are not found; withdrawing a release hides it at once")
    func visibility() async throws {
        let catalog = try Catalog()
        let ada = try await catalog.artist("ada", "Ada")
        let draft = try await catalog.releases.create(by: ada, ReleaseDraft(title: "Secret Sessions", type: .album))
        _ = try await catalog.readyTrack("Hidden Gem", in: draft)
        #expect(try await catalog.titles("secret") == [])
        #expect(try await catalog.titles("hidden") == [])
        #expect(try await catalog.titles("ada") == [], "an artist with nothing published is not listed")
        _ = try await catalog.releases.setPublished(id: draft.release.id, by: ada, true)
        #expect(Set(try await catalog.titles("secret hidden")) == ["track:Hidden Gem", "release:Secret Sessions"])
        #expect(try await catalog.titles("ada", kind: .artist) == ["artist:Ada"])
        _ = try await catalog.releases.setPublished(id: draft.release.id, by: ada, false)
        #expect(try await catalog.titles("hidden") == [])
    }

    @Test("ranking: a match in a title beats one in lyrics, and more matching words rank higher")
    func ranking() async throws {
        let catalog = try Catalog()
        let ada = try await catalog.artist("ada", "Ada")
        let release = try await catalog.releases.create(by: ada, ReleaseDraft(title: "Weather", type: .album))
        _ = try await catalog.readyTrack("Quiet Morning", in: release, lyrics: "a storm is coming over the hills")
        _ = try await catalog.readyTrack("Storm", in: release)
        _ = try await catalog.readyTrack("Storm Warning", in: release, lyrics: "storm storm")
        _ = try await catalog.releases.setPublished(id: release.release.id, by: ada, true)
        let hits = try await catalog.search.search("storm", kind: .track, limit: 10, offset: 0)
        #expect(hits.items.count == 3)
        #expect(hits.items.last?.title == "Quiet Morning", "a lyrics-only match ranks last: \(hits.items.map(\.title))")
        #expect(zip(hits.items, hits.items.dropFirst()).allSatisfy { $0.score <= $1.score })
        let both = try await catalog.search.search("storm warning", kind: .track, limit: 10, offset: 0)
        #expect(both.items.map(\.title) == ["Storm Warning"])
    }
}
