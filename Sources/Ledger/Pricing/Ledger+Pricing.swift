import Foundation
import GRDB

extension Ledger {
    /// The pricing version in force at `instant`: the last one whose effective time is at
    /// or before it.
    public func pricing(at instant: Date) throws(LedgerError) -> PricingVersion {
        let milliseconds = try Timestamp.milliseconds(instant)
        return try read { db in try PricingHistory.load(db).inForce(at: milliseconds) }
    }

    /// Every pricing version, oldest first.
    public func pricingVersions() throws(LedgerError) -> [PricingVersion] {
        try read { db in try PricingHistory.load(db).versions.map(\.version) }
    }

    /// Adds the next pricing version, in force from `effectiveFrom` (for plays at or after
    /// it), e.g. when a governance proposal passes.
    ///
    /// Idempotent per proposal: the same `proposalID` with the same values returns the
    /// version it created; with other values it throws
    /// ``LedgerError/conflictingPricingProposal(proposalID:)``.
    ///
    /// - Throws: ``LedgerError/invalidPricing(_:)`` if `pricing` fails ``Pricing/validate()``,
    ///   if `effectiveFrom` is not strictly after the latest version's, or if a play was
    ///   already charged at or after `effectiveFrom` (history would no longer match the
    ///   version in force at each play's time).
    @discardableResult
    public func addPricingVersion(_ pricing: Pricing, effectiveFrom: Date, proposalID: String? = nil) throws(LedgerError) -> PricingVersion {
        try pricing.validate()
        if let proposalID { try Identifiers.check(proposalID, "proposal id") }
        let effective = try Timestamp.milliseconds(effectiveFrom)
        return try write { transaction in
            let history = try transaction.pricing()
            if let proposalID, let existing = history.versions.first(where: { $0.version.proposalID == proposalID })?.version {
                guard existing.pricing == pricing, existing.effectiveFrom == Timestamp.date(effective) else {
                    throw LedgerError.conflictingPricingProposal(proposalID: proposalID)
                }
                return existing
            }
            guard let latest = history.versions.last else { throw LedgerError.database("no pricing version 1; are the ledger migrations applied?") }
            guard effective > latest.effectiveFromMilliseconds else {
                throw LedgerError.invalidPricing(
                    "effective time \(effectiveFrom) is not after version \(latest.version.version)'s (\(latest.version.effectiveFrom))")
            }
            let db = transaction.db
            if let lastPlay = try Int64.fetchOne(db, sql: "SELECT max(played_at_ms) FROM ledger_plays"), lastPlay >= effective {
                throw LedgerError.invalidPricing(
                    "effective time \(effectiveFrom) is not after the latest charged play (\(Timestamp.date(lastPlay)))")
            }
            let number = latest.version.version + 1
            try db.execute(
                sql: """
                    INSERT INTO ledger_pricing_versions (version, effective_from_ms, preview_seconds, base_price, multiplier,
                        plays_to_own, artist_share_bp, proposal_id, created_at_ms)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [number, effective, pricing.previewSeconds, pricing.basePrice, pricing.multiplier,
                            pricing.playsToOwn, pricing.artistShareBasisPoints, proposalID, transaction.now])
            return PricingVersion(version: number, effectiveFrom: Timestamp.date(effective), pricing: pricing, proposalID: proposalID)
        }
    }
}
