import Foundation
import HTTPTypes
import Ledger
import NIOCore
import Testing
@testable import TuttiServer

@Suite("Payment webhook: signed top-ups, exactly once")
struct PaymentWebhookTests {
    @Test("the signature is HMAC-SHA256 of \"<t>.\" + body, as openssl computes it")
    func knownSignature() throws {
        let body = Array(#"{"id":"evt_1","type":"payment.succeeded","data":{"user":"u","amount":5,"currency":"credit"}}"#.utf8)
        // printf '%s' '1700000000.<body>' | openssl dgst -sha256 -hmac 'whsec_test_0123456789abcdef'
        let expected = "e892b6ffd267ba8ac1fa009db124289db1bbbf3fe64c1dc0907a2c9097f94a76"
        #expect(Hex.string(WebhookSignature.signature(body: body, timestamp: 1_700_000_000, secret: WebhookSecrets.current)) == expected)
        let parsed = try WebhookSignature(header: "t=1700000000, v0=ignored, v1=\(expected.uppercased())")
        #expect(parsed.timestamp == 1_700_000_000)
        try parsed.verify(body: body, secret: WebhookSecrets.current, now: Date(timeIntervalSince1970: 1_700_000_100), tolerance: 300)
        #expect(throws: WebhookSignature.Failure.outsideTolerance(ageSeconds: 301, toleranceSeconds: 300)) {
            try parsed.verify(body: body, secret: WebhookSecrets.current, now: Date(timeIntervalSince1970: 1_700_000_301), tolerance: 300)
        }
        #expect(throws: WebhookSignature.Failure.mismatch) {
            try parsed.verify(body: body + [0x20], secret: WebhookSecrets.current, now: Date(timeIntervalSince1970: 1_700_000_000), tolerance: 300)
        }
    }

    @Test("malformed headers are refused before anything else", arguments: [
        "", "t=1700000000", "v1=" + String(repeating: "ab", count: 32), "t=abc,v1=" + String(repeating: "ab", count: 32),
        "t=1700000000,v1=xyz", "t=1700000000,v1=" + String(repeating: "ab", count: 31), "t=-5,v1=" + String(repeating: "ab", count: 32),
        "t=1,t=2,v1=" + String(repeating: "ab", count: 32), "garbage",
    ])
    func malformedHeader(header: String) {
        #expect(throws: WebhookSignature.Failure.self) { try WebhookSignature(header: header) }
    }

    @Test("a valid delivery credits the wallet once; redeliveries return the first result; a conflicting one is refused")
    func creditsOnce() async throws {
        try await TestService.withPayments().run { api in
            let lena = try await api.account("lena")
            let ledger = try api.ledger()
            let event = TestAPI.paymentEvent(id: "evt_100", user: lena.id, amount: 5_000_000)
            let first = try await api.deliver(event)
            #expect(first.status == .ok, "\(String(buffer: first.body))")
            let result = try first.json()
            #expect(result["status"] as? String == "credited")
            #expect(result["transferID"] as? String == "topup:evt_100")
            #expect(result["amount"] as? Int == 5_000_000)
            #expect(try await api.walletBalance(lena) == 5_000_000)

            // The provider retries (a new timestamp and signature, same event): same answer, no second credit.
            let again = try await api.deliver(event, timestamp: Int64(Date().timeIntervalSince1970) - 10)
            #expect(again.status == .ok)
            #expect(again.body == first.body)
            #expect(try await api.walletBalance(lena) == 5_000_000)

            // Same event id, different amount or user: 409, nothing changes.
            let other = try await api.account("otto")
            for conflicting in [TestAPI.paymentEvent(id: "evt_100", user: lena.id, amount: 9_000_000),
                                TestAPI.paymentEvent(id: "evt_100", user: other.id, amount: 5_000_000)] {
                let response = try await api.deliver(conflicting)
                #expect(response.status == .conflict)
                _ = try response.problem()
            }
            #expect(try await api.walletBalance(lena) == 5_000_000)
            #expect(try await api.walletBalance(other) == 0)

            // A second event adds up, and secret rotation (two v1 entries, one of them current) is accepted.
            let rotated = try await api.deliver(TestAPI.paymentEvent(id: "evt_101", user: lena.id, amount: 1), secrets: [WebhookSecrets.next, WebhookSecrets.current])
            #expect(rotated.status == .ok)
            #expect(try await api.walletBalance(lena) == 5_000_001)

            // The history shows both top-ups with the provider's reference.
            let history = try await api.request(.get, "/api/v1/wallet/history", token: lena.token).json()
            let items = try #require(history["items"] as? [[String: Any]])
            #expect(items.map { $0["reference"] as? String } == ["evt_101", "evt_100"])
            #expect(items.map { $0["type"] as? String } == ["top_up", "top_up"])
            #expect(try ledger.balance(of: .paymentsClearing).balance == -5_000_001)
            #expect(try ledger.verify().isIntact)
        }
    }

    @Test("forged, stale, malformed and unknown-user deliveries are refused and change nothing")
    func refusals() async throws {
        // A clock that stands still, so "how old" is exact however slow the machine is.
        let start = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        try await TestService.withPayments { $0.now = { start } }.run { api in
            let lena = try await api.account("lena")
            let ledger = try api.ledger()
            let now = Int64(start.timeIntervalSince1970)
            let event = TestAPI.paymentEvent(id: "evt_200", user: lena.id, amount: 1_000_000)
            let signed = WebhookSignature.header(body: event, timestamp: now, secrets: [WebhookSecrets.current])
            let cases: [(String, TestResponse, HTTPResponse.Status, String)] = [
                ("wrong secret", try await api.deliver(event, secrets: ["whsec_attacker_guess_000000"]), .unauthorized, "Invalid signature"),
                ("body altered after signing", try await api.deliver(TestAPI.paymentEvent(id: "evt_200", user: lena.id, amount: 9_000_000), signature: signed), .unauthorized, "Invalid signature"),
                ("timestamp altered after signing", try await api.deliver(event, signature: signed.replacingOccurrences(of: "t=\(now)", with: "t=\(now + 1)")), .unauthorized, "Invalid signature"),
                ("stale", try await api.deliver(event, timestamp: now - 301), .unauthorized, "Stale signature"),
                ("from the future", try await api.deliver(event, timestamp: now + 3_600), .unauthorized, "Stale signature"),
                ("no signature", try await api.request(.post, "/api/v1/payments/webhook", headers: [.contentType: "application/json"], body: ByteBuffer(bytes: event)), .badRequest, "Malformed signature"),
                ("malformed signature", try await api.deliver(event, signature: "t=\(now),v1=nothex"), .badRequest, "Malformed signature"),
                ("not JSON", try await api.deliver(Array("{not json".utf8)), .badRequest, "Malformed request body"),
                ("amount not an integer", try await api.deliver(Array(#"{"id":"evt_201","type":"payment.succeeded","data":{"user":"\#(lena.id)","amount":1.5,"currency":"credit"}}"#.utf8)), .badRequest, "Malformed request body"),
                ("missing data", try await api.deliver(Array(#"{"id":"evt_202","type":"payment.succeeded"}"#.utf8)), .badRequest, "Malformed request body"),
                ("unknown user", try await api.deliver(TestAPI.paymentEvent(id: "evt_203", user: "00000000-0000-4000-8000-000000000000", amount: 5)), .unprocessableContent, "Unknown user"),
                ("not a user id", try await api.deliver(TestAPI.paymentEvent(id: "evt_204", user: "lena", amount: 5)), .unprocessableContent, "Unknown user"),
                ("zero amount", try await api.deliver(TestAPI.paymentEvent(id: "evt_205", user: lena.id, amount: 0)), .unprocessableContent, "Invalid amount"),
                ("negative amount", try await api.deliver(TestAPI.paymentEvent(id: "evt_206", user: lena.id, amount: -5)), .unprocessableContent, "Invalid amount"),
                ("other currency", try await api.deliver(TestAPI.paymentEvent(id: "evt_207", user: lena.id, amount: 5, currency: "eur")), .unprocessableContent, "Unsupported currency"),
                ("too large", try await api.deliver(Array(repeating: UInt8(ascii: " "), count: 70_000) + event), .contentTooLarge, "Content Too Large"),
            ]
            for (name, response, status, title) in cases {
                #expect(response.status == status, "\(name): \(String(buffer: response.body))")
                #expect(try response.problem()["title"] as? String == title, "\(name)")
            }
            #expect(cases.first { $0.0 == "stale" }.map { String(buffer: $0.1.body).contains("301 s ago") } == true)
            #expect(try await api.walletBalance(lena) == 0)
            #expect(try ledger.verify().transfers == 0)
            #expect(try ledger.verify().isIntact)

            // Other event types are acknowledged and ignored.
            let refund = try await api.deliver(TestAPI.paymentEvent(id: "evt_300", user: lena.id, amount: 5, type: "charge.refunded"))
            #expect(refund.status == .ok)
            #expect(try refund.json()["status"] as? String == "ignored")
            #expect(try await api.walletBalance(lena) == 0)
        }
    }

    @Test("without a secret the webhook answers 503 and books nothing; a delivery without a signature is still a 400")
    func notConfigured() async throws {
        try await TestService().run { api in
            let lena = try await api.account("lena")
            let response = try await api.deliver(TestAPI.paymentEvent(id: "evt_1", user: lena.id, amount: 5))
            #expect(response.status == .serviceUnavailable)
            #expect(try response.problem()["title"] as? String == "Payments not configured")
            let unsigned = try await api.request(.post, "/api/v1/payments/webhook", headers: [.contentType: "application/json"],
                                                 body: ByteBuffer(bytes: TestAPI.paymentEvent(id: "evt_2", user: lena.id, amount: 5)))
            #expect(unsigned.status == .badRequest)
            #expect(try await api.walletBalance(lena) == 0)
        }
    }

    @Test("the tolerance window follows the configured clock and setting")
    func configuredTolerance() async throws {
        let fixed = Date(timeIntervalSince1970: 1_900_000_000)
        try await TestService.withPayments { $0.now = { fixed }; $0.paymentWebhookTolerance = 60 }.run { api in
            let lena = try await api.account("lena")
            let late = try await api.deliver(TestAPI.paymentEvent(id: "evt_1", user: lena.id, amount: 5), timestamp: 1_900_000_000 - 61)
            #expect(late.status == .unauthorized)
            let onTime = try await api.deliver(TestAPI.paymentEvent(id: "evt_1", user: lena.id, amount: 5), timestamp: 1_900_000_000 - 60)
            #expect(onTime.status == .ok)
            #expect(try await api.walletBalance(lena) == 5)
        }
    }
}
