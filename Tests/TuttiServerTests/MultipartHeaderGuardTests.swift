import NIOCore
import Testing

@testable import TuttiServer

@Suite("Multipart header guard")
struct MultipartHeaderGuardTests {
    static let boundary = "b0undary"

    /// Feeds `body` in chunks of `size` bytes; false once the guard refuses one.
    static func accepted(_ body: [UInt8], chunkSize size: Int) -> Bool {
        var guardian = MultipartHeaderGuard(boundary: boundary)
        var start = 0
        while start < body.count {
            let end = min(start + size, body.count)
            if !guardian.accepts(ByteBuffer(bytes: body[start..<end])) { return false }
            start = end
        }
        return true
    }

    @Test("ordinary forms pass, non-ASCII in values and bodies included; a non-ASCII header name is refused, however the body is cut", arguments: [1, 2, 7, 4096])
    func cases(chunkSize: Int) {
        let good = "--b0undary\r\nContent-Disposition: form-data; name=\"files\"; filename=\"Béla.flac\"\r\n\r\nÿÿ--b0und\u{FF}ary é: x\r\n--b0undary--\r\n"
        #expect(Self.accepted(Array(good.utf8), chunkSize: chunkSize))
        let badFirst = "--b0undary\r\nपन्ह: x\r\n\r\n\r\n--b0undary--\r\n"
        #expect(!Self.accepted(Array(badFirst.utf8), chunkSize: chunkSize))
        let badSecond = "--b0undary\r\nContent-Disposition: form-data; name=\"a\"\r\nX-é: 1\r\n\r\nv\r\n--b0undary--\r\n"
        #expect(!Self.accepted(Array(badSecond.utf8), chunkSize: chunkSize))
        // A delimiter whose start repeats inside itself is still found after a false start.
        let overlapping = "---b0undary\r\né: 1\r\n\r\n"
        #expect(!Self.accepted(Array(overlapping.utf8), chunkSize: chunkSize))
    }
}
