import ArgumentParser
import FoundationEssentials
import Ledger
import TuttiStorage

struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Check or measure the royalty ledger in a database file (the service's, by default).",
        subcommands: [Verify.self, Bench.self]
    )

    /// The database file option shared by the ledger commands.
    struct DatabaseOption: ParsableArguments {
        @Option(help: ArgumentHelp("The SQLite database file holding the ledger (for `bench`, also a postgres:// URL).", valueName: "path"))
        var database: String
    }
}

extension LedgerCommand {
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify a ledger: balanced totals, account sums, no negative wallet, hash chain, sequences, plays.",
            discussion: """
                Works on a live or a stopped database. Prints the report; exits 0 if the ledger is intact, \
                otherwise 1 with one line on standard error naming the first broken transfer (or account).
                """
        )

        @Option(help: ArgumentHelp("The SQLite database file holding the ledger (default: the service's, in --data).", valueName: "path"))
        var database: String?

        @Option(help: "The data folder of the service.")
        var data = ".tutti-data"

        var path: String { database ?? data + "/tutti.sqlite" }

        @Option(name: .customLong("anchor"), help: ArgumentHelp(
            "A hash published earlier, as SEQUENCE:HEX; the chain must still have it.", valueName: "seq:hash"))
        var anchors: [String] = []

        func validate() throws {
            guard FileManager.default.fileExists(atPath: path) else {
                throw ValidationError("no database file at \(path)")
            }
            for anchor in anchors { _ = try Self.parseAnchor(anchor) }
        }

        static func parseAnchor(_ text: String) throws -> ChainAnchor {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let sequence = Int64(parts[0]), sequence >= 1, parts[1].count == 64,
                  parts[1].allSatisfy(\.isHexDigit)
            else { throw ValidationError("--anchor takes SEQUENCE:HASH with a 64-digit hex hash; got '\(text)'") }
            return ChainAnchor(sequence: sequence, hash: String(parts[1]))
        }

        func run() throws {
            let report: VerificationReport
            do {
                report = try Storage.verifyLedger(atPath: path, anchors: anchors.map(Self.parseAnchor))
            } catch {
                printError("tutti ledger verify: \(path): \(error)")
                throw ExitCode(2)
            }
            print(report)
            if let failure = report.firstFailure {
                printError("tutti ledger verify: \(path): \(failure)")
                throw ExitCode(1)
            }
        }
    }
}
