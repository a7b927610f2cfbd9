import FoundationEssentials
import Governance
import Hummingbird
import Logging
import NIOPosix

extension AppServices {
    /// Runs a blocking governance call on the thread pool, never on an event loop; its
    /// refusals become problems.
    func inGovernance<T: Sendable>(_ body: @escaping @Sendable (Governance) throws(GovernanceError) -> T) async throws -> T {
        let governance = self.governance
        do {
            return try await threadPool.runIfActive { () throws -> T in try body(governance) }
        } catch let error as GovernanceError {
            throw Problem(for: error)
        }
    }

    /// Closes the proposals whose closing time is at or before `instant`, if any (an atomic
    /// load when there is none): a passed one becomes a pricing version effective at its
    /// close, so whatever is priced at `instant` afterwards uses it.
    func closeDueProposals(before instant: Date, logger: Logger) async throws {
        guard governance.isCloseDue(at: instant) else { return }
        try await closeDueProposals(logger: logger)
    }

    /// Closes every proposal whose closing time has passed and logs each tally.
    func closeDueProposals(logger: Logger) async throws {
        let tallies = try await inGovernance { governance throws(GovernanceError) in try governance.closeDue() }
        for tally in tallies {
            logger.notice("proposal closed", metadata: [
                "proposal": "\(tally.proposalID)", "outcome": "\(tally.outcome.rawValue)", "yes": "\(tally.yes)", "no": "\(tally.no)",
                "abstain": "\(tally.abstain)", "roll": "\(tally.rollSize)", "pricingVersion": "\(tally.pricingVersion.map(String.init) ?? "-")",
            ])
        }
    }
}

extension Problem {
    /// The one HTTP answer for each governance refusal.
    init(for error: GovernanceError) {
        let sentence = error.description.prefix(1).uppercased() + error.description.dropFirst() + "."
        switch error {
        case .notAMember:
            self.init(.forbidden, title: "Members only", detail: sentence)
        case .suspended:
            self.init(.forbidden, title: "Membership suspended", detail: sentence)
        case .notOnRoll:
            self.init(.forbidden, title: "Not on the voter roll", detail: sentence)
        case .votingClosed(_, let closesAt):
            self.init(.conflict, title: "Voting closed", detail: sentence, extensions: ["closesAt": .string(closesAt.formatted(.iso8601))])
        case .proposalNotFound:
            self.init(.notFound, title: "Not found", detail: "There is no such proposal.")
        case .invalid:
            self.init(.unprocessableContent, title: "Invalid value", detail: sentence)
        case .conflict:
            self.init(.conflict, title: "Conflict", detail: sentence)
        case .database:
            self.init(.internalServerError, title: "Internal error", detail: "Something went wrong on our side; it has been logged.")
        }
    }
}
