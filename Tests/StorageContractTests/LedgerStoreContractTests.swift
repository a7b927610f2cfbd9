import Foundation
import Ledger
import PostgresStorage
import Testing
import TuttiTestSupport

/// The ledger's storage contract (``LedgerStore``), written once and run against SQLite and
/// PostgreSQL: a behaviour that differs between them is a bug.
@Suite("LedgerStore contract", .postgres(settings: ["synchronous_commit": "on"]))
struct LedgerStoreContractTests {
    static func topUp(_ id: String, _ user: String, _ amount: Int64) -> TransferRequest {
        TransferRequest(id: id, debit: .paymentsClearing, credit: .listenerWallet(user), amount: amount, code: .topUp,
                        details: TransferDetails(reference: "pay-\(id)"))
    }

    /// A purchase as a linked set: the artist's part and the cooperative's.
    static func purchase(_ id: String, _ user: String, artist: String, _ artistPart: Int64, _ cooperativePart: Int64) -> [TransferRequest] {
        [
            TransferRequest(id: id, debit: .listenerWallet(user), credit: .artistEarnings(artist), amount: artistPart, code: .adjustment,
                            details: TransferDetails(trackID: "track-1", note: "purchase")),
            TransferRequest(id: id + "-coop", debit: .listenerWallet(user), credit: .treasury, amount: cooperativePart, code: .adjustment,
                            details: TransferDetails(trackID: "track-1", note: "purchase")),
        ]
    }

    @Test("money moves only in balanced transfers: a top-up and a linked purchase, balances and verify agree", arguments: Backend.allCases)
    func balancedTransfers(backend: Backend) async throws {
        try await backend.withLedgerStore { store in
            let topUp = try await store.submit([Self.topUp("t1", "lena", 1_000)])
            #expect(topUp.map(\.sequence) == [1])
            #expect(topUp[0].previousHash == [UInt8](repeating: 0, count: 32))
            let bought = try await store.submit(Self.purchase("p1", "lena", artist: "ada", 700, 300))
            #expect(bought.map(\.sequence) == [2, 3])
            #expect(bought.allSatisfy { $0.linkedGroup == "p1" })
            #expect(bought[0].previousHash == topUp[0].hash && bought[1].previousHash == bought[0].hash)
            #expect(try await store.balance(of: .listenerWallet("lena")).balance == 0)
            #expect(try await store.balance(of: .artistEarnings("ada")).balance == 700)
            #expect(try await store.balance(of: .treasury).balance == 300)
            #expect(try await store.balance(of: .paymentsClearing).balance == -1_000)
            #expect(try await store.balance(of: .listenerWallet("nobody")) == AccountBalance(account: .listenerWallet("nobody"), debitsPosted: 0, creditsPosted: 0))
            #expect(try await store.transfer(id: "p1-coop") == bought[1])
            #expect(try await store.transfer(id: "missing") == nil)
            let report = try await store.verify(anchors: [])
            #expect(report.isIntact, "\(report)")
            #expect(report.transfers == 3 && report.totalAmount == 2_000 && report.headSequence == 3)
            #expect(report.headHash == bought[1].hashHex)
        }
    }

