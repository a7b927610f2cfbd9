/// What ``Ledger/verify(_:anchors:)`` found.
public struct VerificationReport: Sendable, Equatable, CustomStringConvertible {
    /// The invariants verify checks.
    public enum Check: String, Sendable, Equatable {
        /// Total debits equal total credits, over transfers and over accounts.
        case totals
        /// Each account's stored totals equal the sums of its transfers.
        case accountTotals
        /// No wallet or earnings account is, or ever was, below zero.
        case negativeBalance
        /// Each transfer's hash matches its fields and the hash before it.
        case hashChain
        /// Sequences run 1, 2, 3... without gaps.
        case sequence
        /// Accounts and transfers are well formed (kinds, flags, codes, types).
        case records
        /// Each play's price, split, version and transfers agree with the pricing and the chain.
        case plays
        /// Each pricing version is well formed and chargeable (see ``Pricing/validate()``).
        case pricing
        /// The chain matches the hashes recorded elsewhere (anchors).
        case anchor
        /// Each split sheet is a whole, took effect only with every party's acceptance, and
        /// each play under a sheet has the rule's parts of its artist part for that sheet.
        case splits
    }

    /// One broken invariant, at the first place it shows.
    public struct Failure: Sendable, Equatable, CustomStringConvertible {
        public let check: Check
        /// The broken transfer, if the failure is about one.
        public let sequence: Int64?
        public let transferID: String?
        /// The broken account, if the failure is about one.
        public let account: AccountID?
        /// The broken play, if the failure is about one.
        public let playID: String?
        public let detail: String

        /// One line naming what is broken and how.
        public var description: String {
            var subject = ""
            if let sequence { subject = "transfer #\(sequence)" + (transferID.map { " '\($0)'" } ?? "") + ": " }
            else if let account { subject = "account \(account): " }
            else if let playID { subject = "play '\(playID)': " }
            return "\(check.rawValue): \(subject)\(detail)"
        }
    }

    public package(set) var transfers = 0
    public package(set) var accounts = 0
    public package(set) var plays = 0
    /// Sum of all transfer amounts, in minor units: what was debited, and credited, in all.
    public package(set) var totalAmount: Int64 = 0
    /// The last transfer's sequence and hash (hex): publish them to anchor the chain.
    public package(set) var headSequence: Int64 = 0
    public package(set) var headHash: String?
    /// Every failure found, in the order found (at most ``maximumFailures``).
    public package(set) var failures: [Failure] = []

    package init() {}

    /// Failures kept: after the first few, the rest adds little.
    public static let maximumFailures = 100

    public var isIntact: Bool { failures.isEmpty }

    /// The failure at the lowest transfer sequence, or the first failure if none names a transfer.
    public var firstFailure: Failure? {
        failures.filter { $0.sequence != nil }.min { ($0.sequence ?? 0) < ($1.sequence ?? 0) } ?? failures.first
    }

    package mutating func fail(_ check: Check, sequence: Int64? = nil, transferID: String? = nil, account: AccountID? = nil,
                       playID: String? = nil, _ detail: String) {
        guard failures.count < Self.maximumFailures else { return }
        failures.append(Failure(check: check, sequence: sequence, transferID: transferID, account: account, playID: playID, detail: detail))
    }

    public var description: String {
        var lines = [
            "transfers: \(transfers)",
            "accounts:  \(accounts)",
            "plays:     \(plays)",
            "moved:     \(totalAmount) units (\(Money.format(totalAmount)) credits)",
            "head:      #\(headSequence) \(headHash ?? "-")",
        ]
        if isIntact {
            lines.append("intact: totals balance, accounts match their transfers, no account below zero, hash chain and sequence unbroken, plays match, pricing valid, splits follow their sheets")
        } else {
            lines.append("BROKEN: \(failures.count)\(failures.count == Self.maximumFailures ? "+" : "") problem(s)")
            lines += failures.map { "  \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}

/// A transfer hash recorded outside the database (published, printed, mailed), which a
/// verification must find unchanged. Without anchors an attacker who rewrites history
/// and recomputes every later hash goes unnoticed: the chain has no secret.
public struct ChainAnchor: Sendable, Equatable {
    public let sequence: Int64
    /// Lowercase hex SHA-256.
    public let hash: String

    public init(sequence: Int64, hash: String) {
        self.sequence = sequence
        self.hash = hash.lowercased()
    }
}
