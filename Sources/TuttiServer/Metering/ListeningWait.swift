import FoundationEssentials
import NIOCore
import Synchronization

/// Waits out the preview on a held connection, and notices when the listener leaves: a
/// player that closed the connection at 30 s must not be charged at 45 s.
enum ListeningWait {
    /// Suspends until `deadline` (by `waitUntil`, the service's clock). Returns false, at
    /// once, if the client has left or leaves first.
    static func until(
        _ deadline: Date, waitUntil: @escaping @Sendable (Date) async throws -> Void, watcher: LeaveWatcher
    ) async throws -> Bool {
        if watcher.hasLeft { return false }
        return try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await waitUntil(deadline)
                return true
            }
            group.addTask {
                await watcher.left()
                return false
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { return false }
            return first && !watcher.hasLeft
        }
    }
}

/// Records the client closing its side of a connection (input closed) or the connection
/// going away, for the connection's whole life.
///
/// Hummingbird allows remote half-closure, so a client that closes its socket (a FIN) does
/// not close the channel until something is written to it. One watcher sits in every
/// connection's pipeline from its start (see `TuttiApplication`), so a client that leaves
/// at any moment — even before its request reaches the handler — is seen.
final class LeaveWatcher: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny

    private struct State {
        var left = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())

    /// The watcher of `channel`'s connection (one that has seen the client leave if the
    /// pipeline has none or the channel is closed).
    static func of(_ channel: any Channel) async -> LeaveWatcher {
        if channel.isActive, let watcher = try? await channel.pipeline.handler(type: LeaveWatcher.self).get() {
            return watcher
        }
        let gone = LeaveWatcher()
        gone.markLeft()
        return gone
    }

    var hasLeft: Bool { state.withLock { $0.left } }

    /// Returns when the client has left, or when the waiting task is cancelled.
    func left() async {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.left || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    private func markLeft() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.left = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed? = event as? ChannelEvent { markLeft() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        markLeft()
        context.fireChannelInactive()
    }
}
