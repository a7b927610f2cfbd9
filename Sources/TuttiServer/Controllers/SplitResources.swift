import Catalog
import FoundationEssentials
import Hummingbird
import Ledger

extension TextRule {
    /// A party's role on a split sheet ("vocals", "producer", "label"...).
    static let splitRole = TextRule(maxLength: SplitParty.maximumRoleLength)
}

/// A split sheet as the API shows it: its parties with their shares, roles and answers.
struct SplitSheetResource: ResponseCodable {
    struct Party: Codable {
        var userID: String
        var username: String?
        var displayName: String?
        var shareBasisPoints: Int
        var role: String
        /// accepted, declined, or null while the party has not answered.
        var decision: String?
        var decidedAt: Date?
    }

    var id: Int64
    /// "release" (the release's sheet) or "track" (one track's, overriding the release's).
    var scope: String
    var releaseID: String?
    var releaseTitle: String?
    var trackID: String?
    var trackTitle: String?
    /// 1 for the first proposal of its release or track, then 2, 3...
    var version: Int
    var proposerID: String
    var proposerUsername: String?
    var proposedAt: Date
    /// pending, in_force, replaced, declined or superseded.
    var status: String
    /// When the last party accepted; null unless all have.
    var effectiveFrom: Date?
    var parties: [Party]
    var url: String

    init(_ sheet: SplitSheet, users: [String: User], release: (id: String, title: String)?, trackID: String?, trackTitle: String?) {
        id = sheet.id
        scope = sheet.scope.kind
        releaseID = release?.id
        releaseTitle = release?.title
        self.trackID = trackID
        self.trackTitle = trackTitle
        version = sheet.version
        proposerID = sheet.proposerID
        proposerUsername = users[sheet.proposerID]?.username
        proposedAt = sheet.proposedAt
        status = sheet.status.rawValue
        effectiveFrom = sheet.effectiveFrom
        let consents = Dictionary(sheet.consents.map { ($0.userID, $0) }, uniquingKeysWith: { first, _ in first })
        parties = sheet.parties.map { party in
            Party(userID: party.userID, username: users[party.userID]?.username, displayName: users[party.userID]?.displayName,
                  shareBasisPoints: party.shareBasisPoints, role: party.role, decision: consents[party.userID]?.decision.rawValue,
                  decidedAt: consents[party.userID]?.decidedAt)
        }
        url = "/api/v1/split-sheets/\(sheet.id)"
    }
}

struct SplitSheetListResource: ResponseCodable {
    var items: [SplitSheetResource]
}

/// One account's part of every play in a period, whoever owns the tracks.
struct SplitStatementResource: ResponseCodable {
    struct Row: Codable {
        var playID: String
        var trackID: String
        var trackTitle: String?
        var releaseID: String?
        var releaseTitle: String?
        var playedAt: Date
        /// The sheet that divided the play; null for the default sheet (all to the owner).
        var sheetID: Int64?
        /// The sheet's version for its release or track; 0 for the default sheet.
        var sheetVersion: Int
        var role: String
        var shareBasisPoints: Int
        /// The play's artist part before division, minor units.
        var artistPart: Int64
        /// The caller's part, minor units.
        var part: Int64
        var partCredits: String
    }

    struct Totals: Codable {
        var plays: Int
        var part: Int64
        var partCredits: String
    }

    var userID: String
    var from: Date?
    var until: Date?
    var rows: [Row]
    var totals: Totals
    /// The caller's unpaid earnings now, minor units.
    var balance: Int64
    var balanceCredits: String

    init(_ statement: EarningsStatement, from: Date?, until: Date?, titles: [String: String],
         releases: [String: (id: String, title: String)], balance: Int64) {
        userID = statement.userID
        self.from = from
        self.until = until
        rows = statement.rows.map { row in
            Row(playID: row.playID, trackID: row.trackID, trackTitle: titles[row.trackID], releaseID: releases[row.trackID]?.id,
                releaseTitle: releases[row.trackID]?.title, playedAt: row.playedAt, sheetID: row.sheetID, sheetVersion: row.sheetVersion,
                role: row.role, shareBasisPoints: row.shareBasisPoints, artistPart: row.artistPart, part: row.part,
                partCredits: Money.format(row.part))
        }
        totals = Totals(plays: statement.rows.count, part: statement.totalPart, partCredits: Money.format(statement.totalPart))
        self.balance = balance
        balanceCredits = Money.format(balance)
    }
}
