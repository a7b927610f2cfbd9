import COgg
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Makes a copy of a stored Ogg Opus rendition with new tags, without re-encoding.
///
/// The copy has the same OpusHead, a new OpusTags packet (on as many pages as it needs),
/// then the source's audio pages byte for byte except their page sequence numbers and
/// CRC-32 checksums, which follow from the new header pages. Granule positions are
/// unchanged, so the copy decodes to exactly the same samples.
///
/// `init` reads only the page headers, to learn the layout and the exact output length
/// (`contentLength`, for an HTTP Content-Length) before a byte is sent. The audio is then
/// streamed a batch of pages at a time by a `Reader`, checking each source page's checksum
/// as it goes: memory stays at one batch (about 64 KiB) plus the header pages.
public struct OpusRetagger: Sendable {
    public let sourcePath: String
    /// The new OpusHead and OpusTags pages.
    public let headerPages: [UInt8]
    /// The exact length of the tagged copy, in bytes.
    public let contentLength: Int64

    /// Byte offset of the first audio page in the source.
    let audioStart: Int64
    /// Length in bytes of each audio page in the source, in order.
    let audioPageLengths: [Int32]
    let serial: UInt32
    /// Sequence number of the first audio page in the copy.
    let firstAudioSequence: UInt32

    public init(source path: String, tags: DownloadTags) throws(AudioError) {
        if let cover = tags.cover, cover.data.count > CoverPicture.maxBytes {
            throw .io(path: path, detail: "the cover picture is \(cover.data.count) bytes; at most \(CoverPicture.maxBytes) fit in the tags")
        }
        let layout = try OggLayout.read(path: path)
        sourcePath = path
        serial = layout.serial
        audioStart = layout.audioStart
        audioPageLengths = layout.audioPageLengths
        let comments = tags.comments(sourceGain: layout.sourceTags.trackGain)
        let tagsPacket = OpusHeaders.tags(vendor: layout.sourceTags.vendor, comments: comments)
        let (pages, count) = try Self.headerPages(head: layout.headPacket, tags: tagsPacket, serial: layout.serial)
        headerPages = pages
        firstAudioSequence = UInt32(count)
        contentLength = Int64(pages.count) + layout.fileSize - layout.audioStart
    }

    /// Pages for the two header packets: OpusHead alone on the first, OpusTags from a fresh
    /// page, each page as full as libogg allows; returns the bytes and the page count.
    private static func headerPages(head: [UInt8], tags: [UInt8], serial: UInt32) throws(AudioError) -> ([UInt8], Int) {
        let stream = UnsafeMutablePointer<ogg_stream_state>.allocate(capacity: 1)
        guard ogg_stream_init(stream, Int32(bitPattern: serial)) == 0 else {
            stream.deallocate()
            throw .codec(call: "ogg_stream_init", code: -1, detail: "libogg could not start a stream")
        }
        defer {
            ogg_stream_clear(stream)
            stream.deallocate()
        }
        var bytes: [UInt8] = []
        var pageCount = 0
        for (number, packetBytes) in [head, tags].enumerated() {
            var copy = packetBytes
            let result = copy.withUnsafeMutableBufferPointer { buffer in
                var packet = ogg_packet(packet: buffer.baseAddress, bytes: buffer.count, b_o_s: number == 0 ? 1 : 0,
                                        e_o_s: 0, granulepos: 0, packetno: Int64(number))
                return ogg_stream_packetin(stream, &packet)
            }
            guard result == 0 else { throw .codec(call: "ogg_stream_packetin", code: result, detail: "libogg refused a header packet") }
            var page = ogg_page()
            while ogg_stream_flush_fill(stream, &page, 255 * 255) != 0 {
                bytes += UnsafeBufferPointer(start: page.header, count: page.header_len)
                bytes += UnsafeBufferPointer(start: page.body, count: page.body_len)
                pageCount += 1
            }
        }
        return (bytes, pageCount)
    }

    /// A reader of the tagged copy from its first byte.
    public func makeReader() throws(AudioError) -> Reader {
        try Reader(self)
    }

