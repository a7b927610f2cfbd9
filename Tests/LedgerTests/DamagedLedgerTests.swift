import Foundation
import GRDB
import Ledger
import Testing
import TuttiTestSupport

/// `verify` on files damaged by hand, past every trigger and CHECK: each damage is a finding
/// in the report (and a non-zero exit with one line from the command), never a crash.
@Suite("verify: a damaged file gets a report, never a crash", .ownThreads)
struct DamagedLedgerTests {
    enum Damage: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case sequenceAtMaximum
        case playNumberZero
        case negativePrice
        case overflowingMultiplier
        case pricingAsText
        case shareOutOfRange
        case noPricingInForce
        case accountTotalsAtExtremes

        var testDescription: String { rawValue }

        /// The SQL that does the damage (on one connection, with CHECKs off).
        var statements: [String] {
            switch self {
            case .sequenceAtMaximum:
                ["DROP TRIGGER ledger_transfers_no_update",
                 "UPDATE ledger_transfers SET sequence = 9223372036854775807 WHERE sequence = (SELECT max(sequence) FROM ledger_transfers)"]
            case .playNumberZero:
                ["DROP TRIGGER ledger_plays_no_update", "UPDATE ledger_plays SET play_number = 0 WHERE play_id = 'lena-0'"]
            case .negativePrice:
                ["DROP TRIGGER ledger_plays_no_update",
                 "UPDATE ledger_plays SET price = -5, artist_part = -3, cooperative_part = -2 WHERE play_id = 'milo-4'"]
            case .overflowingMultiplier:
                // 2,000 × 1,000,000^3 is past Int64 at the fourth play.
                ["DROP TRIGGER ledger_pricing_versions_no_update", "UPDATE ledger_pricing_versions SET multiplier = 1000000 WHERE version = 1"]
            case .pricingAsText:
                ["DROP TRIGGER ledger_pricing_versions_no_update", "UPDATE ledger_pricing_versions SET base_price = 'two thousand' WHERE version = 1"]
            case .shareOutOfRange:
                ["DROP TRIGGER ledger_pricing_versions_no_update", "UPDATE ledger_pricing_versions SET artist_share_bp = 20000 WHERE version = 1"]
            case .noPricingInForce:
                // Version 1 now starts after every play was charged under it.
                ["DROP TRIGGER ledger_pricing_versions_no_update",
                 "UPDATE ledger_pricing_versions SET effective_from_ms = (SELECT max(played_at_ms) + 1 FROM ledger_plays) WHERE version = 1"]
            case .accountTotalsAtExtremes:
                ["DROP TRIGGER ledger_accounts_totals_grow",
                 "UPDATE ledger_accounts SET debits_posted = 9223372036854775807, credits_posted = -2 WHERE kind = 'listener_wallet' AND owner = 'milo'"]
            }
        }

        /// The check that must fail and words its finding must contain.
        var expected: (check: String, words: String) {
            switch self {
            case .sequenceAtMaximum: ("sequence", "expected sequence 51")
            case .playNumberZero: ("plays", "is play 0")
            case .negativePrice: ("plays", "price -5")
            case .overflowingMultiplier: ("pricing", "beyond Int64")
            case .pricingAsText: ("pricing", "wrong type")
            case .shareOutOfRange: ("pricing", "artist share")
            case .noPricingInForce: ("plays", "no pricing version was in force")
            case .accountTotalsAtExtremes: ("accountTotals", "stored debits 9223372036854775807")
            }
        }

        func apply(to fixture: LedgerFixture) throws {
            try fixture.pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
                for statement in statements { try db.execute(sql: statement) }
                try db.execute(sql: "PRAGMA ignore_check_constraints = OFF")
            }
        }
    }

    @Test("in process: the report names the damage", arguments: Damage.allCases)
    func inProcess(_ damage: Damage) async throws {
        let fixture = try await VerificationTests.populated("damaged-\(damage.rawValue)")
        try damage.apply(to: fixture)
        let report = try Ledger.verify(fixture.pool)
        #expect(!report.isIntact)
        let (check, words) = damage.expected
        #expect(report.failures.contains { $0.check.rawValue == check && $0.description.contains(words) }, "\(report)")
    }

    @Test("tutti ledger verify: exit 1, the report, and one line naming the first finding", arguments: Damage.allCases)
    func command(_ damage: Damage) async throws {
        let fixture = try await VerificationTests.populated("damaged-cli-\(damage.rawValue)")
        try damage.apply(to: fixture)
        let run = try await ThirdPartyTools.run(Fixtures.tuttiExecutable, ["ledger", "verify", "--database", fixture.path])
        #expect(run.status == 1, "exit \(run.status): \(run.stderr)")
        #expect(run.stdout.contains("BROKEN"), "\(run.stdout)")
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(run.stderr)")
        #expect(lines.first?.hasPrefix("tutti ledger verify: \(fixture.path): ") == true, "\(run.stderr)")
        let (check, words) = damage.expected
        #expect(run.stdout.contains("\(check): ") && run.stdout.contains(words), "\(run.stdout)")
    }
}
