import Hummingbird
import Logging
import MediaStore
import NIOCore
import Prometheus

/// Where the bytes of a stored file come from when the server sends them.
enum MediaSource: Sendable {
    /// A file of the local store, mapped (copies) and open (`sendfile`).
    case file(MappedFile)
    /// An object of a remote store, of the size its database row records: the server proxies
    /// its Range GETs, a buffer at a time, and decides every byte as it does for a file.
    case object(MediaKey, size: Int64)

    /// Bytes.
    var size: Int64 {
        switch self {
        case .file(let file): file.size
        case .object(_, let size): size
        }
    }
}

/// A read of a remote object, opened before the response head and read to its end by the
/// response body, in the same request task (``RemoteMediaStore/open(_:range:)`` asks that);
/// `@unchecked` because the body closure must be `Sendable` and the content is not, though
/// only that one task ever touches it.
private final class OpenedRead: @unchecked Sendable {
    let content: MediaContent
    init(_ content: MediaContent) { self.content = content }
}

extension MediaFiles {
    /// A response body carrying `range` of `source`. For a remote object the store is asked
    /// now, so that a store that is down, refuses or lacks the object answers a problem
    /// (502/503) before any header goes out; a failure once bytes are flowing ends the
    /// response short (the connection closes: never a short body presented as whole).
    func body(_ source: MediaSource, range: ClosedRange<Int64>, channel: (any Channel)?, metrics: TuttiMetrics, logger: Logger) async throws -> ResponseBody {
        switch source {
        case .file(let file):
            return body(file, range: range, channel: channel, metrics: metrics)
        case .object(let key, let size):
            let opened = try await openRemote(key, size: size, range: range, metrics: metrics, logger: logger)
            if range.count <= Self.chunkLength {
                // A short range (a player's 64 KiB probe) is gathered first and sent in one
                // write, as from a file: one flush instead of one per buffer the store's
                // connection delivers, and a store failing midway is a problem, not a short body.
                return ResponseBody(byteBuffer: try await Self.gather(opened, metrics: metrics, logger: logger))
            }
            return ResponseBody(contentLength: Int(range.count)) { writer in
                try await Self.copy(opened, to: &writer, metrics: metrics, logger: logger)
                try await writer.finish(nil)
            }
        }
    }

    /// A response body carrying `range` of `source` that stops before byte `gateOffset` until
    /// `wait` and then `count` have returned (see ``body(_:range:gateOffset:metrics:gate:)``);
    /// if either throws, the body ends there. For a remote object the free part is opened now
    /// and the rest once `wait` has returned and before `count`: a store connection never sits
    /// idle through a held preview, and a store that is gone by then fails the stream before
    /// the play is charged.
    func body(
        _ source: MediaSource, range: ClosedRange<Int64>, gateOffset: Int64, channel: (any Channel)?, metrics: TuttiMetrics, logger: Logger,
        wait: @escaping @Sendable () async throws -> Void, count: @escaping @Sendable () async throws -> Void
    ) async throws -> ResponseBody {
        switch source {
        case .file(let file):
            return body(file, range: range, gateOffset: gateOffset, channel: channel, metrics: metrics) {
                try await wait()
                try await count()
            }
        case .object(let key, let size):
            let free: OpenedRead? =
                gateOffset > range.lowerBound
                ? try await openRemote(key, size: size, range: range.lowerBound...min(range.upperBound, gateOffset - 1), metrics: metrics, logger: logger)
                : nil
            // A short free part is read now, as a short range is (its store connection is one of
            // the few for short reads, see `S3Configuration.shortReadConnections`).
            let gatheredFree: ByteBuffer? =
                if let free, free.content.length <= Self.chunkLength { try await Self.gather(free, metrics: metrics, logger: logger) } else { nil }
            return ResponseBody(contentLength: Int(range.count)) { writer in
                if let gatheredFree {
                    try await writer.write(gatheredFree)
                } else if let free {
                    try await Self.copy(free, to: &writer, metrics: metrics, logger: logger)
                }
                if gateOffset <= range.upperBound {
                    try await wait()
                    let rest = try await self.openRemote(key, size: size, range: max(range.lowerBound, gateOffset)...range.upperBound, metrics: metrics, logger: logger)
                    try await count()
                    if rest.content.length <= Self.chunkLength {
                        try await writer.write(Self.gather(rest, metrics: metrics, logger: logger, midStream: true))
                    } else {
                        try await Self.copy(rest, to: &writer, metrics: metrics, logger: logger)
                    }
                }
                try await writer.finish(nil)
            }
        }
    }

