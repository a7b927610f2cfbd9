import Foundation
import GRDB

extension Governance {
    /// Every member, by username.
    public func members() throws(GovernanceError) -> [Member] {
        try read { db in try Self.members(db) }
    }

    /// `userID` as a member, or nil if they are not one.
    public func member(_ userID: String) throws(GovernanceError) -> Member? {
        try read { db in try Self.members(db, only: userID).first }
    }

    /// Every suspension and restoration of `memberID`'s membership, oldest first.
    public func membershipEvents(of memberID: String) throws(GovernanceError) -> [MembershipEvent] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM governance_membership_events WHERE member_id = ? ORDER BY sequence", arguments: [memberID])
                .map(Self.event)
        }
    }

    /// Suspends a membership: the member may still read, but not propose or vote until
    /// restored. Recorded with the admin and the reason.
    ///
    /// Not retroactive: the member stays on the rolls of proposals already open (so a
    /// suspension cannot lower a quorum's denominator) and votes already cast still count.
    @discardableResult
    public func suspend(_ memberID: String, by adminID: String, reason: String) throws(GovernanceError) -> MembershipEvent {
        try recordMembership(.suspend, memberID: memberID, adminID: adminID, reason: reason)
    }

    /// Restores a suspended membership, recorded with the admin and the reason.
    @discardableResult
    public func restore(_ memberID: String, by adminID: String, reason: String) throws(GovernanceError) -> MembershipEvent {
        try recordMembership(.restore, memberID: memberID, adminID: adminID, reason: reason)
    }

    private func recordMembership(_ action: MembershipEvent.Action, memberID: String, adminID: String, reason: String) throws(GovernanceError) -> MembershipEvent {
        let reason = Text.clean(reason)
        guard !reason.isEmpty else { throw .invalid("say why (a reason is recorded with every suspension and restoration)") }
        guard reason.count <= 1_000 else { throw .invalid("the reason must be at most 1000 characters") }
        let now = try now()
        return try write { db in
            guard let member = try Self.members(db, only: memberID).first else { throw GovernanceError.notAMember(userID: memberID) }
            switch (action, member.isSuspended) {
            case (.suspend, true): throw GovernanceError.conflict("this membership is already suspended")
            case (.restore, false): throw GovernanceError.conflict("this membership is not suspended")
            default: break
            }
            try db.execute(
                sql: "INSERT INTO governance_membership_events (member_id, action, actor_id, reason, at_ms) VALUES (?, ?, ?, ?, ?)",
                arguments: [memberID, action.rawValue, adminID, reason, now])
            return MembershipEvent(sequence: db.lastInsertedRowID, memberID: memberID, action: action, actorID: adminID, reason: reason, at: Timestamp.date(now))
        }
    }

    /// Members as the catalog has them now, with their suspension state.
    static func members(_ db: Database, only userID: String? = nil) throws -> [Member] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT u.id, u.username, u.displayName,
                   (SELECT count(*) FROM tracks t WHERE t.artistID = u.id AND t.published = 1 AND t.deletedAt IS NULL) AS published
            FROM users u
            WHERE u.role = 'artist' AND (? IS NULL OR u.id = ?)
              AND EXISTS (SELECT 1 FROM tracks t WHERE t.artistID = u.id AND t.published = 1 AND t.deletedAt IS NULL)
            ORDER BY u.username
            """, arguments: [userID, userID])
        return try rows.map { row in
            let id: String = row["id"]
            let latest = try Row.fetchOne(db, sql: """
                SELECT * FROM governance_membership_events WHERE member_id = ? ORDER BY sequence DESC LIMIT 1
                """, arguments: [id]).map(event)
            return Member(
                id: id, username: row["username"], displayName: row["displayName"], publishedTracks: row["published"],
                suspension: latest?.action == .suspend ? latest : nil)
        }
    }

    static func event(_ row: Row) -> MembershipEvent {
        MembershipEvent(
            sequence: row["sequence"], memberID: row["member_id"], action: MembershipEvent.Action(rawValue: row["action"]) ?? .suspend,
            actorID: row["actor_id"], reason: row["reason"], at: Timestamp.date(row["at_ms"]))
    }
}

/// Free text from people: control characters removed, surrounding whitespace trimmed.
enum Text {
    static func clean(_ raw: String) -> String {
        // Trimmed by code point, like Catalog's TextField.clean.
        let scalars = raw.unicodeScalars.filter { $0.properties.generalCategory != .control || $0 == "\n" }
        let trimmed = scalars.drop(while: \.properties.isWhitespace).reversed().drop(while: \.properties.isWhitespace).reversed()
        return String(String.UnicodeScalarView(trimmed))
    }
}
