/// The "stream to own" price rule: a listener's n-th counted play of a track costs
/// `basePrice × multiplier^(n−1)` until `playsToOwn` plays, after which the track is theirs.
///
/// Each play's price splits into the artist's part (rounded down) and the cooperative's
/// part (the remainder), so the parts always sum to the price.
public struct Pricing: Sendable, Equatable, Hashable, Codable {
    /// Audio anyone may hear of a paid track without a counted play, in seconds.
    public var previewSeconds: Int
    /// Price of the first counted play, in minor units.
    public var basePrice: Int64
    /// Factor from one play's price to the next, ≥ 1.
    public var multiplier: Int64
    /// Counted plays after which the listener owns the track, ≥ 1.
    public var playsToOwn: Int
    /// The artist's share of each play, in basis points (0...10,000 = 0...100 %).
    public var artistShareBasisPoints: Int

    public init(previewSeconds: Int, basePrice: Int64, multiplier: Int64, playsToOwn: Int, artistShareBasisPoints: Int) {
        self.previewSeconds = previewSeconds
        self.basePrice = basePrice
        self.multiplier = multiplier
        self.playsToOwn = playsToOwn
        self.artistShareBasisPoints = artistShareBasisPoints
    }

    /// Resonate's defaults: 45 s preview, 2,000 units doubling for 9 plays (1.022 credit in
    /// all), 70 % to the artist.
    public static let resonate = Pricing(previewSeconds: 45, basePrice: 2_000, multiplier: 2, playsToOwn: 9, artistShareBasisPoints: 7_000)

    /// The price of the listener's `n`-th counted play (n ≥ 1), in minor units; 0 once owned.
    ///
    /// Never overflows for a pricing that passed `validate()`.
    public func price(ofPlay n: Int) -> Int64 {
        precondition(n >= 1, "plays are numbered from 1")
        guard n <= playsToOwn else { return 0 }
        var price = basePrice
        for _ in 1..<n { price *= multiplier }
        return price
    }

    /// What the `playsToOwn` counted plays cost together, in minor units.
    public var priceToOwn: Int64 {
        (1...playsToOwn).reduce(0) { $0 + price(ofPlay: $1) }
    }

    /// `price` split into the artist's part (price × share / 10,000, rounded down) and the
    /// cooperative's part (the rest). Computed at double width, so it never overflows.
    public func split(_ price: Int64) -> (artist: Int64, cooperative: Int64) {
        precondition(price >= 0, "prices are never negative")
        let product = price.multipliedFullWidth(by: Int64(artistShareBasisPoints))
        let artist = Int64(10_000).dividingFullWidth(product).quotient
        return (artist, price - artist)
    }

    /// Refuses values the ledger cannot charge with: negative or zero where they must be
    /// positive, a share outside 0...10,000, or a price (or the total to own) beyond Int64.
    public func validate() throws(LedgerError) {
        guard previewSeconds >= 0 else { throw .invalidPricing("preview must not be negative, got \(previewSeconds) s") }
        guard basePrice >= 0 else { throw .invalidPricing("base price must not be negative, got \(basePrice)") }
        guard multiplier >= 1 else { throw .invalidPricing("multiplier must be at least 1, got \(multiplier)") }
        guard playsToOwn >= 1 else { throw .invalidPricing("plays to own must be at least 1, got \(playsToOwn)") }
        guard (0...10_000).contains(artistShareBasisPoints) else {
            throw .invalidPricing("artist share must be 0...10000 basis points, got \(artistShareBasisPoints)")
        }
        // Walk the prices up to the last paid play: with a multiplier ≥ 2 an overflow shows
        // within 63 steps; with 1 every play costs the base and the total is one product.
        if multiplier == 1 {
            guard basePrice.multipliedReportingOverflow(by: Int64(playsToOwn)).overflow == false else {
                throw .invalidPricing("\(playsToOwn) plays of \(basePrice) overflow Int64")
            }
            return
        }
        var price = basePrice
        var total = basePrice
        for n in stride(from: 2, through: playsToOwn, by: 1) {
            let next = price.multipliedReportingOverflow(by: multiplier)
            guard !next.overflow else {
                throw .invalidPricing("play \(n) would cost \(basePrice) × \(multiplier)^\(n - 1), beyond Int64")
            }
            price = next.partialValue
            let sum = total.addingReportingOverflow(price)
            guard !sum.overflow else { throw .invalidPricing("the \(playsToOwn) plays to own would cost more than Int64 holds") }
            total = sum.partialValue
            if price == 0 { break }
        }
    }
}