    /// Opens `range` of a remote object, checking that the store serves exactly that range of
    /// an object of the recorded size.
    private func openRemote(_ key: MediaKey, size: Int64, range: ClosedRange<Int64>, metrics: TuttiMetrics, logger: Logger) async throws -> OpenedRead {
        guard let remote else {
            throw Problem(.internalServerError, title: "Internal error", detail: "A remote object was asked of a local store.")
        }
        let content: MediaContent
        do {
            content = try await remote.open(key, range: range)
        } catch let error as MediaStoreError {
            metrics.countMediaStoreFailure(operation: "read", kind: error.metricKind)
            logger.error("media store read failed", metadata: ["key": "\(key)", "error": "\(error)"])
            throw Problem(mediaStore: error, doing: "reading the audio")
        }
        guard content.offset == range.lowerBound, content.length == range.count, content.totalSize == size else {
            metrics.countMediaStoreFailure(operation: "read", kind: "failed")
            logger.error("the media store holds another object than recorded", metadata: [
                "key": "\(key)", "recordedSize": "\(size)", "storedSize": "\(content.totalSize)",
                "asked": "\(range)", "served": "\(content.offset)+\(content.length)",
            ])
            throw Problem(.badGateway, title: "Media store failed", detail: "The media store answered with other bytes than the ones recorded; try again later.")
        }
        return OpenedRead(content)
    }

    /// Everything `opened` carries (at most ``chunkLength`` bytes), in one buffer. `midStream`:
    /// part of the response has been sent, so a store failing now ends it short (counted and
    /// thrown as ``copy(_:to:metrics:logger:)`` does) instead of answering a problem.
    private static func gather(_ opened: OpenedRead, metrics: TuttiMetrics, logger: Logger, midStream: Bool = false) async throws -> ByteBuffer {
        var all: ByteBuffer?
        do {
            for try await var chunk in opened.content.chunks {
                if all == nil {
                    if chunk.readableBytes == opened.content.length {
                        all = chunk
                        continue
                    }
                    all = ByteBufferAllocator().buffer(capacity: Int(opened.content.length))
                }
                all!.writeBuffer(&chunk)
            }
        } catch let error as MediaStoreError {
            if midStream {
                metrics.countMediaStoreFailure(operation: "read", kind: "truncated")
                logger.error("media store failed mid-stream; the response ends short", metadata: ["key": "\(opened.content.key)", "error": "\(error)"])
                throw error
            }
            metrics.countMediaStoreFailure(operation: "read", kind: error.metricKind)
            logger.error("media store failed mid-read", metadata: ["key": "\(opened.content.key)", "error": "\(error)"])
            throw Problem(mediaStore: error, doing: "reading the audio")
        }
        let buffer = all ?? ByteBuffer()
        metrics.bytesStreamed.increment(by: Int64(buffer.readableBytes))
        return buffer
    }

    /// Writes what the store sends as it arrives (one buffer in flight: the next is read
    /// from the store once the client has taken this one).
    private static func copy(_ opened: OpenedRead, to writer: inout some ResponseBodyWriter, metrics: TuttiMetrics, logger: Logger) async throws {
        do {
            for try await chunk in opened.content.chunks {
                let count = chunk.readableBytes
                try await writer.write(chunk)
                metrics.bytesStreamed.increment(by: Int64(count))
            }
        } catch let error as MediaStoreError {
            metrics.countMediaStoreFailure(operation: "read", kind: "truncated")
            logger.error("media store failed mid-stream; the response ends short", metadata: ["key": "\(opened.content.key)", "error": "\(error)"])
            throw error
        }
    }
}
