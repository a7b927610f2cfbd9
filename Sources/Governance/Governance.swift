import Foundation
import GRDB
import Ledger
import Synchronization

/// The cooperative's artist-governed pricing: members, proposals, votes and tallies.
///
/// Lives in tables prefixed `governance_` of the service's one database (add
/// ``registerMigrations(_:)`` after the catalog's and the ledger's). A passed proposal
/// becomes the ledger's next pricing version, effective at its close, through
/// `Ledger.addPricingVersion(_:effectiveFrom:proposalID:)`.
///
/// Calls are synchronous: they block the calling thread while SQLite commits, so a server
/// runs them on a thread pool. Closing is serialised inside this object; ``isCloseDue(at:)``
/// is a cheap in-memory check a caller can make before every play.
public final class Governance: Sendable {
    package let database: any DatabaseWriter
    public let ledger: Ledger
    public let rules: GovernanceRules
    let clock: @Sendable () -> Date
    /// Held while closing, and while opening a proposal (so the cached next closing time
    /// never misses a proposal that opened during a close).
    let closingLock = Mutex<Void>(())
    /// The earliest closing time of a proposal not yet tallied, in milliseconds; `Int64.max`
    /// when there is none.
    let nextClosing = Atomic<Int64>(Int64.max)

    /// - Parameters:
    ///   - ledger: The ledger over the same database; pricing versions are added to it.
    ///   - clock: Opening, voting and closing times; tests pass a clock they control.
    public init(ledger: Ledger, rules: GovernanceRules = .standard, clock: @escaping @Sendable () -> Date = { Date() }) throws(GovernanceError) {
        try rules.validate()
        self.database = ledger.database
        self.ledger = ledger
        self.rules = rules
        self.clock = clock
        do {
            try database.read { db in
                guard try db.tableExists("governance_proposals") else {
                    throw GovernanceError.database("the governance tables are missing: add Governance.registerMigrations to the migrator")
                }
            }
        } catch {
            throw GovernanceError(wrapping: error)
        }
        try refreshNextClosing()
    }

    /// Adds governance's migrations (named `governance-...`, tables `governance_...`).
    package static func registerMigrations(_ migrator: inout DatabaseMigrator) {
        GovernanceSchema.register(&migrator)
    }

    func now() throws(GovernanceError) -> Int64 {
        try Timestamp.milliseconds(clock())
    }

    func read<T>(_ body: (Database) throws -> T) throws(GovernanceError) -> T {
        do { return try database.read(body) } catch { throw GovernanceError(wrapping: error) }
    }

    func write<T>(_ body: (Database) throws -> T) throws(GovernanceError) -> T {
        do { return try database.write(body) } catch { throw GovernanceError(wrapping: error) }
    }
}
