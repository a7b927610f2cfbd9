import Foundation
import Testing
import TuttiTestSupport

@Suite("tutti serve: the payment webhook secret")
struct ServePaymentsTests {
    @Test("--payment-webhook-secret-file turns the webhook on with that secret (signed here with openssl)")
    func secretFile() async throws {
        let statuses = try await Self.deliverToServedWebhook()
        // Signed with the file's secret (newline trimmed): authentic, refused only for its unknown
        // user. Signed with the untrimmed text or another secret: refused as forged.
        #expect(statuses == ["422", "401", "401"])
    }

    /// Starts `tutti serve` with a secret file and delivers one event signed three ways.
    static func deliverToServedWebhook() async throws -> [String] {
        let folder = Fixtures.scratch()
        let secretFile = folder.appendingPathComponent("webhook-secret").path
        let secret = "whsec_from_a_file_0123456789"
        try Data((secret + "\n").utf8).write(to: URL(fileURLWithPath: secretFile))
        let server = try await ServerProcess.start(arguments: ["--payment-webhook-secret-file", secretFile])

        let body = #"{"id":"evt_cli","type":"payment.succeeded","data":{"user":"00000000-0000-4000-8000-000000000000","amount":5,"currency":"credit"}}"#
        let bodyFile = folder.appendingPathComponent("event.json").path
        try Data(body.utf8).write(to: URL(fileURLWithPath: bodyFile))
        let timestamp = Int(Date().timeIntervalSince1970)
        func deliver(secret: String) async throws -> String {
            let payload = folder.appendingPathComponent("payload").path
            try Data("\(timestamp).\(body)".utf8).write(to: URL(fileURLWithPath: payload))
            let mac = try await ThirdPartyTools.run("openssl", ["dgst", "-sha256", "-hmac", secret, payload])
            let hex = String(mac.stdout.split(separator: " ").last ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            let curl = try await ThirdPartyTools.run("curl", [
                "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: application/json",
                "-H", "Tutti-Signature: t=\(timestamp),v1=\(hex)", "--data-binary", "@\(bodyFile)", server.url + "/api/v1/payments/webhook",
            ])
            return curl.stdout
        }
        let statuses = [try await deliver(secret: secret), try await deliver(secret: secret + "\n"), try await deliver(secret: "whsec_some_other_secret_00")]
        try await server.stop()
        return statuses
    }

    @Test("a secret file that is missing or too short stops the server before it starts", arguments: ["missing", "short"])
    func badSecretFile(problem: String) async throws {
        let folder = Fixtures.scratch()
        let path = folder.appendingPathComponent("secret").path
        if problem == "short" { try Data("abc\n".utf8).write(to: URL(fileURLWithPath: path)) }
        let run = try await ThirdPartyTools.run(Fixtures.tuttiExecutable, ["serve", "--data", folder.path, "--port", "0", "--payment-webhook-secret-file", path])
        #expect(run.status != 0)
        #expect(run.stderr.contains(problem == "short" ? "at least 16 characters" : "cannot read"), "\(run.stderr)")
    }
}