    /// Streams the whole copy to `sink`, a batch of pages at a time; returns the bytes
    /// written (equal to `contentLength`).
    @discardableResult
    public func write(to sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Int64 {
        let reader = try makeReader()
        var written: Int64 = 0
        while let chunk = try reader.next() {
            try chunk.withUnsafeBytes { try sink($0) }
            written += Int64(chunk.count)
        }
        return written
    }

    /// Reads the tagged copy in order: the header pages first, then batches of rewritten
    /// audio pages of about 64 KiB. Safe to hand between threads; one caller at a time.
    public final class Reader: Sendable {
        private let retagger: OpusRetagger
        private let descriptor: Int32
        private let state = Mutex(State())

        private struct State {
            var headerSent = false
            var nextPage = 0
            var sourceOffset: Int64 = 0
        }

        /// Pages gathered into one chunk, up to this many bytes (at least one page).
        static let batchBytes = 64 * 1024

        init(_ retagger: OpusRetagger) throws(AudioError) {
            self.retagger = retagger
            descriptor = open(retagger.sourcePath, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw .io(path: retagger.sourcePath, detail: String(cString: strerror(errno))) }
            state.withLock { $0.sourceOffset = retagger.audioStart }
        }

        deinit { close(descriptor) }

        /// The next chunk of the copy, or nil after the last. Throws when the source changed
        /// or is damaged (a page no longer where it was, or with a wrong checksum).
        public func next() throws(AudioError) -> [UInt8]? {
            try state.withLock { state throws(AudioError) -> [UInt8]? in
                if !state.headerSent {
                    state.headerSent = true
                    return retagger.headerPages
                }
                let lengths = retagger.audioPageLengths
                guard state.nextPage < lengths.count else { return nil }
                var end = state.nextPage
                var total = 0
                while end < lengths.count && (end == state.nextPage || total + Int(lengths[end]) <= Self.batchBytes) {
                    total += Int(lengths[end])
                    end += 1
                }
                var chunk = try readFully(descriptor, count: total, at: state.sourceOffset, path: retagger.sourcePath)
                let (first, base) = (state.nextPage, state.sourceOffset)
                try chunk.withUnsafeMutableBytes { raw in
                    Result { () throws(AudioError) in
                        var offset = 0
                        for index in first..<end {
                            let length = Int(lengths[index])
                            let page = UnsafeMutableRawBufferPointer(rebasing: raw[offset..<offset + length])
                            try rewrite(page, sequence: retagger.firstAudioSequence + UInt32(index), at: base + Int64(offset))
                            offset += length
                        }
                    }
                }.get()
                state.sourceOffset += Int64(total)
                state.nextPage = end
                return chunk
            }
        }

        /// Checks the source page's checksum, then gives it its new sequence number and checksum.
        private func rewrite(_ page: UnsafeMutableRawBufferPointer, sequence: UInt32, at offset: Int64) throws(AudioError) {
            guard page.count >= 27, page[0] == 0x4F, page[1] == 0x67, page[2] == 0x67, page[3] == 0x53 else {
                throw .notAudio(detail: "no Ogg page at byte \(offset) of the stored rendition")
            }
            let headerLength = 27 + Int(page[26])
            let stored = Array(page[22..<26])
            Self.checksum(page, headerLength: headerLength)
            guard Array(page[22..<26]) == stored else {
                throw .notAudio(detail: "the Ogg page at byte \(offset) of the stored rendition is damaged (checksum)")
            }
            for index in 0..<4 { page[18 + index] = UInt8((sequence >> (8 * UInt32(index))) & 0xFF) }
            Self.checksum(page, headerLength: headerLength)
        }

        /// libogg's CRC-32 over the page, written into bytes 22–25.
        private static func checksum(_ page: UnsafeMutableRawBufferPointer, headerLength: Int) {
            let base = page.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var oggPage = ogg_page(header: base, header_len: headerLength, body: base + headerLength, body_len: page.count - headerLength)
            ogg_page_checksum_set(&oggPage)
        }
    }
}
