import COpus

/// One libopus encoder set up as Tutti encodes music: 48 kHz, 20 ms frames, VBR,
/// complexity 10, application audio, signal music.
public final class OpusPacketEncoder {
    /// Samples per channel in one 20 ms frame at 48 kHz.
    public static let frameSize = 960
    /// The largest packet libopus produces for one frame, in bytes (RFC 6716: 1275 per frame).
    static let maximumPacketBytes = 1_500

    public let channels: Int
    /// Target bitrate, in bits per second.
    public let bitrate: Int
    /// The encoder's delay in samples at 48 kHz: the stream's pre-skip.
    public let lookahead: Int
    private let handle: OpaquePointer
    private var packet = [UInt8](repeating: 0, count: OpusPacketEncoder.maximumPacketBytes)

    public init(channels: Int, bitrate: Int, complexity: Int = 10) throws(AudioError) {
        precondition(channels == 1 || channels == 2, "Tutti encodes mono or stereo")
        var error: Int32 = OPUS_OK
        guard let handle = opus_encoder_create(48_000, Int32(channels), OPUS_APPLICATION_AUDIO, &error), error == OPUS_OK else {
            throw .opus("opus_encoder_create", error)
        }
        self.handle = handle
        self.channels = channels
        self.bitrate = bitrate
        func check(_ call: String, _ code: Int32) throws(AudioError) {
            if code != OPUS_OK {
                opus_encoder_destroy(handle)
                throw .opus(call, code)
            }
        }
        try check("OPUS_SET_BITRATE", tutti_opus_set_bitrate(handle, Int32(bitrate)))
        try check("OPUS_SET_COMPLEXITY", tutti_opus_set_complexity(handle, Int32(complexity)))
        try check("OPUS_SET_VBR", tutti_opus_set_vbr(handle, 1))
        try check("OPUS_SET_VBR_CONSTRAINT", tutti_opus_set_vbr_constraint(handle, 0))
        try check("OPUS_SET_SIGNAL", tutti_opus_set_signal_music(handle))
        var lookahead: Int32 = 0
        try check("OPUS_GET_LOOKAHEAD", tutti_opus_get_lookahead(handle, &lookahead))
        self.lookahead = Int(lookahead)
    }

    deinit { opus_encoder_destroy(handle) }

    /// Encodes one frame of `frameSize` interleaved samples per channel and passes the packet
    /// to `body` (valid only during the call).
    public func encode<R>(frame: UnsafePointer<Float>, _ body: (UnsafeRawBufferPointer) throws(AudioError) -> R) throws(AudioError) -> R {
        let size = packet.withUnsafeMutableBufferPointer {
            opus_encode_float(handle, frame, Int32(Self.frameSize), $0.baseAddress!, Int32($0.count))
        }
        guard size > 0 else { throw .opus("opus_encode_float", size) }
        let result = packet.withUnsafeBytes { bytes in
            Result { () throws(AudioError) in try body(UnsafeRawBufferPointer(rebasing: bytes[..<Int(size)])) }
        }
        return try result.get()
    }

    /// The libopus version, for the OpusTags vendor string.
    public static var libraryVersion: String { String(cString: opus_get_version_string()) }
}
