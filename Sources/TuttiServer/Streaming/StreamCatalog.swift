import AudioCore
import Catalog
import FoundationEssentials
import HTTPTypes
import Synchronization

/// What streaming needs to know of a rendition, kept in memory so a range request costs no
/// database query. Entries are dropped whenever their track changes (edits, deletion, a new
/// transcode), by the code that changes it; this process is the database's only writer.
final class StreamCatalog: Sendable {
    struct Entry: Sendable {
        var track: Track
        var rendition: Rendition
        var pageIndex: PageIndex
        var validators: Validators
        /// The response headers that never change for this rendition.
        var headers: HTTPFields
    }

    private let tracks: Tracks
    private let entries = Mutex<[String: Entry]>([:])
    private static let limit = 10_000

    init(tracks: Tracks) {
        self.tracks = tracks
    }

    /// The rendition `name` of a ready, undeleted track, or nil.
    func entry(trackID: String, rendition name: String) async throws -> Entry? {
        let key = trackID + "/" + name
        if let entry = entries.withLock({ $0[key] }) { return entry }
        guard let track = try await tracks.track(id: trackID), track.status == .ready,
              let rendition = try await tracks.rendition(trackID: trackID, name: name) else { return nil }
        let validators = Validators(
            etag: "\"\(rendition.sha256.prefix(32))\"",
            lastModified: Date(timeIntervalSince1970: rendition.createdAt.timeIntervalSince1970.rounded(.down)))
        let entry = Entry(
            track: track, rendition: rendition, pageIndex: try rendition.decodedPageIndex(), validators: validators,
            headers: StreamController.fixedHeaders(track: track, rendition: name, validators: validators))
        entries.withLock { entries in
            if entries.count >= Self.limit { entries.removeAll() }
            entries[key] = entry
        }
        return entry
    }

    /// Forgets every rendition of a track (it was edited, deleted or transcoded again).
    func invalidate(trackID: String) {
        entries.withLock { entries in
            for name in RenditionName.allCases { entries[trackID + "/" + name.rawValue] = nil }
        }
        windows.withLock { windows in windows = windows.filter { $0.key.trackID != trackID } }
    }

    private struct WindowKey: Hashable {
        var trackID: String
        var rendition: String
        var previewSeconds: Int
    }

    private let windows = Mutex<[WindowKey: PreviewWindow]>([:])

    /// The free region of a rendition for a preview length, worked out once (it walks the
    /// page index) and then remembered.
    func previewWindow(_ entry: Entry, previewSeconds: Int, tailProbeBytes: Int64) -> PreviewWindow {
        let key = WindowKey(trackID: entry.track.id, rendition: entry.rendition.name, previewSeconds: previewSeconds)
        if let window = windows.withLock({ $0[key] }) { return window }
        let window = PreviewWindow(index: entry.pageIndex, previewSeconds: previewSeconds, tailProbeBytes: tailProbeBytes)
        windows.withLock { windows in
            if windows.count >= Self.limit { windows.removeAll() }
            windows[key] = window
        }
        return window
    }
}
