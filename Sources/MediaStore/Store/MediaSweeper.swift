import Foundation

/// Finds what crash-safe writes leave behind (``MediaStore``): objects no database row names
/// and staged objects never finalized, once they are old enough that no write in progress can
/// still claim them, and removes them; and reports rows whose object is missing.
///
/// The database side is the caller's: ``referencedKeys`` returns every key a row names.
/// It is read *before* the store is listed. Since an object is finalized before its row is
/// committed, every key read then already has its object, so a key the listing lacks is
/// really missing; and an object finalized after that read is younger than
/// ``minimumAge``, so it is never taken for an orphan.
public struct MediaSweeper: Sendable {
    /// What one sweep found (and did).
    public struct Report: Sendable, Equatable {
        /// Unnamed objects older than the minimum age (removed unless it was a dry run).
        public var orphans: [MediaObjectInfo] = []
        /// Staged objects older than the minimum age (removed unless it was a dry run).
        public var staleStaged: [MediaObjectInfo] = []
        /// Unnamed objects too young to judge (a write may be about to commit their row).
        public var youngUnreferenced = 0
        /// Keys rows name, under the swept prefixes, with no object: lost media to look into.
        public var missing: [String] = []
        /// Keys rows name outside the swept prefixes (not checked).
        public var unchecked = 0
        /// Abandoned multipart uploads aborted.
        public var abortedUploads = 0
        /// Objects examined.
        public var examined = 0
    }

    public let store: any MediaStore
    /// The key prefixes the service owns, e.g. `["originals/", "media/", "images/"]`. Only
    /// objects under them are candidates: the local store's folder is the data folder, which
    /// also holds the database.
    public let prefixes: [String]
    /// How old an unnamed object must be before it is removed, in seconds (default an hour).
    public let minimumAge: TimeInterval
    /// Every key the database's rows name.
    public let referencedKeys: @Sendable () async throws -> Set<String>

    public init(
        store: any MediaStore, prefixes: [String], minimumAge: TimeInterval = 3_600,
        referencedKeys: @escaping @Sendable () async throws -> Set<String>
    ) {
        precondition(!prefixes.isEmpty && !prefixes.contains(""), "sweep named prefixes only, never the whole store")
        self.store = store
        self.prefixes = prefixes
        self.minimumAge = minimumAge
        self.referencedKeys = referencedKeys
    }

    /// Sweeps once.
    ///
    /// - Parameters:
    ///   - now: The time ages are measured from.
    ///   - dryRun: Report only; remove nothing.
    public func sweep(now: Date = Date(), dryRun: Bool = false) async throws -> Report {
        let cutoff = now.addingTimeInterval(-minimumAge)
        var report = Report()
        var expected = try await referencedKeys()
        report.unchecked = expected.filter { key in !prefixes.contains { key.hasPrefix($0) } }.count
        expected = expected.filter { key in prefixes.contains { key.hasPrefix($0) } }

        for prefix in prefixes {
            for try await object in store.list(prefix: prefix) {
                report.examined += 1
                if expected.remove(object.key) != nil { continue }
                guard object.lastModified < cutoff else {
                    report.youngUnreferenced += 1
                    continue
                }
                report.orphans.append(object)
                if !dryRun { try await removeObject(object.key) }
            }
        }
        for try await object in store.list(prefix: StagedMedia.stagingPrefix) where object.lastModified < cutoff {
            report.examined += 1
            report.staleStaged.append(object)
            if !dryRun { try await store.discard(StagedMedia(stagingKey: object.key, size: object.size, sha256: "")) }
        }
        if !dryRun { report.abortedUploads = try await store.abortUploads(startedBefore: cutoff) }
        report.missing = expected.sorted()
        return report
    }

    private func removeObject(_ key: String) async throws {
        // A listed key outside MediaKey's rules (put there by something else) is left alone.
        guard let key = try? MediaKey(key) else { return }
        try await store.delete(key)
    }
}
