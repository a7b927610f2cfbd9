import Crypto

/// The fields of a transfer that its hash covers, in their stored form.
package struct HashedFields {
    package var sequence: Int64
    package var id: String
    package var debit: AccountID
    package var credit: AccountID
    package var amount: Int64
    package var code: String
    package var linkedGroup: String?
    package var details: TransferDetails
    /// Milliseconds since 1970-01-01T00:00:00Z.
    package var timestampMilliseconds: Int64
    /// A divided transfer's legs, in order (see ``TransferLeg``); empty for any other.
    package var legs: [TransferLeg]

    package init(
        sequence: Int64, id: String, debit: AccountID, credit: AccountID, amount: Int64, code: String, linkedGroup: String?,
        details: TransferDetails, timestampMilliseconds: Int64, legs: [TransferLeg] = []
    ) {
        self.sequence = sequence
        self.id = id
        self.debit = debit
        self.credit = credit
        self.amount = amount
        self.code = code
        self.linkedGroup = linkedGroup
        self.details = details
        self.timestampMilliseconds = timestampMilliseconds
        self.legs = legs
    }
}

/// The hash chain: `hash = SHA-256(previousHash ‖ canonical encoding of the fields)`.
///
/// The encoding is unambiguous: a version tag, then every field in a fixed order, each
/// with a type byte; strings carry their UTF-8 length (4 bytes, big-endian) before their
/// bytes; integers are 8 bytes big-endian; an absent optional is one 0 byte. A divided
/// transfer's legs follow the timestamp: a 3 byte, their count (4 bytes, big-endian), then
/// each leg's position, account kind, owner and amount; a transfer without legs ends at the
/// timestamp, as every transfer did before legs existed. So no two different transfers
/// encode to the same bytes, whatever their text contains.
package enum TransferHash {
    package static let genesis = [UInt8](repeating: 0, count: 32)
    static let formatTag = "tutti.ledger.transfer.v1"

    package static func compute(previous: [UInt8], _ fields: HashedFields) -> [UInt8] {
        var encoder = CanonicalEncoder()
        encoder.string(formatTag)
        encoder.int(fields.sequence)
        encoder.string(fields.id)
        encoder.string(fields.debit.kind.rawValue)
        encoder.string(fields.debit.owner)
        encoder.string(fields.credit.kind.rawValue)
        encoder.string(fields.credit.owner)
        encoder.int(fields.amount)
        encoder.string(fields.code)
        encoder.optional(fields.linkedGroup)
        encoder.optional(fields.details.trackID)
        encoder.optional(fields.details.playID)
        encoder.optional(fields.details.pricingVersion.map(Int64.init))
        encoder.optional(fields.details.reference)
        encoder.optional(fields.details.actor)
        encoder.optional(fields.details.note)
        encoder.int(fields.timestampMilliseconds)
        if !fields.legs.isEmpty { encoder.legs(fields.legs) }
        var hasher = SHA256()
        hasher.update(data: previous)
        hasher.update(data: encoder.bytes)
        return hasher.finalize().withUnsafeBytes { [UInt8]($0) }
    }
}

/// Length-prefixed, typed binary encoding for hashing.
struct CanonicalEncoder {
    private(set) var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(256) }

    mutating func string(_ value: String) {
        bytes.append(1)
        var value = value
        // A native string's bytes in one copy (appending the UTF-8 view goes byte by byte).
        value.withUTF8 { utf8 in
            append(UInt32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func int(_ value: Int64) {
        bytes.append(2)
        append(UInt64(bitPattern: value))
    }

    mutating func legs(_ legs: [TransferLeg]) {
        bytes.append(3)
        append(UInt32(legs.count))
        for leg in legs {
            int(Int64(leg.position))
            string(leg.account.kind.rawValue)
            string(leg.account.owner)
            int(leg.amount)
        }
    }

    mutating func optional(_ value: String?) {
        if let value { string(value) } else { bytes.append(0) }
    }

    mutating func optional(_ value: Int64?) {
        if let value { int(value) } else { bytes.append(0) }
    }

    private mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}
