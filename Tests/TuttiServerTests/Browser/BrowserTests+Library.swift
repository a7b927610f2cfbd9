import Foundation
import Testing
@testable import TuttiServer
import TuttiTestSupport

extension BrowserTests {
    @Test("the library page: a release starred on its page; a playlist of three tracks from two releases reordered and made public, opened signed out by its shared link; own it now and download the original; stopped by a spending limit with a clear message")
    func listenerLibrary() async throws {
        try await TestService().run { api in
            let ada = try await api.account("ada", role: "artist")
            let lena = try await api.account("lena")
            let tracks = try await api.publishedTracks(3, by: ada)
            // Two releases: the first two tracks in one EP, the third a single of its own.
            let ep = try #require(try await api.request(.post, "/api/v1/releases", token: ada.token, json: ["title": "Two Songs", "type": "ep"]).json()["id"] as? String)
            for id in tracks.prefix(2) {
                let single = try await api.releaseOf(id)
                #expect(try await api.request(.post, "/api/v1/releases/\(single)/unpublish", token: ada.token).status == .ok)
            }
            #expect(try await api.request(.put, "/api/v1/releases/\(ep)/tracks", token: ada.token,
                                          json: ["tracks": [["id": tracks[0], "trackNumber": 1], ["id": tracks[1], "trackNumber": 2]]]).status == .ok)
            #expect(try await api.request(.post, "/api/v1/releases/\(ep)/publish", token: ada.token).status == .ok)
            #expect(Set([try await api.releaseOf(tracks[0]), try await api.releaseOf(tracks[1]), try await api.releaseOf(tracks[2])]).count == 2)
            try await api.fund(lena, 2_200_000)
            var version = 1
            let playlist = try #require(try await api.request(.post, "/api/v1/playlists", token: lena.token, json: ["title": "Evening"]).json()["id"] as? String)
            for id in tracks {
                _ = try await api.request(.post, "/api/v1/playlists/\(playlist)/tracks", token: lena.token, json: ["version": version, "trackID": id])
                version += 1
            }
            // One counted play of two tracks, so the collection offers own it now for the rest.
            for id in [tracks[2], tracks[0]] {
                _ = try await api.services.ledger.chargePlay(.init(playID: "play-\(id)", listenerID: lena.id, artistID: ada.id, trackID: id, at: Date()))
            }

