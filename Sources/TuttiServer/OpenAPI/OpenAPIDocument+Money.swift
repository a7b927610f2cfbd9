extension OpenAPIDocument {
    static let idempotencyKey: JSONValue = [
        "name": "Idempotency-Key", "in": "header", "required": true,
        "description": "Unique per booking (1 to 200 visible ASCII characters, e.g. a UUID): a retry with the same key and body returns the same transfer and books nothing; the same key with another body is a 409.",
        "schema": ["type": "string"],
    ]
    static let forbidden = ("403", problem("The caller's role may not do this."))

    static func csvOrJSON(_ schema: String, _ description: String) -> JSONValue {
        ["description": .string(description),
         "content": ["application/json": ["schema": ref(schema)], "text/csv; charset=utf-8": ["schema": ["type": "string"]]]]
    }

    static var moneyOperations: [Operation] {
        [
            Operation(method: "post", path: "/api/v1/payments/webhook", summary: "Payment provider webhook: top up a wallet when a payment succeeds", tag: "money",
                      parameters: [["name": "Tutti-Signature", "in": "header", "required": true, "schema": ["type": "string"],
                                    "description": "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, \"<t>.\" + raw body)>; several v1 entries are accepted (secret rotation). The timestamp must be within the tolerance (default 300 s) of the server's clock."]],
                      requestBody: ["required": true, "description": "At most 64 KiB. The event id is the idempotency key: a redelivery returns the first result and books nothing.",
                                    "content": ["application/json": ["schema": ref("PaymentEvent")]]],
                      responses: [("200", json("WebhookResult", "Credited (or already credited by an earlier delivery), or ignored for other event types.")),
                                  ("400", problem("Malformed Tutti-Signature header or body.")),
                                  ("401", problem("The signature does not match, or is older than the tolerance.")),
                                  ("409", problem("The event id was already booked with different fields.")),
                                  ("413", problem("Body larger than 64 KiB.")),
                                  ("422", problem("Unknown user, non-positive amount or a currency other than 'credit'.")),
                                  ("503", problem("Payments are not configured on this server."))]),

            Operation(method: "get", path: "/api/v1/wallet", summary: "The caller's wallet balance", tag: "money", signedIn: true,
                      responses: [("200", json("Wallet", "The balance in minor units and in credits.")), unauthorized]),
            Operation(method: "get", path: "/api/v1/wallet/history", summary: "Movements of the caller's wallet, newest first", tag: "money", signedIn: true,
                      parameters: [query("limit", "integer", "1 to 100, default 20."),
                                   query("before", "integer", "The nextCursor of the previous page: only older movements.")],
                      responses: [("200", json("WalletHistory", "A page of movements.")), ("400", problem("Invalid limit or cursor.")), unauthorized]),
            Operation(method: "get", path: "/api/v1/wallet/tracks", summary: "Every track the caller has counted plays of: plays, ownership, next price", tag: "money", signedIn: true,
                      responses: [("200", json("OwnershipList", "Most played first.")), unauthorized]),
            Operation(method: "get", path: "/api/v1/tracks/{id}/ownership", summary: "The caller's plays of a track, ownership and the next price", tag: "money", signedIn: true,
                      responses: [("200", json("Ownership", "Under the pricing in force now.")), unauthorized, notFound]),

            Operation(method: "get", path: "/api/v1/earnings", summary: "The artist's unpaid earnings (artists)", tag: "money", signedIn: true,
                      responses: [("200", json("Earnings", "Earned, paid out and the balance, in minor units.")), unauthorized, forbidden]),
            Operation(method: "get", path: "/api/v1/earnings/statement", summary: "Every counted play of the artist's tracks in a period (artists); JSON or CSV", tag: "money", signedIn: true,
                      parameters: [query("from", "string", "Start (inclusive): ISO 8601 time or a day (midnight UTC)."),
                                   query("until", "string", "End (exclusive): ISO 8601 time or a day (midnight UTC)."),
                                   query("format", "string", "json (default) or csv; 'Accept: text/csv' also selects CSV.")],
                      responses: [("200", csvOrJSON("Statement", "The statement; CSV comes as an attachment with a totals line.")),
                                  ("400", problem("Invalid period or format.")), unauthorized, forbidden]),

            Operation(method: "post", path: "/api/v1/admin/wallets/{userID}/credits", summary: "Credit a payment confirmed by hand to a wallet (admins)", tag: "admin", signedIn: true,
                      parameters: [idempotencyKey], requestBody: body("AdminCredit"),
                      responses: [("200", json("BookedTransfer", "Booked (or already booked with this key).")),
                                  ("400", problem("Idempotency-Key missing or malformed, or a malformed body.")), unauthorized,
                                  ("403", problem("Not an admin, or the admin's own wallet.")), ("404", problem("No such user.")),
                                  ("409", problem("The key was used for a different booking.")), ("422", problem("Non-positive amount or no reason."))]),
            Operation(method: "get", path: "/api/v1/admin/payouts", summary: "Artists owed at least a threshold (admins); JSON or CSV", tag: "admin", signedIn: true,
                      parameters: [query("threshold", "integer", "Minor units, default 10000000 (10 credits)."),
                                   query("format", "string", "json (default) or csv; 'Accept: text/csv' also selects CSV.")],
                      responses: [("200", csvOrJSON("Payouts", "Largest balance first.")), ("400", problem("Invalid threshold or format.")), unauthorized, forbidden]),
            Operation(method: "post", path: "/api/v1/admin/payouts/{artistID}/paid", summary: "Book a payout made to an artist (admins)", tag: "admin", signedIn: true,
                      parameters: [idempotencyKey], requestBody: body("PayoutPaid"),
                      responses: [("200", json("BookedTransfer", "Booked (or already booked with this key); balance is the artist's unpaid earnings.")),
                                  ("400", problem("Idempotency-Key missing or malformed, or a malformed body.")), unauthorized, forbidden,
                                  ("404", problem("No such artist.")), ("409", problem("The key was used for a different booking.")),
                                  ("422", problem("Non-positive amount, or more than the artist is owed."))]),
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
                ("trackID", string), ("trackTitle", string), ("pricingVersion", integer), ("reference", string), ("reason", string),
            ])),
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
            ("AdminCredit", object([("amount", units), ("reason", string)], required: ["amount", "reason"])),
            ("PayoutPaid", object([("amount", units), ("reference", string)], required: ["amount"])),
            ("BookedTransfer", object([
                ("transferID", string), ("sequence", integer), ("type", string), ("amount", units), ("amountCredits", credits), ("bookedAt", dateTime),
                ("userID", string), ("reference", string), ("reason", string),
                ("balance", ["type": "integer", "description": "The wallet's or the artist's unpaid earnings after the request, minor units."]),
            ])),
        ]
    }
}
