import ArgumentParser
import Catalog
import HummingbirdBcrypt
import TuttiServer
import TuttiStorage

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage accounts on the command line.", subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an account (the first admin is made this way).",
            discussion: "The password is read from standard input (one line), so it stays out of shell history.")

        @Option(help: "The data folder of the service.")
        var data = ".tutti-data"

        @Argument(help: "Username: 3 to 32 of a-z 0-9 . _ -")
        var username: String

        @Option(help: "listener, artist or admin.")
        var role: String = "admin"

        @Option(help: "The name others see.")
        var displayName: String?

        func validate() throws {
            guard Role(rawValue: role) != nil else { throw ValidationError("--role must be listener, artist or admin") }
            do { _ = try CredentialRules.normalizedUsername(username) } catch { throw ValidationError("\(error)") }
        }

        func run() async throws {
            guard let password = readLine(strippingNewline: true) else {
                throw ValidationError("no password on standard input")
            }
            do { try CredentialRules.checkPassword(password) } catch { throw ValidationError("\(error)") }
            let configuration = ServerConfiguration(dataDirectory: data)
            try TuttiApplication.createDirectories(configuration)
            let accounts = try Storage.openSQLite(path: configuration.databasePath, now: configuration.now).accounts
            let user = try await accounts.createUser(
                username: username, displayName: displayName, role: Role(rawValue: role)!,
                passwordHash: Bcrypt.hash(password, cost: configuration.bcryptCost))
            print("created \(user.role.rawValue) \(user.username) (\(user.id))")
        }
    }
}
