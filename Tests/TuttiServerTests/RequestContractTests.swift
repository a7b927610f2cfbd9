import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import TuttiServer
import TuttiTestSupport

/// The server keeps to what the OpenAPI document declares: methods (405 with Allow),
/// query parameters (400 outside their schema), text members and passwords as JSON Schema
/// counts them. `tools/contract-check.sh` checks the whole document with schemathesis.
@Suite("Requests are answered as the document declares")
struct RequestContractTests {
    /// The documented paths with their parameters filled in, and the methods each lists.
    static func documentedPaths() throws -> [(path: String, methods: Set<String>)] {
        let document = try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as! [String: Any]
        let paths = document["paths"] as! [String: [String: Any]]
        return paths.map { template, operations in
            let path = template.split(separator: "/").map { segment -> String in
                switch segment {
                case "{rendition}": "standard"
                case "{file}": "app.css"
                case let parameter where parameter.hasPrefix("{"): "0190f3c4-7a10-7000-8000-000000000001"
                default: String(segment)
                }
            }
            return ("/" + path.joined(separator: "/"), Set(operations.keys.map { $0.uppercased() }))
        }
    }

    @Test("every documented path answers a method it does not list with 405 and Allow, OPTIONS with 204 and Allow, HEAD wherever it has GET")
    func methodNotAllowed() async throws {
        try await TestService().run { api in
            let paths = try Self.documentedPaths()
            #expect(paths.count > 30)
            for (path, methods) in paths {
                var allowed = methods.union(["OPTIONS"])
                if methods.contains("GET") { allowed.insert("HEAD") }
                let trace = try await api.request(HTTPRequest.Method("TRACE")!, path)
                #expect(trace.status == .methodNotAllowed, "TRACE \(path)")
                #expect(Set((trace.headers[.allow] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) == allowed, "TRACE \(path): \(trace.headers[.allow] ?? "no Allow")")
                _ = try trace.problem()
                let options = try await api.request(.options, path)
                #expect(options.status == .noContent, "OPTIONS \(path)")
                #expect(options.headers[.allow] == trace.headers[.allow], "OPTIONS \(path)")
                for method in ["PUT", "PATCH", "DELETE", "POST"] where !methods.contains(method) {
                    #expect(try await api.request(HTTPRequest.Method(method)!, path).status == .methodNotAllowed, "\(method) \(path)")
                }
            }
            // A path no route has is still 404, whatever the method.
            #expect(try await api.request(HTTPRequest.Method("TRACE")!, "/api/v1/nothing-here").status == .notFound)
            #expect(try await api.request(.options, "/api/v1/tracks/x/y/z").status == .notFound)
            // HEAD of a GET-only route: the GET's status and headers, no body.
            let get = try await api.request(.get, "/api/v1/tracks")
            let head = try await api.request(.head, "/api/v1/tracks")
            #expect(head.status == .ok)
            #expect(head.headers[.contentType] == get.headers[.contentType])
            #expect(head.headers[.contentLength] == get.headers[.contentLength])
            #expect(head.body.readableBytes == 0)
        }
    }

    @Test("query parameters outside their schema are refused with 400, never replaced by the default")
    func queryParameters() async throws {
        try await TestService().run { api in
            let admin = try await api.adminAccount("root")
            let refused = [
                "/api/v1/tracks?limit=0", "/api/v1/tracks?limit=101", "/api/v1/tracks?limit=abc", "/api/v1/tracks?limit=",
                "/api/v1/tracks?limit=%2B5", "/api/v1/tracks?offset=-1", "/api/v1/tracks?offset=null", "/api/v1/artists?limit=0",
                "/api/v1/artists?offset=1.5", "/api/v1/governance/proposals?status=", "/api/v1/governance/proposals?status=pending",
                "/api/v1/admin/payouts?threshold=0", "/api/v1/admin/payouts?format=xml", "/api/v1/wallet/history?before=0",
                "/api/v1/wallet/history?limit=1000",
            ]
            for uri in refused {
                let response = try await api.request(.get, uri, token: admin.token)
                #expect(response.status == .badRequest, "\(uri)")
                _ = try response.problem()
            }
            let accepted = [
                "/api/v1/tracks?limit=100&offset=0", "/api/v1/tracks?limit=1&offset=2147483647", "/api/v1/artists?limit=1",
                "/api/v1/governance/proposals?status=open", "/api/v1/admin/payouts?threshold=1&format=csv", "/api/v1/wallet/history?limit=1",
            ]
            for uri in accepted {
                #expect(try await api.request(.get, uri, token: admin.token).status == .ok, "\(uri)")
            }
            let page = try await api.request(.get, "/api/v1/tracks?limit=7", token: admin.token).json()
            #expect(page["limit"] as? Int == 7)
        }
    }

