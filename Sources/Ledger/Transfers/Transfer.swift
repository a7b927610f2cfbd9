import Foundation

/// A booked transfer, as stored: immutable, numbered and chained to the one before it.
public struct Transfer: Sendable, Equatable, Identifiable {
    /// Position in the ledger: 1, 2, 3... without gaps.
    public let sequence: Int64
    public let id: String
    public let debit: AccountID
    public let credit: AccountID
    /// Minor units, > 0.
    public let amount: Int64
    public let code: TransferCode
    /// The id of the first transfer of the linked set this one committed with, if any.
    public let linkedGroup: String?
    public let details: TransferDetails
    /// When it was booked (millisecond precision).
    public let timestamp: Date
    /// SHA-256 of the transfer before (32 zero bytes for the first).
    public let previousHash: [UInt8]
    /// SHA-256 over `previousHash` and the canonical encoding of every other field.
    public let hash: [UInt8]
    /// Where a transfer to ``AccountID/splits`` passes its amount on: one leg per party of
    /// the split sheet with a part above zero, in sheet order. Empty for every other transfer.
    public let legs: [TransferLeg]

    /// Whether `request` asks for exactly this transfer (the idempotent-retry test).
    package func matches(_ request: TransferRequest, linkedGroup group: String?) -> Bool {
        request.id == id && request.debit == debit && request.credit == credit && request.amount == amount
            && request.code == code && request.details == details && group == linkedGroup
    }

    /// `hash` in lowercase hexadecimal.
    package init(
        sequence: Int64, id: String, debit: AccountID, credit: AccountID, amount: Int64, code: TransferCode,
        linkedGroup: String?, details: TransferDetails, timestamp: Date, previousHash: [UInt8], hash: [UInt8],
        legs: [TransferLeg] = []
    ) {
        self.sequence = sequence
        self.id = id
        self.debit = debit
        self.credit = credit
        self.amount = amount
        self.code = code
        self.linkedGroup = linkedGroup
        self.details = details
        self.timestamp = timestamp
        self.previousHash = previousHash
        self.hash = hash
        self.legs = legs
    }

    public var hashHex: String { Hex.encode(hash) }
}

/// One credit of a transfer divided among a split sheet's parties: the party at `position`
/// on the sheet gets `amount` (> 0) into `account`, its earnings.
public struct TransferLeg: Sendable, Equatable {
    public let position: Int
    public let account: AccountID
    public let amount: Int64

    package init(position: Int, account: AccountID, amount: Int64) {
        self.position = position
        self.account = account
        self.amount = amount
    }
}

package enum Hex {
    package static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
