import Foundation
import HTTPTypes
import Ledger
import Testing
@testable import TuttiServer
import TuttiTestSupport

extension TestAPI {
    /// `count` published paid tracks of `artist` (each its own single release); their ids.
    func publishedTracks(_ count: Int, by artist: Account, prefix: String = "Song") async throws -> [String] {
        var ids: [String] = []
        for n in 1...count {
            ids.append(try await upload(Fixtures.media("sine-1000-48000-mono.wav"), title: "\(prefix) \(n)", by: artist))
        }
        for id in ids {
            let track = try await waitUntilProcessed(id, token: artist.token)
            #expect(track["status"] as? String == "ready", "\(track)")
            let published = try await request(.patch, "/api/v1/tracks/\(id)", token: artist.token, json: ["published": true])
            #expect(published.status == .ok, "\(String(buffer: published.body))")
        }
        return ids
    }

    /// The release a track is in.
    func releaseOf(_ trackID: String) async throws -> String {
        try #require(try await request(.get, "/api/v1/tracks/\(trackID)").json()["releaseID"] as? String)
    }

    /// Tops up a wallet through the server's own ledger.
    func fund(_ account: Account, _ amount: Int64) async throws {
        let user = account.id
        _ = try await services.inLedger { ledger throws(LedgerError) in
            try ledger.topUp(transferID: "test-topup-\(UUID().uuidString)", user: user, amount: amount, reference: "test")
        }
    }

    /// A JSON array member of a response.
    func items(_ response: TestResponse, _ member: String = "items") throws -> [[String: Any]] {
        try #require(try response.json()[member] as? [[String: Any]], "\(String(buffer: response.body))")
    }
}
