import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import Synchronization

/// Hummingbird's HTTP/1.1 channel (`HTTP1Channel`, whose set-up this follows) with Tutti's
/// handlers: ``SendfileHandler`` below the HTTP-types codec, where it can answer audio with
/// `FileRegion`s (Hummingbird's codec and response writer carry `ByteBuffer`s only), and
/// ``ExpectContinueHandler`` and ``LeaveWatcher`` above it.
struct TuttiHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let sendfileRoutes: SendfileRoutes
    /// Whether the server channel's accepts per read were set (once per server).
    private let acceptsRaised = AcceptsRaised()

    private final class AcceptsRaised: Sendable {
        let done = Atomic<Bool>(false)
    }

    /// Hummingbird's default limits on request heads.
    private static let decoderLimits: NIOHTTPDecoderLimitConfiguration = {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = 80 * 1024
        limits.maxHeaderListSize = 80 * 1024
        limits.maxHeaderFieldCount = 1_000
        return limits
    }()

    static func builder(_ routes: SendfileRoutes) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in TuttiHTTP1Channel(responder: responder, sendfileRoutes: routes) }
    }

    /// Connections the listening socket accepts per wake-up. NIO's default of 4 left a burst
    /// of a thousand new connections waiting seconds for their turn while the event loop
    /// served the others (nginx accepts all that are pending). Hummingbird does not expose
    /// its server bootstrap, so the first connection sets it on its parent, the server
    /// channel (until then, and if that fails, NIO's default holds).
    private static let acceptsPerRead: UInt = 256

    /// Unsent bytes above which the connection reports itself unwritable. NIO's default high
    /// mark of 64 KiB made every 64 KiB range answered with sendfile flip the connection to
    /// unwritable and back (the head and the file region together pass it), and each flip
    /// walks the pipeline and wakes NIOAsyncChannel's writer: 4–5 % of the server's CPU at
    /// 1,000 connections. With room for a 64 KiB range, only larger answers flip it.
    static let writeBufferWaterMark = ChannelOptions.Types.WriteBufferWaterMark(low: 64 * 1024, high: 128 * 1024)

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        if let server = channel.parent, !acceptsRaised.done.exchange(true, ordering: .relaxed) {
            server.eventLoop.execute {
                server.setOption(ChannelOptions.maxMessagesPerRead, value: Self.acceptsPerRead).whenFailure { error in
                    logger.warning("could not raise the accepts per read", metadata: ["error": "\(error)"])
                }
            }
        }
        return channel.eventLoop.makeCompletedFuture {
            try channel.syncOptions?.setOption(ChannelOptions.writeBufferWaterMark, value: Self.writeBufferWaterMark)
            let pipeline = channel.pipeline.syncOperations
            try pipeline.configureHTTPServerPipeline(
                withPipeliningAssistance: false,  // requests are taken one at a time by NIOAsyncChannel
                withErrorHandling: false,  // Hummingbird answers parse errors
                withOutboundHeaderValidation: false,  // HTTP types validate their fields
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: Self.decoderLimits)
            try pipeline.addHandler(SendfileHandler(routes: sendfileRoutes, files: sendfileRoutes.files(of: channel.eventLoop)))
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try pipeline.addHandlers([ExpectContinueHandler(), LeaveWatcher()])
            try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: value, logger: logger)
    }
}