            let downloads = Fixtures.scratch("browser-own-it-now")
            try await withBrowser(expected: { $0.contains("/spending-limit") || $0.contains("/purchase") }) { page in
                try await page.browser.send("Browser.setDownloadBehavior", ["behavior": "allow", "downloadPath": downloads.path])
                try await page.signIn(api, "lena")

                // A star on the release's page: pressed, it stays pressed when the page is opened again.
                try await page.run("location.hash = '#/releases/\(ep)'")
                let star = "#release-star button[data-star=release]"
                try await page.waitUntil("document.querySelector(\(BrowserPage.literal(star)))?.getAttribute('aria-pressed') === 'false'", "the release page offers a star")
                #expect(try await page.text(star) == "☆ Favourite")
                #expect(try await page.evaluate("document.querySelector(\(BrowserPage.literal(star))).getAttribute('aria-label')", as: String.self) == "Favourite Two Songs")
                try await page.click(star)
                try await page.waitUntil("document.querySelector(\(BrowserPage.literal(star))).getAttribute('aria-pressed') === 'true'", "the star is pressed")
                #expect(try await page.text(star) == "★ Favourite", "the state is in the text, not in colour alone")
                let favourites = try await api.request(.get, "/api/v1/listeners/\(lena.id)/favourites", token: lena.token).json()["items"] as? [[String: Any]]
                #expect(favourites?.map { "\($0["kind"] ?? "") \($0["id"] ?? "")" } == ["release \(ep)"])
                try await page.run("location.hash = '#/'")
                try await page.waitUntil("document.querySelector('#release-list li[data-release]')", "the catalog")
                try await page.run("location.hash = '#/releases/\(ep)'")
                try await page.waitUntil("document.querySelector(\(BrowserPage.literal(star)))?.getAttribute('aria-pressed') === 'true'", "the star is still pressed on the page opened again")

                #expect(try await page.evaluate("document.getElementById('release-share').getAttribute('href')", as: String.self) == "/releases/\(ep)")
                // And the artist, from her page, with the keyboard.
                try await page.run("location.hash = '#/artists/\(ada.id)'")
                let artistStar = "#artist-star button[data-star=artist]"
                try await page.waitUntil("document.querySelector(\(BrowserPage.literal(artistStar)))?.getAttribute('aria-pressed') === 'false'", "the artist page offers a star")
                try await page.run("document.querySelector(\(BrowserPage.literal(artistStar))).focus()")
                try await page.press("Enter", code: "Enter", keyCode: 13, text: "\r")
                try await page.waitUntil("document.querySelector(\(BrowserPage.literal(artistStar))).getAttribute('aria-pressed') === 'true'", "the artist's star is pressed")

                try await page.navigate("\(api.baseURL)/#/my-library")
                try await page.waitUntil("document.getElementById('favourite-list')?.textContent.includes('Two Songs')", "the library lists the starred release")
                #expect(try await page.text("#favourite-list").contains("artist: ada"), "the library lists the starred artist")
                let item = "#playlist-list li[data-playlist='\(playlist)']"
                try await page.waitUntil("document.querySelectorAll(\"\(item) .playlist-tracks li\").length === 3", "the playlist shows three tracks")
                // Move the first track down, with the keyboard: focus the button, press Enter.
                try await page.run("document.querySelector(\"\(item) .playlist-tracks li button[aria-label^='Move Song 1 down']\").focus()")
                try await page.press("Enter", code: "Enter", keyCode: 13, text: "\r")
                try await page.waitUntil("document.querySelector(\"\(item) .playlist-tracks li\")?.textContent.startsWith('Song 2')", "Song 2 is first")
                try await page.click("#public-\(playlist)")
                try await page.waitUntil("document.querySelector(\"\(item) a[href='/playlists/\(playlist)']\")", "the playlist is public, with its link to share")
                try await Screenshots.save(page, "library")

                // Own it now from the collection.
                let own = "#collection-tracks li[data-track='\(tracks[2])'] button.own-it-now"
                try await page.waitUntil("document.querySelector(\"\(own)\")", "own it now is offered")
                try await page.click(own)
                try await page.waitUntil("document.getElementById('toast').textContent.includes('You own Song 3 now')", "the purchase is confirmed")
                try await page.waitUntil("document.querySelector(\"#collection-tracks li[data-track='\(tracks[2])']\")?.textContent.includes('Owned')", "the track shows as owned")
                // Owned, it downloads: the file the browser saves is the original upload, byte for byte.
                let download = "#collection-tracks li[data-track='\(tracks[2])'] button[aria-label='Download Song 3']"
                try await page.waitUntil("document.querySelector(\"\(download)\")", "the owned track offers its download")
                try await page.click(download)
                let file = try await waitFor("the browser to save the original", timeout: Deadline.standard, every: .milliseconds(100)) { () -> URL? in
                    let names = (try? FileManager.default.contentsOfDirectory(atPath: downloads.path)) ?? []
                    guard !names.contains(where: { $0.hasSuffix(".crdownload") }), let name = names.first else { return nil }
                    return downloads.appendingPathComponent(name)
                }
                #expect(file.lastPathComponent == "Song 3 (original).wav")
                let original = try Data(contentsOf: URL(fileURLWithPath: Fixtures.media("sine-1000-48000-mono.wav")))
                let saved = try Data(contentsOf: file)
                #expect(saved.count == original.count, "\(saved.count) bytes saved, the upload had \(original.count)")
                #expect(saved == original)

                // A limit below the next purchase: own it now is refused with the limit's own message.
                try await page.fill("#limit-amount", "0.01")
                try await page.click("#limit-form button[type=submit]")
                try await page.waitUntil("document.getElementById('limit-status')?.textContent.includes('of 0.010000 credits spent')", "the limit is shown")
                try await page.waitUntil("document.querySelectorAll('#collection-tracks li button.own-it-now').length === 1", "own it now is offered for the other track")
                try await page.click("#collection-tracks li button.own-it-now")
                try await page.waitUntil("document.getElementById('toast').textContent.includes('Stopped by your monthly spending limit')", "the limit stops the purchase")
                #expect(try await api.walletBalance(lena) == 2_200_000 - 4_000 - 1_020_000)

                // Signed out, the public playlist opens in its new order.
                try await page.click("#logout")
                try await page.waitUntil("!document.getElementById('whoami').textContent", "signed out")
                // (The page moves itself to its view's address, so navigate() cannot wait for this one.)
                _ = try await page.send("Page.navigate", ["url": "\(api.baseURL)/playlists/\(playlist)"])
                try await page.waitUntil("document.querySelectorAll('#public-playlist li').length === 3", "the public playlist opens signed out")
                #expect(try await page.evaluate("location.pathname + location.hash", as: String.self) == "/#/playlist?id=\(playlist)")
                #expect(try await page.text("#public-playlist li").hasPrefix("Song 2"))
            }
        }
    }
}

