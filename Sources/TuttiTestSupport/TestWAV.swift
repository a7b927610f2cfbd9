import Foundation

/// Writes WAV files for inputs the committed fixtures do not cover: rare rates, many
/// channels, exact loudness test signals, and deliberately broken headers.
public struct TestWAV {
    public var sampleRate: Int
    public var channels: Int
    /// Interleaved samples, −1...1, written as 16-bit PCM.
    public var samples: [Float]

    public init(sampleRate: Int, channels: Int, samples: [Float]) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.samples = samples
    }

    /// A sine of `frequency` Hz at `dBFS` peak level on every channel.
    public static func sine(frequency: Double, dBFS: Double, seconds: Double, sampleRate: Int, channels: Int) -> TestWAV {
        let amplitude = pow(10, dBFS / 20)
        let frames = Int(seconds * Double(sampleRate))
        var samples = [Float](repeating: 0, count: frames * channels)
        for frame in 0..<frames {
            let value = Float(amplitude * sin(2 * .pi * frequency * Double(frame) / Double(sampleRate)))
            for channel in 0..<channels { samples[frame * channels + channel] = value }
        }
        return TestWAV(sampleRate: sampleRate, channels: channels, samples: samples)
    }

    /// The file's bytes; `claimedDataBytes` overrides the data chunk's size field.
    public func bytes(claimedDataBytes: UInt32? = nil, floatingPoint: Bool = false) -> Data {
        let bytesPerSample = floatingPoint ? 4 : 2
        let dataBytes = samples.count * bytesPerSample
        var data = Data()
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
        data.append(contentsOf: Array("RIFF".utf8)); u32(UInt32(36 + dataBytes))
        data.append(contentsOf: Array("WAVE".utf8))
        data.append(contentsOf: Array("fmt ".utf8)); u32(16)
        u16(floatingPoint ? 3 : 1); u16(UInt16(channels)); u32(UInt32(sampleRate))
        u32(UInt32(sampleRate * channels * bytesPerSample)); u16(UInt16(channels * bytesPerSample)); u16(UInt16(bytesPerSample * 8))
        data.append(contentsOf: Array("data".utf8)); u32(claimedDataBytes ?? UInt32(dataBytes))
        for sample in samples {
            if floatingPoint {
                u32(sample.bitPattern)
            } else {
                let clipped = max(-1, min(1, sample))
                u16(UInt16(bitPattern: Int16((clipped * 32767).rounded())))
            }
        }
        return data
    }

    @discardableResult
    public func write(to url: URL, claimedDataBytes: UInt32? = nil) -> String {
        try! bytes(claimedDataBytes: claimedDataBytes).write(to: url)
        return url.path
    }
}
