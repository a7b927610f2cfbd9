import Foundation
import HTTPTypes
import Testing
@testable import TuttiServer

@Suite("Range and conditional request rules (RFC 9110 §13, §14)")
struct RangeAndConditionTests {
    @Test("Range headers select bytes of a 1000-byte representation", arguments: [
        ("bytes=0-99", RangeSelection.partial(0...99)),
        ("bytes=0-0", .partial(0...0)),
        ("bytes=500-", .partial(500...999)),
        ("bytes=-100", .partial(900...999)),
        ("bytes=-5000", .partial(0...999)),
        ("bytes=900-5000", .partial(900...999)),
        ("bytes=999-999", .partial(999...999)),
        ("  bytes=10-20  ", .partial(10...20)),
        ("bytes=0-10, 20-30", .partial(0...30)),
        ("bytes=50-60,0-5", .partial(0...60)),
        ("bytes=1000-", .unsatisfiable),
        ("bytes=5000-6000", .unsatisfiable),
        ("bytes=-0", .unsatisfiable),
        ("bytes=1000-1000, 2000-", .unsatisfiable),
        ("bytes=1000-, 0-1", .partial(0...1)),
        ("Bytes=0-99", .partial(0...99)),
        ("\tbytes=0-9,\t20-29\t", .partial(0...29)),
    ])
    func selection(header: String, expected: RangeSelection) {
        #expect(RangeSelection(header: header, size: 1_000) == expected)
    }

    @Test("malformed or foreign Range headers are ignored: the whole representation is sent", arguments: [
        "", "bytes", "bytes=", "bytes=abc", "bytes=5-1", "bytes=--1", "bytes=1-2-3", "items=0-10", "bytes=0-10,", "bytes=,",
        "bytes=99999999999999999999-", "bytes=-99999999999999999999", "bytes= 0 - 10", "bytes=0x10-20", "bytes=+5-10",
        "bytes=" + Array(repeating: "0-1", count: 65).joined(separator: ","), "bytes=0-" + String(repeating: "9", count: 2_000),
        // Only ASCII digits, separators and unit: look-alikes and control bytes are not them.
        "bytes\u{1D}0-10", "bytes=0-10\u{301}", "bytes=\u{663}-5", "ｂytes=0-10", "bytes=0-10\u{0B}",
    ])
    func ignored(header: String) {
        #expect(RangeSelection(header: header, size: 1_000) == .whole)
    }

    @Test("no Range header is the whole representation; an empty one has nothing to range over")
    func edges() {
        #expect(RangeSelection(header: nil, size: 1_000) == .whole)
        #expect(RangeSelection(header: "bytes=0-1", size: 0) == .unsatisfiable)
    }

    static let modified = Date(timeIntervalSince1970: 1_790_000_000)
    static let validators = Validators(etag: "\"abc\"", lastModified: modified)

    @Test("conditional headers, in RFC 9110's order of evaluation", arguments: [
        (HTTPFields(), Validators.Outcome.proceed(honourRange: true)),
        ([.ifNoneMatch: "\"abc\""], .notModified),
        ([.ifNoneMatch: "W/\"abc\""], .notModified),
        ([.ifNoneMatch: "\"x\", \"abc\""], .notModified),
        ([.ifNoneMatch: "*"], .notModified),
        ([.ifNoneMatch: "\"other\""], .proceed(honourRange: true)),
        ([.ifMatch: "\"abc\""], .proceed(honourRange: true)),
        ([.ifMatch: "W/\"abc\""], .preconditionFailed),
        ([.ifMatch: "\"other\""], .preconditionFailed),
        ([.ifModifiedSince: HTTPDate.format(modified)], .notModified),
        ([.ifModifiedSince: HTTPDate.format(modified.addingTimeInterval(-1))], .proceed(honourRange: true)),
        ([.ifModifiedSince: "garbage"], .proceed(honourRange: true)),
        // If-None-Match wins over If-Modified-Since.
        ([.ifNoneMatch: "\"other\"", .ifModifiedSince: HTTPDate.format(modified)], .proceed(honourRange: true)),
        ([.ifUnmodifiedSince: HTTPDate.format(modified.addingTimeInterval(-1))], .preconditionFailed),
        ([.ifUnmodifiedSince: HTTPDate.format(modified)], .proceed(honourRange: true)),
        ([.ifRange: "\"abc\""], .proceed(honourRange: true)),
        ([.ifRange: "\"old\""], .proceed(honourRange: false)),
        ([.ifRange: "W/\"abc\""], .proceed(honourRange: false)),
        ([.ifRange: HTTPDate.format(modified)], .proceed(honourRange: true)),
        ([.ifRange: HTTPDate.format(modified.addingTimeInterval(1))], .proceed(honourRange: false)),
        ([.ifRange: "not a date"], .proceed(honourRange: false)),
    ] as [(HTTPFields, Validators.Outcome)])
    func conditions(headers: HTTPFields, expected: Validators.Outcome) {
        #expect(Self.validators.evaluate(headers) == expected)
    }

    @Test("HTTP-dates: IMF-fixdate out; IMF-fixdate, RFC 850 and asctime in")
    func httpDates() {
        let date = Date(timeIntervalSince1970: 784_111_777)  // RFC 9110's example instant
        #expect(HTTPDate.format(date) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == date)
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT") == date)
        #expect(HTTPDate.parse("Sun Nov  6 08:49:37 1994") == date)
        #expect(HTTPDate.format(Date(timeIntervalSince1970: 0)) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(Date(timeIntervalSince1970: 951_825_600)) == "Tue, 29 Feb 2000 12:00:00 GMT")
        for text in ["", "yesterday", "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT"] {
            #expect(HTTPDate.parse(text) == nil)
        }
        for seconds in stride(from: -86_400 * 400, through: 86_400 * 365 * 80, by: 86_400 * 37 + 3_607) {
            let instant = Date(timeIntervalSince1970: Double(seconds))
            #expect(HTTPDate.parse(HTTPDate.format(instant)) == instant)
        }
    }
}
