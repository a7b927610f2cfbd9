import Foundation

/// What the ledger's writer has learned from the database and may use again in later
/// transactions, so that a group commit of plays does not look up, for each play, what the
/// commit before it already found: the row ids of accounts, the split sheets' terms and the
/// moments sheets took effect.
///
/// Only what cannot change once committed is kept: an account's row id (accounts are never
/// deleted, their identity never changes), a sheet's terms (sheets are append-only) and the
/// activations, which only grow: they are kept with the number of activations they were
/// read at, and a transaction that counts another number reads them again (another process
/// may have answered a sheet). Row ids are remembered only after the transaction that found
/// them committed, so an account created in a transaction that rolled back is never named.
final class WriterMemory: @unchecked Sendable {
    private let lock = NSLock()
    private var accountRowIDs: [AccountID: Int64] = [:]
    private var splitTerms: [Int64: SplitTerms] = [:]
    private var activations: (count: Int64, byScope: [SplitScope: [(from: Int64, sheetID: Int64)]])?

    /// Beyond this many, remembered accounts are forgotten and learned again.
    static let maximumAccounts = 200_000
    static let maximumSheets = 50_000

    struct Recalled {
        var accountRowIDs: [AccountID: Int64]
        var splitTerms: [Int64: SplitTerms]
    }

    func recall() -> Recalled {
        lock.withLock { Recalled(accountRowIDs: accountRowIDs, splitTerms: splitTerms) }
    }

    /// The activations read when there were `count`, if that is what the memory holds.
    func activations(count: Int64) -> [SplitScope: [(from: Int64, sheetID: Int64)]]? {
        lock.withLock { activations?.count == count ? activations?.byScope : nil }
    }

    /// Keeps what a committed transaction learned.
    func remember(accountRowIDs learned: [AccountID: Int64], splitTerms terms: [Int64: SplitTerms],
                  activations read: (count: Int64, byScope: [SplitScope: [(from: Int64, sheetID: Int64)]])?) {
        lock.withLock {
            if accountRowIDs.count + learned.count > Self.maximumAccounts { accountRowIDs = [:] }
            accountRowIDs.merge(learned) { _, new in new }
            if splitTerms.count + terms.count > Self.maximumSheets { splitTerms = [:] }
            splitTerms.merge(terms) { _, new in new }
            if let read { activations = read }
        }
    }
}
