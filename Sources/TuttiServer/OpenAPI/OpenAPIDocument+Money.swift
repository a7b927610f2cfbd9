extension OpenAPIDocument {
    /// The header every booking needs; ``MoneyRequest/idempotencyKey(_:)`` enforces its pattern.
    static let idempotencyKey = header(
        "Idempotency-Key",
        "Unique per booking (1 to 200 visible ASCII characters, e.g. a UUID): a retry with the same key and body returns the same transfer and books nothing; the same key with another body is a 409.",
        schema: ["type": "string", "pattern": .string(MoneyRequest.idempotencyKeyPattern)], required: true)
    static let forbidden = ("403", problem("The caller's role may not do this."))
    /// A booking's 409: both depend on what was booked before, so a check that replays
    /// bookings in any order gets one of the declared answers.
    static let bookingConflict = "The key was used for a different booking, or the amount would overflow the account's totals"

    static func csvOrJSON(_ schema: String, _ description: String) -> JSONValue {
        ["description": .string(description),
         "content": ["application/json": ["schema": ref(schema)], "text/csv; charset=utf-8": ["schema": ["type": "string"]]]]
    }

    static let formatQuery = choiceQuery("format", ["json", "csv"], default: "json", "json or csv; without it, 'Accept: text/csv' selects CSV.")

    static var moneyOperations: [Operation] {
        [
            Operation(method: "post", path: "/api/v1/payments/webhook", summary: "Payment provider webhook: top up a wallet when a payment succeeds", tag: "money",
                      parameters: [header("Tutti-Signature", "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, \"<t>.\" + raw body)>; up to 8 v1 entries are accepted (secret rotation). The timestamp must be within the tolerance (default 300 s) of the server's clock. (The server also reads the entries in another order, with spaces around them, and ignores entries of other schemes.)",
                                          schema: ["type": "string", "pattern": .string(WebhookSignature.headerPattern)], required: true)],
                      requestBody: ["required": true, "description": "At most 64 KiB. The event id is the idempotency key: a redelivery returns the first result and books nothing.",
                                    "content": ["application/json": ["schema": ref("PaymentEvent")]]],
                      responses: [("200", json("WebhookResult", "Credited (or already credited by an earlier delivery), or ignored for other event types.")),
                                  ("400", problem("A missing or malformed Tutti-Signature header (checked first), or a body that is not a JSON event.")),
                                  ("401", problem("The signature does not match, or is older than the tolerance; or an invalid bearer token sent.")),
                                  ("409", problem("The event id was already booked with different fields.")),
                                  ("413", problem("Body larger than 64 KiB.")),
                                  ("422", problem("Unknown user, non-positive amount, a currency other than 'credit', or an event id that is not 1 to 200 visible ASCII characters.")),
                                  ("503", problem("Payments are not configured on this server (no webhook secret)."))]),

            Operation(method: "get", path: "/api/v1/wallet", summary: "The caller's wallet balance", tag: "money", signedIn: true,
                      responses: [("200", json("Wallet", "The balance in minor units and in credits."))]),
            Operation(method: "get", path: "/api/v1/wallet/history", summary: "Movements of the caller's wallet, newest first", tag: "money", signedIn: true,
                      parameters: [integerQuery("limit", 1...100, default: 20, "Movements per page."),
                                   integerQuery("before", 1...Int64.max, "The nextCursor of the previous page: only older movements.")],
                      responses: [("200", json("WalletHistory", "A page of movements."))]),
            Operation(method: "get", path: "/api/v1/wallet/tracks", summary: "Every track the caller has counted plays of: plays, ownership, next price", tag: "money", signedIn: true,
                      responses: [("200", json("OwnershipList", "Most played first."))]),
            Operation(method: "get", path: "/api/v1/tracks/{id}/ownership", summary: "The caller's plays of a track, ownership and the next price", tag: "money", signedIn: true,
                      responses: [("200", json("Ownership", "Under the pricing in force now."))]),

            Operation(method: "get", path: "/api/v1/earnings", summary: "The artist's unpaid earnings (artists)", tag: "money", signedIn: true,
                      responses: [("200", json("Earnings", "Earned, paid out and the balance, in minor units.")), forbidden]),
            Operation(method: "get", path: "/api/v1/earnings/statement", summary: "Every counted play of the artist's tracks in a period (artists); JSON or CSV", tag: "money", signedIn: true,
                      parameters: [instantQuery("from", "Start (inclusive): an ISO 8601 time or a day (midnight UTC). Default: the beginning."),
                                   instantQuery("until", "End (exclusive): an ISO 8601 time or a day (midnight UTC). Default: now. A period that ends before it starts is empty."),
                                   formatQuery],
                      responses: [("200", csvOrJSON("Statement", "The statement; CSV comes as an attachment with a totals line.")), forbidden]),

            Operation(method: "post", path: "/api/v1/admin/wallets/{userID}/credits", summary: "Credit a payment confirmed by hand to a wallet (admins)", tag: "admin", signedIn: true,
                      parameters: [idempotencyKey], requestBody: body("AdminCredit"),
                      responses: [("200", json("BookedTransfer", "Booked (or already booked with this key).")),
                                  ("400", problem("Idempotency-Key missing or malformed, or a body that is not JSON of the declared shape.")),
                                  ("403", problem("Not an admin, or the admin's own wallet.")), ("404", problem("No such user.")),
                                  ("409", problem(bookingConflict + ".")), ("422", problem("An amount or reason outside its schema."))]),
            Operation(method: "get", path: "/api/v1/admin/payouts", summary: "Artists owed at least a threshold (admins); JSON or CSV", tag: "admin", signedIn: true,
                      parameters: [integerQuery("threshold", 1...Int64.max, default: AdminMoneyController.defaultPayoutThreshold, "Minor units (default 10 credits)."),
                                   formatQuery],
                      responses: [("200", csvOrJSON("Payouts", "Largest balance first.")), forbidden]),
            Operation(method: "post", path: "/api/v1/admin/payouts/{artistID}/paid", summary: "Book a payout made to an artist (admins)", tag: "admin", signedIn: true,
                      parameters: [idempotencyKey], requestBody: body("PayoutPaid"),
                      responses: [("200", json("BookedTransfer", "Booked (or already booked with this key); balance is the artist's unpaid earnings.")),
                                  ("400", problem("Idempotency-Key missing or malformed, or a body that is not JSON of the declared shape.")), forbidden,
                                  ("404", problem("No such artist.")),
                                  ("409", problem(bookingConflict + ", or the amount is more than the artist is owed now (members 'needed' and 'available').")),
                                  ("422", problem("An amount or reference outside its schema."))]),
        ]
    }

    static var moneySchemas: [(String, JSONValue)] {
        let units: JSONValue = ["type": "integer", "format": "int64", "description": "Minor units: 1 credit = 1000000."]
        let credits: JSONValue = ["type": "string", "description": "The same amount in credits, six decimals."]
        return [
            ("PaymentEvent", object([
                ("id", ["type": "string", "description": "The provider's event id: the idempotency key."]),
                ("type", ["type": "string", "description": "'payment.succeeded' tops up; other types are acknowledged and ignored."]),
                ("data", object([("user", ["type": "string", "description": "The Tutti user id."]), ("amount", units),
                                 ("currency", ["type": "string", "enum": ["credit"]])], required: ["user", "amount", "currency"])),
            ], required: ["id", "type"])),
            ("WebhookResult", object([("eventID", string), ("status", ["type": "string", "enum": ["credited", "ignored"]]),
                                      ("transferID", string), ("sequence", integer), ("userID", string), ("amount", units), ("bookedAt", dateTime)],
                                     required: ["eventID", "status"])),
            ("Wallet", object([("userID", string), ("balance", units), ("balanceCredits", credits), ("currency", string), ("unitsPerCredit", integer)])),
            ("WalletEntry", object([
                ("sequence", integer), ("transferID", string),
                ("type", ["type": "string", "enum": ["top_up", "admin_credit", "play_artist_share", "play_cooperative_share", "adjustment"]]),
                ("change", ["type": "integer", "description": "Signed minor units: + in, − out."]), ("changeCredits", credits), ("bookedAt", dateTime),
                ("trackID", string), ("trackTitle", string), ("playID", string), ("pricingVersion", integer), ("reference", string), ("reason", string),
            ], required: ["sequence", "transferID", "type", "change", "changeCredits", "bookedAt"])),
            ("WalletHistory", object([("items", array(ref("WalletEntry"))), ("limit", integer), ("nextCursor", nullable("integer")), ("next", nullable("string"))],
                                     required: ["items", "limit"])),
            ("Ownership", object([
                ("trackID", string), ("trackTitle", string), ("countedPlays", integer), ("owned", boolean), ("free", boolean), ("ownTrack", boolean),
                ("nextPrice", units), ("nextPriceCredits", credits), ("playsRemainingToOwn", integer), ("pricingVersion", integer),
            ])),
            ("OwnershipList", object([("items", array(ref("Ownership")))])),
            ("Earnings", object([("artistID", string), ("balance", units), ("balanceCredits", credits), ("earned", units), ("paidOut", units)])),
            ("Statement", object([
                ("artistID", string), ("from", dateTime), ("until", dateTime),
                ("rows", array(object([("playID", string), ("trackID", string), ("trackTitle", string), ("playedAt", dateTime), ("price", units),
                                       ("artistPart", units), ("cooperativePart", units), ("pricingVersion", integer)]))),
                ("totals", object([("plays", integer), ("price", units), ("artistPart", units), ("cooperativePart", units), ("artistPartCredits", credits)])),
                ("balance", units), ("balanceCredits", credits),
            ])),
            ("Payouts", object([
                ("threshold", units),
                ("items", array(object([("artistID", string), ("username", string), ("displayName", string), ("balance", units), ("balanceCredits", credits)]))),
                ("total", units),
            ])),
            ("AdminCredit", object([("amount", positiveUnits), ("reason", text(.reason, "Why (e.g. the bank transfer's reference)."))], required: ["amount", "reason"])),
            ("PayoutPaid", object([("amount", positiveUnits), ("reference", orNull(text(.reference, "The bank's or provider's reference of the payment made.")))], required: ["amount"])),
            ("BookedTransfer", object([
                ("transferID", string), ("sequence", integer), ("type", string), ("amount", units), ("amountCredits", credits), ("bookedAt", dateTime),
                ("userID", string), ("reference", string), ("reason", string),
                ("balance", ["type": "integer", "description": "The wallet's or the artist's unpaid earnings after the request, minor units."]),
            ])),
        ]
    }
}
