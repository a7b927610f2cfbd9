import Foundation
import Synchronization
import Testing
import TuttiServer
import TuttiTestSupport

/// Limits that must hold under parallel requests: checking and counting are one step.
@Suite("Rate limits: checked and counted in one step")
struct RateLimitTests {
    /// Sends `count` requests at once, each on its own connection and thread (all connect
    /// first, then all send together); returns their statuses (nil: no answer).
    static func parallel(_ count: Int, port: Int, _ method: String, _ path: String,
                         headers: [String: String] = [:], body: Data = Data()) async throws -> [Int?] {
        let connections = try (0..<count).map { _ in try RawConnection(port: port) }
        let ready = Barrier(parties: count)
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        let bytes = Data((request + "\r\n").utf8) + body
        return try await withThrowingTaskGroup(of: Int?.self) { group in
            for connection in connections {
                group.addTask {
                    try await RawConnection.onThread { () -> Int? in
                        ready.arriveAndWait()
                        guard connection.send(bytes) else { return nil }
                        let answer = connection.read { _ in false }
                        guard let line = String(decoding: answer.prefix(32), as: UTF8.self).split(separator: "\r\n").first else { return nil }
                        let parts = line.split(separator: " ")
                        return parts.count >= 2 ? Int(parts[1]) : nil
                    }
                }
            }
            var statuses: [Int?] = []
            for try await status in group { statuses.append(status) }
            return statuses
        }
    }

    @Test("parallel wrong passwords: at most the limit reach bcrypt, the rest get 429")
    func parallelLogIns() async throws {
        // A real bcrypt cost, so that a check is slow enough for the guesses to overlap.
        try await TestService { $0.loginAttempts = 3; $0.bcryptCost = 10 }.run { api in
            _ = try await api.account("lena")
            let guesses = 12
            let body = try JSONSerialization.data(withJSONObject: ["username": "lena", "password": "wrong password!"])
            let statuses = try await Self.parallel(guesses, port: api.port, "POST", "/api/v1/sessions",
                                                   headers: ["Content-Type": "application/json"], body: body)
            #expect(statuses.allSatisfy { $0 == 401 || $0 == 429 }, "\(statuses)")
            #expect(statuses.filter { $0 == 401 }.count == 3, "three guesses are checked, the others refused: \(statuses)")
            #expect(statuses.filter { $0 == 429 }.count == guesses - 3, "\(statuses)")
            // The right password is held back too until the window has passed.
            let right = try await api.request(.post, "/api/v1/sessions", json: ["username": "lena", "password": "correct horse battery"])
            #expect(right.status == .tooManyRequests)
        }
    }

    @Test("parallel play sessions: at most the limit are opened, the rest get 429")
    func parallelPlaySessions() async throws {
        let metered = MeteredService { $0.playSessionsPerMinute = 3 }
        try await metered.service.run { api in
            let (track, listener) = try await metered.trackAndListener(api, funds: 0)
            let statuses = try await Self.parallel(12, port: api.port, "POST", "/api/v1/tracks/\(track.id)/plays",
                                                   headers: ["Authorization": "Bearer \(listener.token)"])
            #expect(statuses.filter { $0 == 201 }.count == 3, "\(statuses)")
            #expect(statuses.filter { $0 == 429 }.count == 9, "\(statuses)")
        }
    }
}

/// Lets `parties` threads wait for each other, then go together.
final class Barrier: Sendable {
    private let condition = NSCondition()
    private let remaining: Mutex<Int>

    init(parties: Int) { remaining = Mutex(parties) }

    func arriveAndWait() {
        condition.lock()
        defer { condition.unlock() }
        let left = remaining.withLock { value -> Int in
            value -= 1
            return value
        }
        if left == 0 {
            condition.broadcast()
        } else {
            while remaining.withLock({ $0 }) > 0 { condition.wait() }
        }
    }
}
