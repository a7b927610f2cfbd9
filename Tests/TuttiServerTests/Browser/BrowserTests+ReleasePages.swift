import Foundation
import NIOCore
import Testing
import TuttiServer
import TuttiTestSupport

/// The pages of issue 15: uploading and publishing a release, finding and playing it, an
/// owner's download, and the phone-sized layout of the release, artist and catalog pages.
extension BrowserTests {
    /// Three FLAC tones of `seconds`, a cover and a release.json in one ZIP; returns its path.
    static func releaseArchive(_ name: String, title: String, seconds: Double = 3) async throws -> String {
        let folder = Fixtures.scratch(name)
        for (number, (file, frequency)) in [("Dawn", 330), ("Noon", 440), ("Dusk", 550)].enumerated() {
            _ = try await ReleaseFiles.flac(in: folder, named: "0\(number + 1) \(file).flac", seconds: seconds, frequency: frequency)
        }
        _ = try await ReleaseFiles.picture(in: folder, named: "cover.jpg", width: 900, height: 900)
        try JSONSerialization.data(withJSONObject: [
            "title": title, "type": "ep", "releaseDate": "2026-04-01", "licence": "CC-BY-SA-4.0", "genres": ["ambient"],
            "description": "Three tones for one day.",
        ]).write(to: folder.appendingPathComponent("release.json"))
        let archive = folder.appendingPathComponent("\(name).zip").path
        try await ReleaseFiles.zip(["01 Dawn.flac", "02 Noon.flac", "03 Dusk.flac", "cover.jpg", "release.json"], in: folder, to: archive)
        return archive
    }

    /// Uploads the archive through the API, waits until it is ready, and credits a cellist on
    /// its first track; returns the release and its tracks' ids.
    static func readyRelease(_ api: TestAPI, by artist: TestAPI.Account, title: String) async throws -> (release: String, tracks: [String]) {
        let archive = try await releaseArchive("browser-\(artist.username)", title: title)
        let upload = try await api.uploadRelease(body: ByteBuffer(bytes: try ReleaseFiles.bytes(archive)), contentType: "application/zip", by: artist)
        #expect(upload.status == .accepted, "\(String(buffer: upload.body))")
        let accepted = try upload.json()
        let release = try #require(accepted["releaseID"] as? String)
        let tracks = try #require((accepted["tracks"] as? [[String: Any]])?.compactMap { $0["id"] as? String })
        let processed = try await api.waitUntilReleaseProcessed(release, token: artist.token)
        try #require(processed["status"] as? String == "ready", "\(processed)")
        let credited = try await api.request(.patch, "/api/v1/tracks/\(tracks[0])", token: artist.token,
                                             json: ["credits": [["name": "Zoë Quill", "role": "cello"]]])
        #expect(credited.status == .ok, "\(String(buffer: credited.body))")
        return (release, tracks)
    }

    /// Whether the image `selector` names has loaded a picture (not a broken image).
    static func loaded(_ selector: String) -> String {
        "(() => { const image = document.querySelector(\(BrowserPage.literal(selector))); return image && image.complete && image.naturalWidth > 0; })()"
    }

    /// Every field in <main> has exactly one label (a screen reader names each one).
    static let everyFieldLabelled = "[...document.querySelectorAll('main input, main select, main textarea')].every((field) => field.labels.length === 1)"

