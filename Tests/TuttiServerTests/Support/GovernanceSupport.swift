import Catalog
import Foundation
import GRDB
import Governance
import Ledger
import Testing
@testable import TuttiServer
import TuttiTestSupport

extension TestAPI {
    /// An artist account that is a member: it gets a published track straight in the
    /// database (no upload or transcode; governance only reads that the track is published).
    func member(_ username: String) async throws -> Account {
        let artist = try await account(username, role: "artist")
        try await services.database.write { db in
            let at = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01
            _ = try Tracks.insert(.record(artistID: artist.id, title: "Song", status: .ready, published: true, originalPath: "originals/none",
                                          originalBytes: 1, originalSHA256: "00", at: at), placement: .single, now: at, db)
        }
        return artist
    }

    /// Opens a proposal; returns its JSON.
    func propose(_ changes: [String: Any], closingIn seconds: Double = 24 * 3600, by member: Account, title: String = "Fairer prices") async throws -> [String: Any] {
        let closesAt = configuration.now().addingTimeInterval(seconds).formatted(.iso8601)
        let response = try await request(.post, "/api/v1/governance/proposals", token: member.token,
                                         json: ["title": title, "rationale": "Listeners asked for it.", "closesAt": closesAt, "changes": changes])
        #expect(response.status == .created, "\(String(buffer: response.body))")
        return try response.json()
    }

    func vote(_ proposalID: String, _ choice: String, by member: Account) async throws -> TestResponse {
        try await request(.post, "/api/v1/governance/proposals/\(proposalID)/votes", token: member.token, json: ["choice": choice])
    }

    func proposal(_ id: String, as account: Account) async throws -> [String: Any] {
        let response = try await request(.get, "/api/v1/governance/proposals/\(id)", token: account.token)
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        return try response.json()
    }

    /// Seeks past the preview in a new session: the play counts at once. Returns the session's status.
    func playBySeeking(_ track: MeteredTrack, as listener: Account) async throws -> [String: Any] {
        let session = try await openPlay(track.id, as: listener)
        let seek = try await request(.get, session.standardURL, headers: [.range: "bytes=\(track.freeEnd + 10_000)-\(track.freeEnd + 20_000)"])
        #expect(seek.status == .partialContent, "\(String(buffer: seek.body))")
        return try await playStatus(session.id, as: listener)
    }
}

extension MeteredService {
    /// The pricing versions as the ledger has them (read without going through the server,
    /// which would close due proposals itself).
    func pricingVersions() throws -> [PricingVersion] {
        try ledger().pricingVersions()
    }

    /// Waits (in real time) until the ledger holds `count` pricing versions; false if they did not come.
    func waitForPricingVersions(_ count: Int, timeout: Duration = Deadline.standard) async throws -> Bool {
        do {
            try await waitUntil("\(count) pricing versions", timeout: timeout) { try pricingVersions().count >= count }
            return true
        } catch is DidNotHappen {
            return false
        }
    }
}
