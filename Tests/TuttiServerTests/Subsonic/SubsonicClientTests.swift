import Foundation
import Testing
@testable import TuttiServer
import TuttiTestSupport

/// A real Subsonic client library, py-opensonic (PyPI, pinned in tools/install-deps.sh),
/// drives a live server (tools/subsonic/client-check.py); every envelope its run received is
/// then checked, as XML, against what the Subsonic 1.16.1 schema requires.
@Suite("OpenSubsonic API: a real client")
struct SubsonicClientTests {
    @Test("py-opensonic signs in with a token and an API key, browses, searches, stars, makes playlists, streams a free track whole and a paid one's preview, fetches a cover")
    func pyOpenSonic() async throws {
        try await TestService().run { api in
            let catalog = try await SubsonicCatalog.make(api)
            let lena = try await api.account("lena")
            let app = try await api.appPassword(lena, name: "py-opensonic")
            let out = Fixtures.scratch("py-opensonic-xml")
            let script = Fixtures.repository.appendingPathComponent("tools/subsonic/client-check.py").path
            let run = try await ThirdPartyTools.run("python3", [script, String(api.port), app.username, app.secret, catalog.freeTrack, catalog.paidTrack, out.path])
            #expect(run.status == 0, "py-opensonic: \(run.stdout)\n\(run.stderr)")
            #expect(run.stdout.contains(" passed, 0 failed"), "\(run.stdout)")
            let files = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".xml") }.sorted()
            #expect(files.count >= 20, "\(files)")
            for file in files {
                let problems = SubsonicSchema.check(xml: try Data(contentsOf: out.appendingPathComponent(file)))
                #expect(problems.isEmpty, "\(file): \(problems)")
            }
        }
    }
}
