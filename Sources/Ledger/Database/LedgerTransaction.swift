import Foundation
import GRDB

/// One write transaction of the ledger: the connection, the booking time, and what it has
/// learned so far (the chain head, account row ids, the pricing history).
///
/// Postings to account totals are gathered and written by ``finish()`` at the end of the
/// transaction, one UPDATE per account: a group commit of a thousand plays updates the
/// treasury once, not a thousand times. ``account(_:create:)`` includes them.
///
/// Work that may fail on its own (one play of a group commit) runs in ``savepoint(_:)``,
/// which rolls back both the database and this state.
final class LedgerTransaction {
    let db: Database
    /// Booking time of every transfer in this transaction, in milliseconds.
    let now: Int64
    private var head: ChainHead?
    /// Row ids of accounts found or created in this transaction.
    private(set) var accountRowIDs: [AccountID: Int64] = [:]
    /// What earlier committed transactions of the writer learned (``WriterMemory``); read
    /// only: what this transaction learns is kept apart, in the properties above and in
    /// ``splitSheets``.
    private(set) var remembered = WriterMemory.Contents()
    private var pricingHistory: PricingHistory?
    /// Split sheets looked up by this transaction's plays (see ``splitTerms(track:release:at:)``).
    var splitSheets = SplitSheetCache()
    /// Debits and credits posted in this transaction and not yet written, by account row id.
    private var postings: [Int64: (debits: Int64, credits: Int64)] = [:]
    /// Listener wallets' newest plays (`ledger_accounts.last_play`) at this point of the
    /// transaction, by account row id, for the accounts read so far (nil: no play yet).
    private var lastPlays: [Int64: Int64?] = [:]
    /// The wallets' newest plays recorded in this transaction and not yet written; written
    /// with the postings by ``finish()``.
    private var movedLastPlays: [Int64: Int64] = [:]
    private var finished = false
    /// Whether any listener has a spending limit, once this transaction has looked (see
    /// ``spendingLimitRefusal(listener:amount:at:)``).
    var spendingLimitsExist: Bool?
    private var statements = [Statement?](repeating: nil, count: LedgerStatement.allCases.count)
    private var rawStatements = [RawStatement?](repeating: nil, count: LedgerStatement.allCases.count)

    struct ChainHead {
        var sequence: Int64
        var hash: [UInt8]
    }

    /// An account's row id and posted totals at this point of the transaction.
    struct AccountState {
        let rowID: Int64
        var debits: Int64
        var credits: Int64
        var balance: Int64 { credits - debits }
    }

    /// - Parameter memory: what earlier transactions of the writer learned; nil to look
    ///   everything up.
    init(_ db: Database, now: Int64, memory: WriterMemory? = nil) {
        self.db = db
        self.now = now
        self.memory = memory
        if let memory { remembered = memory.recall() }
    }

    let memory: WriterMemory?

    /// Hands what this transaction learned to the writer's memory: call once it committed.
    func remember() {
        guard let memory else { return }
        let learned = WriterMemory.Contents(
            accountRowIDs: accountRowIDs, splitTerms: splitSheets.terms,
            // A transaction that never counted the activations read none: it leaves them be.
            activations: (splitSheets.activationCount ?? remembered.activations.count, splitSheets.activations),
            sheetArtists: splitSheets.artists)
        // Let go of the memory's dictionaries first: adding to them must not copy them.
        remembered = WriterMemory.Contents()
        memory.remember(learned)
    }

    /// The row id of `account` if this transaction or an earlier committed one knows it.
    private func knownRowID(_ account: AccountID) -> Int64? {
        accountRowIDs[account] ?? remembered.accountRowIDs[account] ?? LedgerSchema.singletonAccountIDs[account.kind]
    }

    /// One of the ledger's statements, ready to run.
    func statement(_ which: LedgerStatement) throws -> Statement {
        if let statement = statements[which.rawValue] { return statement }
        let statement = try db.cachedStatement(sql: which.sql)
        statements[which.rawValue] = statement
        return statement
    }

    /// One of the ledger's statements, to bind and step through the SQLite C API: see
    /// ``RawStatement``.
    func raw(_ which: LedgerStatement) throws -> RawStatement {
        if let raw = rawStatements[which.rawValue] { return raw }
        let raw = try RawStatement(statement(which), in: db)
        rawStatements[which.rawValue] = raw
        return raw
    }

