import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Answers `Expect: 100-continue` (RFC 9110 §10.1.1) with `100 Continue` as soon as the
/// request head arrives. Hummingbird does not; curl sends the header with every body over
/// 1 MiB and then waits a second before sending anything, so each upload began with a
/// 1 s stall. The request goes on to the router without the header.
final class ExpectContinueHandler: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var request) = unwrapInboundIn(data),
              let expectation = request.headerFields[.expect], expectation.lowercased() == "100-continue" else {
            context.fireChannelRead(data)
            return
        }
        request.headerFields[.expect] = nil
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        context.fireChannelRead(wrapInboundOut(.head(request)))
    }
}
