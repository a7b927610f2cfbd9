import ArgumentParser

struct Tutti: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tutti",
        abstract: "Tutti: a music streaming service owned by the people who make the music.",
        subcommands: [Serve.self, Transcode.self, Probe.self, ImageCommand.self, UserCommand.self, LedgerCommand.self, WalletCommand.self, GovernanceCommand.self, MediaCommand.self, BackupCommand.self, RestoreCommand.self]
    )
}
