import Foundation
import GRDB

/// One version of the pricing, in force from `effectiveFrom` until the next version's.
public struct PricingVersion: Sendable, Equatable {
    /// 1, 2, 3...; version 1 is the defaults, in force since `Date.distantPast`.
    public let version: Int
    public let effectiveFrom: Date
    public let pricing: Pricing
    /// The governance proposal that created it; nil for the defaults.
    public let proposalID: String?

    package init(version: Int, effectiveFrom: Date, pricing: Pricing, proposalID: String?) {
        self.version = version
        self.effectiveFrom = effectiveFrom
        self.pricing = pricing
        self.proposalID = proposalID
    }
}

/// All versions of a database, oldest first, read once per write transaction.
struct PricingHistory {
    private(set) var versions: [(effectiveFromMilliseconds: Int64, version: PricingVersion)]

    static func load(_ db: GRDB.Database) throws -> PricingHistory {
        // A cached statement: every group commit loads the history, and compiling the query
        // each time took about 3% of the writer's time at 64 plays per commit.
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT version, effective_from_ms, preview_seconds, base_price, multiplier, plays_to_own,
                   artist_share_bp, proposal_id
            FROM ledger_pricing_versions ORDER BY effective_from_ms
            """))
        return PricingHistory(versions: rows.map { row in
            let milliseconds: Int64 = row["effective_from_ms"]
            let pricing = Pricing(
                previewSeconds: row["preview_seconds"], basePrice: row["base_price"], multiplier: row["multiplier"],
                playsToOwn: row["plays_to_own"], artistShareBasisPoints: row["artist_share_bp"])
            return (milliseconds, PricingVersion(
                version: row["version"], effectiveFrom: Timestamp.date(milliseconds), pricing: pricing,
                proposalID: row["proposal_id"]))
        })
    }

    /// The version in force at `milliseconds`: the last one whose effective time is at or before it.
    func inForce(at milliseconds: Int64) throws(LedgerError) -> PricingVersion {
        var low = 0
        var high = versions.count
        while low < high {
            let middle = (low + high) / 2
            if versions[middle].effectiveFromMilliseconds <= milliseconds { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else {
            throw .database("no pricing version in force at \(Timestamp.date(milliseconds)); are the ledger migrations applied?")
        }
        return versions[low - 1].version
    }

    func version(_ number: Int) -> PricingVersion? {
        versions.first { $0.version.version == number }?.version
    }
}
