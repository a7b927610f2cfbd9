extension OpenAPIDocument {
    static let membersOnly = ("403", problem("Not a member (an artist with a published track) or an admin."))

    /// Members, proposals, votes and the pricing history.
    static var governanceOperations: [Operation] {
        [
            Operation(method: "get", path: "/api/v1/pricing/versions", summary: "Every pricing version, oldest first, with the proposal that created it", tag: "governance",
                      responses: [("200", json("PricingVersions", "The versions and the one in force now."))]),
            Operation(method: "get", path: "/api/v1/governance/members", summary: "The cooperative's members and their suspensions (members and admins)", tag: "governance", signedIn: true,
                      responses: [("200", json("Members", "By username.")), unauthorized, membersOnly]),
            Operation(method: "post", path: "/api/v1/governance/members/{id}/suspend", summary: "Suspend a membership, saying why (admins)", tag: "governance", signedIn: true,
                      requestBody: body("MembershipChange"),
                      responses: [("200", json("Member", "The member, now suspended.")), unauthorized,
                                  ("403", problem("Not an admin, or the account is not a member.")), notFound,
                                  ("409", problem("Already suspended.")), ("422", problem("No reason given."))]),
            Operation(method: "post", path: "/api/v1/governance/members/{id}/restore", summary: "Restore a suspended membership, saying why (admins)", tag: "governance", signedIn: true,
                      requestBody: body("MembershipChange"),
                      responses: [("200", json("Member", "The member, restored.")), unauthorized,
                                  ("403", problem("Not an admin, or the account is not a member.")), notFound,
                                  ("409", problem("Not suspended.")), ("422", problem("No reason given."))]),
            Operation(method: "get", path: "/api/v1/governance/proposals", summary: "Proposals with live turnout and, once closed, the tally (members and admins)", tag: "governance", signedIn: true,
                      parameters: [query("status", "string", "open, closed or all (default).")],
                      responses: [("200", json("Proposals", "Latest closing first.")), ("400", problem("Unknown status.")), unauthorized, membersOnly]),
            Operation(method: "post", path: "/api/v1/governance/proposals", summary: "Propose new pricing values (members); freezes the voter roll", tag: "governance", signedIn: true,
                      requestBody: body("NewProposal"),
                      responses: [("201", json("Proposal", "Opened; Location names it.")), ("400", problem("Malformed body.")), unauthorized,
                                  ("403", problem("Not a member, or the membership is suspended.")),
                                  ("409", problem("Another proposal closes at exactly that time.")),
                                  ("422", problem("Empty title or rationale, no change, a value out of range or overflowing, or a closing time before the minimum voting period."))]),
            Operation(method: "get", path: "/api/v1/governance/proposals/{id}", summary: "A proposal: live turnout, the caller's vote and, after the close, the tally and outcome", tag: "governance", signedIn: true,
                      responses: [("200", json("Proposal", "The proposal.")), unauthorized, membersOnly, notFound]),
            Operation(method: "post", path: "/api/v1/governance/proposals/{id}/votes", summary: "Vote yes, no or abstain, or change one's vote, until the close (members on the roll)", tag: "governance", signedIn: true,
                      requestBody: body("Ballot"),
                      responses: [("201", json("Vote", "Recorded.")), ("200", json("Vote", "The same vote was already counted; nothing recorded.")),
                                  ("400", problem("Malformed body.")), unauthorized,
                                  ("403", problem("Not a member, not on the roll frozen at the opening, or suspended.")), notFound,
                                  ("409", problem("Voting has closed.")), ("422", problem("choice is not yes, no or abstain."))]),
            Operation(method: "get", path: "/api/v1/governance/proposals/{id}/votes", summary: "Every vote and change of vote on a proposal (others' choices hidden until the close)", tag: "governance", signedIn: true,
                      responses: [("200", json("Votes", "Oldest first.")), unauthorized, membersOnly, notFound]),
            Operation(method: "get", path: "/api/v1/governance/votes/mine", summary: "The caller's own votes and changes of vote", tag: "governance", signedIn: true,
                      responses: [("200", json("Votes", "Newest first.")), unauthorized, membersOnly]),
        ]
    }

    static var governanceSchemas: [(String, JSONValue)] {
        let changes = object([
            ("previewSeconds", nullable("integer")), ("basePrice", nullable("integer")), ("multiplier", nullable("integer")),
            ("playsToOwn", nullable("integer")), ("artistShareBasisPoints", nullable("integer")),
        ])
        let event = object([("memberID", string), ("action", ["type": "string", "enum": ["suspend", "restore"]]), ("actorID", string),
                            ("reason", string), ("at", dateTime)])
        return [
            ("PricingVersion", object([
                ("version", integer), ("effectiveFrom", nullable("string")), ("previewSeconds", integer), ("basePrice", integer),
                ("multiplier", integer), ("playsToOwn", integer), ("artistShareBasisPoints", integer), ("priceToOwn", integer),
                ("proposalID", nullable("string")), ("proposalTitle", nullable("string")),
            ])),
            ("PricingVersions", object([("items", array(ref("PricingVersion"))), ("current", integer)])),
            ("Member", object([
                ("id", string), ("username", string), ("displayName", string), ("publishedTracks", integer), ("suspended", boolean),
                ("suspension", ["oneOf": [event, ["type": "null"]]]),
            ])),
            ("Members", object([("items", array(ref("Member"))), ("total", integer)])),
            ("MembershipChange", object([("reason", string)], required: ["reason"])),
            ("PricingChange", changes),
            ("NewProposal", object([
                ("title", string), ("rationale", string), ("closesAt", dateTime),
                ("changes", ref("PricingChange")),
            ], required: ["title", "rationale", "closesAt", "changes"])),
            ("Tally", object([
                ("closedAt", dateTime), ("recordedAt", dateTime), ("rollSize", integer), ("yes", integer), ("no", integer),
                ("abstain", integer), ("turnout", integer), ("quorumBasisPoints", integer),
                ("outcome", ["type": "string", "enum": ["passed", "quorum_not_reached", "not_majority", "not_applicable"]]),
                ("pricingVersion", nullable("integer")), ("note", nullable("string")),
            ])),
            ("Proposal", object([
                ("id", string), ("title", string), ("rationale", string), ("proposerID", string), ("changes", ref("PricingChange")),
                ("openedAt", dateTime), ("closesAt", dateTime), ("status", ["type": "string", "enum": ["open", "closing", "closed"]]),
                ("quorumBasisPoints", integer), ("rollSize", integer), ("turnout", integer), ("turnoutBasisPoints", integer),
                ("quorumReached", boolean), ("tally", ["oneOf": [ref("Tally"), ["type": "null"]]]),
                ("myVote", nullable("string")),
            ])),
            ("Proposals", object([("items", array(ref("Proposal"))), ("total", integer)])),
            ("Ballot", object([("choice", ["type": "string", "enum": ["yes", "no", "abstain"]])], required: ["choice"])),
            ("Vote", object([
                ("sequence", integer), ("proposalID", string), ("memberID", string), ("choice", nullable("string")),
                ("castAt", dateTime), ("current", boolean),
            ])),
            ("Votes", object([("items", array(ref("Vote"))), ("total", integer)])),
        ]
    }
}