    /// Runs `body` in a savepoint; if it throws, its changes and what this object learned
    /// meanwhile are undone and the error is rethrown.
    ///
    /// Uses cached statements (GRDB's `inSavepoint` compiles its SQL on every call, which
    /// shows when a group commit runs thousands of savepoints a second).
    func savepoint<T>(_ body: () throws -> T) throws -> T {
        let savedHead = head
        let savedPostings = postings
        let savedLastPlays = (lastPlays, movedLastPlays)
        try statement(.savepoint).execute()
        do {
            let result = try body()
            try statement(.releaseSavepoint).execute()
            return result
        } catch {
            head = savedHead
            postings = savedPostings
            (lastPlays, movedLastPlays) = savedLastPlays
            accountRowIDs = [:]  // rows created in the savepoint are gone
            splitSheets.artists = []
            // If SQLite already rolled the whole transaction back these fail, and so will the commit.
            try? statement(.rollbackSavepoint).execute()
            try? statement(.releaseSavepoint).execute()
            throw error
        }
    }

    func pricing() throws -> PricingHistory {
        if let pricingHistory { return pricingHistory }
        let loaded = try PricingHistory.load(db)
        pricingHistory = loaded
        return loaded
    }

    func chainHead() throws -> ChainHead {
        if let head { return head }
        let row = try Row.fetchOne(statement(.chainHead))
        let loaded = row.map { ChainHead(sequence: $0["sequence"], hash: [UInt8]($0["hash"] as Data)) }
            ?? ChainHead(sequence: 0, hash: TransferHash.genesis)
        head = loaded
        return loaded
    }

    // MARK: Accounts

    /// The account's state (stored totals plus this transaction's postings), creating the
    /// account (with zero totals) if `create` and missing.
    func account(_ account: AccountID, create: Bool) throws -> AccountState? {
        let stored: AccountState
        if let rowID = knownRowID(account) {
            let select = try raw(.accountTotalsByRowID)
            select.bind(rowID, at: 1)
            guard try select.step() else { throw LedgerError.database("ledger account \(account) (row \(rowID)) is missing") }
            stored = AccountState(rowID: rowID, debits: select.int64(at: 0), credits: select.int64(at: 1))
            learnLastPlay(select.optionalInt64(at: 2), of: rowID)
            select.reset()
        } else {
            let select = try raw(.accountByOwner)
            select.bind(account.kind.rawValue, at: 1)
            select.bind(account.owner, at: 2)
            if try select.step() {
                stored = AccountState(rowID: select.int64(at: 0), debits: select.int64(at: 1), credits: select.int64(at: 2))
                learnLastPlay(select.optionalInt64(at: 3), of: stored.rowID)
                select.reset()
                accountRowIDs[account] = stored.rowID
            } else if create {
                return AccountState(rowID: try createAccount(account), debits: 0, credits: 0)
            } else {
                return nil
            }
        }
        guard let pending = postings[stored.rowID] else { return stored }
        let debits = stored.debits.addingReportingOverflow(pending.debits)
        let credits = stored.credits.addingReportingOverflow(pending.credits)
        guard !debits.overflow, !credits.overflow else { throw LedgerError.overflow(account: account) }
        return AccountState(rowID: stored.rowID, debits: debits.partialValue, credits: credits.partialValue)
    }

    /// The account's row id, creating the account if missing, without reading its totals.
    func accountRowID(_ account: AccountID) throws -> Int64 {
        if let rowID = knownRowID(account) { return rowID }
        let select = try raw(.accountRowIDByOwner)
        select.bind(account.kind.rawValue, at: 1)
        select.bind(account.owner, at: 2)
        if try select.step() {
            let rowID = select.int64(at: 0)
            select.reset()
            accountRowIDs[account] = rowID
            return rowID
        }
        return try createAccount(account)
    }

    private func createAccount(_ account: AccountID) throws -> Int64 {
        let insert = try raw(.insertAccount)
        insert.bind(account.kind.rawValue, at: 1)
        insert.bind(account.owner, at: 2)
        insert.bind(account.kind.debitsMustNotExceedCredits, at: 3)
        insert.bind(now, at: 4)
        try insert.step()
        let rowID = insert.lastInsertedRowID
        accountRowIDs[account] = rowID
        lastPlays.updateValue(nil, forKey: rowID)
        return rowID
    }

    // MARK: Listeners' chains of plays

