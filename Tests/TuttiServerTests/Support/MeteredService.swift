import Catalog
import Foundation
import HTTPTypes
import Ledger
import Testing
@testable import TuttiServer
import TuttiTestSupport

/// A service on a hand-moved clock, with one published, metered (paid) track of about a
/// minute, and what a test needs to check metering: the rendition's bytes and where its
/// preview ends, worked out from the file's own Ogg pages.
struct MeteredService {
    let clock = ManualClock()
    var service: TestService

    init(configure: (inout ServerConfiguration) -> Void = { _ in }) {
        let clock = self.clock
        service = TestService { configuration in
            configuration.now = { clock.now }
            configuration.waitUntil = { date in try await clock.sleep(until: date) }
            configure(&configuration)
        }
    }

    /// The ledger: the running server's own while it runs; once it has stopped, one opened
    /// on its database file (nothing else uses the file then).
    func ledger() throws -> Ledger {
        if let services = service.running.services.withLock({ $0 }) { return services.ledger }
        let database = try TuttiDatabase.open(path: service.configuration.databasePath, others: [Ledger.registerMigrations])
        let clock = self.clock
        return try Ledger(database: database, clock: { clock.now })
    }

    /// The usual start: a published paid track and a listener with `funds` in the wallet.
    func trackAndListener(_ api: TestAPI, funds: Int64 = 1_000_000) async throws -> (MeteredTrack, TestAPI.Account) {
        let track = try await MeteredTrack.make(api)
        let listener = try await api.account("listener")
        if funds > 0 { try await fund(listener, funds, api) }
        return (track, listener)
    }

    /// Tops up a wallet through the server's ledger, on the server's pool (the commit blocks).
    func fund(_ account: TestAPI.Account, _ amount: Int64, _ api: TestAPI) async throws {
        let user = account.id
        _ = try await api.services.inLedger { ledger throws(LedgerError) in
            try ledger.topUp(transferID: "test-topup-\(UUID().uuidString)", user: user, amount: amount, reference: "test")
        }
    }

    func balance(_ account: TestAPI.Account) throws -> Int64 {
        try ledger().balance(of: .listenerWallet(account.id)).balance
    }
}

/// A published paid track and its standard rendition as the artist downloads it.
struct MeteredTrack: Sendable {
    var artist: TestAPI.Account
    var id: String
    var standard: Data
    /// Bytes before this offset are the free preview (45 s).
    var freeEnd: Int
    /// Requests starting here or later are duration probes.
    var tailStart: Int

    static func make(_ api: TestAPI, artistName: String = "artist") async throws -> MeteredTrack {
        let artist = try await api.account(artistName, role: "artist")
        let id = try await api.publishedTrack(Fixtures.demo("river-song.ogg"), title: "River", by: artist)
        let whole = try await api.request(.get, "/api/v1/tracks/\(id)/audio/standard", token: artist.token)
        #expect(whole.status == .ok, "the artist streams their own track from its plain URL")
        let standard = Data(buffer: whole.body)
        let pages = try OggPage.parse(standard)
        let head = Array(try #require(pages.first, "no Ogg pages in the artist's download").body)
        try #require(head.count >= 12)
        let preSkip = Int64(head[10]) | Int64(head[11]) << 8
        let boundary = try #require(pages.first { $0.granule > 0 && $0.granule - preSkip > 45 * 48_000 })
        let tailStart = standard.count - Int(api.configuration.tailProbeBytes)
        #expect(tailStart > Int(boundary.offset), "the test track is long enough for a tail past the preview")
        return MeteredTrack(artist: artist, id: id, standard: standard, freeEnd: Int(boundary.offset), tailStart: tailStart)
    }
}

/// An HTTP response read from a raw connection, as far as it has arrived.
struct PartialResponse {
    var status: Int
    var headers: [String: String]
    var body: Data

    init?(_ data: Data) {
        guard let end = data.firstRange(of: Data("\r\n\r\n".utf8)) else { return nil }
        let head = String(decoding: data[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        guard let statusLine = head.first, let code = Int(statusLine.split(separator: " ")[1]) else { return nil }
        status = code
        headers = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        body = Data(data[end.upperBound...])
    }
}

extension TestAPI {
    /// Opens a play session.
    func openPlay(_ trackID: String, as account: Account?) async throws -> OpenedPlay {
        let response = try await request(.post, "/api/v1/tracks/\(trackID)/plays", token: account?.token)
        #expect(response.status == .created, "\(String(buffer: response.body))")
        let json = try response.json()
        return OpenedPlay(
            id: json["id"] as! String, standardURL: (json["audio"] as! [String: Any])["standard"] as! String,
            access: json["access"] as? String, nextPrice: json["nextPrice"] as? Int, balance: json["balance"] as? Int)
    }

    func playStatus(_ sessionID: String, as account: Account) async throws -> [String: Any] {
        try await request(.get, "/api/v1/plays/\(sessionID)", token: account.token).json()
    }

    /// Sends a GET over a raw connection (the test reads the answer at its own pace).
    func rawGet(_ path: String, range: String? = nil) throws -> RawConnection {
        let connection = try RawConnection(port: port)
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if let range { request += "Range: \(range)\r\n" }
        connection.send(request + "\r\n")
        return connection
    }
}

/// A play session as opened: its id, the signed URL of its standard rendition, and what the
/// server said of access, price and balance.
struct OpenedPlay: Sendable {
    var id: String
    var standardURL: String
    var access: String?
    var nextPrice: Int?
    var balance: Int?
}
