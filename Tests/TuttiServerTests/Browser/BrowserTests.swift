import Foundation
import Testing
import TuttiServer
import TuttiTestSupport

/// The web pages in headless Chromium against a live service. The service's clock is moved by
/// hand (`MeteredService`), so "45 s of listening" is the server's view, whatever the page's
/// audio element has reached in real time.
@Suite("Web pages in a real browser", .serialized)
struct BrowserTests {
    private static let audio = "document.getElementById('audio')"
    private static let playID = "document.getElementById('player').dataset.play"

    @Test("a listener signs in and plays a track: the audio advances, and the play is charged only after 45 s of listening")
    func listenerPlays() async throws {
        let metered = MeteredService()
        try await metered.service.run { api in
            let track = try await MeteredTrack.make(api)
            let listener = try await api.account("listener")
            try await metered.fund(listener, 1_000_000, api)
            try await withBrowser { page in
                try await page.signIn(api, "listener")
                try await page.click("[data-track='\(track.id)'] button")
                try await page.waitForPlayback()
                let playID = try #require(try await page.evaluate(Self.playID, as: String.self))
                #expect(try await page.text("#now-price").contains("costs 0.002000 credits"))
                #expect(try await page.text("#now-price").contains("9 more counted plays until you own it"))

                // Chromium buffers most of the preview, drops that request to read the file's tail,
                // and asks for more when it runs low. Seeking to 40 s with the slider makes it ask
                // now: the server sends the rest of the preview and holds everything after it.
                try await page.run("const seek = document.getElementById('seek'); seek.value = '40'; seek.dispatchEvent(new Event('change'))")
                #expect(try await metered.clock.waitForSleepers(1), "the server holds the stream at the preview's end")
                try await page.waitUntil("\(Self.audio).currentTime >= 40", "the player seeks to 40 s")
                #expect(try await api.playStatus(playID, as: listener)["counted"] as? Bool == false)
                #expect(try metered.balance(listener) == 1_000_000)

                // 45 s after the first audio the play counts, once, and the audio goes on past the preview.
                metered.clock.advance(by: 45)
                try await waitUntilCounted(api, playID, listener)
                try await page.waitUntil("\(Self.audio).currentTime > 46", "the audio plays on past the preview")
                #expect(try metered.balance(listener) == 998_000)
                try await page.waitUntil("document.getElementById('player').dataset.counted === 'true'", "the page does not report the counted play")
                #expect(try await page.text("#now-price").contains("0.002000 credits charged"))
                try await page.waitForPlayback()
                let peaks = try await page.evaluate("document.getElementById('waveform').width", as: Int.self) ?? 0
                #expect(peaks > 0)
                try await Screenshots.save(page, "listener-player")

                try await page.run("location.hash = '#/wallet'")
                try await page.waitUntil("document.querySelectorAll('#wallet-history tbody tr').length >= 2", "the wallet history lists the top-up and the play")
                #expect(try await page.text("#wallet-balance") == "0.998000 credits")
                try await Screenshots.save(page, "listener-wallet")

                try await page.run("location.hash = '#/library'")
                try await page.waitUntil("document.querySelector('#library tr[data-track]')", "the played track is listed")
                #expect(try await page.text("#library tr[data-track]").contains("0.004000 credits (8 to own)"))
                try await Screenshots.save(page, "listener-library")

                // A phone-sized screen: nothing wider than the screen.
                try await page.setViewport(width: 390, height: 844, mobile: true)
                try await page.run("location.hash = '#/'")
                try await page.waitUntil("document.querySelector('#catalog-list li')")
                // (On a phone, a page wider than the screen widens the layout viewport and
                // innerWidth with it, so both are held to the screen's 390 px.)
                #expect(try await page.evaluate("Math.max(document.documentElement.scrollWidth, window.innerWidth) <= 390", as: Bool.self) == true)
                try await Screenshots.save(page, "catalog-phone")
                try await page.setViewport(width: 1280, height: 900)

                // The artist sees the play in the statement and the charts.
                try await page.click("#logout")
                try await page.waitUntil("document.getElementById('whoami').hidden")
                try await page.signIn(api, "artist")
                try await page.run("location.hash = '#/artist'")
                try await page.waitUntil("document.querySelectorAll('#statement tbody tr').length === 1", "the statement lists the play")
                #expect(try await page.text("#statement tfoot").contains("0.001400"))
                try await page.run("document.getElementById('chart-days').scrollIntoView()")
                try await Screenshots.save(page, "artist-earnings")
            }
        }
    }