    @Test("an artist makes a release with the form: a wrong UPC check digit is refused with the API's reason, a right one accepted")
    func artistMakesRelease() async throws {
        try await TestService().run { api in
            let ada = try await api.account("ada", role: "artist")
            // The refused creation and publication are a 422 and a 409 the page reports in the console.
            try await withBrowser(expected: { ($0.contains("422") && $0.hasSuffix("/api/v1/releases")) || ($0.contains("409") && $0.hasSuffix("/publish")) }) { page in
                try await page.signIn(api, "ada")
                try await page.run("location.hash = '#/artist/releases/new'")
                try await page.waitUntil("document.querySelector('#release-form')", "the form opens")
                #expect(try await page.evaluate(Self.everyFieldLabelled, as: Bool.self) == true, "every field has its label")
                try await page.fill("#release-title", "Harbour Lights")
                try await page.run("document.getElementById('release-type').value = 'album'")
                try await page.fill("#release-upc", "036000291453")
                try await page.fill("#release-genres", "Ambient, Drone")
                try await page.click("#release-form button[type=submit]")
                try await page.waitUntil("!document.getElementById('release-error').hidden", "the refusal is shown")
                let refusal = try await page.text("#release-error")
                #expect(refusal.contains("check digit"), "\(refusal)")
                try await page.fill("#release-upc", "036000291452")
                try await page.click("#release-form button[type=submit]")
                try await page.waitUntil("location.hash.startsWith('#/artist/releases/') && document.querySelector('#release-publish')", "the edit page of the new release")
                let id = try #require(try await page.evaluate("location.hash.split('/').pop()", as: String.self))
                let made = try await api.request(.get, "/api/v1/releases/\(id)", token: ada.token).json()
                #expect(made["title"] as? String == "Harbour Lights" && made["type"] as? String == "album" && made["published"] as? Bool == false)
                #expect(try await api.request(.get, "/api/v1/releases/\(id)").status == .notFound, "a draft is not shown to others")
                #expect(try await page.evaluate("document.getElementById('release-upc').value", as: String.self) == "036000291452")
                #expect(try await page.evaluate("document.getElementById('release-genres').value", as: String.self) == "ambient, drone")
                #expect(try await page.text("#release-state") == "A draft: only you can see it.")
                // Publishing an empty release is refused with the reason.
                try await page.click("#release-publish")
                try await page.waitUntil("!document.getElementById('publish-error').hidden", "the refusal to publish is shown")
                #expect(try await page.text("#publish-error").contains("no tracks"))
                #expect(id.count > 8)
            }
        }
    }