    @Test("text members: blank or too long is 422 as the schema says; a blank-looking text with a letter passes")
    func textMembers() async throws {
        try await TestService().run { api in
            let admin = try await api.adminAccount("root")
            let lena = try await api.account("lena")
            func credit(_ reason: String, key: String) async throws -> HTTPResponse.Status {
                try await api.request(.post, "/api/v1/admin/wallets/\(lena.id)/credits", token: admin.token,
                                      headers: [HTTPField.Name("Idempotency-Key")!: key], json: ["amount": 5, "reason": reason]).status
            }
            #expect(try await credit("", key: "k1") == .unprocessableContent)
            #expect(try await credit(" \t\u{3000}\u{85}", key: "k2") == .unprocessableContent)
            #expect(try await credit(String(repeating: "x", count: 1_001), key: "k3") == .unprocessableContent)
            // A space carrying a combining accent is not blank (the schema's pattern sees U+0301).
            #expect(try await credit(" \u{301}", key: "k4") == .ok)
            #expect(try await credit(String(repeating: "é", count: 1_000), key: "k5") == .ok)
            // The amount's minimum.
            let zero = try await api.request(.post, "/api/v1/admin/wallets/\(lena.id)/credits", token: admin.token,
                                             headers: [HTTPField.Name("Idempotency-Key")!: "k6"], json: ["amount": 0, "reason": "x"])
            #expect(zero.status == .unprocessableContent)
            // Malformed JSON is 400.
            let malformed = try await api.request(.post, "/api/v1/admin/wallets/\(lena.id)/credits", token: admin.token,
                                                  headers: [HTTPField.Name("Idempotency-Key")!: "k7", .contentType: "application/json"],
                                                  body: ByteBuffer(string: "{\"amount\": 5,"))
            #expect(malformed.status == .badRequest)
        }
    }

    @Test("usernames follow the document's pattern; passwords are 8 to 72 characters and every byte of a long encoding counts")
    func credentials() async throws {
        try await TestService().run { api in
            func register(_ username: String, _ password: String) async throws -> HTTPResponse.Status {
                try await api.request(.post, "/api/v1/users", json: ["username": username, "password": password]).status
            }
            // The Kelvin sign lowercases to 'k', but the pattern allows ASCII letters only.
            #expect(try await register("\u{212A}elvin", "long enough pw") == .unprocessableContent)
            #expect(try await register("Mixed.Case_ok-1", "long enough pw") == .created)
            #expect(try await register("shorty", String(repeating: "é", count: 7)) == .unprocessableContent)  // 14 bytes, 7 characters
            #expect(try await register("longest", String(repeating: "x", count: 73)) == .unprocessableContent)
            // 72 characters of 4 bytes: 288 bytes, beyond bcrypt's 72; hashed whole first.
            let long = String(repeating: "𝄞", count: 71) + "a"
            #expect(try await register("cellist", long) == .created)
            let right = try await api.request(.post, "/api/v1/sessions", json: ["username": "cellist", "password": long])
            #expect(right.status == .created)
            let wrong = try await api.request(.post, "/api/v1/sessions", json: ["username": "cellist", "password": String(repeating: "𝄞", count: 71) + "b"])
            #expect(wrong.status == .unauthorized)
        }
    }

    @Test("instants are read exactly as JSON Schema's date-time and date formats define them", arguments: [
        ("2000-01-01T00:00:00Z", 946_684_800.0), ("2000-01-01t00:00:00z", 946_684_800), ("2000-01-01T00:00:00.5+05:30", 946_665_000.5),
        ("0001-01-01T00:00:00-23:59", -62_135_510_460), ("2024-02-29T23:59:59.123456Z", 1_709_251_199.123456), ("2000-01-01", 946_684_800),
        ("1969-12-31T23:59:59Z", -1), ("9999-12-31T23:59:59Z", 253_402_300_799),
    ] as [(String, Double)])
    func instants(text: String, seconds: Double) {
        let date = RFC3339.instant(text)
        #expect(date.map { abs($0.timeIntervalSince1970 - seconds) < 0.000_01 } == true, "\(text): \(String(describing: date?.timeIntervalSince1970))")
    }

    @Test("text that is not a date-time or date is refused", arguments: [
        "2000-01-01T00:00:00Zjunk", "2000-01-01T24:00:00Z", "2000-02-30", "2023-02-29", "2000-13-01", "2000-01-01T00:00:00",
        "2000-01-01 00:00:00Z", "2000-01-01T00:00:00+0530", "2000-01-01T00:00:00,5Z", "2000-01-01T00:00:00.Z", "2000-01-01T00:00:60Z",
        "2000-1-1", " 2000-01-01", "20000101T000000Z", "2000-01-01T00:00:00+24:00", "",
    ])
    func notInstants(text: String) {
        #expect(RFC3339.instant(text) == nil, "\(text)")
    }

    @Test("the not-blank pattern excludes exactly the code points TextRule counts as blank")
    func notBlankPattern() throws {
        // Parse the pattern's class: \uXXXX and \uXXXX-\uXXXX items.
        var excluded = Set<UInt32>()
        let body = TextRule.notBlankPattern.dropFirst(2).dropLast()  // "[^" ... "]"
        let items = body.components(separatedBy: "\\u").filter { !$0.isEmpty }
        var index = 0
        while index < items.count {
            let item = items[index]
            let low = UInt32(item.prefix(4), radix: 16)!
            if item.hasSuffix("-") {
                let high = UInt32(items[index + 1].prefix(4), radix: 16)!
                excluded.formUnion(low...high)
                index += 2
            } else {
                excluded.insert(low)
                index += 1
            }
        }
        var blank = Set<UInt32>()
        for value in UInt32(0)...0x10FFFF {
            if let scalar = Unicode.Scalar(value), TextRule.isBlank(scalar) { blank.insert(value) }
        }
        #expect(excluded == blank)
    }
}
