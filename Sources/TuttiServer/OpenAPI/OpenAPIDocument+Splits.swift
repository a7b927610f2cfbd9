import Ledger

extension OpenAPIDocument {
    /// Royalty splits: split sheets, their consents, and each party's earnings.
    static var splitOperations: [Operation] {
        let noSheet = ("404", problem("No split sheet with this id names you (or you proposed it)."))
        return [
            Operation(method: "post", path: "/api/v1/releases/{id}/split-sheets", summary: "Propose a split sheet for a release or one of its tracks (the release's owner)", tag: "splits", signedIn: true,
                      requestBody: body("SplitSheetProposal"),
                      responses: [("201", json("SplitSheet", "Proposed: pending until every party accepts (the proposer, if a party, has by proposing). Location names the sheet.")),
                                  ("403", problem("Not the release's owner.")),
                                  ("422", problem("Shares not summing to 10000 basis points, a party named twice or unknown, a role outside its schema, or a track not on this release."))]),
            Operation(method: "get", path: "/api/v1/releases/{id}/split-sheets", summary: "Every split sheet of a release and its tracks, newest first (the release's owner)", tag: "splits", signedIn: true,
                      responses: [("200", json("SplitSheetList", "The sheets with their consents.")), ("403", problem("Not the release's owner."))]),
            Operation(method: "get", path: "/api/v1/split-sheets", summary: "Every split sheet naming the caller, or proposed by the caller, newest first", tag: "splits", signedIn: true,
                      responses: [("200", json("SplitSheetList", "The sheets with their consents."))]),
            Operation(method: "get", path: "/api/v1/split-sheets/{id}", summary: "A split sheet naming the caller, with its consents", tag: "splits", signedIn: true,
                      responses: [("200", json("SplitSheet", "The sheet.")), noSheet]),
            Operation(method: "post", path: "/api/v1/split-sheets/{id}/accept", summary: "Accept a split sheet that names the caller: the last acceptance makes it take effect", tag: "splits", signedIn: true,
                      responses: [("200", json("SplitSheet", "The sheet after the answer.")), noSheet,
                                  ("409", problem("You answered already, or the sheet took effect, was declined or was replaced by a newer proposal."))]),
            Operation(method: "post", path: "/api/v1/split-sheets/{id}/decline", summary: "Decline a split sheet that names the caller: it ends, the sheet in force stays", tag: "splits", signedIn: true,
                      responses: [("200", json("SplitSheet", "The sheet after the answer.")), noSheet,
                                  ("409", problem("You answered already, or the sheet took effect, was declined or was replaced by a newer proposal."))]),
            Operation(method: "get", path: "/api/v1/split-earnings", summary: "The caller's earnings from plays (own tracks and split sheet parts): earned, paid out, balance", tag: "splits", signedIn: true,
                      responses: [("200", json("Earnings", "In minor units."))]),
            Operation(method: "get", path: "/api/v1/split-earnings/statement", summary: "The caller's part of every play in a period, with the sheet version and share; JSON or CSV", tag: "splits", signedIn: true,
                      parameters: [instantQuery("from", "Start (inclusive): an ISO 8601 time or a day (midnight UTC). Default: the beginning."),
                                   instantQuery("until", "End (exclusive): an ISO 8601 time or a day (midnight UTC). Default: now. A period that ends before it starts is empty."),
                                   formatQuery],
                      responses: [("200", csvOrJSON("EarningsStatement", "The statement; CSV comes as an attachment with a totals line."))]),
        ]
    }

    static var splitSchemas: [(String, JSONValue)] {
        let units: JSONValue = ["type": "integer", "format": "int64", "description": "Minor units: 1 credit = 1000000."]
        let share: JSONValue = ["type": "integer", "minimum": 1, "maximum": 10_000, "description": "Basis points; a sheet's shares sum to exactly 10000."]
        return [
            ("SplitSheetProposal", object([
                ("trackID", orNull(identifier)),
                ("parties", ["type": "array", "minItems": 1, "maxItems": .int(SplitRule.maximumParties), "items": object([
                    ("username", ["type": "string", "pattern": .string(CredentialFormat.usernamePattern)]),
                    ("shareBasisPoints", share),
                    ("role", text(.splitRole, "What the party did: vocals, producer, label...")),
                ], required: ["username", "shareBasisPoints", "role"])]),
            ], required: ["parties"])),
            ("SplitSheet", object([
                ("id", integer), ("scope", ["type": "string", "enum": ["release", "track"]]), ("releaseID", string), ("releaseTitle", string),
                ("trackID", string), ("trackTitle", string), ("version", integer), ("proposerID", string), ("proposerUsername", string),
                ("proposedAt", dateTime),
                ("status", ["type": "string", "enum": ["pending", "in_force", "replaced", "declined", "superseded"]]),
                ("effectiveFrom", orNull(dateTime)),
                ("parties", array(object([
                    ("userID", string), ("username", string), ("displayName", string), ("shareBasisPoints", share), ("role", string),
                    ("decision", orNull(["type": "string", "enum": ["accepted", "declined"]])), ("decidedAt", orNull(dateTime)),
                ]))),
                ("url", string),
            ], required: ["id", "scope", "version", "status", "parties", "url"])),
            ("SplitSheetList", object([("items", array(ref("SplitSheet")))], required: ["items"])),
            ("EarningsStatement", object([
                ("userID", string), ("from", dateTime), ("until", dateTime),
                ("rows", array(object([
                    ("playID", string), ("trackID", string), ("trackTitle", string), ("releaseID", string), ("releaseTitle", string),
                    ("playedAt", dateTime), ("sheetID", orNull(integer)),
                    ("sheetVersion", ["type": "integer", "description": "0 for the default sheet (everything to the owner)."]),
                    ("role", string), ("shareBasisPoints", share), ("artistPart", units), ("part", units), ("partCredits", string),
                ]))),
                ("totals", object([("plays", integer), ("part", units), ("partCredits", string)])),
                ("balance", units), ("balanceCredits", string),
            ])),
        ]
    }
}
