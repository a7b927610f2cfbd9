import CSoxr

/// Converts interleaved float audio to 48 kHz with libsoxr at high quality.
///
/// libsoxr compensates its own filter delay, so output sample n is input time n / 48000.
public final class Resampler {
    public let channels: Int
    public let inputRate: Int
    private let handle: soxr_t
    private let outputFrames = 16_384
    private let output: UnsafeMutableBufferPointer<Float>

    public init(inputRate: Int, channels: Int, outputRate: Int = 48_000) throws(AudioError) {
        self.channels = channels
        self.inputRate = inputRate
        var ioSpec = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var quality = soxr_quality_spec(UInt(SOXR_HQ), 0)
        // One thread: the transcoder already spreads its work over the cores.
        var runtime = soxr_runtime_spec(1)
        var error: soxr_error_t? = nil
        let handle = soxr_create(Double(inputRate), Double(outputRate), UInt32(channels), &error, &ioSpec, &quality, &runtime)
        guard let handle, error == nil else {
            throw .codec(call: "soxr_create", code: -1, detail: error.map { String(cString: $0) } ?? "unknown error")
        }
        self.handle = handle
        output = .allocate(capacity: outputFrames * channels)
    }

    deinit {
        soxr_delete(handle)
        output.deallocate()
    }

    /// Resamples `frames` interleaved input frames and hands each run of output to `emit`;
    /// pass `input: nil` once at the end to drain the filter's tail.
    public func process(
        _ input: UnsafePointer<Float>?, frames: Int,
        emit: (_ samples: UnsafePointer<Float>, _ frames: Int) throws(AudioError) -> Void
    ) throws(AudioError) {
        var offset = 0
        repeat {
            var consumed = 0
            var produced = 0
            let source = input.map { $0 + offset * channels }
            let error = soxr_process(handle, source, input == nil ? 0 : frames - offset, &consumed, output.baseAddress, outputFrames, &produced)
            if let error { throw .codec(call: "soxr_process", code: -1, detail: String(cString: error)) }
            offset += consumed
            if produced > 0 { try emit(output.baseAddress!, produced) }
            // Draining ends when the filter has nothing more to give.
            if input == nil && produced == 0 { return }
            if input != nil && consumed == 0 && produced == 0 { return }
        } while input == nil || offset < frames
    }
}
