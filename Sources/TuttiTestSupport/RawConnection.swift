import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection for requests no well-behaved client sends: oversized headers,
/// bodies that stall or stop half way. Blocking calls run on a thread of their own.
public final class RawConnection: @unchecked Sendable {
    private let descriptor: Int32

    /// Connects to 127.0.0.1:`port`. A `receiveBuffer` (bytes) is set before connecting, so
    /// that it bounds the window the server may fill: a client that reads slowly then keeps
    /// the rest of a response waiting on the server's side.
    public init(port: Int, receiveBuffer: Int? = nil) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer.map(Int32.init) {
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw RawConnectionError.connect(errno) }
    }

    deinit { close(descriptor) }

    /// Sends bytes; false if the peer has closed the connection.
    @discardableResult
    public func send(_ data: Data) -> Bool {
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.send(descriptor, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
    }

    @discardableResult
    public func send(_ text: String) -> Bool { send(Data(text.utf8)) }

    /// Reads until the peer closes or a complete response with Content-Length has arrived.
    @available(*, noasync, message: "blocks its thread for up to the idle timeout: call it inside RawConnection.onThread")
    public func readResponse() -> String {
        String(decoding: read { HTTPMessage.isComplete($0) }, as: UTF8.self)
    }

    /// How a read ended.
    public enum ReadEnd: Equatable, Sendable {
        /// What had arrived satisfied the caller.
        case done
        /// The peer closed (or reset) the connection.
        case closed
        /// Nothing arrived for the whole idle timeout.
        case timedOut
    }

    /// Reads until `done` holds for what has arrived, the peer closes, or `timeout` seconds
    /// pass without data; returns everything received and which of those ended it. A slow
    /// client reads at most `chunk` bytes at a time, `pause` seconds apart.
    @available(*, noasync, message: "blocks its thread for up to the idle timeout: call it inside RawConnection.onThread")
    public func receive(
        timeout: Int = RawConnection.idleTimeout, chunk: Int = 65_536, pause: TimeInterval = 0, until done: (Data) -> Bool
    ) -> (data: Data, end: ReadEnd) {
        var timeval = Glibc.timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeval, socklen_t(MemoryLayout<Glibc.timeval>.size))
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: chunk)
        while !done(received) {
            let n = recv(descriptor, &buffer, buffer.count, 0)
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return (received, .timedOut) }
            if n <= 0 { return (received, .closed) }
            received.append(contentsOf: buffer[..<n])
            if pause > 0 { Thread.sleep(forTimeInterval: pause) }
        }
        return (received, .done)
    }

    /// ``receive(timeout:chunk:pause:until:)`` for callers that check what arrived themselves.
    @available(*, noasync, message: "blocks its thread for up to the idle timeout: call it inside RawConnection.onThread")
    public func read(timeout: Int = RawConnection.idleTimeout, chunk: Int = 65_536, pause: TimeInterval = 0, until done: (Data) -> Bool) -> Data {
        receive(timeout: timeout, chunk: chunk, pause: pause, until: done).data
    }

    /// Reads until the peer closes the connection; returns what arrived meanwhile.
    /// - Throws: ``DidNotHappen`` if the connection stays open without data for `timeout` seconds.
    @available(*, noasync, message: "blocks its thread for up to the idle timeout: call it inside RawConnection.onThread")
    public func readUntilClosed(timeout: Int = RawConnection.idleTimeout) throws -> Data {
        let (data, end) = receive(timeout: timeout) { _ in false }
        guard end == .closed else {
            throw DidNotHappen(what: "the server to close the connection (\(data.count) bytes received)", timeout: .seconds(timeout))
        }
        return data
    }

    /// Makes a send that cannot go on for `seconds` fail instead of waiting for ever (a peer
    /// that stops reading without closing).
    public func setSendTimeout(seconds: Int) {
        var timeval = Glibc.timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeval, socklen_t(MemoryLayout<Glibc.timeval>.size))
    }

    /// Bytes that have arrived and not been read yet (never blocks).
    public var pendingBytes: Int {
        var count: Int32 = 0
        let status = withUnsafeMutablePointer(to: &count) { ioctl(descriptor, UInt(FIONREAD), $0) }
        return status == 0 ? Int(count) : 0
    }

    /// How long a read waits for the next bytes before giving up, in seconds: generous, so
    /// that only a peer that has stopped sending runs into it (see ``Deadline``).
    public static let idleTimeout = Int(Deadline.standard.components.seconds)

    /// One request with `Connection: close`; returns the status and the body (nil status if
    /// the connection failed or closed before a status line).
    @available(*, noasync, message: "blocks its thread for up to the idle timeout: call it inside RawConnection.onThread")
    public static func exchange(port: Int, _ method: String, _ path: String, headers: [String: String] = [:], body: Data = Data()) -> (status: Int?, body: Data) {
        guard let connection = try? RawConnection(port: port) else { return (nil, Data()) }
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        guard connection.send(Data((request + "\r\n").utf8) + body) else { return (nil, Data()) }
        let data = connection.read { _ in false }
        guard let end = data.firstRange(of: Data("\r\n\r\n".utf8)),
              let statusLine = String(decoding: data[..<end.lowerBound], as: UTF8.self).split(separator: "\r\n").first,
              statusLine.split(separator: " ").count >= 2, let status = Int(statusLine.split(separator: " ")[1]) else { return (nil, data) }
        return (status, Data(data[end.upperBound...]))
    }

    /// Closes the sending side (a FIN), as a client does that has sent its request and will
    /// read no further once it closes.
    public func closeSending() {
        shutdown(descriptor, Int32(SHUT_WR))
    }

    /// Closes the connection abruptly (RST), as a client that crashed would.
    public func abort() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        shutdown(descriptor, Int32(SHUT_RDWR))
    }

    /// Runs blocking socket work on its own thread (see ``onOwnThread(_:)``).
    public static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await onOwnThread(body)
    }
}

public enum RawConnectionError: Error {
    case connect(Int32)
}
