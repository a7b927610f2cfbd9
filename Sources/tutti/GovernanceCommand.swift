import ArgumentParser
import Catalog
import FoundationEssentials
import Governance
import Ledger
import TuttiServer
import TuttiStorage

struct GovernanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "governance",
        abstract: "Inspect pricing proposals and close due ones by hand (operators).",
        subcommands: [List.self, ShowTally.self, Close.self])

    /// The data folder shared by the governance commands.
    struct DataOption: ParsableArguments {
        @Option(help: "The data folder of the service.")
        var data = ".tutti-data"

        /// Governance over the service's database (which must exist).
        func open() throws -> Governance {
            let configuration = ServerConfiguration(dataDirectory: data)
            guard FileManager.default.fileExists(atPath: configuration.databasePath) else {
                throw ValidationError("no Tutti database in \(data) (expected \(configuration.databasePath))")
            }
            let rules = GovernanceRules(
                quorumBasisPoints: configuration.governanceQuorumBasisPoints,
                minimumVotingPeriod: configuration.governanceMinimumVotingPeriod)
            return try Storage.openSQLite(path: configuration.databasePath, governanceRules: rules).governance
        }
    }

    static func describe(_ proposal: Proposal, now: Date) -> String {
        let changes = [
            proposal.change.previewSeconds.map { "preview \($0) s" },
            proposal.change.basePrice.map { "base price \($0) units" },
            proposal.change.multiplier.map { "multiplier \($0)" },
            proposal.change.playsToOwn.map { "plays to own \($0)" },
            proposal.change.artistShareBasisPoints.map { "artist share \($0) bp" },
        ].compactMap { $0 }.joined(separator: ", ")
        var line = "\(proposal.id)  \(proposal.status(at: now).rawValue)  closes \(proposal.closesAt.formatted(.iso8601))  "
        line += "turnout \(proposal.turnout)/\(proposal.rollSize)  \"\(proposal.title)\"  [\(changes)]"
        if let tally = proposal.tally {
            line += "  → \(tally.outcome.rawValue)" + (tally.pricingVersion.map { " (pricing version \($0))" } ?? "")
        }
        return line
    }

    static func describe(_ tally: Tally) -> String {
        var lines = [
            "proposal: \(tally.proposalID)",
            "closes: \(tally.closedAt.formatted(.iso8601))",
            "roll: \(tally.rollSize)  yes: \(tally.yes)  no: \(tally.no)  abstain: \(tally.abstain)  turnout: \(tally.turnout)",
            "quorum: \(tally.quorumBasisPoints) bp (needs \((tally.quorumBasisPoints * tally.rollSize + 9_999) / 10_000) of \(tally.rollSize))",
            "outcome: \(tally.outcome.rawValue)",
        ]
        if let version = tally.pricingVersion { lines.append("pricing version: \(version)") }
        if let note = tally.note { lines.append("note: \(note)") }
        return lines.joined(separator: "\n")
    }
}

extension GovernanceCommand {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List proposals, the latest closing first.")

        @OptionGroup var options: DataOption

        @Option(help: "open, closed or all.")
        var status = "all"

        func validate() throws {
            guard Governance.ProposalFilter(rawValue: status) != nil else { throw ValidationError("--status must be open, closed or all") }
        }

        func run() throws {
            let governance = try options.open()
            let now = Date()
            let proposals = try governance.proposals(Governance.ProposalFilter(rawValue: status) ?? .all)
            if proposals.isEmpty { print("no proposals") }
            for proposal in proposals { print(GovernanceCommand.describe(proposal, now: now)) }
        }
    }

    struct ShowTally: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tally",
            abstract: "Show a proposal's tally: the recorded one once closed, else a provisional count as if it closed now.")

        @OptionGroup var options: DataOption

        @Argument(help: "The proposal id.")
        var proposal: String

        func run() throws {
            let governance = try options.open()
            do {
                print(GovernanceCommand.describe(try governance.currentTally(of: proposal)))
            } catch {
                printError("tutti governance tally: \(error)")
                throw ExitCode(1)
            }
        }
    }

    struct Close: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close every proposal whose closing time has passed, as the server does, and print the tallies.",
            discussion: "Safe while the server runs, and to repeat: a proposal is tallied, and its pricing version created, once.")

        @OptionGroup var options: DataOption

        func run() throws {
            let governance = try options.open()
            let tallies = try governance.closeDue()
            if tallies.isEmpty { print("no proposal is due") }
            for tally in tallies { print(GovernanceCommand.describe(tally) + "\n") }
        }
    }
}