    /// Keeps the stored newest play of an account just read, unless this transaction knows a
    /// later one.
    private func learnLastPlay(_ stored: Int64?, of rowID: Int64) {
        if lastPlays[rowID] == nil { lastPlays.updateValue(stored, forKey: rowID) }
    }

    /// The newest play of the listener whose wallet is account row `rowID`, as of this point
    /// of the transaction (nil if none): the previous play of the next one recorded.
    func lastPlay(wallet rowID: Int64) throws -> Int64? {
        if let known = lastPlays[rowID] { return known }
        let select = try raw(.accountTotalsByRowID)
        select.bind(rowID, at: 1)
        guard try select.step() else { throw LedgerError.database("ledger account row \(rowID) is missing") }
        let stored = select.optionalInt64(at: 2)
        select.reset()
        lastPlays.updateValue(stored, forKey: rowID)
        return stored
    }

    /// Makes play `sequence` the newest of the wallet's listener; written by ``finish()``.
    func moveLastPlay(to sequence: Int64, wallet rowID: Int64) {
        lastPlays.updateValue(sequence, forKey: rowID)
        movedLastPlays[rowID] = sequence
    }

    // MARK: Transfers

    /// The stored transfer with this id, if any.
    func transfer(id: String) throws -> Transfer? {
        let row = try Row.fetchOne(statement(.transferByID), arguments: [id])
        return try row.map { try TransferRow.decode($0, db) }
    }

    /// Books `requests` as one linked set, in order, all or nothing.
    ///
    /// A set whose ids are all stored with identical fields returns the stored transfers and
    /// changes nothing; any other reuse of a stored id is a conflict.
    /// Throws ``LedgerError/insufficientFunds(account:needed:available:)`` if any transfer
    /// would take a flagged account below zero, counting the earlier transfers of the set.
    @discardableResult
    func book(_ requests: [TransferRequest]) throws -> [Transfer] {
        guard !requests.isEmpty else { return [] }
        let group = requests.count > 1 ? requests[0].id : nil
        guard Set(requests.map(\.id)).count == requests.count else {
            throw LedgerError.invalidRequest("a linked set uses the same transfer id twice")
        }
        let stored = try requests.map { try transfer(id: $0.id) }
        if let first = stored.firstIndex(where: { $0 != nil }) {
            for (request, existing) in zip(requests, stored) {
                guard let existing, existing.matches(request, linkedGroup: group) else {
                    throw LedgerError.conflictingRetry(transferID: existing == nil ? requests[first].id : request.id)
                }
            }
            return stored.compactMap { $0 }
        }

        // Apply the set to the accounts' totals in memory first: refuse before writing.
        var states: [AccountID: AccountState] = [:]
        for request in requests {
            for account in [request.debit, request.credit] where states[account] == nil {
                states[account] = try self.account(account, create: true)
            }
        }
        var totals = states.mapValues { PostedTotals(debits: $0.debits, credits: $0.credits) }
        try TransferRequest.apply(requests, to: &totals)

        let appendable = try requests.map { request in
            guard let debit = states[request.debit], let credit = states[request.credit] else {
                throw LedgerError.database("accounts of '\(request.id)' were not loaded")
            }
            return Appendable(request: request, debitRowID: debit.rowID, creditRowID: credit.rowID, linkedGroup: group)
        }
        let booked = try append(appendable)
        for transfer in appendable {
            post(debits: transfer.request.amount, to: transfer.debitRowID)
            post(credits: transfer.request.amount, to: transfer.creditRowID)
        }
        try markWallets(booked, appendable)
        return booked
    }

    /// Records, for each transfer other than a play charge into or out of a listener's wallet,
    /// the wallet's newest play at that point (``LedgerSchema``'s `ledger_wallet_play_marks`):
    /// a history page whose cursor is that transfer starts in the listener's chain of plays
    /// there.
    private func markWallets(_ booked: [Transfer], _ appendable: [Appendable]) throws {
        for (transfer, rows) in zip(booked, appendable) where !transfer.code.isPlayCharge {
            for (account, rowID) in [(transfer.debit, rows.debitRowID), (transfer.credit, rows.creditRowID)]
            where account.kind == .listenerWallet {
                let insert = try raw(.insertWalletMark)
                insert.bind(transfer.sequence, at: 1)
                insert.bind(rowID, at: 2)
                insert.bind(try lastPlay(wallet: rowID), at: 3)
                try insert.step()
            }
        }
    }

