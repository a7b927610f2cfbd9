import FoundationEssentials
import Synchronization

/// Counts events per key in a sliding window. Failed log-ins are counted per account and per
/// address, so password guessing is slow whether it targets one account from many places or
/// many accounts from one; play sessions opened are counted per listener or address.
///
/// Checking and counting are one step (``acquire(_:)``), under one lock: a limit checked in
/// one call and counted in another let every request that arrived in between through (a
/// burst of parallel wrong passwords all passed the check while the first was in bcrypt).
final class RateLimiter: Sendable {
    private let attempts: Int
    private let window: Double
    private let now: @Sendable () -> Date
    private let state = Mutex(State())

    private struct Event {
        var instant: Date
        /// Which acquisition counted it, so that ``release(_:)`` takes back exactly that one.
        var reservation: UInt64
    }

    private struct State {
        var events: [String: [Event]] = [:]
        var nextReservation: UInt64 = 0
    }

    init(attempts: Int, window: Double, now: @escaping @Sendable () -> Date) {
        self.attempts = attempts
        self.window = window
        self.now = now
    }

    /// An event counted by ``acquire(_:)``: it stays counted unless released.
    struct Reservation: Sendable {
        fileprivate let id: UInt64
        fileprivate let keys: [String]
    }

    enum Acquisition: Sendable {
        /// Allowed: one event is counted for each key.
        case allowed(Reservation)
        /// Refused: nothing was counted; `keys` may try again in this many seconds (≥ 1).
        case limited(retryAfter: Int)
    }

    /// Counts one event for each of `keys` if every key is under its limit, in one step.
    func acquire(_ keys: [String]) -> Acquisition {
        let instant = now()
        return state.withLock { state in
            var wait: Double?
            for key in keys {
                let recent = (state.events[key] ?? []).filter { instant.timeIntervalSince($0.instant) < window }
                state.events[key] = recent.isEmpty ? nil : recent
                if recent.count >= attempts, let oldest = recent.first {
                    wait = max(wait ?? 0, window - instant.timeIntervalSince(oldest.instant))
                }
            }
            if let wait { return .limited(retryAfter: max(1, Int(wait.rounded(.up)))) }
            state.nextReservation += 1
            let reservation = Reservation(id: state.nextReservation, keys: keys)
            for key in keys {
                state.events[key, default: []].append(Event(instant: instant, reservation: reservation.id))
            }
            // Bound memory under a flood of distinct keys (each kept key holds at most `attempts`).
            if state.events.count > 100_000 { state.events.removeAll() }
            return .allowed(reservation)
        }
    }

    /// Takes back what `reservation` counted (a log-in that turned out to be right).
    func release(_ reservation: Reservation) {
        state.withLock { state in
            for key in reservation.keys {
                guard var events = state.events[key] else { continue }
                events.removeAll { $0.reservation == reservation.id }
                state.events[key] = events.isEmpty ? nil : events
            }
        }
    }

    /// Forgets what was counted for `key` (a successful log-in clears its account's failures).
    func forget(_ key: String) {
        state.withLock { state in state.events[key] = nil }
    }
}
