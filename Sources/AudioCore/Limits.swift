/// What the service accepts as an upload.
public struct AudioLimits: Sendable, Equatable {
    /// Longest accepted recording, in seconds.
    public var maximumSeconds: Double
    public var maximumChannels: Int
    /// Accepted input sample rates, in Hz.
    public var sampleRates: ClosedRange<Int>

    public init(maximumSeconds: Double = 4 * 3600, maximumChannels: Int = 8, sampleRates: ClosedRange<Int> = 8_000...192_000) {
        self.maximumSeconds = maximumSeconds
        self.maximumChannels = maximumChannels
        self.sampleRates = sampleRates
    }

    public static let standard = AudioLimits()
}
