import Catalog
import FoundationEssentials
import Hummingbird
import Ledger
import Logging
import NIOCore

/// Top-ups confirmed by the payment provider: a signed webhook per event.
///
/// The event id is the idempotency key (transfer `topup:<event id>`): providers deliver at
/// least once, so a repeated delivery returns the first result and books nothing.
struct PaymentsController {
    let services: AppServices

    /// Largest webhook body read, in bytes.
    static let bodyLimit = 64 * 1024
    static let succeeded = "payment.succeeded"

    func addRoutes(to group: RouterGroup<TuttiRequestContext>) {
        group.post("payments/webhook", use: webhook)
    }

    struct Envelope: Decodable {
        var id: String
        var type: String
    }

    struct Payment: Decodable {
        struct Data: Decodable {
            var user: String
            /// Minor units.
            var amount: Int64
            var currency: String
        }

        var data: Data
    }

    @Sendable func webhook(_ request: Request, context: TuttiRequestContext) async throws -> WebhookResultResource {
        let configuration = services.configuration
        // The request's form first: a delivery without a well-formed signature header is the
        // sender's error (400) whether or not this server takes payments.
        let signature: WebhookSignature
        do {
            signature = try WebhookSignature(header: request.headers[WebhookSignature.headerName])
        } catch {
            throw rejection(error, context: context)
        }
        guard let secret = configuration.paymentWebhookSecret else {
            throw Problem(.serviceUnavailable, title: "Payments not configured",
                          detail: "This server has no payment webhook secret; start it with --payment-webhook-secret-file.")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.bodyLimit)
        } catch is NIOTooManyBytesError {
            throw Problem(.contentTooLarge, title: "Content Too Large", detail: "A webhook body is at most \(Self.bodyLimit) bytes.")
        }
        let bytes = body.readableBytesView
        do {
            try signature.verify(body: bytes, secret: secret, now: configuration.now(), tolerance: Int64(configuration.paymentWebhookTolerance))
        } catch {
            throw rejection(error, context: context)
        }

        // Authentic from here on: read the event.
        let decoder = JSONDecoder()
        let envelope = try decoder.decode(Envelope.self, from: Data(bytes))
        guard (1...200).contains(envelope.id.utf8.count), envelope.id.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else {
            throw Problem(.unprocessableContent, title: "Invalid event id", detail: "The event id must be 1 to 200 visible ASCII characters.")
        }
        guard envelope.type == Self.succeeded else {
            context.logger.info("payment webhook ignored", metadata: ["event": "\(envelope.id)", "type": "\(envelope.type.prefix(64))"])
            return WebhookResultResource(eventID: envelope.id, status: "ignored")
        }
        let payment = try decoder.decode(Payment.self, from: Data(bytes)).data
        guard payment.currency == "credit" else {
            throw Problem(.unprocessableContent, title: "Unsupported currency", detail: "Payments are in 'credit' minor units; got '\(payment.currency.prefix(20))'.")
        }
        guard payment.amount > 0 else {
            throw Problem(.unprocessableContent, title: "Invalid amount", detail: "The amount must be a positive number of minor units (1 credit = 1000000).")
        }
        guard Identifier.isValid(payment.user), try await services.accounts.user(id: payment.user) != nil else {
            throw Problem(.unprocessableContent, title: "Unknown user", detail: "No Tutti account has the id in data.user; nothing was booked.")
        }
        let transferID = "topup:" + envelope.id
        let transfer: Transfer
        do {
            transfer = try await services.inLedger { ledger throws(LedgerError) in
                try ledger.topUp(transferID: transferID, user: payment.user, amount: payment.amount, reference: envelope.id)
            }
        } catch LedgerError.conflictingRetry {
            throw Problem(.conflict, title: "Conflicting event",
                          detail: "Event '\(envelope.id)' was already booked with a different user or amount; nothing changed.")
        }
        context.logger.info("payment webhook credited", metadata: ["event": "\(envelope.id)", "transfer": "\(transfer.sequence)"])
        return WebhookResultResource(
            eventID: envelope.id, status: "credited", transferID: transfer.id, sequence: transfer.sequence,
            userID: payment.user, amount: transfer.amount, bookedAt: transfer.timestamp)
    }

    /// The problem for a delivery whose signature does not hold; each one is logged.
    func rejection(_ failure: WebhookSignature.Failure, context: TuttiRequestContext) -> Problem {
        context.logger.notice("payment webhook refused", metadata: ["reason": "\(failure)", "peer": "\(context.remoteAddress ?? "?")"])
        switch failure {
        case .malformed(let reason):
            return Problem(.badRequest, title: "Malformed signature",
                           detail: "Expected 'Tutti-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>': \(reason).")
        case .mismatch:
            return Problem(.unauthorized, title: "Invalid signature",
                           detail: "No v1 signature matches this body and timestamp under the configured secret.")
        case .outsideTolerance(let age, let tolerance):
            let when = age >= 0 ? "\(age) s ago" : "\(-age) s in the future"
            return Problem(.unauthorized, title: "Stale signature",
                           detail: "The signature was made \(when); deliveries older than \(tolerance) s are refused as possible replays. Check the clocks or redeliver.")
        }
    }
}

extension TuttiApplication {
    /// The money routes: payment webhook, wallet, earnings and the treasurer's.
    static func addMoneyRoutes(_ services: AppServices, api: RouterGroup<TuttiRequestContext>, signedIn: RouterGroup<SignedInContext>) {
        PaymentsController(services: services).addRoutes(to: api)
        WalletController(services: services).addRoutes(signedIn: signedIn)
        EarningsController(services: services).addRoutes(signedIn: signedIn)
        AdminMoneyController(services: services).addRoutes(signedIn: signedIn)
    }
}
