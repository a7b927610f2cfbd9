import Foundation

/// What the ledger's writer has learned from the database and may use again in later
/// transactions, so that a group commit of plays does not look up, for each play, what the
/// commit before it already found: the row ids of accounts, the split sheets' terms, the
/// moments sheets took effect and which artists' plays each sheet has divided.
///
/// Only what cannot change once committed is kept: an account's row id (accounts are never
/// deleted, their identity never changes), a sheet's terms and its artists (append-only) and the
/// activations, which only grow: they are kept with the number of activations they were
/// read at, and a transaction that counts another number reads them again (another process
/// may have answered a sheet). What a transaction learned is added only after it committed,
/// so an account created in a transaction that rolled back is never named.
///
/// A transaction reads the memory's dictionaries as they were when it began and keeps what
/// it learns apart (``LedgerTransaction``); it lets go of the former before handing the
/// latter over, so adding to the memory never copies it.
final class WriterMemory: @unchecked Sendable {
    typealias Activations = [SplitScope: [(from: Int64, sheetID: Int64)]]

    struct Contents {
        var accountRowIDs: [AccountID: Int64] = [:]
        var splitTerms: [Int64: SplitTerms] = [:]
        /// The activations of the scopes looked up so far, read when there were `count`.
        var activations: (count: Int64, byScope: Activations) = (0, [:])
        /// Sheets known to have divided plays of an artist (``SheetArtist``).
        var sheetArtists: Set<SheetArtist> = []
    }

    private let lock = NSLock()
    private var contents = Contents()

    /// Beyond these many entries, a kind of entry is forgotten and learned again.
    static let maximumAccounts = 200_000
    static let maximumSheets = 50_000
    static let maximumScopes = 200_000
    static let maximumSheetArtists = 200_000

    func recall() -> Contents {
        lock.withLock { contents }
    }

    /// Adds what a committed transaction learned: accounts, sheets' terms, and activations of
    /// scopes read at `activations.count` (those read at another count replace the others).
    func remember(_ learned: Contents) {
        lock.withLock {
            Self.add(learned.accountRowIDs, to: &contents.accountRowIDs, maximum: Self.maximumAccounts)
            Self.add(learned.splitTerms, to: &contents.splitTerms, maximum: Self.maximumSheets)
            if learned.activations.count != contents.activations.count { contents.activations = (learned.activations.count, [:]) }
            Self.add(learned.activations.byScope, to: &contents.activations.byScope, maximum: Self.maximumScopes)
            if !learned.sheetArtists.isEmpty {
                if contents.sheetArtists.count + learned.sheetArtists.count > Self.maximumSheetArtists { contents.sheetArtists = [] }
                contents.sheetArtists.formUnion(learned.sheetArtists)
            }
        }
    }

    private static func add<Key, Value>(_ learned: [Key: Value], to known: inout [Key: Value], maximum: Int) {
        guard !learned.isEmpty else { return }
        if known.count + learned.count > maximum { known = [:] }
        known.merge(learned) { _, new in new }
    }
}
