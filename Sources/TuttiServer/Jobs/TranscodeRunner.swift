import AudioCore
import Catalog
import FoundationEssentials
import Logging
import MediaStore
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// Runs queued transcode jobs, each in a child `tutti transcode` process with a time and a
/// memory limit, at most `jobConcurrency` at once. A child that crashes, hangs or runs out of
/// memory fails its track with a reason; the server never goes down with it. Jobs running
/// when the server stops go back to the queue and run again at the next start. A job places
/// all its renditions or none; its progress is written in order and done before it ends. A
/// queue that cannot be read (the database failing) is logged as an error, counted
/// (`tutti_job_queue_errors_total`) and retried ever more slowly, up to ``maximumRetryDelay``.
struct TranscodeRunner: Service {
    let services: AppServices
    let logger: Logger
    /// This process's name in the queue's leases: host, process id, and a random part.
    let worker = "\(Self.hostName):\(getpid()):\(Identifier.make().prefix(8))"

    static let hostName = ProcessInfo.processInfo.hostName

    /// Whether the worker named `worker` (see ``worker``) has surely stopped: a process of
    /// this host that no longer exists, or this very process id (an earlier run of this
    /// node, as in a container, where the id comes round again), or a job claimed before
    /// leases. A worker of another host, or one whose process lives, keeps its job until its
    /// lease passes.
    static func workerIsGone(_ worker: String?) -> Bool {
        guard let worker else { return true }
        let parts = worker.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts.dropLast(2).joined(separator: ":") == hostName, let pid = pid_t(parts[parts.count - 2]) else {
            return false
        }
        if pid == getpid() { return true }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// The lease a job is held by (see ``JobQueue``).
    var lease: Duration { .milliseconds(Int64(services.configuration.jobLeaseSeconds * 1000)) }

    /// A job started this many times without finishing is failed rather than retried forever.
    static let maximumAttempts = 5

    /// The wait before reading a failing queue again: 0.25 s, doubling with each failure in a
    /// row, up to ``maximumRetryDelay``.
    static func retryDelay(afterFailures failures: Int) -> Duration {
        let doublings = min(max(failures - 1, 0), 16)
        return min(.milliseconds(250) * (1 << doublings), maximumRetryDelay)
    }

    static let maximumRetryDelay = Duration.seconds(30)

    func run() async throws {
        let configuration = services.configuration
        // What this node (or another one of this host that died) was running before a crash
        // goes back to the queue at once; running jobs of live or distant workers keep their
        // leases.
        let requeued = try await services.jobs.requeueInterrupted(workerIsGone: Self.workerIsGone)
        if requeued > 0 { logger.info("resuming interrupted transcodes", metadata: ["jobs": "\(requeued)"]) }
        // Each job holds two pool threads while its child runs (one reads its stderr, one waits).
        let pool = NIOThreadPool(numberOfThreads: 2 * configuration.jobConcurrency + 1)
        pool.start()
        let running = RunningCount()
        await cancelWhenGracefulShutdown {
            // One worker per slot; each claims the oldest queued job in a write transaction.
            await withDiscardingTaskGroup { group in
                for _ in 0..<configuration.jobConcurrency {
                    group.addTask {
                        var failures = 0
                        while !Task.isCancelled {
                            let claimed: (TranscodeJob, Track)?
                            do {
                                try await refreshGauges(running: running.value.load(ordering: .relaxed))
                                claimed = try await services.jobs.claimNext(worker: worker, lease: lease)
                            } catch {
                                if Task.isCancelled { break }
                                failures += 1
                                let delay = Self.retryDelay(afterFailures: failures)
                                queueFailed(error, failures: failures, retryIn: delay)
                                try? await Task.sleep(for: delay)
                                continue
                            }
                            if failures > 0 {
                                logger.notice("the transcode queue is readable again", metadata: ["failures": "\(failures)"])
                                failures = 0
                                services.metrics.jobQueueRetrySeconds.set(Double(0))
                            }
                            guard let (job, track) = claimed else {
                                await services.jobSignal.wait(timeout: .seconds(5))
                                continue
                            }
                            running.value.add(1, ordering: .relaxed)
                            await process(job: job, track: track, pool: pool)
                            running.value.subtract(1, ordering: .relaxed)
                        }
                    }
                }
            }
        }
        try? await pool.shutdownGracefully()
    }

    private final class RunningCount: Sendable {
        let value = Atomic<Int>(0)
    }

    private func refreshGauges(running: Int) async throws {
        let queued = try await services.jobs.counts()[.queued] ?? 0
        services.metrics.jobsQueued.set(Int64(queued))
        services.metrics.jobsRunning.set(Int64(running))
    }

    /// A failed read of the queue: said loudly, counted, and the retry delay published.
    private func queueFailed(_ error: any Error, failures: Int, retryIn delay: Duration) {
        services.metrics.jobQueueErrors.increment()
        services.metrics.jobQueueRetrySeconds.set(Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18)
        logger.error("cannot read the transcode queue; no upload is processed until it can", metadata: [
            "error": "\(error)", "failuresInARow": "\(failures)", "retryIn": "\(delay)",
        ])
    }

    /// Runs one job to its end: ready, failed, or back in the queue if the server is stopping.
    func process(job: TranscodeJob, track: Track, pool: NIOThreadPool) async {
        guard let jobID = job.id else { return }
        var logger = self.logger
        logger[metadataKey: "track"] = "\(track.id)"
        logger[metadataKey: "job"] = "\(jobID)"
        let started = ContinuousClock.now
        let outcome: Result<Void, JobFailure>
        if job.attempts > Self.maximumAttempts {
            outcome = .failure(JobFailure(reason: "processing was interrupted \(Self.maximumAttempts) times; upload the file again"))
        } else {
            let jobLogger = logger
            outcome = await holdingLease(of: job, logger: jobLogger) {
                await transcode(job: job, track: track, pool: pool, logger: jobLogger)
            }
        }
        if case .failure(let failure) = outcome, failure.takenOver {
            services.metrics.jobsTakenOver.increment()
            logger.warning("transcode stopped: its lease passed and another worker took the job over; nothing recorded")
            return
        }
        if Task.isCancelled, case .failure(let failure) = outcome, failure.interrupted {
            // The server is stopping: the job runs again at the next start.
            try? services.jobs.requeueNow(job)
            logger.info("transcode interrupted by shutdown; requeued")
            return
        }
        switch outcome {
        case .success:
            services.metrics.jobsCompleted.increment()
            services.metrics.transcodeSeconds.record(ContinuousClock.now - started)
            logger.info("transcode finished")
        case .failure(let failure):
            services.metrics.jobsFailed.increment()
            logger.warning("transcode failed", metadata: ["reason": "\(failure.reason)"])
            do {
                try await services.jobs.fail(job, trackID: track.id, reason: failure.reason)
            } catch CatalogError.jobTakenOver {
                logger.warning("the job was taken over by another worker before its failure was recorded")
            } catch {
                logger.error("could not record the failure", metadata: ["error": "\(error)"])
            }
        }
        services.jobSignal.signal()
    }

    struct JobFailure: Error {
        var reason: String
        var interrupted = false
        /// The lease passed and another worker took the job: nothing may be recorded.
        var takenOver = false
    }

    /// Runs `body` (the job's work) while renewing the job's lease every quarter of it. If
    /// the lease turns out lost (the renewal finds another attempt holding the job: this
    /// worker stalled past it), `body` is cancelled, which kills its transcoder, and the
    /// outcome says so. A renewal the database refuses is logged and tried again.
    private func holdingLease(
        of job: TranscodeJob, logger: Logger, _ body: @escaping @Sendable () async -> Result<Void, JobFailure>
    ) async -> Result<Void, JobFailure> {
        let lease = self.lease
        let jobs = services.jobs
        return await withTaskGroup(of: Result<Void, JobFailure>?.self) { group in
            group.addTask { await body() }
            group.addTask {
                while true {
                    do { try await Task.sleep(for: lease / 4) } catch { return nil }
                    do {
                        if try await jobs.renew(job, lease: lease) { continue }
                        return .failure(JobFailure(reason: "taken over", interrupted: true, takenOver: true))
                    } catch {
                        if Task.isCancelled { return nil }
                        logger.warning("could not renew the job's lease", metadata: ["error": "\(error)"])
                    }
                }
            }
            // The first to finish decides: the work, or the lease lost.
            var outcome: Result<Void, JobFailure>?
            for await finished in group {
                guard let finished else { continue }
                if outcome == nil {
                    outcome = finished
                    group.cancelAll()
                }
            }
            return outcome ?? .failure(JobFailure(reason: "interrupted", interrupted: true))
        }
    }

    /// The work folder of an attempt at job `jobID`: the first attempt's has the job's name
    /// alone (as before leases), later ones add the attempt, so that a worker that lost the
    /// job and the one that took it over never share one.
    static func workFolder(_ configuration: ServerConfiguration, jobID: Int64, attempt: Int) -> String {
        attempt > 1 ? "\(configuration.workDirectory)/job-\(jobID)-\(attempt)" : "\(configuration.workDirectory)/job-\(jobID)"
    }

    private func transcode(job: TranscodeJob, track: Track, pool: NIOThreadPool, logger: Logger) async -> Result<Void, JobFailure> {
        let configuration = services.configuration
        let jobID = job.id ?? 0
        let work = Self.workFolder(configuration, jobID: jobID, attempt: job.attempts)
        defer { Self.removeTree(work) }
        // What earlier attempts at this job left (a crash; or a worker that lost it, whose
        // transcode then fails and records nothing).
        for attempt in 1...max(job.attempts, 1) { Self.removeTree(Self.workFolder(configuration, jobID: jobID, attempt: attempt)) }
        guard mkdir(work, 0o700) == 0 else {
            return .failure(JobFailure(reason: "the server could not prepare a work folder (\(String(cString: strerror(errno))))"))
        }
        // The child reads a file on this machine: the local store's own, or a copy of the
        // remote object fetched into the work folder (removed with it).
        let input: String
        if let local = services.media.localPath(track.originalPath) {
            input = local
        } else {
            input = "\(work)/original.\(track.originalFormat.fileExtension)"
            do {
                try await services.store.download(try MediaKey(track.originalPath), to: input)
            } catch {
                if Task.isCancelled { return .failure(JobFailure(reason: "interrupted", interrupted: true)) }
                let kind = (error as? MediaStoreError)?.metricKind ?? "failed"
                services.metrics.countMediaStoreFailure(operation: "read", kind: kind)
                logger.error("could not fetch the original from the media store", metadata: ["error": "\(error)"])
                if case MediaStoreError.notFound = error {
                    return .failure(JobFailure(reason: "the original upload is missing from the media store; upload the file again"))
                }
                // The store may be back later: the job goes back to the queue (it counts an attempt).
                return .failure(JobFailure(reason: "the server could not fetch the upload from the media store; try again later"))
            }
        }
        let artist = (try? await services.accounts.user(id: track.artistID))?.displayName
        var arguments = [
            "transcode", input, "\(work)/standard.opus",
            "--manifest", "\(work)/manifest.json", "--progress",
            "--memory-limit", String(configuration.jobMemoryLimit),
            "--title", track.title,
        ]
        if let artist { arguments += ["--artist", artist] }
        if let album = try? await services.tracks.album(of: track) { arguments += ["--album", album] }
        // The low rendition's bitrate depends on the channel count, which the child learns;
        // it picks the default for "low" itself.
        arguments += ["--low", "\(work)/low.opus"]
        let child = ChildProcess(
            executable: configuration.transcoderExecutable, arguments: arguments,
            environment: ["MALLOC_ARENA_MAX": "2", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TUTTI_PARENT_PID": String(getpid())],
            threadPool: pool)
        let jobs = services.jobs
        let outcome: ChildProcess.Outcome
        do {
            // Every 5 %, so a long file shows movement without a write per line.
            outcome = try await TranscodeProgress.run(
                step: 5,
                write: { percent in try await jobs.progress(trackID: track.id, percent: percent) },
                onWriteFailure: { error in logger.warning("could not record the progress", metadata: ["error": "\(error)"]) }
            ) { report in
                try await child.run(timeLimit: .seconds(configuration.jobTimeLimit)) { line in
                    guard line.hasPrefix("progress "), let percent = Int(line.dropFirst(9)) else { return }
                    report(percent)
                }
            }
        } catch {
            return .failure(JobFailure(reason: "the server could not start the transcoder (\(error))"))
        }
        if Task.isCancelled { return .failure(JobFailure(reason: "interrupted", interrupted: true)) }
        if outcome.timedOut {
            let minutes = Int((configuration.jobTimeLimit / 60).rounded(.up))
            return .failure(JobFailure(reason: "processing took longer than the limit of \(minutes) minute\(minutes == 1 ? "" : "s"); the file may be damaged"))
        }
        switch outcome.termination {
        case .exited(0):
            break
        case .exited(let code):
            return .failure(JobFailure(reason: Self.reason(fromStderr: outcome.stderrTail, inputPath: input) ?? "transcoding failed (exit status \(code))"))
        case .signalled(let signal):
            return .failure(JobFailure(reason: "the decoder crashed or ran out of memory on this file (signal \(signal)); it may be damaged or use an unusual encoding"))
        }
        do {
            try await store(job: job, track: track, work: work, pool: pool)
            return .success(())
        } catch CatalogError.jobTakenOver {
            return .failure(JobFailure(reason: "taken over", interrupted: true, takenOver: true))
        } catch {
            if Task.isCancelled { return .failure(JobFailure(reason: "interrupted", interrupted: true)) }
            logger.error("could not store the renditions", metadata: ["error": "\(error)"])
            return .failure(JobFailure(reason: "the server could not store the transcoded files; try again later"))
        }
    }

    /// Stores the renditions and marks the track ready: all of them or, if any write or the
    /// database fails, none. Each file is staged (a hidden temporary object), then all are
    /// made visible at their keys, then the row naming them is committed; whatever fails
    /// removes what this job wrote. A crash in between leaves staged objects or objects no
    /// row names, which the media sweeper removes (see ``MediaStoreService``).
    private func store(job: TranscodeJob, track: Track, work: String, pool: NIOThreadPool) async throws {
        let jobID = job.id ?? 0
        let configuration = services.configuration
        let store = services.store
        let manifest = try await pool.runIfActive { try Data(contentsOf: URL(fileURLWithPath: "\(work)/manifest.json")) }
        let result = try JSONDecoder().decode(TranscodeResult.self, from: manifest)
        var renditions: [Rendition] = []
        var staged: [(StagedMedia, MediaKey)] = []
        var finalized: [MediaKey] = []
        do {
            for (name, produced) in zip(RenditionName.allCases, result.renditions) {
                // A new key per job: a re-transcode never changes bytes under an open descriptor.
                // A later attempt's keys name it too: the objects of an attempt that lost the job
                // are its own to remove.
                let key = try MediaKey("media/\(track.id)/\(name.rawValue)-\(jobID)\(job.attempts > 1 ? "-\(job.attempts)" : "").opus")
                // Hashed as it is staged (the local store links the file: no copy).
                let written = try await store.stage(fileAt: produced.path, contentType: StreamController.contentType)
                staged.append((written, key))
                renditions.append(Rendition(
                    trackID: track.id, name: name.rawValue, bitrate: produced.bitrate, channels: produced.channels,
                    path: key.rawValue, bytes: written.size, sha256: written.sha256, preSkip: produced.preSkip, samples: produced.samples,
                    pageIndex: try JSONEncoder().encode(produced.pageIndex), createdAt: configuration.now()))
            }
            for (written, key) in staged {
                try await store.finalize(written, as: key)
                finalized.append(key)
            }
            try await services.jobs.complete(job, trackID: track.id, result: result, renditions: renditions)
        } catch {
            // The track is not ready: no object of this job may stay behind.
            for (written, key) in staged where !finalized.contains(key) { try? await store.discard(written) }
            for key in finalized { try? await store.delete(key) }
            if let error = error as? MediaStoreError { services.metrics.countMediaStoreFailure(operation: "write", kind: error.metricKind) }
            throw error
        }
        services.streamCatalog.invalidate(trackID: track.id)
    }

    /// The reason from `tutti transcode`'s one-line error ("tutti transcode: PATH: reason").
    static func reason(fromStderr lines: [String], inputPath: String) -> String? {
        guard let line = lines.last(where: { $0.hasPrefix("tutti transcode: ") }) else { return nil }
        let prefix = "tutti transcode: \(inputPath): "
        return line.hasPrefix(prefix) ? String(line.dropFirst(prefix.count)) : String(line.dropFirst("tutti transcode: ".count))
    }

    /// Removes a work folder and the files in it (it holds no subfolders).
    static func removeTree(_ path: String) {
        removeFiles(in: path)
        rmdir(path)
    }

    /// Removes the files directly inside `path`.
    static func removeFiles(in path: String) {
        guard let directory = opendir(path) else { return }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { unlink("\(path)/\(name)") }
        }
        closedir(directory)
    }
}

import Prometheus
import Synchronization
