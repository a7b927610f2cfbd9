import MediaStore

/// Puts a received file into the media store at its key, the crash-safe way (staged under a
/// temporary key, checked, then finalized): the caller then commits the row naming the key,
/// and deletes the key again if that fails. Release uploads, track replacements and
/// single-track uploads go this way, on either store.
enum OriginalFiles {
    /// The size and SHA-256 the store computed while staging.
    struct Stored: Sendable {
        let key: MediaKey
        let bytes: Int64
        let sha256: String
    }

    /// Stages the file at `path` and finalizes it as `key`. When `expected` is given (what the
    /// receiver counted and hashed), the store's copy must match it.
    ///
    /// - Throws: a ``Problem`` for a store that fails (503 unavailable or read-only, 507 full,
    ///   502 otherwise), counted in `tutti_media_store_failures_total{operation="write"}`.
    static func store(
        fileAt path: String, as key: MediaKey, contentType: String?, expected: (bytes: Int64, sha256: String)? = nil,
        services: AppServices, doing: String
    ) async throws -> Stored {
        let store = services.store
        do {
            let staged = try await store.stage(fileAt: path, contentType: contentType)
            do {
                if let expected, staged.size != expected.bytes || staged.sha256 != expected.sha256 {
                    throw MediaStoreError.failed(operation: "stage", detail: "the store's copy of the upload differs from what was received")
                }
                try await store.finalize(staged, as: key)
            } catch {
                try? await store.discard(staged)
                throw error
            }
            return Stored(key: key, bytes: staged.size, sha256: staged.sha256)
        } catch let error as MediaStoreError {
            services.metrics.countMediaStoreFailure(operation: "write", kind: error.metricKind)
            throw Problem(mediaStore: error, doing: doing)
        }
    }

    /// Removes what ``store(fileAt:as:contentType:expected:services:doing:)`` put at `keys`
    /// after the row could not be committed (best effort: the sweeper removes what is left).
    static func remove(_ keys: [MediaKey], services: AppServices) async {
        for key in keys { try? await services.store.delete(key) }
    }
}
