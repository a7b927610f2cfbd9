import Governance

extension OpenAPIDocument {
    static let membersOnly = ("403", problem("Not a member (an artist with a published track) or an admin."))

    /// Members, proposals, votes and the pricing history.
    static var governanceOperations: [Operation] {
        [
            Operation(method: "get", path: "/api/v1/pricing/versions", summary: "Every pricing version, oldest first, with the proposal that created it", tag: "governance",
                      responses: [("200", json("PricingVersions", "The versions and the one in force now."))]),
            Operation(method: "get", path: "/api/v1/governance/members", summary: "The cooperative's members and their suspensions (members and admins)", tag: "governance", signedIn: true,
                      responses: [("200", json("Members", "By username.", links: [
                                      Link(name: "suspend", operationID: "postGovernanceMembersByIdSuspend", parameters: [("id", "$response.body#/items/0/id")]),
                                      Link(name: "restore", operationID: "postGovernanceMembersByIdRestore", parameters: [("id", "$response.body#/items/0/id")]),
                                  ])), membersOnly]),
            Operation(method: "post", path: "/api/v1/governance/members/{id}/suspend", summary: "Suspend a membership, saying why (admins)", tag: "governance", signedIn: true,
                      requestBody: body("MembershipChange"),
                      responses: [("200", json("Member", "The member, now suspended.")),
                                  ("403", problem("Not an admin, or the account is not a member.")),
                                  ("409", problem("Already suspended.")), ("422", problem("A reason outside its schema."))]),
            Operation(method: "post", path: "/api/v1/governance/members/{id}/restore", summary: "Restore a suspended membership, saying why (admins)", tag: "governance", signedIn: true,
                      requestBody: body("MembershipChange"),
                      responses: [("200", json("Member", "The member, restored.")),
                                  ("403", problem("Not an admin, or the account is not a member.")),
                                  ("409", problem("Not suspended.")), ("422", problem("A reason outside its schema."))]),
            Operation(method: "get", path: "/api/v1/governance/proposals", summary: "Proposals with live turnout and, once closed, the tally (members and admins)", tag: "governance", signedIn: true,
                      parameters: [choiceQuery("status", GovernanceController.statusFilters, default: "all", "Open, closed or all proposals.")],
                      responses: [("200", json("Proposals", "Latest closing first.", links: proposalLinks("$response.body#/items/0/id"))), membersOnly]),
            Operation(method: "post", path: "/api/v1/governance/proposals", summary: "Propose new pricing values (members); freezes the voter roll", tag: "governance", signedIn: true,
                      requestBody: body("NewProposal"),
                      responses: [("201", json("Proposal", "Opened; Location names it.", links: proposalLinks("$response.body#/id"))),
                                  ("403", problem("Not a member, or the membership is suspended.")),
                                  ("409", problem("What the service's state refuses: a closing time outside the voting periods from now (by default at least 24 hours, at most 366 days), values that overflow with the pricing in force, or another proposal closing at exactly that time.")),
                                  ("422", problem("A title, rationale, closing time or value outside its schema, or no change at all."))]),
            Operation(method: "get", path: "/api/v1/governance/proposals/{id}", summary: "A proposal: live turnout, the caller's vote and, after the close, the tally and outcome", tag: "governance", signedIn: true,
                      responses: [("200", json("Proposal", "The proposal.")), membersOnly]),
            Operation(method: "post", path: "/api/v1/governance/proposals/{id}/votes", summary: "Vote yes, no or abstain, or change one's vote, until the close (members on the roll)", tag: "governance", signedIn: true,
                      requestBody: body("Ballot"),
                      responses: [("201", json("Vote", "Recorded.")), ("200", json("Vote", "The same vote was already counted; nothing recorded.")),
                                  ("403", problem("Not a member, not on the roll frozen at the opening, or suspended.")),
                                  ("409", problem("Voting has closed.")), ("422", problem("choice is not yes, no or abstain."))]),
            Operation(method: "get", path: "/api/v1/governance/proposals/{id}/votes", summary: "Every vote and change of vote on a proposal (others' choices hidden until the close)", tag: "governance", signedIn: true,
                      responses: [("200", json("Votes", "Oldest first.")), membersOnly]),
            Operation(method: "get", path: "/api/v1/governance/votes/mine", summary: "The caller's own votes and changes of vote", tag: "governance", signedIn: true,
                      responses: [("200", json("Votes", "Newest first.")), membersOnly]),
        ]
    }

    /// Where a proposal's id leads.
    static func proposalLinks(_ id: String) -> [Link] {
        [Link(name: "proposal", operationID: "getGovernanceProposalsById", parameters: [("id", id)]),
         Link(name: "vote", operationID: "postGovernanceProposalsByIdVotes", parameters: [("id", id)]),
         Link(name: "votes", operationID: "getGovernanceProposalsByIdVotes", parameters: [("id", id)])]
    }

    static var governanceSchemas: [(String, JSONValue)] {
        // The bounds PricingChange.validate() enforces; at least one value must be set.
        let bounded: [(String, ClosedRange<Int64>)] = [
            ("previewSeconds", 0...Int64(PricingChange.maximumPreviewSeconds)), ("basePrice", 0...Int64.max), ("multiplier", 1...Int64.max),
            ("playsToOwn", 1...Int64.max), ("artistShareBasisPoints", 0...10_000),
        ]
        let value = { (range: ClosedRange<Int64>) -> JSONValue in
            ["type": "integer", "format": "int64", "minimum": .int(Int(range.lowerBound)), "maximum": .int(Int(range.upperBound))]
        }
        var changes = object(bounded.map { ($0.0, orNull(value($0.1))) })
        changes.set("description", "New values; null or absent keeps the value in force at the close. At least one must be set.")
        changes.set("anyOf", .array(bounded.map { name, range in ["required": [.string(name)], "properties": .object([(name, value(range))])] }))
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
            ("MembershipChange", object([("reason", text(.reason))], required: ["reason"])),
            ("PricingChange", changes),
            ("NewProposal", object([
                ("title", text(.title)), ("rationale", text(.rationale)),
                ("closesAt", ["anyOf": [dateTime, ["type": "string", "format": "date"]],
                              "description": "When voting ends: an ISO 8601 time or a day (midnight UTC), at least the minimum voting period from now."]),
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
