import Foundation
import Ledger
import Testing
import TuttiTestSupport

/// A plain in-memory model of what the ledger should do, to check it against.
private struct LedgerModel {
    var balances: [AccountID: Int64] = [:]
    var recorded: [String: PlayCharge] = [:]
    var latest: [String: (number: Int, owned: Bool)] = [:]
    var versions: [(from: Date, number: Int, pricing: Pricing)] = [(Date.distantPast, 1, .resonate)]
    var topUps: [String: (user: String, amount: Int64)] = [:]
    var attemptedPlays: [PlayChargeRequest] = []

    func balance(_ account: AccountID) -> Int64 { balances[account, default: 0] }

    mutating func move(_ amount: Int64, from debit: AccountID, to credit: AccountID) {
        balances[debit, default: 0] -= amount
        balances[credit, default: 0] += amount
    }

    /// The outcome the rules call for, applied to the model.
    mutating func charge(_ request: PlayChargeRequest) -> Result<PlayChargeResult, LedgerError> {
        if let first = recorded[request.playID] {
            guard first.listenerID == request.listenerID, first.artistID == request.artistID, first.trackID == request.trackID else {
                return .failure(.conflictingPlay(playID: request.playID))
            }
            return .success(.charged(first))
        }
        if request.listenerID == request.artistID { return .success(.free(reason: .ownTrack)) }
        guard let version = versions.last(where: { $0.from <= request.at }) else { return .failure(.database("no version")) }
        let key = request.listenerID + "|" + request.trackID
        let (counted, owned) = latest[key] ?? (0, false)
        if owned || counted >= version.pricing.playsToOwn { return .success(.free(reason: .owned)) }
        let number = counted + 1
        let price = version.pricing.price(ofPlay: number)
        let wallet = AccountID.listenerWallet(request.listenerID)
        guard balance(wallet) >= price else {
            return .failure(.insufficientFunds(account: wallet, needed: price, available: balance(wallet)))
        }
        let (artist, cooperative) = version.pricing.split(price)
        move(artist, from: wallet, to: .artistEarnings(request.artistID))
        move(cooperative, from: wallet, to: .treasury)
        let charge = PlayCharge(
            playID: request.playID, listenerID: request.listenerID, artistID: request.artistID, trackID: request.trackID,
            playNumber: number, price: price, artistPart: artist, cooperativePart: cooperative, pricingVersion: version.number,
            walletBalanceAfter: balance(wallet), ownsTrackNow: number == version.pricing.playsToOwn, playedAt: request.at)
        recorded[request.playID] = charge
        latest[key] = (number, charge.ownsTrackNow)
        return .success(.charged(charge))
    }
}