    /// Adds to an account's posted debits; written by ``finish()`` before this transaction
    /// commits.
    func post(debits amount: Int64, to rowID: Int64) {
        postings[rowID, default: (0, 0)].debits += amount
    }

    /// Adds to an account's posted credits: see ``post(debits:to:)``.
    func post(credits amount: Int64, to rowID: Int64) {
        postings[rowID, default: (0, 0)].credits += amount
    }

    /// Writes the postings to the accounts' totals, one UPDATE per account. Must run before
    /// the transaction commits; the accounts' CHECK constraints refuse an overdraft or an
    /// overflow (which the ledger has already refused itself) and fail the whole commit.
    func finish() throws {
        precondition(!finished, "a ledger transaction finishes once")
        finished = true
        let update = try raw(.postTotals)
        for rowID in Set(postings.keys).union(movedLastPlays.keys).sorted() {
            let posting = postings[rowID] ?? (0, 0)
            update.bind(posting.debits, at: 1)
            update.bind(posting.credits, at: 2)
            update.bind(movedLastPlays[rowID], at: 3)
            update.bind(rowID, at: 4)
            try update.step()
            guard update.changes == 1 else { throw LedgerError.database("ledger account row \(rowID) is missing") }
        }
        postings = [:]
        movedLastPlays = [:]
    }

    /// A transfer ready to append: the request, its accounts' row ids, its linked set, and
    /// the legs of a transfer divided among a split sheet's parties.
    struct Appendable {
        let request: TransferRequest
        let debitRowID: Int64
        let creditRowID: Int64
        let linkedGroup: String?
        var legs: [Leg] = []
    }

    /// A leg to append with its transfer: the party's position, account and its row id.
    struct Leg {
        let leg: TransferLeg
        let accountRowID: Int64
    }

    /// Appends transfers at the head of the chain, in order, in one INSERT for up to two (a
    /// play's parts) and one each beyond, and returns them as stored. The caller has checked
    /// the accounts and posts the amounts to them in this transaction.
    @discardableResult
    func append(_ transfers: [Appendable]) throws -> [Transfer] {
        var booked: [Transfer] = []
        booked.reserveCapacity(transfers.count)
        try appendRows(transfers) { transfer, sequence, previousHash, hash in
            let request = transfer.request
            booked.append(Transfer(
                sequence: sequence, id: request.id, debit: request.debit, credit: request.credit,
                amount: request.amount, code: request.code, linkedGroup: transfer.linkedGroup, details: request.details,
                timestamp: Timestamp.date(now), previousHash: previousHash, hash: hash, legs: transfer.legs.map(\.leg)))
        }
        return booked
    }

    /// ``append(_:)`` without building the stored transfers (a play's parts, whose caller
    /// returns the play instead).
    func appendWithoutResult(_ transfers: [Appendable]) throws {
        try appendRows(transfers) { _, _, _, _ in }
    }

    /// Hashes and inserts `transfers` at the head of the chain; `booked` sees each one's
    /// sequence, previous hash and hash. The chain head moves only once all are inserted.
    private func appendRows(
        _ transfers: [Appendable], booked: (Appendable, Int64, [UInt8], [UInt8]) -> Void
    ) throws {
        var head = try chainHead()
        let pairs = transfers.count == 2
        for (index, transfer) in transfers.enumerated() {
            let request = transfer.request
            let fields = HashedFields(
                sequence: head.sequence + 1, id: request.id, debit: request.debit, credit: request.credit,
                amount: request.amount, code: request.code.rawValue, linkedGroup: transfer.linkedGroup,
                details: request.details, timestampMilliseconds: now, legs: transfer.legs.map(\.leg))
            let hash = TransferHash.compute(previous: head.hash, fields)
            let insert = try raw(pairs ? .insertTwoTransfers : .insertTransfer)
            // 16 parameters per row; the second row of a pair starts at 17.
            let first: Int32 = pairs && index == 1 ? 16 : 0
            let details = request.details
            insert.bind(fields.sequence, at: first + 1)
            insert.bind(request.id, at: first + 2)
            insert.bind(transfer.debitRowID, at: first + 3)
            insert.bind(transfer.creditRowID, at: first + 4)
            insert.bind(request.amount, at: first + 5)
            insert.bind(request.code.rawValue, at: first + 6)
            insert.bind(transfer.linkedGroup, at: first + 7)
            insert.bind(details.trackID, at: first + 8)
            insert.bind(details.playID, at: first + 9)
            insert.bind(details.pricingVersion.map(Int64.init), at: first + 10)
            insert.bind(details.reference, at: first + 11)
            insert.bind(details.actor, at: first + 12)
            insert.bind(details.note, at: first + 13)
            insert.bind(now, at: first + 14)
            insert.bind(blob: head.hash, at: first + 15)
            insert.bind(blob: hash, at: first + 16)
            booked(transfer, fields.sequence, head.hash, hash)
            head = ChainHead(sequence: fields.sequence, hash: hash)
            if !pairs || index == 1 {
                try insert.step()
            }
        }
        // After their transfers' rows, which they reference.
        var sequence = head.sequence - Int64(transfers.count)
        for transfer in transfers {
            sequence += 1
            if !transfer.legs.isEmpty { try insertLegs(transfer.legs, of: sequence) }
        }
        self.head = head
    }

