import Catalog
import Foundation
import GRDB
import Testing
import TuttiTestSupport

/// Releases in the Catalog module: placing tracks, publication rules, the old track edits.
@Suite("Releases", .ownThreads)
struct ReleasesTests {
    typealias Catalog = CatalogSearchTests.Catalog

    func track(_ title: String, status: TrackStatus = .ready, by artist: User, _ catalog: Catalog, placement: TrackPlacement = .single) async throws -> Track {
        let now = catalog.now
        return try await catalog.pool.write { db in
            try Tracks.insert(.record(artistID: artist.id, title: title, status: status, originalPath: "o", at: now), placement: placement, now: now, db)
        }
    }

    func order(_ release: ReleaseDetail) -> [String] {
        release.tracks.map { "\($0.track.discNumber)-\($0.track.trackNumber) \($0.track.title)" }
    }

    @Test("tracks swap places, move in from singles (which go) and across discs; a track left out is refused")
    func placing() async throws {
        let catalog = try Catalog()
        let ada = try await catalog.artist("ada", "Ada")
        let release = try await catalog.releases.create(by: ada, ReleaseDraft(title: "Two Sides", type: .album))
        let a = try await track("A", by: ada, catalog, placement: .release(id: release.release.id, discNumber: 1, trackNumber: nil))
        let b = try await track("B", by: ada, catalog, placement: .release(id: release.release.id, discNumber: 1, trackNumber: nil))
        let loose = try await track("C", by: ada, catalog)
        let swapped = try await catalog.releases.placeTracks(releaseID: release.release.id, by: ada, [
            TrackPlace(trackID: b.id, discNumber: 1, trackNumber: 1), TrackPlace(trackID: a.id, discNumber: 1, trackNumber: 2),
            TrackPlace(trackID: loose.id, discNumber: 2, trackNumber: 1),
        ])
        #expect(order(swapped) == ["1-1 B", "1-2 A", "2-1 C"])
        // The single C came from is gone; nobody sees it any more.
        #expect(try await catalog.releases.release(id: loose.releaseID, viewer: ada) == nil)
        await #expect(throws: CatalogError.self) {
            _ = try await catalog.releases.placeTracks(releaseID: release.release.id, by: ada, [TrackPlace(trackID: a.id, discNumber: 1, trackNumber: 1)])
        }
        await #expect(throws: CatalogError.self) {
            _ = try await catalog.releases.placeTracks(releaseID: release.release.id, by: ada, [
                TrackPlace(trackID: a.id, discNumber: 1, trackNumber: 1), TrackPlace(trackID: b.id, discNumber: 1, trackNumber: 1),
                TrackPlace(trackID: loose.id, discNumber: 1, trackNumber: 3),
            ])
        }
        // A refused placement changed nothing.
        #expect(order(try #require(try await catalog.releases.release(id: release.release.id, viewer: ada))) == ["1-1 B", "1-2 A", "2-1 C"])
    }

    @Test("publishing needs tracks, all ready; the refusal names the track that is not")
    func publishing() async throws {
        let catalog = try Catalog()
        let ada = try await catalog.artist("ada", "Ada")
        let release = try await catalog.releases.create(by: ada, ReleaseDraft(title: "Soon", type: .album))
        await #expect(throws: CatalogError.conflict("the release has no tracks yet: add at least one before publishing")) {
            _ = try await catalog.releases.setPublished(id: release.release.id, by: ada, true)
        }
        _ = try await track("Done", by: ada, catalog, placement: .release(id: release.release.id, discNumber: 1, trackNumber: nil))
        _ = try await track("Rendering", status: .processing, by: ada, catalog, placement: .release(id: release.release.id, discNumber: 1, trackNumber: nil))
        await #expect(throws: CatalogError.conflict("track 1-2 'Rendering' is processing: every track must be ready before the release is published")) {
            _ = try await catalog.releases.setPublished(id: release.release.id, by: ada, true)
        }
        // Another artist cannot publish it, nor even see it.
        let bela = try await catalog.artist("bela", "Bela")
        await #expect(throws: CatalogError.notFound(kind: "release", id: release.release.id)) {
            _ = try await catalog.releases.setPublished(id: release.release.id, by: bela, true)
        }
    }

    @Test("the old track edits: album moves a track between releases, published publishes its release")
    func legacyEdits() async throws {
        let catalog = try Catalog()
        let ada = try await catalog.artist("ada", "Ada")
        let one = try await track("One", by: ada, catalog)
        let two = try await track("Two", by: ada, catalog)
        let moved = try await catalog.tracks.update(id: one.id, by: ada, TrackChanges(album: .some("Pair")))
        let joined = try await catalog.tracks.update(id: two.id, by: ada, TrackChanges(album: .some("Pair")))
        #expect(moved.releaseID == joined.releaseID && (moved.trackNumber, joined.trackNumber) == (1, 2))
        let pair = try #require(try await catalog.releases.release(id: moved.releaseID, viewer: ada))
        #expect(pair.release.type == .album && pair.release.title == "Pair")
        // Publishing one track publishes its release, with both tracks.
        _ = try await catalog.tracks.update(id: one.id, by: ada, TrackChanges(published: true))
        #expect(try await catalog.tracks.track(id: two.id)?.published == true)
        // Back to a single of its own: it stays published, the album keeps the other track.
        let single = try await catalog.tracks.update(id: two.id, by: ada, TrackChanges(album: .some(nil)))
        #expect(single.published && single.releaseID != moved.releaseID)
        #expect(try await catalog.releases.release(id: single.releaseID, viewer: nil)?.release.type == .single)
        // Deleting the album's last track withdraws it and leaves it as an empty draft.
        try await catalog.tracks.delete(id: one.id, by: ada)
        let left = try #require(try await catalog.releases.release(id: moved.releaseID, viewer: ada))
        #expect(left.tracks.isEmpty && !left.release.published)
    }
}
