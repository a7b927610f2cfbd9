/// Where every Ogg page of a rendition starts and how much audio is complete at its end.
///
/// A server uses it to know which seconds of audio a byte range carries: audio is only
/// playable once the page that completes its packet has been delivered.
public struct PageIndex: Sendable, Equatable, Codable {
    /// Byte offset of each page, ascending; the first is 0.
    public private(set) var offsets: [Int64]
    /// Granule position of each page: 48 kHz samples including pre-skip up to the end of the
    /// last packet completed on the page; -1 when no packet ends on it; 0 for header pages.
    public private(set) var granules: [Int64]
    /// Size of the whole file, in bytes.
    public private(set) var totalBytes: Int64
    /// Samples the decoder drops at the start (the OpusHead pre-skip).
    public let preSkip: Int64

    public init(preSkip: Int) {
        self.preSkip = Int64(preSkip)
        offsets = []
        granules = []
        totalBytes = 0
    }

    mutating func append(pageAt offset: Int64, length: Int, granule: Int64) {
        offsets.append(offset)
        granules.append(granule)
        totalBytes = offset + Int64(length)
    }

    public var pageCount: Int { offsets.count }

    /// Byte offset of the first audio page (after OpusHead and OpusTags).
    public var audioStart: Int64 {
        granules.firstIndex { $0 != 0 }.map { offsets[$0] } ?? totalBytes
    }

    /// Playable samples (48 kHz, after pre-skip) in the whole stream.
    public var totalSamples: Int64 { max(0, (granules.last ?? 0) - preSkip) }

    /// Playable samples a client can decode once it holds bytes `0..<end`: the audio up to the
    /// last packet completed on a page that lies wholly inside them.
    public func playableSamples(before end: Int64) -> Int64 {
        let granule = lastCompleteGranule(before: end)
        return max(0, granule - preSkip)
    }

    /// Samples (48 kHz, after pre-skip) of audio carried by the bytes `range`: from the end
    /// of the last packet completed before the range to the end of the last packet completed
    /// within it. Bytes that only carry headers carry no audio.
    public func samples(carriedBy range: Range<Int64>) -> Range<Int64> {
        guard let first = pageIndex(containing: range.lowerBound), !range.isEmpty else { return 0..<0 }
        let last = pageIndex(containing: range.upperBound - 1) ?? offsets.count - 1
        let start = max(0, granule(atOrBefore: first - 1) - preSkip)
        let end = max(start, granule(atOrBefore: last) - preSkip)
        return start..<end
    }

    /// The offset of the first page whose completed audio reaches `sample` (48 kHz, after
    /// pre-skip): where to start reading to hear that sample.
    public func byteOffset(ofSample sample: Int64) -> Int64 {
        let target = sample + preSkip
        let index = granules.indices.first { granules[$0] > target && granules[$0] > 0 }
        return index.map { offsets[$0] } ?? totalBytes
    }

    // MARK: Lookups

    /// Index of the page containing byte `offset`.
    private func pageIndex(containing offset: Int64) -> Int? {
        guard !offsets.isEmpty, offset >= 0, offset < totalBytes else { return nil }
        var low = 0
        var high = offsets.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if offsets[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return low
    }

    /// The granule of the last page that ends at or before `end`.
    private func lastCompleteGranule(before end: Int64) -> Int64 {
        guard end > 0 else { return 0 }
        let lastTouched = pageIndex(containing: end - 1) ?? (end >= totalBytes ? offsets.count - 1 : -1)
        guard lastTouched >= 0 else { return 0 }
        let pageEnd = lastTouched + 1 < offsets.count ? offsets[lastTouched + 1] : totalBytes
        let lastComplete = pageEnd <= end ? lastTouched : lastTouched - 1
        return granule(atOrBefore: lastComplete)
    }

    private func granule(atOrBefore page: Int) -> Int64 {
        var index = page
        while index >= 0 {
            if granules[index] >= 0 { return granules[index] }
            index -= 1
        }
        return 0
    }
}
