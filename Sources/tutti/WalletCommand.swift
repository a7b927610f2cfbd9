import ArgumentParser
import Catalog
import FoundationEssentials
import Governance
import Ledger
import TuttiServer
import TuttiStorage

struct WalletCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wallet", abstract: "Manage listener wallets on the command line.", subcommands: [Credit.self])
}

extension WalletCommand {
    struct Credit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Credit a payment confirmed by hand (e.g. a bank transfer) to a wallet, recording who and why.",
            discussion: """
                AMOUNT is in credits with up to six decimals (1.5 is 1500000 units); it is parsed exactly, \
                never through floating point. USER is a username or an account id; --actor must name an \
                admin account. Prints the new balance. With --idempotency-key, running the same command \
                again books nothing; the same key with other values is refused.
                """)

        @Argument(help: "The account to credit: username or id.")
        var user: String

        @Argument(help: "Credits, e.g. 10 or 1.5 (at most six decimals).")
        var amount: String

        @Option(help: "Why: e.g. the bank transfer's reference. Recorded in the ledger.")
        var reason: String

        @Option(help: ArgumentHelp("The admin making the credit (username).", valueName: "admin-username"))
        var actor: String

        @Option(help: "The data folder of the service.")
        var data = ".tutti-data"

        @Option(help: ArgumentHelp("Makes the credit idempotent: the transfer id is admin-credit:KEY.", valueName: "key"))
        var idempotencyKey: String?

        var units: Int64? { Money.units(fromCredits: amount) }

        func validate() throws {
            guard let units else {
                throw ValidationError("AMOUNT must be a number of credits with at most six decimals, like 10 or 1.5; got '\(amount)'")
            }
            guard units > 0 else { throw ValidationError("AMOUNT must be more than zero") }
            guard !TextField.clean(reason).isEmpty else { throw ValidationError("--reason must say why the wallet is credited") }
            if let idempotencyKey {
                guard (1...200).contains(idempotencyKey.utf8.count), idempotencyKey.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else {
                    throw ValidationError("--idempotency-key must be 1 to 200 visible ASCII characters")
                }
            }
        }

        func run() async throws {
            guard let units else { throw ValidationError("invalid AMOUNT") }
            let configuration = ServerConfiguration(dataDirectory: data)
            guard FileManager.default.fileExists(atPath: configuration.databasePath) else {
                throw failure("no Tutti database in \(data) (expected \(configuration.databasePath))")
            }
            let storage = try Storage.openSQLite(path: configuration.databasePath, now: configuration.now)
            let accounts = storage.accounts
            let target = Identifier.isValid(user) ? try await accounts.user(id: user) : try await accounts.user(username: user)
            guard let target else { throw failure("no account '\(user)'") }
            guard let admin = try await accounts.user(username: actor) else { throw failure("no account '\(actor)' for --actor") }
            guard admin.role == .admin else { throw failure("--actor \(admin.username) is not an admin (role: \(admin.role.rawValue))") }
            guard admin.id != target.id else { throw failure("an admin cannot credit their own wallet") }
            let transferID = "admin-credit:" + (idempotencyKey ?? Identifier.make())
            do {
                let ledger = storage.ledger
                let transfer = try ledger.adminCredit(
                    transferID: transferID, user: target.id, amount: units, actor: admin.id, reason: TextField.clean(reason))
                let balance = try ledger.balance(of: .listenerWallet(target.id)).balance
                print("credited \(Money.format(transfer.amount)) credits to \(target.username) (\(target.id)) as transfer \(transfer.id) (#\(transfer.sequence))")
                print("balance: \(Money.format(balance)) credits (\(balance) units)")
            } catch {
                throw failure("\(error)")
            }
        }

        /// Ends the command with `message` on standard error and exit status 1.
        private func failure(_ message: String) -> ExitCode {
            printError("tutti wallet credit: \(message)")
            return ExitCode(1)
        }
    }
}
