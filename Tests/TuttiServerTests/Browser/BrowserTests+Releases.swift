import Foundation
import Testing
import TuttiServer
import TuttiTestSupport

extension BrowserTests {
    @Test("a listener finds a published release in the catalog by its genre, opens its track list and plays it all")
    func listenerPlaysRelease() async throws {
        try await TestService().run { api in
            let ada = try await api.account("ada", role: "artist")
            let first = try await api.upload(Fixtures.media("sine-1000-48000-mono.wav"), title: "Ignition", by: ada)
            let second = try await api.upload(Fixtures.media("sine-440-44100-stereo.flac"), title: "Cruise", by: ada)
            for id in [first, second] { #expect(try await api.waitUntilProcessed(id, token: ada.token)["status"] as? String == "ready") }
            let release = try await api.request(.post, "/api/v1/releases", token: ada.token, json: [
                "title": "Night Engines", "type": "ep", "genres": ["Ambient"], "licence": "CC-BY-4.0",
            ]).json()["id"] as! String
            // Free, so the whole release plays from its plain URLs without a wallet.
            for id in [first, second] { _ = try await api.request(.patch, "/api/v1/tracks/\(id)", token: ada.token, json: ["free": true]) }
            #expect(try await api.request(.put, "/api/v1/releases/\(release)/tracks", token: ada.token,
                                          json: ["tracks": [["id": first, "trackNumber": 1], ["id": second, "trackNumber": 2]]]).status == .ok)
            #expect(try await api.request(.post, "/api/v1/releases/\(release)/publish", token: ada.token).status == .ok)
            _ = try await api.account("listener")
            try await withBrowser { page in
                try await page.signIn(api, "listener")
                let row = "#release-list li[data-release='\(release)']"
                try await page.waitUntil("document.querySelector(\"\(row)\")", "the catalog lists the release")
                #expect(try await page.text(row).contains("Night Engines"))
                #expect(try await page.text(row).contains("ep by ada · ambient · 2 tracks · CC-BY-4.0"))
                try await page.waitUntil("document.querySelectorAll('#release-genre option').length === 2", "the genre filter offers ambient")
                try await page.run("const genre = document.getElementById('release-genre'); genre.value = 'ambient'; genre.dispatchEvent(new Event('change'))")
                try await page.waitUntil("document.querySelector('#release-list[data-genre=ambient]') && document.querySelectorAll('#release-list li').length === 1",
                                         "the list is filtered by the genre")
                try await page.click("\(row) button.secondary")
                try await page.waitUntil("!document.querySelector(\"\(row) ol\").hidden", "the track list opens")
                #expect(try await page.text("\(row) ol").contains("Ignition"))
                #expect(try await page.text("\(row) ol").contains("Cruise"))
                try await page.click("\(row) button")
                try await page.waitForPlayback()
                try await Screenshots.save(page, "catalog-release")
            }
        }
    }
}
