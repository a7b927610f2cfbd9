import AudioCore
import Catalog
import FoundationEssentials
import HTTPTypes
import NIOHTTP1
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
        /// The same, as SwiftNIO's HTTP/1 encoder takes them (for ``SendfileHandler``).
        var http1Headers: HTTPHeaders
    }

    private let tracks: Tracks
    /// A track's rendition (two strings rather than one joined: no string is built per request).
    private struct EntryKey: Hashable {
        var trackID: String
        var rendition: String
    }

    private let entries = Mutex<[EntryKey: Entry]>([:])
    private static let limit = 10_000

    init(tracks: Tracks) {
        self.tracks = tracks
    }

    /// The rendition `name` of a ready, undeleted track, or nil.
    func entry(trackID: String, rendition name: String) async throws -> Entry? {
        if let entry = cachedEntry(trackID: trackID, rendition: name) { return entry }
        guard let track = try await tracks.track(id: trackID), track.status == .ready,
              let rendition = try await tracks.rendition(trackID: trackID, name: name) else { return nil }
        let validators = Validators(
            etag: "\"\(rendition.sha256.prefix(32))\"",
            lastModified: Date(timeIntervalSince1970: rendition.createdAt.timeIntervalSince1970.rounded(.down)))
        let headers = StreamController.fixedHeaders(track: track, rendition: name, validators: validators)
        let entry = Entry(
            track: track, rendition: rendition, pageIndex: try rendition.decodedPageIndex(), validators: validators,
            headers: headers, http1Headers: HTTPHeaders(headers.map { ($0.name.rawName, $0.value) }))
        entries.withLock { entries in
            if entries.count >= Self.limit { entries.removeAll() }
            entries[EntryKey(trackID: trackID, rendition: name)] = entry
        }
        return entry
    }

    /// The rendition if it is already in memory; never blocks (for the event loop).
    func cachedEntry(trackID: String, rendition name: String) -> Entry? {
        let key = EntryKey(trackID: trackID, rendition: name)
        return entries.withLock { $0[key] }
    }

    /// The free region of a rendition for a preview length if it is already worked out.
    func cachedPreviewWindow(_ entry: Entry, previewSeconds: Int) -> PreviewWindow? {
        let key = WindowKey(trackID: entry.track.id, rendition: entry.rendition.name, previewSeconds: previewSeconds)
        return windows.withLock { $0[key] }
    }

    /// Forgets every rendition of a track (it was edited, deleted or transcoded again).
    func invalidate(trackID: String) {
        entries.withLock { entries in
            for name in RenditionName.allCases { entries[EntryKey(trackID: trackID, rendition: name.rawValue)] = nil }
        }
        windows.withLock { windows in windows = windows.filter { $0.key.trackID != trackID } }
    }

    /// Forgets every track: a release changed (publication is per release, so one edit
    /// changes the visibility of several tracks).
    func invalidateAll() {
        entries.withLock { $0.removeAll() }
        windows.withLock { $0.removeAll() }
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
        if let window = cachedPreviewWindow(entry, previewSeconds: previewSeconds) { return window }
        let key = WindowKey(trackID: entry.track.id, rendition: entry.rendition.name, previewSeconds: previewSeconds)
        let window = PreviewWindow(index: entry.pageIndex, previewSeconds: previewSeconds, tailProbeBytes: tailProbeBytes)
        windows.withLock { windows in
            if windows.count >= Self.limit { windows.removeAll() }
            windows[key] = window
        }
        return window
    }
}