    /// Inserts a transfer's legs, a row each. (One statement of several rows is no faster:
    /// SQLite runs its VALUES as a subroutine and keeps a statement journal for it.)
    private func insertLegs(_ legs: [Leg], of sequence: Int64) throws {
        let insert = try raw(.insertLeg)
        for leg in legs {
            insert.bind(sequence, at: 1)
            insert.bind(Int64(leg.leg.position), at: 2)
            insert.bind(leg.accountRowID, at: 3)
            insert.bind(leg.leg.amount, at: 4)
            try insert.step()
        }
    }
}

/// Reading stored transfers back, with their accounts' kinds and owners.
package enum TransferRow {
    /// Stored transfers with their accounts' kinds and owners; the same SQL on every backend.
    package static let select = """
        SELECT t.sequence, t.id, t.amount, t.code, t.linked_group, t.track_id, t.play_id, t.pricing_version,
               t.reference, t.actor, t.note, t.created_at_ms, t.previous_hash, t.hash,
               d.kind AS debit_kind, d.owner AS debit_owner, c.kind AS credit_kind, c.owner AS credit_owner
        FROM ledger_transfers t
        JOIN ledger_accounts d ON d.id = t.debit_account_id
        JOIN ledger_accounts c ON c.id = t.credit_account_id
        """

    /// A stored transfer, with its legs if it was divided among a split sheet's parties.
    static func decode(_ row: Row, _ db: Database) throws -> Transfer {
        let transfer = try decode(row)
        guard transfer.credit == .splits else { return transfer }
        return Transfer(
            sequence: transfer.sequence, id: transfer.id, debit: transfer.debit, credit: transfer.credit, amount: transfer.amount,
            code: transfer.code, linkedGroup: transfer.linkedGroup, details: transfer.details, timestamp: transfer.timestamp,
            previousHash: transfer.previousHash, hash: transfer.hash, legs: try legs(of: transfer.sequence, db))
    }

    /// The legs of the transfer at `sequence`, in order.
    static func legs(of sequence: Int64, _ db: Database) throws -> [TransferLeg] {
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT l.position, l.amount, a.kind, a.owner FROM ledger_transfer_legs l JOIN ledger_accounts a ON a.id = l.account_id
            WHERE l.transfer_sequence = ? ORDER BY l.position
            """), arguments: [sequence])
        return try rows.map { row in
            guard let account = AccountID(kind: row[2], owner: row[3]) else {
                throw LedgerError.database("a leg of transfer #\(sequence) names an unknown account kind")
            }
            return TransferLeg(position: row[0], account: account, amount: row[1])
        }
    }

    /// A stored transfer without its legs (see ``decode(_:_:)``).
    static func decode(_ row: Row) throws -> Transfer {
        let id: String = row["id"]
        guard let debit = AccountID(kind: row["debit_kind"], owner: row["debit_owner"]),
              let credit = AccountID(kind: row["credit_kind"], owner: row["credit_owner"]),
              let code = TransferCode(rawValue: row["code"])
        else { throw LedgerError.database("transfer '\(id)' has an unknown account kind or code") }
        return Transfer(
            sequence: row["sequence"], id: id, debit: debit, credit: credit, amount: row["amount"], code: code,
            linkedGroup: row["linked_group"],
            details: TransferDetails(
                trackID: row["track_id"], playID: row["play_id"], pricingVersion: row["pricing_version"],
                reference: row["reference"], actor: row["actor"], note: row["note"]),
            timestamp: Timestamp.date(row["created_at_ms"]),
            previousHash: [UInt8](row["previous_hash"] as Data), hash: [UInt8](row["hash"] as Data))
    }
}
