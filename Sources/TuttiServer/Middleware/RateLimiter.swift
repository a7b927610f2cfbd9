import FoundationEssentials
import Synchronization

/// Counts events per key in a sliding window. Failed log-ins are counted per account and per
/// address, so password guessing is slow whether it targets one account from many places or
/// many accounts from one; play sessions opened are counted per listener or address.
final class RateLimiter: Sendable {
    private let attempts: Int
    private let window: Double
    private let now: @Sendable () -> Date
    private let events = Mutex<[String: [Date]]>([:])

    init(attempts: Int, window: Double, now: @escaping @Sendable () -> Date) {
        self.attempts = attempts
        self.window = window
        self.now = now
    }

    /// Seconds until `keys` may try again, or nil when allowed now.
    func retryAfter(_ keys: [String]) -> Int? {
        let instant = now()
        return events.withLock { events in
            var wait: Double?
            for key in keys {
                let recent = (events[key] ?? []).filter { instant.timeIntervalSince($0) < window }
                events[key] = recent.isEmpty ? nil : recent
                if recent.count >= attempts, let oldest = recent.first {
                    let seconds = window - instant.timeIntervalSince(oldest)
                    wait = max(wait ?? 0, seconds)
                }
            }
            return wait.map { max(1, Int($0.rounded(.up))) }
        }
    }

    /// Counts one event for each of `keys`.
    func record(_ keys: [String]) {
        let instant = now()
        events.withLock { events in
            for key in keys {
                events[key, default: []].append(instant)
                // Keep memory bounded under a flood: only the newest events matter.
                if events[key]!.count > attempts * 2 { events[key]!.removeFirst(events[key]!.count - attempts * 2) }
            }
            if events.count > 100_000 { events.removeAll() }
        }
    }

    /// Forgets what was counted for `key` (a successful log-in clears its account's failures).
    func forget(_ key: String) {
        events.withLock { events in events[key] = nil }
    }
}
