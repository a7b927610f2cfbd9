import Catalog
import FoundationEssentials
import Ledger

/// What `tutti ledger bench` charges, on either backend: play i goes to listener i mod L as
/// that listener's k-th play (k = i / L), on the listener's track k / playsToOwn, so no listener
/// ever owns a track mid-run; each wallet is funded with exactly what its plays cost.
struct LedgerBenchPlan: Sendable {
    let listenerIDs: [String]
    let trackIDs: [String]
    let artistIDs: [String]
    /// The wallets' top-ups, 500 per linked set (one transaction each).
    let topUps: [[TransferRequest]]
    let pricing: Pricing
    let randomPlayIDs: Bool

    init(plays: Int, listeners: Int, artists: Int, pricing: Pricing, randomPlayIDs: Bool) {
        let runID = UUID().uuidString.lowercased().prefix(8)
        listenerIDs = (0..<listeners).map { _ in UUID().uuidString.lowercased() }
        trackIDs = (0..<((plays / listeners) / pricing.playsToOwn + 1)).map { _ in UUID().uuidString.lowercased() }
        artistIDs = (0..<artists).map { _ in UUID().uuidString.lowercased() }
        var topUps: [TransferRequest] = []
        for (index, listener) in listenerIDs.enumerated() {
            let count = plays / listeners + (index < plays % listeners ? 1 : 0)
            let cost = (0..<count).reduce(Int64(0)) { $0 + pricing.price(ofPlay: $1 % pricing.playsToOwn + 1) }
            guard cost > 0 else { continue }
            topUps.append(TransferRequest(
                id: "bench-\(runID)-topup-\(index)", debit: .paymentsClearing, credit: .listenerWallet(listener),
                amount: cost, code: .topUp, details: TransferDetails(reference: "tutti ledger bench")))
        }
        self.topUps = stride(from: 0, to: topUps.count, by: 500).map { Array(topUps[$0..<min($0 + 500, topUps.count)]) }
        self.pricing = pricing
        self.randomPlayIDs = randomPlayIDs
    }

    /// Play `i` of the plan, with a new play id.
    func request(_ i: Int) -> PlayChargeRequest {
        let track = (i / listenerIDs.count) / pricing.playsToOwn
        return PlayChargeRequest(
            playID: randomPlayIDs ? Identifier.make() : Identifier.makeTimeOrdered(), listenerID: listenerIDs[i % listenerIDs.count],
            artistID: artistIDs[track % artistIDs.count], trackID: trackIDs[track], at: Date())
    }

    /// What charging measured: every call's latency, the plays charged, the wall time.
    struct Measured {
        var latencies: [Duration]
        var charged: Int
        var seconds: Double

        /// p50, p99 and the largest latency, in milliseconds.
        var latencyMilliseconds: [String: Double] {
            let sorted = latencies.sorted()
            func percentile(_ p: Double) -> Double {
                LedgerBenchPlan.seconds(sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]) * 1000
            }
            return ["p50": percentile(0.50), "p99": percentile(0.99), "max": percentile(1.0)]
        }
    }

    /// Charges plays 0..<plays from `concurrency` callers (caller w takes plays w, w + C, w + 2C...:
    /// in order per listener and track); `charge` returns whether play i was charged.
    static func charge(plays: Int, concurrency: Int, _ charge: @escaping @Sendable (Int) async throws -> Bool) async throws -> Measured {
        let clock = ContinuousClock()
        let started = clock.now
        let (latencies, charged) = try await withThrowingTaskGroup(of: ([Duration], Int).self) { group in
            for worker in 0..<min(concurrency, plays) {
                group.addTask {
                    var latencies: [Duration] = []
                    var charged = 0
                    for i in stride(from: worker, to: plays, by: concurrency) {
                        let call = clock.now
                        if try await charge(i) { charged += 1 }
                        latencies.append(clock.now - call)
                    }
                    return (latencies, charged)
                }
            }
            var all: [Duration] = []
            var charged = 0
            for try await (latencies, count) in group {
                all += latencies
                charged += count
            }
            return (all, charged)
        }
        return Measured(latencies: latencies, charged: charged, seconds: seconds(clock.now - started))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
