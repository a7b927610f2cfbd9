import AudioCore

/// Which bytes of a rendition an uncounted session may have, worked out from its page index.
///
/// The free region is every page whose audio ends within the preview (for a track shorter
/// than the preview: every page but the last, so hearing the end counts). Nothing past it
/// is delivered before the play counts, whatever the ranges asked for.
struct PreviewWindow: Sendable, Equatable {
    /// Bytes `0..<freeEnd` are free: headers and the preview's pages.
    let freeEnd: Int64
    /// Seconds of listening (since the session's first audio) after which going on past
    /// the free region counts the play: the preview, or a short track's length.
    let listenSeconds: Double
    /// Ranges starting at or after this offset are duration probes, served without counting.
    let tailStart: Int64
    let size: Int64
    /// Where the first audio page starts: a free range reaching it delivers the session's
    /// first audio, from which listening time counts.
    let audioStart: Int64

    static let sampleRate: Int64 = 48_000

    init(index: PageIndex, previewSeconds: Int, tailProbeBytes: Int64) {
        size = index.totalBytes
        audioStart = index.audioStart
        let total = index.totalSamples
        let preview = Int64(previewSeconds) * Self.sampleRate
        // The last sample anyone may hear free: the preview's, or (short track) all but the end.
        let freeSamples = total > preview ? preview : max(0, total - 1)
        var freeEnd = index.totalBytes
        for page in 0..<index.pageCount {
            let granule = index.granules[page]
            if granule > 0 && granule - index.preSkip > freeSamples {
                freeEnd = index.offsets[page]
                break
            }
        }
        self.freeEnd = freeEnd
        listenSeconds = Double(total > preview ? preview : total) / Double(Self.sampleRate)
        // The tail exception applies only where the tail lies wholly past the free region (a
        // short track's end is what counts its play).
        let tail = index.totalBytes - tailProbeBytes
        tailStart = tailProbeBytes > 0 && tail > freeEnd ? tail : index.totalBytes
    }

    /// What an uncounted session's request for `range` needs.
    func decision(for range: ClosedRange<Int64>) -> Decision {
        if range.upperBound < freeEnd { return .free }
        if range.lowerBound >= tailStart { return .tailProbe }
        if range.lowerBound > freeEnd { return .seekPastPreview }
        return .continuePastPreview(freeBytes: range.lowerBound..<freeEnd)
    }

    enum Decision: Equatable {
        /// Wholly inside the free region.
        case free
        /// The file's last bytes, as demuxers read them to find the duration.
        case tailProbe
        /// Starts past the free region: a seek, which counts the play now.
        case seekPastPreview
        /// Starts in the free region (or exactly at its end) and goes on past it: the free
        /// bytes go out at once; the rest only after the preview has been listened to.
        case continuePastPreview(freeBytes: Range<Int64>)
    }
}
