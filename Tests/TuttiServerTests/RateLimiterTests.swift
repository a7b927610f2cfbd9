import Foundation
import Testing
@testable import TuttiServer
import TuttiTestSupport

@Suite("Rate limiter: acquire checks and counts in one step")
struct RateLimiterTests {
    @Test("a released reservation is no longer counted; a refusal counts nothing and says when to retry")
    func reservations() {
        let clock = ManualClock()
        let limiter = RateLimiter(attempts: 2, window: 60, now: { clock.now })
        guard case .allowed(let first) = limiter.acquire(["a", "b"]) else { Issue.record("first refused"); return }
        guard case .allowed = limiter.acquire(["a"]) else { Issue.record("second refused"); return }
        guard case .limited(let wait) = limiter.acquire(["a", "b"]) else { Issue.record("third allowed"); return }
        #expect(wait == 60)
        // "b" holds one event: the refusal above did not count one for it.
        guard case .allowed = limiter.acquire(["b"]) else { Issue.record("b refused"); return }
        guard case .limited = limiter.acquire(["b"]) else { Issue.record("b over its limit allowed"); return }
        // Releasing the first takes back its event on both keys, and only that one.
        limiter.release(first)
        guard case .allowed = limiter.acquire(["a"]) else { Issue.record("a refused after release"); return }
        guard case .limited = limiter.acquire(["a"]) else { Issue.record("a over its limit allowed"); return }
        clock.advance(by: 30)
        guard case .limited(let later) = limiter.acquire(["a"]) else { Issue.record("a allowed within the window"); return }
        #expect(later == 30)
        clock.advance(by: 31)
        guard case .allowed = limiter.acquire(["a"]) else { Issue.record("a refused after the window"); return }
    }
}
