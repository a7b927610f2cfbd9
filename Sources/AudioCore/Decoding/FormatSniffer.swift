#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Recognises an audio container from its first bytes.
///
/// The decoder only ever sees files this sniffer accepted, so random bytes with an
/// audio extension are refused with a clear reason before any codec library parses them.
public enum FormatSniffer {
    /// Bytes read from the start of a file to recognise it.
    public static let prefixLength = 64 * 1024

    /// Recognises the format of `bytes`, the start of a file (up to `prefixLength`).
    ///
    /// `readAt` reads further bytes at an absolute offset, for an MP3 whose ID3 tag (with
    /// cover art) pushes the first audio frame past the prefix.
    public static func sniff(
        _ bytes: [UInt8],
        readAt: (_ offset: Int, _ count: Int) -> [UInt8] = { _, _ in [] }
    ) -> Result<AudioFormat, AudioError> {
        guard !bytes.isEmpty else { return .failure(.emptyFile) }
        func ascii(_ offset: Int, _ text: String) -> Bool {
            let expected = Array(text.utf8)
            guard bytes.count >= offset + expected.count else { return false }
            return Array(bytes[offset..<offset + expected.count]) == expected
        }
        if (ascii(0, "RIFF") || ascii(0, "RF64") || ascii(0, "BW64")) && ascii(8, "WAVE") { return .success(.wav) }
        if ascii(0, "riff"), bytes.count >= 16, bytes[4..<16].elementsEqual([0x2E, 0x91, 0xCF, 0x11, 0xA5, 0xD6, 0x28, 0xDB, 0x04, 0xC1, 0x00, 0x00]) {
            return .success(.wav)  // Sony Wave64
        }
        if ascii(0, "FORM") && (ascii(8, "AIFF") || ascii(8, "AIFC")) { return .success(.aiff) }
        if ascii(0, "fLaC") { return .success(.flac) }
        if ascii(0, "OggS") { return sniffOgg(bytes) }
        if ascii(4, "ftyp") { return .failure(.unsupportedFormat("MPEG-4 audio (M4A/AAC)")) }
        if ascii(0, "caff") { return .failure(.unsupportedFormat("Core Audio (CAF)")) }
        if ascii(0, "ID3"), bytes.count >= 10 {
            // ID3v2 size is four 7-bit "syncsafe" bytes; a footer adds 10 bytes more.
            let size = bytes[6...9].reduce(0) { ($0 << 7) | Int($1 & 0x7F) }
            let footer = bytes[5] & 0x10 != 0 ? 10 : 0
            let audioStart = 10 + size + footer
            let audio = bytes.count >= audioStart + 8 * 1024 ? Array(bytes[audioStart...]) : readAt(audioStart, 8 * 1024)
            if audio.starts(with: Array("fLaC".utf8)) { return .success(.flac) }
            return findMPEGFrames(in: audio) ? .success(.mp3) : .failure(.notAudio(detail: "an ID3 tag without MPEG audio after it"))
        }
        if MPEGFrameHeader(bytes, at: 0) != nil, findMPEGFrames(in: bytes, searchLimit: 1) { return .success(.mp3) }
        return .failure(.notAudio(detail: ""))
    }

    /// Recognises the file at `path`.
    public static func sniff(path: String) -> Result<AudioFormat, AudioError> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(.io(path: path, detail: String(cString: strerror(errno)))) }
        defer { close(fd) }
        func read(_ offset: Int, _ count: Int) -> [UInt8] {
            var buffer = [UInt8](repeating: 0, count: count)
            let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
            return got > 0 ? Array(buffer[..<got]) : []
        }
        return sniff(read(0, prefixLength), readAt: read)
    }

    private static func sniffOgg(_ bytes: [UInt8]) -> Result<AudioFormat, AudioError> {
        // The first page carries the first packet of the first stream; its magic names the codec.
        guard bytes.count >= 27 else { return .failure(.truncated(afterSeconds: 0)) }
        let segments = Int(bytes[26])
        let body = 27 + segments
        func magic(_ text: [UInt8], at offset: Int) -> Bool {
            bytes.count >= body + offset + text.count && Array(bytes[(body + offset)..<(body + offset + text.count)]) == text
        }
        if magic(Array("vorbis".utf8), at: 1) && bytes.count > body && bytes[body] == 1 { return .success(.oggVorbis) }
        if magic(Array("OpusHead".utf8), at: 0) { return .success(.oggOpus) }
        if magic(Array("FLAC".utf8), at: 1) && bytes.count > body && bytes[body] == 0x7F { return .success(.oggFLAC) }
        if magic(Array("Speex   ".utf8), at: 0) { return .failure(.unsupportedFormat("Ogg Speex")) }
        if magic(Array("theora".utf8), at: 1) { return .failure(.unsupportedFormat("Ogg Theora video")) }
        return .failure(.notAudio(detail: "an Ogg file without a known audio stream"))
    }

    /// Whether two consecutive, consistent MPEG audio frame headers start within the first
    /// `searchLimit` bytes; one header alone is too likely in random bytes.
    static func findMPEGFrames(in bytes: [UInt8], searchLimit: Int = 4096) -> Bool {
        var offset = 0
        while offset < min(searchLimit, bytes.count - 4) {
            if let first = MPEGFrameHeader(bytes, at: offset) {
                let next = offset + first.frameLength
                if let second = MPEGFrameHeader(bytes, at: next),
                   second.version == first.version, second.layer == first.layer, second.sampleRate == first.sampleRate {
                    return true
                }
            }
            offset += 1
        }
        return false
    }
}

/// The fields of an MPEG-1/2/2.5 audio frame header needed to find the next frame.
struct MPEGFrameHeader {
    let version: Int  // 1, 2 or 25 (MPEG 2.5)
    let layer: Int  // 1, 2 or 3
    let sampleRate: Int
    let frameLength: Int

    init?(_ bytes: [UInt8], at offset: Int) {
        guard offset >= 0, bytes.count >= offset + 4 else { return nil }
        let b1 = bytes[offset + 1], b2 = bytes[offset + 2]
        guard bytes[offset] == 0xFF, b1 & 0xE0 == 0xE0 else { return nil }
        let versionBits = (b1 >> 3) & 0x3, layerBits = (b1 >> 1) & 0x3
        let bitrateIndex = Int(b2 >> 4), rateIndex = Int((b2 >> 2) & 0x3), padding = Int((b2 >> 1) & 0x1)
        guard versionBits != 1, layerBits != 0, bitrateIndex != 0, bitrateIndex != 15, rateIndex != 3 else { return nil }
        version = versionBits == 3 ? 1 : (versionBits == 2 ? 2 : 25)
        layer = 4 - Int(layerBits)
        let rates = [44_100, 48_000, 32_000]
        sampleRate = rates[rateIndex] / (version == 1 ? 1 : (version == 2 ? 2 : 4))
        let kbps: [Int]
        switch (version == 1, layer) {
        case (true, 1): kbps = [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448]
        case (true, 2): kbps = [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384]
        case (true, _): kbps = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
        case (false, 1): kbps = [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256]
        case (false, _): kbps = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]
        }
        let bitrate = kbps[bitrateIndex] * 1000
        switch layer {
        case 1: frameLength = (12 * bitrate / sampleRate + padding) * 4
        case 3 where version != 1: frameLength = 72 * bitrate / sampleRate + padding
        default: frameLength = 144 * bitrate / sampleRate + padding
        }
        guard frameLength > 4 else { return nil }
    }
}
