import FoundationEssentials
import NIOCore
import Synchronization

/// Waits out the preview on a held connection, and notices when the listener leaves: a
/// player that closed the connection at 30 s must not be charged at 45 s.
///
/// Hummingbird allows remote half-closure, so a client that closes its socket (a FIN)
/// does not close the channel until something is written; a handler put in the pipeline
/// for the wait sees the input close and the channel go inactive.
enum ListeningWait {
    /// Suspends until `deadline` (by `waitUntil`, the service's clock). Returns false, at
    /// once, if the connection closes first.
    static func until(
        _ deadline: Date, waitUntil: @escaping @Sendable (Date) async throws -> Void, orClosing channel: any Channel
    ) async throws -> Bool {
        guard channel.isActive, let watcher = try? await LeaveWatcher.install(on: channel) else { return false }
        defer { watcher.remove(from: channel) }
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

/// A pipeline handler that records the client closing its side (input closed) or the
/// connection going away.
final class LeaveWatcher: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny

    private let state = Mutex<(left: Bool, waiters: [CheckedContinuation<Void, Never>], cancelled: Bool)>((false, [], false))
    static let name = "tutti-leave-watcher"

    /// Adds a watcher at the head of the channel's pipeline.
    static func install(on channel: any Channel) async throws -> LeaveWatcher {
        let watcher = LeaveWatcher()
        try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.addHandler(watcher, name: Self.name, position: .first)
        }.get()
        channel.closeFuture.whenComplete { _ in watcher.markLeft() }
        return watcher
    }

    func remove(from channel: any Channel) {
        channel.eventLoop.execute {
            if let context = try? channel.pipeline.syncOperations.context(handler: self) {
                channel.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            }
        }
        markLeft()  // wakes a waiter that is still there; the wait is over either way
    }

    var hasLeft: Bool { state.withLock { $0.left } }

    /// Returns when the client has left (or the wait is cancelled).
    func left() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.left || state.cancelled { return true }
                    state.waiters.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                state.cancelled = true
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
    }

    private func markLeft() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.left = true
            defer { state.waiters = [] }
            return state.waiters
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
