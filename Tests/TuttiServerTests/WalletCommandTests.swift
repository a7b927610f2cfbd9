import Foundation
import Ledger
import Testing
import TuttiServer
import TuttiTestSupport

@Suite("tutti wallet credit")
struct WalletCommandTests {
    @Test("credits exact decimal credits by username or id, records the admin and the reason, prints the balance; bad input exits non-zero and books nothing")
    func credit() async throws {
        try await TestService().run { api in
            let lena = try await api.account("lena")
            let ada = try await api.account("ada", role: "artist")
            _ = try await api.adminAccount("root")
            let data = api.configuration.dataDirectory
            func tutti(_ arguments: [String]) async throws -> ThirdPartyTools.Output {
                try await ThirdPartyTools.run(Fixtures.tuttiExecutable, ["wallet", "credit"] + arguments + ["--data", data])
            }

            let first = try await tutti(["lena", "1.5", "--reason", "bank transfer REF-7", "--actor", "root"])
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout.contains("credited 1.500000 credits to lena (\(lena.id))"))
            #expect(first.stdout.contains("balance: 1.500000 credits (1500000 units)"))
            #expect(try await api.walletBalance(lena) == 1_500_000)

            // By id, with an idempotency key: running it twice books once.
            for _ in 0..<2 {
                let keyed = try await tutti([lena.id, "0.000001", "--reason", "rounding", "--actor", "root", "--idempotency-key", "cli-1"])
                #expect(keyed.status == 0, "\(keyed.stderr)")
                #expect(keyed.stdout.contains("balance: 1.500001 credits"))
            }
            let conflicting = try await tutti([lena.id, "2", "--reason", "rounding", "--actor", "root", "--idempotency-key", "cli-1"])
            #expect(conflicting.status == 1)
            #expect(conflicting.stderr.contains("already used"))

            // The ledger records who and why.
            let ledger = try api.ledger()
            let history = try ledger.walletHistory(listener: lena.id)
            let manual = try #require(history.entries.last?.transfer)
            #expect(manual.code == .adminCredit)
            #expect(manual.details.note == "bank transfer REF-7")
            #expect(manual.details.actor != nil && manual.details.actor != "root")

            let refused: [([String], String)] = [
                (["lena", "1.0000001", "--reason", "x", "--actor", "root"], "at most six decimals"),
                (["--reason", "x", "--actor", "root", "lena", "--", "-1"], "at most six decimals"),
                (["lena", "1e3", "--reason", "x", "--actor", "root"], "at most six decimals"),
                (["lena", "0", "--reason", "x", "--actor", "root"], "more than zero"),
                (["lena", "1", "--reason", " ", "--actor", "root"], "--reason"),
                (["lena", "1", "--actor", "root"], "--reason"),
                (["nobody", "1", "--reason", "x", "--actor", "root"], "no account 'nobody'"),
                (["lena", "1", "--reason", "x", "--actor", "ada"], "--actor ada is not an admin (role: artist)"),
                (["lena", "1", "--reason", "x", "--actor", "ghost"], "no account 'ghost'"),
                (["root", "1", "--reason", "x", "--actor", "root"], "own wallet"),
            ]
            for (arguments, message) in refused {
                let run = try await tutti(arguments)
                #expect(run.status != 0, "\(arguments)")
                #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
            }
            let missing = try await ThirdPartyTools.run(Fixtures.tuttiExecutable, ["wallet", "credit", "lena", "1", "--reason", "x", "--actor", "root", "--data", "/nonexistent/tutti"])
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("no Tutti database"))
            #expect(try await api.walletBalance(lena) == 1_500_001)
            #expect(try await api.walletBalance(ada) == 0)
            #expect(try ledger.verify().isIntact)
        }
    }
}