extension BrowserTests {
    @Test("the embeddable player plays a paid track's preview for anyone, signed out")
    func embedPlaysPreview() async throws {
        try await TestService().run { api in
            // A paid track of about a minute: its preview is the first 45 s.
            let track = try await MeteredTrack.make(api).id
            try await withBrowser { page in
                try await page.navigate("\(api.baseURL)/embed/tracks/\(track)")
                try await page.waitUntil("document.querySelector('#embed-tracks button[data-track]')", "the embed lists the track")
                try await page.click("#embed-tracks button[data-track]")
                try await page.waitUntil("document.getElementById('embed-status').textContent !== ''", "the embed says what it plays")
                let status = try await page.text("#embed-status")
                #expect(status.contains("preview"), "\(status)")
                try await page.waitUntil("document.getElementById('embed-audio').currentTime > 0.3", "the preview plays")
                #expect(try await page.evaluate("document.getElementById('embed-audio').src", as: String.self)?.contains("/api/v1/plays/") == true)
            }
        }
    }
}

extension BrowserTests {
    @Test("the library page's apps: an app password made and shown once, usable by an app, listed with its last use, revoked")
    func appPasswords() async throws {
        try await TestService().run { api in
            _ = try await api.account("lena")
            // The library page asks for a spending limit the listener has not set (404).
            try await withBrowser(expected: { $0.contains("/spending-limit") }) { page in
                try await page.signIn(api, "lena")
                try await page.navigate("\(api.baseURL)/#/my-library")
                try await page.waitUntil("document.getElementById('app-form')", "the apps section")
                try await page.fill("#app-name", "Symfonium")
                try await page.click("#app-form button[type=submit]")
                try await page.waitUntil("document.getElementById('app-secret')?.textContent.includes('shown once')", "the new password is shown")
                let shown = try await page.text("#app-secret")
                let words: [String] = shown.split(separator: " ").map(String.init)
                let candidate: String? = words.first { (word: String) -> Bool in word.count == 24 && word.hasPrefix(word.prefix(4)) && word.split(separator: "-").count == 5 }
                let secret = try #require(candidate, "\(shown)")
                #expect(try await api.restJSON("ping", as: .token("lena", secret))["status"] as? String == "ok")
                try await page.navigate("\(api.baseURL)/#/")
                try await page.navigate("\(api.baseURL)/#/my-library")
                try await page.waitUntil("document.querySelector('#app-list li[data-app]')?.textContent.includes('Symfonium')", "the app is listed")
                #expect(!(try await page.text("#app-list")).contains(secret), "never shown again")
                #expect(!(try await page.text("#app-list")).contains("last used never"), "its last use is shown")
                try await page.click("#app-list li[data-app] button[aria-label='Revoke Symfonium']")
                try await page.waitUntil("document.querySelector('#app-list li.muted')", "no app passwords left")
                #expect(try await api.restJSON("ping", as: .token("lena", secret)).subsonicError?.code == 40)
            }
        }
    }
}
