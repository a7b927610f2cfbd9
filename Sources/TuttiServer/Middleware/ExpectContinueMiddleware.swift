import HTTPTypes
import Hummingbird
import NIOCore

/// For a request that expects `100 Continue`, tells ``ExpectContinueHandler`` to send it
/// when the handler starts reading the body, and not before: a request refused first (not
/// signed in, not allowed, declared too large) gets only its refusal. It runs after the
/// authenticator, so a bad token is refused before any body is asked for.
struct ExpectContinueMiddleware: RouterMiddleware {
    typealias Context = TuttiRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let expectation = request.headers[.expect], expectation.lowercased() == "100-continue" else {
            return try await next(request, context)
        }
        var request = request
        request.body = RequestBody(asyncSequence: ContinueOnFirstRead(body: request.body, channel: context.channel))
        return try await next(request, context)
    }
}

/// A request body that asks for `100 Continue` when it is first read.
struct ContinueOnFirstRead: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let body: RequestBody
    let channel: any Channel

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: RequestBody.AsyncIterator
        var channel: (any Channel)?

        mutating func next() async throws -> ByteBuffer? {
            if let channel {
                self.channel = nil
                // The client sends the body once this has gone out; if the connection is
                // gone, reading the body fails on its own.
                try? await channel.triggerUserOutboundEvent(ExpectContinueHandler.BodyWanted()).get()
            }
            return try await base.next()
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: body.makeAsyncIterator(), channel: channel)
    }
}
