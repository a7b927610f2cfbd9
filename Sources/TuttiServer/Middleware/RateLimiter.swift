import FoundationEssentials
import Synchronization

/// Counts failed log-ins per account and per address in a sliding window, so password
/// guessing is slow whether it targets one account from many places or many accounts from one.
/// The same counting limits how fast play sessions are opened.
final class LoginRateLimiter: Sendable {
    private let attempts: Int
    private let window: Double
    private let now: @Sendable () -> Date
    private let failures = Mutex<[String: [Date]]>([:])

    init(attempts: Int, window: Double, now: @escaping @Sendable () -> Date) {
        self.attempts = attempts
        self.window = window
        self.now = now
    }

    /// Seconds until `keys` may try again, or nil when allowed now.
    func retryAfter(_ keys: [String]) -> Int? {
        let instant = now()
        return failures.withLock { failures in
            var wait: Double?
            for key in keys {
                let recent = (failures[key] ?? []).filter { instant.timeIntervalSince($0) < window }
                failures[key] = recent.isEmpty ? nil : recent
                if recent.count >= attempts, let oldest = recent.first {
                    let seconds = window - instant.timeIntervalSince(oldest)
                    wait = max(wait ?? 0, seconds)
                }
            }
            return wait.map { max(1, Int($0.rounded(.up))) }
        }
    }

    func recordFailure(_ keys: [String]) {
        let instant = now()
        failures.withLock { failures in
            for key in keys {
                failures[key, default: []].append(instant)
                // Keep memory bounded under a flood: only the newest attempts matter.
                if failures[key]!.count > attempts * 2 { failures[key]!.removeFirst(failures[key]!.count - attempts * 2) }
            }
            if failures.count > 100_000 { failures.removeAll() }
        }
    }

    func recordSuccess(account: String) {
        failures.withLock { failures in failures[account] = nil }
    }
}
