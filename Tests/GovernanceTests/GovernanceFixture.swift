import Catalog
import Foundation
import GRDB
import Governance
import Ledger
import TuttiTestSupport

/// Governance over a fresh database with the catalog's and the ledger's tables, on a clock
/// the test moves by hand. Members are made straight in the catalog's tables.
struct GovernanceFixture {
    let clock: ManualClock
    let path: String
    let database: DatabasePool
    let governance: Governance
    var ledger: Ledger { governance.ledger }

    init(rules: GovernanceRules = .standard, start: Date = Date(timeIntervalSince1970: 1_800_000_000), _ label: String = #function) throws {
        clock = ManualClock(start: start)
        path = Fixtures.scratch(label).appendingPathComponent("tutti.sqlite").path
        database = try TuttiDatabase.open(path: path, others: [Ledger.registerMigrations, Governance.registerMigrations])
        let clock = self.clock
        governance = try Governance(ledger: Ledger(database: database, clock: { clock.now }), rules: rules, clock: { clock.now })
    }

    /// A second Governance over the same file: what a restarted server makes.
    func restarted() throws -> Governance {
        let clock = self.clock
        let database = try TuttiDatabase.open(path: path, others: [Ledger.registerMigrations, Governance.registerMigrations])
        return try Governance(ledger: Ledger(database: database, clock: { clock.now }), rules: governance.rules, clock: { clock.now })
    }

    /// A user of `role`; an artist gets a published track unless `published` is false.
    @discardableResult
    func user(_ name: String, role: String = "artist", published: Bool = true) throws -> String {
        let id = Identifier.make()
        try database.write { db in
            try db.execute(sql: """
                INSERT INTO users (id, username, displayName, passwordHash, role, createdAt) VALUES (?, ?, ?, 'x', ?, '2026-01-01 00:00:00.000')
                """, arguments: [id, name, name, role])
            if role == "artist" { try insertTrack(db, artist: id, published: published) }
        }
        return id
    }

    /// Publishes a (new) track of `artist`: they become a member from now on.
    func publishTrack(of artist: String) throws {
        try database.write { db in try insertTrack(db, artist: artist, published: true) }
    }

    private func insertTrack(_ db: Database, artist: String, published: Bool) throws {
        let at = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01
        _ = try Tracks.insert(.record(artistID: artist, title: "Song", status: .ready, published: published, originalPath: "originals/x",
                                      originalBytes: 1, originalSHA256: "00", at: at), placement: .single, now: at, db)
    }

    /// Artists with published tracks, named m1, m2, ...
    func members(_ count: Int) throws -> [String] {
        try (1...count).map { try user("m\($0)") }
    }

    /// A draft closing `hours` from now.
    func draft(_ change: PricingChange, hours: Double = 24, title: String = "New prices") -> ProposalDraft {
        ProposalDraft(title: title, rationale: "Because.", change: change, closesAt: clock.now.addingTimeInterval(hours * 3600))
    }

    func play(_ id: String, listener: String = "listener-1", artist: String = "artist-1", track: String = "track-1") async throws -> PlayCharge {
        _ = try ledger.topUp(transferID: "top-up-\(id)", user: listener, amount: 10_000_000, reference: "test")
        guard case .charged(let charge) = try await ledger.chargePlay(
            PlayChargeRequest(playID: id, listenerID: listener, artistID: artist, trackID: track, at: clock.now)) else {
            throw GovernanceError.invalid("expected a charged play")
        }
        return charge
    }
}
