import Catalog
import Foundation
import HTTPTypes
import Ledger
import NIOCore
import Testing
@testable import TuttiServer

/// The webhook secret the money tests configure, and a second one for rotation.
enum WebhookSecrets {
    static let current = "whsec_test_0123456789abcdef"
    static let next = "whsec_test_fedcba9876543210"
}

extension TestService {
    /// A service with the payment webhook on.
    static func withPayments(_ configure: (inout ServerConfiguration) -> Void = { _ in }) -> TestService {
        TestService { configuration in
            configuration.paymentWebhookSecret = WebhookSecrets.current
            configure(&configuration)
        }
    }
}

extension TestAPI {
    /// The server's own ledger. Plays for statements are charged through it (the stream
    /// path's metering is not part of these tests): the same group commits and SQLite
    /// transactions as the server's, without a second connection to the file competing with
    /// its writer.
    func ledger() throws -> Ledger {
        services.ledger
    }

    /// The wallet balance of `account` as the API reports it, minor units.
    func walletBalance(_ account: Account) async throws -> Int64 {
        let response = try await request(.get, "/api/v1/wallet", token: account.token)
        #expect(response.status == .ok)
        return try #require((try response.json()["balance"] as? NSNumber)?.int64Value)
    }

    /// The raw JSON of a payment event.
    static func paymentEvent(id: String, user: String, amount: Int64, type: String = "payment.succeeded", currency: String = "credit") -> [UInt8] {
        Array(#"{"id":"\#(id)","type":"\#(type)","data":{"user":"\#(user)","amount":\#(amount),"currency":"\#(currency)"}}"#.utf8)
    }

    /// Delivers `body` to the webhook, signed at `timestamp` (default now) with `secrets`,
    /// or with `signature` as the whole header when given.
    func deliver(_ body: [UInt8], timestamp: Int64? = nil, secrets: [String] = [WebhookSecrets.current], signature: String? = nil) async throws -> TestResponse {
        let time = timestamp ?? Int64(configuration.now().timeIntervalSince1970)
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[WebhookSignature.headerName] = signature ?? WebhookSignature.header(body: body, timestamp: time, secrets: secrets)
        return try await request(.post, "/api/v1/payments/webhook", headers: headers, body: ByteBuffer(bytes: body))
    }
}