    @Test("a listener who pauses at 20 s and leaves the page pays nothing; the keyboard seeks and pauses")
    func pauseAndLeave() async throws {
        let metered = MeteredService()
        try await metered.service.run { api in
            let track = try await MeteredTrack.make(api)
            let listener = try await api.account("listener")
            try await metered.fund(listener, 1_000_000, api)
            try await withBrowser { page in
                try await page.signIn(api, "listener")
                try await page.click("[data-track='\(track.id)'] button")
                try await page.waitForPlayback()
                let playID = try #require(try await page.evaluate(Self.playID, as: String.self))

                // 20 s of listening: the server's clock moves on, and the page seeks there with →.
                metered.clock.advance(by: 20)
                try await page.run("document.activeElement.blur()")
                for _ in 0..<4 { try await page.press("ArrowRight", code: "ArrowRight", keyCode: 39) }
                try await page.waitUntil("\(Self.audio).currentTime >= 20", "four presses of → seek 20 s")
                try await page.press(" ", code: "Space", keyCode: 32, text: " ")
                try await page.waitUntil("\(Self.audio).paused", "Space pauses")
                try await page.waitUntil("document.getElementById('play').textContent === 'Play'", "the button offers Play again")
                #expect(try await page.text("#time").hasPrefix("0:2"), "the player shows where it stopped")
                #expect(try await api.playStatus(playID, as: listener)["counted"] as? Bool == false)

                // Pausing drops the stream (a held connection would be counted at 45 s), and
                // leaving the page leaves nothing open; the server has nothing left waiting.
                let woken = metered.clock.wokenCount
                try await page.navigate("about:blank")
                try await metered.clock.waitForNoSleepers("the server to hold no stream for the listener who left")
                // Whatever was held ended because the listener left, not because the clock let it
                // through; with nothing waiting, the preview's time passing charges nothing.
                metered.clock.advance(by: 60)
                #expect(metered.clock.wokenCount == woken, "no held stream was let through by the clock")
                #expect(try await api.playStatus(playID, as: listener)["counted"] as? Bool == false)
                #expect(try metered.balance(listener) == 1_000_000)
            }
        }
        // The server has stopped and finished every request: a late charge would be here now.
        #expect(try metered.ledger().verify().plays == 0)
    }

    @Test("an artist signs up, uploads a file through the page, watches it become ready, publishes it, and logs out")
    func artistUploads() async throws {
        try await TestService().run { api in
            try await withBrowser { page in
                try await page.navigate("\(api.baseURL)/#/signup")
                try await page.waitUntil("document.querySelector('#signup-form')")
                try await Screenshots.save(page, "signup")
                try await page.fill("#signup-username", "painter")
                try await page.fill("#signup-password", "correct horse battery")
                try await page.click("#signup-form input[value=artist]")
                try await page.click("#signup-form button[type=submit]")
                try await page.waitUntil("location.hash === '#/artist' && document.querySelector('#upload-form')", "sign-up leads to the artist page")

                try await page.setFiles("#upload-file", [Fixtures.demo("night-walk.ogg")])
                #expect(try await page.evaluate("document.getElementById('upload-title').value", as: String.self) == "night-walk")
                try await page.fill("#upload-title", "Night Walk")
                try await page.click("#upload-form button[type=submit]")
                try await page.waitUntil("document.getElementById('upload-state').textContent.includes('is ready')", timeout: Deadline.long,
                                         "the upload becomes ready")
                #expect(try await page.evaluate("document.getElementById('upload-progress').value", as: Int.self) == 100)
                #expect(try await page.evaluate("document.getElementById('transcode-progress').value", as: Int.self) == 100)
                #expect(try await page.text("#upload-sending-label").contains("Sent: 456.6 KB"))
                try await page.waitUntil("document.querySelector('#artist-tracks tr[data-status=ready]')", "the track is listed as ready")
                try await Screenshots.save(page, "artist-upload")

                try await page.click("#artist-tracks tr[data-status=ready] button")
                try await page.waitUntil("document.querySelector('#artist-tracks tr[data-status=ready] button').textContent === 'Unpublish'")
                let listing = try await api.request(.get, "/api/v1/tracks?q=Night").json()
                #expect(listing["total"] as? Int == 1, "the published track is in the catalog")

                try await page.click("#logout")
                try await page.waitUntil("location.hash === '#/' && !document.querySelector('[data-when=signed-out]').hidden")
                try await page.run("location.hash = '#/signin'")
                try await page.waitUntil("document.querySelector('#signin-form')")
                try await Screenshots.save(page, "signin")
            }
        }
    }

    @Test("a listener without enough credit hears the preview and is told why it stops")
    func previewOnly() async throws {
        let metered = MeteredService()
        try await metered.service.run { api in
            let (track, listener) = try await metered.trackAndListener(api, funds: 1_500)
            // The audio element's request past the preview is answered 402: Chromium logs it.
            try await withBrowser(expected: { $0.contains("402") }) { page in
                try await page.signIn(api, "listener")
                try await page.click("[data-track='\(track.id)'] button")
                try await page.waitUntil("!document.getElementById('now-notice').hidden", "the page warns before the preview ends")
                #expect(try await page.text("#now-notice").contains("you will hear the 45 s preview only"))
                try await page.waitForPlayback()
                // Near the preview's end: the audio runs out there, and the page says why.
                try await page.run("const seek = document.getElementById('seek'); seek.value = '43'; seek.dispatchEvent(new Event('change'))")
                try await page.waitUntil(
                    "document.getElementById('now-notice').textContent.includes('preview has ended')",
                    "the page explains that the preview ended")
                #expect(try await page.text("#now-notice").contains("Top up your wallet to hear the rest"))
                #expect(try await page.evaluate("document.getElementById('audio').currentTime < 46", as: Bool.self) == true)
                try await Screenshots.save(page, "listener-preview-ended")
            }
            #expect(try metered.balance(listener) == 1_500)
            #expect(try metered.ledger().verify().plays == 0)
        }
    }

    private func waitUntilCounted(_ api: TestAPI, _ playID: String, _ listener: TestAPI.Account) async throws {
        try await waitUntil("the play to be counted 45 s after the first audio", every: .milliseconds(50)) {
            try await api.playStatus(playID, as: listener)["counted"] as? Bool == true
        }
    }
}