    @Test("an artist uploads a three-track release as a ZIP with a cover through the page, credits a player, publishes it, and fills in their profile")
    func artistUploadsReleaseArchive() async throws {
        try await TestService().run { api in
            let ada = try await api.account("ada", role: "artist")
            let archive = try await Self.releaseArchive("browser-upload", title: "Tide Tables")
            let avatar = try await ReleaseFiles.picture(in: Fixtures.scratch("browser-avatar"), named: "me.png", width: 500, height: 400)
            try await withBrowser { page in
                try await page.signIn(api, "ada")
                try await page.click("#go-release-upload")
                try await page.waitUntil("document.querySelector('#release-upload-form')", "the upload form opens")
                #expect(try await page.evaluate("[...document.querySelectorAll('#release-upload-form input, #release-upload-form select')].every((field) => field.labels.length === 1)",
                                                as: Bool.self) == true, "every field of the form has its label")
                try await page.setFiles("#release-zip", [archive])
                try await page.click("#release-upload-form button[type=submit]")
                try await page.waitUntil("document.getElementById('release-processing').dataset.status === 'ready'", timeout: Deadline.long * 2,
                                         "every track of the release becomes ready")
                #expect(try await page.evaluate("document.getElementById('release-upload-progress').value", as: Int.self) == 100)
                #expect(try await page.evaluate("document.querySelectorAll('#release-processing li[data-status=ready]').length", as: Int.self) == 3)
                #expect(try await page.text("#release-processing").contains("Dawn: ready"))
                #expect(try await page.text("#release-upload-state").contains("Every track is ready (3)"))
                let releaseID = try #require(try await page.evaluate("document.getElementById('release-upload-form').dataset.release", as: String.self))
                try await Screenshots.save(page, "artist-release-upload")

                // The edit page: a credit on the first track, then publication.
                try await page.click("#release-upload-edit")
                try await page.waitUntil("document.querySelector('#release-publish') && document.querySelectorAll('form.track-form').length === 3",
                                         "the edit page lists the three tracks")
                // The picture loads after the page is drawn: wait for it, as for any image.
                try await page.waitUntil(Self.loaded("#cover-current img"), "the uploaded cover is shown")
                #expect(try await page.evaluate(Self.everyFieldLabelled, as: Bool.self) == true, "every field of the edit page has its label")
                let form = "form.track-form"
                try await page.click("\(form) button[id$=add-credit]")
                try await page.fill("\(form) .credit-name", "Zoë Quill")
                try await page.fill("\(form) .credit-role", "cello")
                try await page.click("\(form) button[type=submit]")
                try await page.waitUntil("document.querySelector('\(form) p.good').textContent.startsWith('Saved')", "the credit is saved")
                try await page.click("#release-publish")
                try await page.waitUntil("document.querySelector('#release-state[data-published=true]')", "the release is published")
                try await Screenshots.save(page, "artist-release-edit")

                let release = try await api.request(.get, "/api/v1/releases/\(releaseID)").json()
                #expect(release["published"] as? Bool == true)
                #expect(release["title"] as? String == "Tide Tables")
                #expect((release["coverSizes"] as? [[String: Any]])?.map { $0["size"] as? Int } == [1200, 600, 300, 96])
                let tracks = try #require(release["tracks"] as? [[String: Any]])
                #expect(tracks.map { $0["title"] as? String } == ["Dawn", "Noon", "Dusk"])
                #expect((tracks.first?["credits"] as? [[String: Any]])?.map { "\($0["name"] as? String ?? "") \($0["role"] as? String ?? "")" } == ["Zoë Quill cello"])

                // The profile: a bio, a link and a picture, shown on the public page.
                try await page.run("location.hash = '#/artist/profile'")
                try await page.waitUntil("document.querySelector('#profile-form') && document.querySelector('#avatar-form')", "the profile form opens")
                #expect(try await page.evaluate(Self.everyFieldLabelled, as: Bool.self) == true, "every field of the profile has its label")
                try await page.fill("#profile-bio", "Tones from the harbour.")
                try await page.fill("#profile-location", "Brest")
                try await page.click("#profile-add-link")
                try await page.fill("#profile-links .link-label", "Shop")
                try await page.fill("#profile-links .link-url", "https://ada.example/shop")
                try await page.click("#profile-form button[type=submit]")
                try await page.waitUntil("document.getElementById('profile-saved').textContent.startsWith('Saved')", "the profile is saved")
                try await page.setFiles("#avatar-file", [avatar])
                try await page.click("#avatar-form button[type=submit]")
                try await page.waitUntil(Self.loaded("#avatar-current img"), "the new picture is shown")
                try await page.run("location.hash = '#/artists/\(ada.id)'")
                try await page.waitUntil("document.querySelector('article.profile') && \(Self.loaded("#artist-avatar"))", "the public page shows the picture")
                #expect(try await page.text("#artist-bio") == "Tones from the harbour.")
                #expect(try await page.evaluate("document.querySelector('#artist-links a').getAttribute('href')", as: String.self) == "https://ada.example/shop")
                #expect(try await page.evaluate("document.querySelectorAll('#artist-releases li[data-release]').length", as: Int.self) == 1)
                try await page.waitUntil(Self.loaded("#artist-releases li img.cover"), "the release's cover shows in the grid")
                try await Screenshots.save(page, "artist-profile")
            }
        }
    }

    @Test("a listener finds a release by a credited name, opens it, sees its cover and prices, plays it; the pages fit a phone")
    func listenerFindsReleaseByCredit() async throws {
        try await TestService.withPayments().run { api in
            let ada = try await api.account("ada", role: "artist")
            let (release, tracks) = try await Self.readyRelease(api, by: ada, title: "Tide Tables")
            #expect(try await api.request(.post, "/api/v1/releases/\(release)/publish", token: ada.token).status == .ok)
            let listener = try await api.account("listener")
            #expect(try await api.deliver(TestAPI.paymentEvent(id: "evt_browser", user: listener.id, amount: 1_000_000)).status == .ok)
            try await withBrowser { page in
                try await page.signIn(api, "listener")
                // "zoe" finds "Zoë Quill", credited on a track: accents and case do not matter.
                try await page.waitUntil("document.querySelector('#catalog-search')")
                try await page.fill("#catalog-search", "zoe")
                try await page.click("#catalog-search-form button[type=submit]")
                let card = "#search-releases li[data-release='\(release)']"
                try await page.waitUntil("document.querySelector(\(BrowserPage.literal(card)))", "the search finds the release by its cellist")
                #expect(try await page.text("#search-status").contains("1 release"))
                #expect(try await page.evaluate("document.querySelector('#search-tracks li[data-track=\"\(tracks[0])\"]') !== null", as: Bool.self) == true,
                        "the credited track is found too")
                // The grid asks for a small size: the URL it loaded is one of the 300 or 96 pixel ones.
                try await page.waitUntil(Self.loaded("\(card) img.cover"), "the card's cover loads")
                let detail = try await api.request(.get, "/api/v1/releases/\(release)").json()
                let sizes = try #require(detail["coverSizes"] as? [[String: Any]])
                let small = sizes.filter { ($0["size"] as? Int ?? 0) <= 300 }.compactMap { $0["url"] as? String }
                let loadedURL = try await page.evaluate("new URL(document.querySelector(\(BrowserPage.literal("\(card) img.cover"))).currentSrc).pathname", as: String.self)
                #expect(small.contains(loadedURL ?? ""), "the grid loaded \(loadedURL ?? "nothing"), not one of \(small)")
                try await Screenshots.save(page, "catalog-search-credit")

                try await page.click("\(card) h3 a")
                try await page.waitUntil("document.querySelector('article.release[data-release=\"\(release)\"]') && document.querySelectorAll('#release-tracks tbody tr').length === 3",
                                         "the release's page opens with its three tracks")
                try await page.waitUntil(Self.loaded("#release-cover"), "the cover loads")
                let pageCover = try await page.evaluate("new URL(document.getElementById('release-cover').currentSrc).pathname", as: String.self)
                #expect(sizes.compactMap { $0["url"] as? String }.contains(pageCover ?? ""), "the page's cover is one of the release's sizes: \(pageCover ?? "none")")
                #expect(try await page.evaluate("document.getElementById('release-cover').alt", as: String.self) == "Cover of Tide Tables")
                // The view names the page once its data has come (after the tracks are drawn).
                try await page.waitUntil("document.title === 'Tide Tables · Tutti'", "the title names the release")
                let first = "#release-tracks tr[data-track='\(tracks[0])']"
                #expect(try await page.text(first).contains("Dawn"))
                let seconds = Int(try #require((detail["tracks"] as? [[String: Any]])?.first?["durationSeconds"] as? Double))
                #expect(seconds >= 2 && seconds <= 3)
                #expect(try await page.text(first).contains("0:0\(seconds)"), "the track list shows each duration")
                try await page.waitUntil("document.querySelector(\(BrowserPage.literal(first))).textContent.includes('0.002000 credits')", "the price of the next play")
                #expect(try await page.text(first).contains("0 of 9 plays to own"))
                #expect(try await page.text("#release-credits").contains("Zoë Quill — cello (Dawn)"))
                #expect(try await page.text("#release-licence").contains("CC BY-SA 4.0"))
                #expect(try await page.evaluate("document.querySelector('[data-download]') === null", as: Bool.self) == true, "nothing to download before owning")

                try await page.click("#release-play-all")
                try await page.waitForPlayback()
                #expect(try await page.text("#now-title") == "Dawn")
                #expect(try await page.text("#queue-count") == "3")
                try await Screenshots.save(page, "release-page")

                // Phone width: no page is wider than the screen.
                try await page.setViewport(width: 390, height: 844, mobile: true)
                // (On a phone, a page wider than the screen widens the layout viewport, and so
                // innerWidth with it: both are held to the screen's 390 px.)
                let fits = "Math.max(document.documentElement.scrollWidth, window.innerWidth) <= 390"
                #expect(try await page.evaluate(fits, as: Bool.self) == true, "the release page fits a phone")
                try await Screenshots.save(page, "release-phone")
                try await page.run("location.hash = '#/artists/\(ada.id)'")
                try await page.waitUntil("document.querySelector('#artist-releases li[data-release]')", "the artist's page")
                #expect(try await page.evaluate(fits, as: Bool.self) == true, "the artist page fits a phone")
                try await Screenshots.save(page, "artist-phone")
                try await page.run("location.hash = '#/'")
                try await page.waitUntil("document.querySelector('#release-list li[data-release]') && document.querySelector('#catalog-list li')", "the catalog")
                #expect(try await page.evaluate(fits, as: Bool.self) == true, "the catalog fits a phone")
                try await Screenshots.save(page, "catalog-grid-phone")
                try await page.setViewport(width: 1280, height: 900)
            }
        }
    }

    @Test("an owner downloads a track of the release as tagged Opus from its page")
    func ownerDownloadsTaggedFile() async throws {
        try await TestService.withPayments().run { api in
            let ada = try await api.account("ada", role: "artist")
            let (release, tracks) = try await Self.readyRelease(api, by: ada, title: "Tide Tables")
            #expect(try await api.request(.post, "/api/v1/releases/\(release)/publish", token: ada.token).status == .ok)
            let lena = try await api.account("lena")
            #expect(try await api.deliver(TestAPI.paymentEvent(id: "evt_owner", user: lena.id, amount: 5_000_000)).status == .ok)
            try await OwnerDownloadTests.own(api, listener: lena, artist: ada, track: tracks[0])
            let downloads = Fixtures.scratch("browser-downloads")
            try await withBrowser { page in
                try await page.browser.send("Browser.setDownloadBehavior", ["behavior": "allow", "downloadPath": downloads.path])
                try await page.signIn(api, "lena")
                try await page.run("location.hash = '#/releases/\(release)'")
                let owned = "#release-tracks tr[data-track='\(tracks[0])']"
                try await page.waitUntil("document.querySelector(\(BrowserPage.literal(owned + "[data-owned=true]")))", "the owned track is marked")
                #expect(try await page.text(owned).contains("owned"))
                // The others are not owned: a price, no download; nor is the whole release.
                try await page.waitUntil("document.querySelector('#release-tracks tr[data-track=\"\(tracks[1])\"][data-owned=false]')")
                #expect(try await page.evaluate("document.querySelector('#release-tracks tr[data-track=\"\(tracks[1])\"] [data-download]') === null", as: Bool.self) == true)
                #expect(try await page.evaluate("document.getElementById('release-download').hidden", as: Bool.self) == true)
                try await page.click("\(owned) button[data-download=opus]")

                let file = try await waitFor("the browser to save the download", timeout: Deadline.standard, every: .milliseconds(100)) { () -> URL? in
                    let names = (try? FileManager.default.contentsOfDirectory(atPath: downloads.path)) ?? []
                    guard !names.contains(where: { $0.hasSuffix(".crdownload") }), let name = names.first(where: { $0.hasSuffix(".opus") }) else { return nil }
                    return downloads.appendingPathComponent(name)
                }
                #expect(file.lastPathComponent == "01 Dawn.opus")
                try await ThirdPartyTools.expectValid(file.path)
                let info = try await ThirdPartyTools.run("opusinfo", [file.path])
                for comment in ["TITLE=Dawn", "ARTIST=ada", "ALBUM=Tide Tables", "TRACKNUMBER=1", "DATE=2026-04-01", "LICENSE=CC BY-SA 4.0",
                                "R128_TRACK_GAIN=", "METADATA_BLOCK_PICTURE="] {
                    #expect(info.stdout.contains(comment), "opusinfo shows no \(comment): \(info.stdout)")
                }
                // The bytes the page saved are the API's, unchanged.
                let direct = try await api.request(.get, "/api/v1/tracks/\(tracks[0])/download", token: lena.token)
                #expect(try Data(contentsOf: file) == Data(buffer: direct.body))
                try await Screenshots.save(page, "owner-release")
            }
        }
    }
}
