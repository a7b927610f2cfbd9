import Catalog
import Foundation
import Testing

@Suite("Identifiers")
struct IdentifierTests {
    @Test("a time-ordered id is a version 7 UUID that starts with its milliseconds and sorts by them")
    func timeOrdered() {
        let milliseconds: UInt64 = 1_795_000_000_123
        let id = Identifier.makeTimeOrdered(milliseconds: milliseconds)
        #expect(Identifier.isValid(id))
        let hex = id.replacingOccurrences(of: "-", with: "")
        #expect(UInt64(hex.prefix(12), radix: 16) == milliseconds)
        #expect(Array(hex)[12] == "7")
        #expect("89ab".contains(Array(hex)[16]))

        // Later ids sort after earlier ones; ids of the same millisecond differ.
        let ids = (0..<2_000).map { Identifier.makeTimeOrdered(milliseconds: milliseconds + UInt64($0 / 4)) }
        #expect(Set(ids).count == ids.count)
        for (earlier, later) in zip(ids, ids.dropFirst(4)) { #expect(earlier < later) }
        #expect(Identifier.makeTimeOrdered() > id)
    }
}
