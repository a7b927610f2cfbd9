import NIOCore

/// The descriptors one event loop sends files from (``SendfileHandler``), one per file, kept
/// open between answers and shared by the loop's connections: a stream asks for ranges of one
/// file again and again, and a descriptor duplicated and closed per answer cost two system
/// calls and two allocations each time. A NIO file handle refuses to be used by two threads
/// at once (EBUSY), so each loop has its own; on one loop the writes never overlap.
///
/// Used only on its event loop (hence `@unchecked Sendable`: it is handed to that loop's
/// connections once, from the routes, and never touched elsewhere).
final class LoopFiles: @unchecked Sendable {
    /// Files kept open per loop; past it the oldest is let go (closed once its last region
    /// has been written).
    static let limit = 64

    private var open: [ObjectIdentifier: SendingFile] = [:]
    /// Keys in the order they were opened.
    private var order: [ObjectIdentifier] = []

    deinit {
        // The routes and every connection of the loop are gone (a server that stopped).
        for file in open.values { file.retire() }
    }

    /// The descriptor of `file` to send from, or nil with no descriptor to spare (or an empty
    /// file). Register each region written from it with ``SendingFile/regionStarted()`` and
    /// ``SendingFile/regionLeft()``.
    func sending(_ file: MappedFile) -> SendingFile? {
        // The key is the mapped file's identity, which cannot be reused while it is held here.
        let key = ObjectIdentifier(file)
        if let existing = open[key] { return existing }
        guard let handle = file.sendingHandle() else { return nil }
        let opened = SendingFile(file: file, handle: handle)
        if order.count >= Self.limit {
            let oldest = order.removeFirst()
            open.removeValue(forKey: oldest)?.retire()
        }
        open[key] = opened
        order.append(key)
        return opened
    }
}

/// A file's descriptor as one event loop holds it, closed once the loop has let it go and the
/// regions written from it have all left.
final class SendingFile {
    let file: MappedFile
    let handle: NIOFileHandle
    private var regionsInFlight = 0
    private var retired = false

    init(file: MappedFile, handle: NIOFileHandle) {
        (self.file, self.handle) = (file, handle)
    }

    deinit {
        // Nothing can write from it any more.
        if handle.isOpen { try? handle.close() }
    }

    func regionStarted() {
        regionsInFlight += 1
    }

    func regionLeft() {
        regionsInFlight -= 1
        closeIfDone()
    }

    func retire() {
        retired = true
        closeIfDone()
    }

    private func closeIfDone() {
        if retired && regionsInFlight == 0 { try? handle.close() }
    }
}
