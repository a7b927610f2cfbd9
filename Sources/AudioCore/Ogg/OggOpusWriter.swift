import COgg

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes one Ogg Opus stream (RFC 7845) to a file and records its page index.
///
/// OpusHead sits alone on the first page, OpusTags on the next page(s), then audio pages of
/// about one second. The last page's granule position trims the end so a decoder yields
/// exactly the input's length.
final class OggOpusWriter {
    /// Packets (20 ms each) gathered on one audio page: one second.
    static let packetsPerPage = 50
    /// libogg splits a page only when its 255 lacing values are used up.
    private static let pageFill: Int32 = 255 * 255

    let path: String
    private(set) var index: PageIndex
    private let file: UnsafeMutablePointer<FILE>
    private let stream: UnsafeMutablePointer<ogg_stream_state>
    private let serial: Int32
    private let headPacket: [UInt8]
    private let tagsLength: Int
    private var tagsOffset: Int64 = 0
    private var bytesWritten: Int64 = 0
    private var packetsOnPage = 0
    private var packetNumber: Int64 = 0

    init(path: String, channels: Int, preSkip: Int, inputSampleRate: Int, vendor: String, comments: [String]) throws(AudioError) {
        guard let file = fopen(path, "wb") else {
            throw .io(path: path, detail: String(cString: strerror(errno)))
        }
        setvbuf(file, nil, _IOFBF, 256 * 1024)
        self.path = path
        self.file = file
        index = PageIndex(preSkip: preSkip)
        serial = Int32(bitPattern: UInt32.random(in: 1...UInt32.max))
        stream = .allocate(capacity: 1)
        ogg_stream_init(stream, serial)
        headPacket = OpusHeaders.head(channels: channels, preSkip: preSkip, inputSampleRate: inputSampleRate)
        let tags = OpusHeaders.tags(vendor: vendor, comments: comments)
        tagsLength = tags.count + OpusHeaders.gainReserve
        do throws(AudioError) {
            try submit(headPacket, granule: 0, endOfStream: false)
            try flush()
            tagsOffset = bytesWritten
            try submit(OpusHeaders.tags(vendor: vendor, comments: comments, paddedTo: tagsLength), granule: 0, endOfStream: false)
            try flush()
        } catch {
            close()
            throw error
        }
    }

    deinit {
        ogg_stream_clear(stream)
        stream.deallocate()
    }

    /// Adds one audio packet ending at `granule` (48 kHz samples, pre-skip included).
    func write(packet: UnsafeRawBufferPointer, granule: Int64, endOfStream: Bool) throws(AudioError) {
        try submit(packet, granule: granule, endOfStream: endOfStream)
        packetsOnPage += 1
        if packetsOnPage >= Self.packetsPerPage || endOfStream {
            try flush()
            packetsOnPage = 0
        }
    }

    /// Rewrites the OpusTags page(s) in place with the final comments; the packet keeps its
    /// length (zero padding absorbs the difference), so every later page stays where it is.
    func rewriteTags(vendor: String, comments: [String]) throws(AudioError) {
        let tags = OpusHeaders.tags(vendor: vendor, comments: comments, paddedTo: tagsLength)
        guard tags.count == tagsLength else {
            throw .codec(call: "OpusTags rewrite", code: -1, detail: "comments grew past the reserved space")
        }
        let scratch = UnsafeMutablePointer<ogg_stream_state>.allocate(capacity: 1)
        ogg_stream_init(scratch, serial)
        defer {
            ogg_stream_clear(scratch)
            scratch.deallocate()
        }
        var pages: [UInt8] = []
        func packetIn(_ bytes: [UInt8], number: Int64) {
            var bytes = bytes
            bytes.withUnsafeMutableBufferPointer { buffer in
                var packet = ogg_packet(packet: buffer.baseAddress, bytes: buffer.count, b_o_s: number == 0 ? 1 : 0, e_o_s: 0, granulepos: 0, packetno: number)
                _ = ogg_stream_packetin(scratch, &packet)
            }
        }
        var page = ogg_page()
        packetIn(headPacket, number: 0)
        while ogg_stream_flush_fill(scratch, &page, Self.pageFill) != 0 {}
        packetIn(tags, number: 1)
        while ogg_stream_flush_fill(scratch, &page, Self.pageFill) != 0 {
            pages += UnsafeBufferPointer(start: page.header, count: page.header_len)
            pages += UnsafeBufferPointer(start: page.body, count: page.body_len)
        }
        let position = ftello(file)
        guard fseeko(file, off_t(tagsOffset), SEEK_SET) == 0,
              fwrite(pages, 1, pages.count, file) == pages.count,
              fseeko(file, position, SEEK_SET) == 0 else {
            throw .io(path: path, detail: String(cString: strerror(errno)))
        }
    }

    /// Flushes and syncs the file to disk, then closes it.
    func finish() throws(AudioError) {
        defer { close() }
        guard fflush(file) == 0, fsync(fileno(file)) == 0 else {
            throw .io(path: path, detail: String(cString: strerror(errno)))
        }
    }

    private var closed = false

    /// Closes the file without syncing (after a failure; the caller removes it).
    func close() {
        guard !closed else { return }
        closed = true
        fclose(file)
    }

    // MARK: Pages

    private func submit(_ bytes: [UInt8], granule: Int64, endOfStream: Bool) throws(AudioError) {
        try bytes.withUnsafeBytes { raw in
            Result { () throws(AudioError) in try submit(raw, granule: granule, endOfStream: endOfStream) }
        }.get()
    }

    private func submit(_ raw: UnsafeRawBufferPointer, granule: Int64, endOfStream: Bool) throws(AudioError) {
        let number = packetNumber
        packetNumber += 1
        // libogg copies the packet's bytes; it never writes through this pointer.
        var packet = ogg_packet(
            packet: UnsafeMutablePointer(mutating: raw.baseAddress!.assumingMemoryBound(to: UInt8.self)),
            bytes: raw.count, b_o_s: number == 0 ? 1 : 0, e_o_s: endOfStream ? 1 : 0,
            granulepos: granule, packetno: number)
        let result = ogg_stream_packetin(stream, &packet)
        if result != 0 { throw .codec(call: "ogg_stream_packetin", code: result, detail: "libogg refused a packet") }
    }

    private func flush() throws(AudioError) {
        var page = ogg_page()
        while ogg_stream_flush_fill(stream, &page, Self.pageFill) != 0 {
            let length = page.header_len + page.body_len
            index.append(pageAt: bytesWritten, length: length, granule: ogg_page_granulepos(&page))
            guard fwrite(page.header, 1, page.header_len, file) == page.header_len,
                  fwrite(page.body, 1, page.body_len, file) == page.body_len else {
                throw .io(path: path, detail: String(cString: strerror(errno)))
            }
            bytesWritten += Int64(length)
        }
    }
}
