import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Answers `Expect: 100-continue` (RFC 9110 §10.1.1), and never reads to its end a request
/// body nobody wants.
///
/// - `100 Continue` goes out only when a handler starts reading the body (told by
///   ``ExpectContinueMiddleware``, which runs after authentication): a request refused
///   before that (401, 403, 413 for a declared length over the cap, 404...) gets its final
///   answer instead, with `Connection: close`, and the client never sends the body. The
///   sending side closes after the answer, so the client sees its end at once; whatever it
///   sends anyway is dropped (up to ``discardLimit``) until it closes or ``discardTime``.
///   Hummingbird does not answer the expectation at all; curl sends it with every body over
///   1 MiB and then waits a second.
/// - A client that sends its body without asking and is answered before the body has all
///   arrived (401 at once, 413 or 415 part way) may go on sending up to ``discardLimit``
///   more bytes, which Hummingbird reads and drops so that the connection can serve the next
///   request; past that, the connection closes. Left to Hummingbird alone, the rest of the
///   body would be read to its end, however large it was declared (a 1 GiB upload refused at
///   once was still read whole). Closing at once instead would reset a client still sending,
///   which can lose it the answer (AsyncHTTPClient then reports "I/O on closed channel", not
///   the 415); so would `Connection: close`, on which AsyncHTTPClient closes mid-upload.
final class ExpectContinueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Sent down the pipeline when a handler starts reading the request's body.
    struct BodyWanted: Sendable {}

    /// What is still read of a body after its request has been answered, in bytes: about
    /// what a client that sends without asking has in flight when it gets its answer, and
    /// small bodies whole.
    static let discardLimit = 8 << 20
    /// How long the connection stays open after refusing a client that waited for `100
    /// Continue`, at most, for it to read its answer and close.
    static let discardTime = TimeAmount.seconds(10)

    /// A request whose head has come in and whose final answer has not gone out.
    private struct Pending {
        var expectsContinue: Bool
        var continued = false
        var bodyEnded = false
    }

    /// What happens to the rest of a body whose request has been answered.
    private enum Leftover {
        /// Nothing left over: every body so far has ended before its answer.
        case none
        /// The client sends without asking: Hummingbird reads and drops up to `remaining`
        /// more bytes (then the connection closes); the body's end puts things back to `.none`.
        case draining(remaining: Int)
        /// The client was refused while waiting for `100 Continue`: once the answer is out,
        /// the connection closes; what comes meanwhile is dropped, up to `remaining` bytes.
        case closing(remaining: Int, answerSent: Bool)
    }

    /// Requests in arrival order (more than one only if a client pipelines).
    private var pending = CircularBuffer<Pending>(initialCapacity: 2)
    private var leftover = Leftover.none
    private var closeTimer: Scheduled<Void>?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch leftover {
        case .none:
            break
        case .draining(let remaining):
            switch part {
            case .body(let bytes):
                guard bytes.readableBytes <= remaining else {
                    context.close(promise: nil)
                    return
                }
                leftover = .draining(remaining: remaining - bytes.readableBytes)
                context.fireChannelRead(data)
                return
            case .end:
                // The answered request's body is over: the connection goes on.
                leftover = .none
                context.fireChannelRead(data)
                return
            case .head:
                // (The codec ends a body before the next head; should one come, it is a new request.)
                leftover = .none
            }
        case .closing(let remaining, let answerSent):
            switch part {
            case .body(let bytes):
                let left = remaining - bytes.readableBytes
                if left < 0 { context.close(promise: nil) }
                leftover = .closing(remaining: left, answerSent: answerSent)
            case .end where answerSent:
                // The client has sent its whole body: nothing is left unread.
                context.close(promise: nil)
            case .end, .head:
                break
            }
            return
        }
        switch part {
        case .head(let request):
            let expectation = request.headerFields[.expect]
            pending.append(Pending(expectsContinue: expectation.map { $0.lowercased() == "100-continue" } ?? false))
        case .body:
            break
        case .end:
            if !pending.isEmpty { pending[pending.index(before: pending.endIndex)].bodyEnded = true }
        }
        context.fireChannelRead(data)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is BodyWanted else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        // The request being answered is the oldest one without a final answer.
        if let first = pending.first, first.expectsContinue, !first.continued, !first.bodyEnded {
            pending[pending.startIndex].continued = true
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        }
        promise?.succeed(())
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var response) where response.status.kind != .informational:
            guard let answered = pending.popFirst(), !answered.bodyEnded else { break }
            if answered.expectsContinue && !answered.continued {
                response.headerFields[.connection] = "close"
                leftover = .closing(remaining: Self.discardLimit, answerSent: false)
                context.write(wrapOutboundOut(.head(response)), promise: promise)
                return
            }
            leftover = .draining(remaining: Self.discardLimit)
        case .end:
            if case .closing(let remaining, false) = leftover {
                leftover = .closing(remaining: remaining, answerSent: true)
                context.writeAndFlush(data, promise: promise)
                // (NIO sends the answer's bytes before it closes the sending side.)
                context.close(mode: .output, promise: nil)
                closeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: Self.discardTime) {
                    context.close(promise: nil)
                }
                return
            }
        default:
            break
        }
        context.write(data, promise: promise)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .closing = leftover, case .inputClosed? = event as? ChannelEvent {
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closeTimer?.cancel()
        closeTimer = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        closeTimer?.cancel()
    }
}