    @Test("a retried id returns what it booked and changes nothing; the same id for another transfer is a conflict", arguments: Backend.allCases)
    func idempotentIDs(backend: Backend) async throws {
        try await backend.withLedgerStore { store in
            let first = try await store.submit([Self.topUp("t1", "lena", 1_000)])
            let again = try await store.submit([Self.topUp("t1", "lena", 1_000)])
            #expect(again == first)
            let set = try await store.submit(Self.purchase("p1", "lena", artist: "ada", 70, 30))
            #expect(try await store.submit(Self.purchase("p1", "lena", artist: "ada", 70, 30)) == set)
            await #expect(throws: LedgerError.conflictingRetry(transferID: "t1")) {
                try await store.submit([Self.topUp("t1", "lena", 999)])
            }
            // One id of a set reused alone is not the set.
            await #expect(throws: LedgerError.conflictingRetry(transferID: "p1")) {
                try await store.submit([Self.purchase("p1", "lena", artist: "ada", 70, 30)[0]])
            }
            #expect(try await store.balance(of: .listenerWallet("lena")).balance == 900)
            #expect(try await store.verify(anchors: []).transfers == 3)
        }
    }

    @Test("no wallet goes below zero: the whole linked set is refused and nothing is applied", arguments: Backend.allCases)
    func noOverdraft(backend: Backend) async throws {
        try await backend.withLedgerStore { store in
            try await store.submit([Self.topUp("t1", "lena", 500)])
            // The first part fits, the second does not: neither is booked.
            await #expect(throws: LedgerError.insufficientFunds(account: .listenerWallet("lena"), needed: 300, available: 100)) {
                try await store.submit(Self.purchase("p1", "lena", artist: "ada", 400, 300))
            }
            await #expect(throws: LedgerError.insufficientFunds(account: .listenerWallet("sam"), needed: 1, available: 0)) {
                try await store.submit([TransferRequest(id: "x", debit: .listenerWallet("sam"), credit: .treasury, amount: 1, code: .adjustment)])
            }
            #expect(try await store.balance(of: .listenerWallet("lena")).balance == 500)
            #expect(try await store.balance(of: .artistEarnings("ada")).balance == 0)
            #expect(try await store.transfer(id: "p1") == nil)
            let report = try await store.verify(anchors: [])
            #expect(report.isIntact && report.transfers == 1, "\(report)")
            // The refused ids are free: a set that fits books under them.
            #expect(try await store.submit(Self.purchase("p1", "lena", artist: "ada", 300, 200)).count == 2)
        }
    }

    @Test("malformed requests are refused before anything is written", arguments: Backend.allCases)
    func malformedRequests(backend: Backend) async throws {
        try await backend.withLedgerStore { store in
            await #expect(throws: LedgerError.self) { try await store.submit([]) }
            await #expect(throws: LedgerError.self) { try await store.submit([Self.topUp("same", "lena", 1), Self.topUp("same", "lena", 2)]) }
            await #expect(throws: LedgerError.self) { try await store.submit([Self.topUp("zero", "lena", 0)]) }
            await #expect(throws: LedgerError.self) {
                try await store.submit([TransferRequest(id: "loop", debit: .treasury, credit: .treasury, amount: 1, code: .adjustment)])
            }
            await #expect(throws: LedgerError.self) { try await store.submit([Self.topUp("", "lena", 1)]) }
            let report = try await store.verify(anchors: [])
            #expect(report.transfers == 0)
        }
    }

    @Test("anchors: the published head matches; a wrong or missing anchored transfer is reported", arguments: Backend.allCases)
    func anchors(backend: Backend) async throws {
        try await backend.withLedgerStore { store in
            for index in 1...5 { try await store.submit([Self.topUp("t\(index)", "lena", Int64(index))]) }
            let head = try await store.verify(anchors: [])
            let hash = try #require(head.headHash)
            #expect(try await store.verify(anchors: [ChainAnchor(sequence: 5, hash: hash)]).isIntact)
            let wrong = try await store.verify(anchors: [ChainAnchor(sequence: 5, hash: String(repeating: "ab", count: 32))])
            #expect(wrong.firstFailure?.check == .anchor && wrong.firstFailure?.sequence == 5)
            let beyond = try await store.verify(anchors: [ChainAnchor(sequence: 6, hash: hash)])
            #expect(beyond.firstFailure?.check == .anchor)
        }
    }

    @Test("concurrent writers: every booking once, one unbroken chain, balances as the writers saw them acknowledged", arguments: Backend.allCases)
    func concurrentWriters(backend: Backend) async throws {
        try await backend.withLedgerStore { store in
            // Eight writers; each top-up is sent twice (a retry racing its first try).
            let acknowledged = try await withThrowingTaskGroup(of: Int64.self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        var total: Int64 = 0
                        for index in 0..<20 {
                            let request = Self.topUp("w\(writer)-\(index)", "listener-\(writer % 3)", Int64(writer * 100 + index + 1))
                            async let first = store.submit([request])
                            async let retry = store.submit([request])
                            let (a, b) = try await (first, retry)
                            #expect(a == b)
                            total += request.amount
                        }
                        return total
                    }
                }
                return try await group.reduce(0, +)
            }
            let report = try await store.verify(anchors: [])
            #expect(report.isIntact, "\(report)")
            #expect(report.transfers == 160 && report.headSequence == 160)
            #expect(report.totalAmount == acknowledged)
            var wallets: Int64 = 0
            for listener in 0..<3 { wallets += try await store.balance(of: .listenerWallet("listener-\(listener)")).balance }
            #expect(wallets == acknowledged)
        }
    }

    static func play(_ id: String, _ listener: String, track: String = "track-1", artist: String = "ada") -> PlayChargeRequest {
        PlayChargeRequest(playID: id, listenerID: listener, artistID: artist, trackID: track, at: Date())
    }

    @Test("stream to own: each counted play costs twice the last until the ninth, which makes the track the listener's; then plays are free", arguments: Backend.allCases)
    func streamToOwn(backend: Backend) async throws {
        try await backend.withLedgerStore { store in
            let version = try await store.pricing(at: Date())
            #expect(version.version == 1 && version.pricing == .resonate)
            try await store.submit([Self.topUp("t1", "lena", 10_000_000)])
            var charges: [PlayCharge] = []
            for number in 1...9 {
                guard case .charged(let charge) = try await store.chargePlay(Self.play("play-\(number)", "lena")) else {
                    Issue.record("play \(number) was not charged")
                    return
                }
                charges.append(charge)
            }
            #expect(charges.map(\.price) == (0..<9).map { 2_000 << $0 })
            #expect(charges.map(\.playNumber) == Array(1...9))
            #expect(charges.map(\.ownsTrackNow) == Array(repeating: false, count: 8) + [true])
            #expect(charges.allSatisfy { $0.artistPart == $0.price * 7 / 10 && $0.artistPart + $0.cooperativePart == $0.price })
            #expect(try await store.chargePlay(Self.play("play-10", "lena")) == .free(reason: .owned))
            // Another track starts again at the base price.
            guard case .charged(let other) = try await store.chargePlay(Self.play("other-1", "lena", track: "track-2")) else {
                Issue.record("the other track's first play was not charged")
                return
            }
            #expect(other.price == 2_000 && other.playNumber == 1)
            let spent = charges.map(\.price).reduce(0, +) + other.price
            #expect(try await store.balance(of: .listenerWallet("lena")).balance == 10_000_000 - spent)
            #expect(charges.last?.walletBalanceAfter == 10_000_000 - charges.map(\.price).reduce(0, +))
            #expect(try await store.balance(of: .artistEarnings("ada")).balance == (charges + [other]).map(\.artistPart).reduce(0, +))
            #expect(try await store.balance(of: .treasury).balance == (charges + [other]).map(\.cooperativePart).reduce(0, +))
            let report = try await store.verify(anchors: [])
            #expect(report.isIntact, "\(report)")
            #expect(report.transfers == 1 + 2 * 10)
        }
    }

    @Test("a retried play id answers its first charge; the id for another listener or track is refused; an artist's own plays are free", arguments: Backend.allCases)
    func playRetries(backend: Backend) async throws {
        try await backend.withLedgerStore { store in
            try await store.submit([Self.topUp("t1", "lena", 100_000)])
            let first = try await store.chargePlay(Self.play("p1", "lena"))
            #expect(try await store.chargePlay(Self.play("p1", "lena")) == first)
            await #expect(throws: LedgerError.conflictingPlay(playID: "p1")) { try await store.chargePlay(Self.play("p1", "sam")) }
            await #expect(throws: LedgerError.conflictingPlay(playID: "p1")) { try await store.chargePlay(Self.play("p1", "lena", track: "track-9")) }
            #expect(try await store.chargePlay(Self.play("own", "ada")) == .free(reason: .ownTrack))
            #expect(try await store.balance(of: .listenerWallet("lena")).balance == 98_000)
            let report = try await store.verify(anchors: [])
            #expect(report.isIntact && report.transfers == 3, "\(report)")
        }
    }

    @Test("a wallet short of the price refuses the play and records nothing; topped up, the same play id is charged as the first", arguments: Backend.allCases)
    func playWithoutFunds(backend: Backend) async throws {
        try await backend.withLedgerStore { store in
            await #expect(throws: LedgerError.insufficientFunds(account: .listenerWallet("lena"), needed: 2_000, available: 0)) {
                try await store.chargePlay(Self.play("p1", "lena"))
            }
            try await store.submit([Self.topUp("t1", "lena", 1_999)])
            await #expect(throws: LedgerError.insufficientFunds(account: .listenerWallet("lena"), needed: 2_000, available: 1_999)) {
                try await store.chargePlay(Self.play("p1", "lena"))
            }
            try await store.submit([Self.topUp("t2", "lena", 1)])
            guard case .charged(let charge) = try await store.chargePlay(Self.play("p1", "lena")) else {
                Issue.record("the play was not charged")
                return
            }
            #expect(charge.playNumber == 1 && charge.walletBalanceAfter == 0)
            let report = try await store.verify(anchors: [])
            #expect(report.isIntact && report.transfers == 4, "\(report)")
        }
    }

    @Test("plays in concurrent group commits: each charged once at its step, the chain whole, every wallet as its charges say", arguments: Backend.allCases)
    func concurrentPlays(backend: Backend) async throws {
        try await backend.withLedgerStore { store in
            let listeners = (0..<6).map { "listener-\($0)" }
            for listener in listeners { try await store.submit([Self.topUp("top-\(listener)", listener, 100_000_000)]) }
            // Each listener plays three tracks nine times, the tracks at once, each track's
            // plays in order (as a player does), and every play is sent twice (a retry).
            let charged = try await withThrowingTaskGroup(of: [PlayCharge].self) { group in
                for listener in listeners {
                    for track in 0..<3 {
                        group.addTask {
                            var charges: [PlayCharge] = []
                            for number in 1...9 {
                                let request = Self.play("\(listener)-\(track)-\(number)", listener, track: "track-\(track)", artist: "artist-\(track)")
                                async let first = store.chargePlay(request)
                                async let retry = store.chargePlay(request)
                                let (a, b) = try await (first, retry)
                                #expect(a == b)
                                guard case .charged(let charge) = a else { continue }
                                #expect(charge.playNumber == number)
                                charges.append(charge)
                            }
                            return charges
                        }
                    }
                }
                return try await group.reduce([], +)
            }
            #expect(charged.count == 6 * 3 * 9)
            for listener in listeners {
                let spent = charged.filter { $0.listenerID == listener }.map(\.price).reduce(0, +)
                #expect(try await store.balance(of: .listenerWallet(listener)).balance == 100_000_000 - spent)
            }
            let report = try await store.verify(anchors: [])
            #expect(report.isIntact, "\(report)")
            #expect(report.transfers == 6 + 2 * charged.count)
        }
    }

    @Test("both backends build the same chain from the same transfers at the same times")
    func sameChainOnBoth() async throws {
        var heads: [String] = []
        for backend in Backend.allCases {
            let clock = SteppingClock()
            let head = try await backend.withLedgerStore(clock: clock.now) { store in
                try await store.submit([Self.topUp("t1", "lena", 1_000)])
                try await store.submit(Self.purchase("p1", "lena", artist: "ada", 700, 300))
                try await store.submit([TransferRequest(
                    id: "pay-1", debit: .artistEarnings("ada"), credit: .payouts, amount: 700, code: .payout,
                    details: TransferDetails(reference: "bank 42", actor: "admin-1", note: "December"))])
                return try await store.verify(anchors: []).headHash
            }
            heads.append(try #require(head))
        }
        #expect(heads.count == 2 && heads[0] == heads[1], "SQLite's head \(heads.first ?? "-"), PostgreSQL's \(heads.last ?? "-")")
    }
}