@Suite("Randomized operations against a model", .ownThreads)
struct RandomizedTests {
    @Test("thousands of mixed operations, restarts included, leave the balances the model predicts and a ledger that verifies")
    func mixedOperations() async throws {
        var random = SplitMix(seed: 20_261_126)
        func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        var fixture = try LedgerFixture()
        var model = LedgerModel()
        let users = (0..<8).map { "user-\($0)" }
        let trackArtist = (0..<6).map { users[$0 % 4] }  // users 0...3 are also artists
        var counts: [String: Int] = [:]

        for step in 0..<2_500 {
            fixture.clock.advance(seconds: 1)
            let ledger = fixture.ledger
            let roll = pick(100)
            switch roll {
            case 0..<18:
                let id = "topup-\(step)"
                let user = users[pick(users.count)]
                let amount = Int64(1_000 + pick(3_000_000))
                let transfer = try ledger.topUp(transferID: id, user: user, amount: amount, reference: "psp-\(step)")
                #expect(transfer.amount == amount)
                model.topUps[id] = (user, amount)
                model.move(amount, from: .paymentsClearing, to: .listenerWallet(user))
                counts["topUp", default: 0] += 1
            case 18..<26 where !model.topUps.isEmpty:
                let (id, original) = model.topUps.sorted(by: { $0.key < $1.key })[pick(model.topUps.count)]
                if roll < 23 {
                    let retry = try ledger.topUp(transferID: id, user: original.user, amount: original.amount, reference: "psp-\(id.dropFirst(6))")
                    #expect(retry.id == id && retry.amount == original.amount)
                    counts["topUp retry", default: 0] += 1
                } else {
                    #expect(throws: LedgerError.conflictingRetry(transferID: id)) {
                        try ledger.topUp(transferID: id, user: original.user, amount: original.amount + 1)
                    }
                    counts["conflicting retry", default: 0] += 1
                }
            case 26..<83:
                let request: PlayChargeRequest
                if roll >= 71, !model.attemptedPlays.isEmpty {
                    // A retry of an earlier session, later: its first result must come back.
                    let earlier = model.attemptedPlays[pick(model.attemptedPlays.count)]
                    request = PlayChargeRequest(playID: earlier.playID, listenerID: earlier.listenerID, artistID: earlier.artistID,
                                                trackID: earlier.trackID, at: model.recorded[earlier.playID] == nil ? fixture.clock.now : earlier.at)
                    counts["play retry", default: 0] += 1
                } else {
                    let track = pick(trackArtist.count)
                    request = PlayChargeRequest(playID: "play-\(step)", listenerID: users[pick(users.count)], artistID: trackArtist[track],
                                                trackID: "track-\(track)", at: fixture.clock.now)
                    model.attemptedPlays.append(request)
                    counts["play", default: 0] += 1
                }
                let expected = model.charge(request)
                let actual: Result<PlayChargeResult, LedgerError>
                do {
                    actual = .success(step % 2 == 0 ? try await ledger.chargePlay(request) : try await ledger.chargePlayAlone(request))
                } catch {
                    actual = .failure(error)
                }
                #expect(actual == expected, "step \(step): \(request)")
            case 83..<89:
                let artist = users[pick(4)]
                let balance = model.balance(.artistEarnings(artist))
                let amount = Int64(1 + pick(Int(balance) + 2_000))
                if amount <= balance {
                    try ledger.markPaid(transferID: "payout-\(step)", artist: artist, amount: amount, actor: "treasurer")
                    model.move(amount, from: .artistEarnings(artist), to: .payouts)
                    counts["payout", default: 0] += 1
                } else {
                    #expect(throws: LedgerError.insufficientFunds(account: .artistEarnings(artist), needed: amount, available: balance)) {
                        try ledger.markPaid(transferID: "payout-\(step)", artist: artist, amount: amount, actor: "treasurer")
                    }
                    counts["payout refused", default: 0] += 1
                }
            case 89..<92:
                let user = users[pick(users.count)]
                try ledger.adminCredit(transferID: "admin-\(step)", user: user, amount: 500_000, actor: "admin", reason: "step \(step)")
                model.move(500_000, from: .paymentsClearing, to: .listenerWallet(user))
            case 92..<94:
                try fixture.restart()
                counts["restart", default: 0] += 1
            default:
                // Two linked corrections from one wallet: both or neither.
                let wallet = AccountID.listenerWallet(users[pick(users.count)])
                let (first, second) = (Int64(1 + pick(40_000)), Int64(1 + pick(40_000)))
                let set = [
                    TransferRequest(id: "fix-\(step)-a", debit: wallet, credit: .treasury, amount: first, code: .adjustment),
                    TransferRequest(id: "fix-\(step)-b", debit: wallet, credit: .artistEarnings(users[0]), amount: second, code: .adjustment),
                ]
                if model.balance(wallet) >= first + second {
                    try ledger.submit(set)
                    model.move(first, from: wallet, to: .treasury)
                    model.move(second, from: wallet, to: .artistEarnings(users[0]))
                    counts["linked", default: 0] += 1
                } else {
                    #expect {
                        try ledger.submit(set)
                    } throws: { error in
                        guard case .insufficientFunds(wallet, _, _) = error as? LedgerError else { return false }
                        return true
                    }
                    counts["linked refused", default: 0] += 1
                }
            }
            // Members vote new prices twice during the run; they apply from the next second.
            if step == 800 || step == 1_700 {
                let pricing = step == 800
                    ? Pricing(previewSeconds: 30, basePrice: 3_000, multiplier: 3, playsToOwn: 4, artistShareBasisPoints: 6_000)
                    : Pricing(previewSeconds: 45, basePrice: 5_000, multiplier: 1, playsToOwn: 12, artistShareBasisPoints: 10_000)
                let effective = fixture.clock.now + 0.5
                let version = try fixture.ledger.addPricingVersion(pricing, effectiveFrom: effective, proposalID: "proposal-\(step)")
                model.versions.append((effective, version.version, pricing))
            }
        }

        let ledger = fixture.ledger
        var accounts: Set<AccountID> = [.treasury, .paymentsClearing, .payouts]
        for user in users { accounts.formUnion([.listenerWallet(user), .artistEarnings(user)]) }
        for account in accounts {
            #expect(try ledger.balance(of: account).balance == model.balance(account), "\(account)")
        }
        #expect(model.balances.values.reduce(0, +) == 0)
        #expect(try fixture.count("SELECT count(*) FROM ledger_plays") == model.recorded.count)
        let report = try ledger.verify()
        #expect(report.isIntact, "\(report)")
        #expect(report.plays == model.recorded.count)
        // The run exercised every kind of operation.
        for kind in ["topUp", "topUp retry", "conflicting retry", "play", "play retry", "payout", "payout refused", "restart", "linked", "linked refused"] {
            #expect(counts[kind, default: 0] > 0, "\(kind) never happened")
        }
        #expect(Set(model.recorded.values.map(\.pricingVersion)) == [1, 2, 3])
        #expect(model.recorded.values.contains { $0.cooperativePart == 0 })
    }
}
