import FoundationEssentials
import NIOCore
import NIOHTTP1
import Prometheus

#if canImport(Glibc)
import Glibc
#endif

/// Answers the common audio requests (see ``SendfileRoutes``) on the event loop, below
/// Hummingbird, with the file's bytes sent by the kernel (`sendfile`, through a NIO
/// `FileRegion`) instead of copied through `ByteBuffer`s by a Swift task per request.
/// Every other request goes on up to Hummingbird unchanged; the ranges of files its
/// responses carry (``FileParts``, e.g. a metered stream held at the preview's end) are sent
/// from here the same way.
///
/// It sits between SwiftNIO's HTTP/1 codec and Hummingbird's HTTP-types codec, so it sees
/// each connection's requests in order and keeps the responses in that order: while a
/// request it passed on is unanswered, it answers nothing itself.
final class SendfileHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let routes: SendfileRoutes
    /// Requests passed on to Hummingbird whose response has not ended yet.
    private var passedOn = 0
    /// Between the head and the end of a request this handler answered (its parts are dropped).
    private var answering = false
    /// Responses written here whose bytes have not all left yet.
    private var sending = 0
    /// A read held back while the socket is not writable (a client that asks without reading).
    private var heldRead = false
    /// Graceful shutdown, held until the responses written here have left.
    private var heldQuiesce: Any?
    private var quiescing = false
    /// The request counter of this connection's last answer (a stream's answers share route
    /// and status), kept so that counting one is an atomic add, not a locked lookup.
    private var requestCounter: (route: String, status: Int, counter: Counter)?
    private var dateSecond = Int64(-1)
    private var dateText = ""
    /// The open files of this connection's event loop.
    private let files: LoopFiles
    /// Ranges of files that responses written by Hummingbird send through here.
    let fileParts = FileParts()

    init(routes: SendfileRoutes, files: LoopFiles) {
        self.routes = routes
        self.files = files
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            // (No descriptor to spare, e.g. at the open-file limit: the router answers.)
            if passedOn == 0, !quiescing, let answer = routes.answer(head), answer.range.lowerBound >= 0, answer.range.upperBound < answer.file.size,
               let sendingFile = files.sending(answer.file) {
                answering = true
                send(answer, from: sendingFile, context: context)
            } else {
                passedOn += 1
                context.fireChannelRead(data)
            }
        case .body:
            if !answering { context.fireChannelRead(data) }
        case .end:
            if answering {
                answering = false
            } else {
                context.fireChannelRead(data)
            }
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .end:
            passedOn = max(0, passedOn - 1)
        case .body(.byteBuffer(let buffer)):
            if let part = fileParts.take(buffer) {
                send(part, context: context, promise: promise)
                return
            }
        default:
            break
        }
        context.write(data, promise: promise)
    }

    /// Sends a range of a file that a response written by Hummingbird put in its body (see
    /// ``FileParts``), in the token's place.
    private func send(_ part: FileParts.Part, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        let (metrics, count) = (routes.metrics, part.range.count)
        guard let file = files.sending(part.file) else {
            // No descriptor to spare (the open-file limit): the bytes, copied.
            let bytes = part.file.bytes(offset: part.range.lowerBound, count: Int(count), allocator: context.channel.allocator)
            metrics.bytesStreamed.increment(by: Int64(count))
            context.write(wrapOutboundOut(.body(.byteBuffer(bytes))), promise: promise)
            return
        }
        let region = FileRegion(fileHandle: file.handle, readerIndex: Int(part.range.lowerBound), endIndex: Int(part.range.upperBound) + 1)
        file.regionStarted()
        sending += 1
        metrics.sendfileParts.increment()
        let sent = context.eventLoop.makePromise(of: Void.self)
        sent.futureResult.assumeIsolated().whenComplete { result in
            file.regionLeft()
            if case .success = result { metrics.bytesStreamed.increment(by: Int64(count)) }
            self.sent(context: context)
        }
        if let promise { sent.futureResult.cascade(to: promise) }
        context.write(wrapOutboundOut(.body(.fileRegion(region))), promise: sent)
    }

    /// Sends the answer's range of `file`.
    private func send(_ answer: SendfileRoutes.Answer, from file: SendingFile, context: ChannelHandlerContext) {
        let region = FileRegion(fileHandle: file.handle, readerIndex: Int(answer.range.lowerBound), endIndex: Int(answer.range.upperBound) + 1)
        file.regionStarted()
        var headers = answer.headers
        headers.add(name: "Date", value: currentDate())
        headers.add(name: "Server", value: "Tutti")
        sending += 1
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: answer.status, headers: headers))), promise: nil)
        // The promise rides on the body, the last bytes of the answer (its length is in the
        // head): an `.end` with a promise would make the encoder queue an empty write for it.
        let sent = context.eventLoop.makePromise(of: Void.self)
        context.write(wrapOutboundOut(.body(.fileRegion(region))), promise: sent)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        let (metrics, count) = (routes.metrics, answer.range.count)
        countRequest(route: answer.route, status: Int(answer.status.code), metrics: metrics)
        metrics.sendfileResponses.increment()
        sent.futureResult.assumeIsolated().whenComplete { result in
            file.regionLeft()
            if case .success = result { metrics.bytesStreamed.increment(by: Int64(count)) }
            self.sent(context: context)
        }
    }

    private func countRequest(route: String, status: Int, metrics: TuttiMetrics) {
        if let cached = requestCounter, cached.status == status, cached.route == route {
            cached.counter.increment()
            return
        }
        let counter = metrics.requestCounter(method: "GET", route: route, status: status)
        requestCounter = (route, status, counter)
        counter.increment()
    }

    private func sent(context: ChannelHandlerContext) {
        sending -= 1
        guard sending == 0, let event = heldQuiesce else { return }
        heldQuiesce = nil
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: Back-pressure: a client that keeps asking without reading is not read from.

    /// Reads are held while more responses than this are unsent and the socket is full. A
    /// client that waits for each answer (every player) never has more than one; holding
    /// its reads too only delayed it (p99 at 1,000 connections tripled).
    private static let unsentResponsesBeforeHolding = 1

    func read(context: ChannelHandlerContext) {
        if sending > Self.unsentResponsesBeforeHolding && !context.channel.isWritable {
            heldRead = true
        } else {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if heldRead && context.channel.isWritable {
            heldRead = false
            context.read()
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Graceful shutdown waits for the responses sent from here.

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            quiescing = true
            if sending > 0 {
                heldQuiesce = event
                return
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// The Date header, formatted once a second.
    private func currentDate() -> String {
        let now = Int64(time(nil))
        if now != dateSecond {
            dateSecond = now
            dateText = HTTPDate.format(Date(timeIntervalSince1970: Double(now)))
        }
        return dateText
    }
}
