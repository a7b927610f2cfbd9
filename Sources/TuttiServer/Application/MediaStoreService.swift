import Catalog
import FoundationEssentials
import Logging
import MediaStore
import Prometheus
import ServiceLifecycle

/// Owns the media store while the server runs: sweeps it every
/// ``ServerConfiguration/mediaSweepInterval`` (objects no row names and staged objects never
/// finished, once older than ``ServerConfiguration/mediaSweepMinimumAge``, are removed; rows
/// whose object is missing are reported and counted), and closes its connections last, once
/// the server and the transcoder have stopped.
///
/// The first sweep comes one interval after start-up, not at it: whatever a crash left is
/// old enough to judge by then, and nothing started at boot (the demo catalog) races it.
struct MediaStoreService: Service {
    let services: AppServices
    let logger: Logger

    /// The key prefixes the service writes under; the sweeper touches nothing else (the local
    /// store is the data folder, which also holds the database and the uploads in progress).
    static let sweptPrefixes = ["originals/", "media/", "images/"]

    func run() async throws {
        let interval = services.configuration.mediaSweepInterval
        if interval > 0 {
            await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    do {
                        try await Task.sleep(for: .milliseconds(Int64(interval * 1000)))
                    } catch {
                        break
                    }
                    await sweep()
                }
            }
        } else {
            try? await gracefulShutdown()
        }
        do {
            try await services.store.shutdown()
        } catch {
            logger.warning("could not close the media store", metadata: ["error": "\(error)"])
        }
    }

    /// One sweep; failures are logged and counted, and the next sweep tries again.
    /// - Parameter minimumAge: Seconds; default ``ServerConfiguration/mediaSweepMinimumAge``.
    func sweep(minimumAge: Double? = nil) async {
        let tracks = services.tracks
        let images = services.images
        let sweeper = MediaSweeper(
            store: services.store, prefixes: Self.sweptPrefixes, minimumAge: minimumAge ?? services.configuration.mediaSweepMinimumAge,
            referencedKeys: { try await tracks.storedKeys().union(try await images.storedFiles().map(\.key)) })
        let metrics = services.metrics
        do {
            let report = try await sweeper.sweep(now: Date())
            metrics.mediaSweptObjects.increment(by: Int64(report.orphans.count + report.staleStaged.count))
            metrics.mediaMissingObjects.set(Int64(report.missing.count))
            metrics.mediaSweeps.increment()
            if !report.missing.isEmpty {
                logger.error("stored files named by the database are missing from the media store", metadata: [
                    "missing": "\(report.missing.count)", "first": "\(report.missing.prefix(5).joined(separator: ", "))",
                ])
            }
            if !report.orphans.isEmpty || !report.staleStaged.isEmpty || report.abortedUploads > 0 {
                logger.notice("media sweep removed leftovers", metadata: [
                    "orphans": "\(report.orphans.count)", "staged": "\(report.staleStaged.count)", "abortedUploads": "\(report.abortedUploads)",
                ])
            }
        } catch is CancellationError {
            return
        } catch {
            let kind = (error as? MediaStoreError)?.metricKind ?? "failed"
            metrics.countMediaStoreFailure(operation: "sweep", kind: kind)
            logger.error("media sweep failed; trying again at the next", metadata: ["error": "\(error)"])
        }
    }
}
