import Foundation
import Testing
import TuttiServer
import TuttiTestSupport

extension BrowserTests {
    @Test("a member proposes through the page, votes Yes then No, sees the turnout change, and after the close sees the tally")
    func memberVotes() async throws {
        // The server's clock starts at the browser's (whole seconds), so the form's default
        // closing time (a day and an hour from the browser's now) is valid for the server too.
        let clock = ManualClock(start: Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)))
        let service = TestService { configuration in
            configuration.now = { clock.now }
            configuration.waitUntil = { date in try await clock.sleep(until: date) }
        }
        try await service.run { api in
            let member = try await api.member("alice")
            let other = try await api.member("bob")
            _ = try await api.account("listener")
            let entry = "document.querySelector('[data-when=member]')"
            // The refused proposal is one 422 the page reports in the console.
            let refusal = { (problem: String) in problem.contains("422") && problem.hasSuffix("/api/v1/governance/proposals") }
            try await withBrowser(expected: refusal) { page in
                // Listeners are not offered the members' page.
                try await page.signIn(api, "listener")
                #expect(try await page.evaluate("\(entry).hidden", as: Bool.self) == true)
                try await page.click("#logout")
                try await page.waitUntil("document.getElementById('whoami').hidden")

                try await page.signIn(api, "alice")
                try await page.waitUntil("!\(entry).hidden", "the navigation offers Members to a member")
                try await page.click("a[href='#/members']")
                try await page.waitUntil("document.querySelector('#pricing-history tbody tr') && !document.getElementById('propose').hidden",
                                         "the members' page shows the pricing history and the form")
                #expect(try await page.text("#open-proposals").contains("No proposal is open"))
                #expect(try await page.text("#pricing-history tbody").contains("0.002000 credits"))
                #expect(try await page.evaluate("[...document.querySelectorAll('#proposal-form input, #proposal-form textarea')].every((field) => field.labels.length === 1)",
                                                as: Bool.self) == true, "every field of the form has its label")

                // Credits and percentages become integers by decimal arithmetic, never floating point
                // (0.29 × 1,000,000 is 289,999.99999999994 in a double).
                let parsed = try await page.evaluate("""
                    import('/web/governance.js').then(({ parseScaled }) => {
                      const attempt = (text, decimals) => { try { return String(parseScaled(text, decimals, 'x')); } catch (error) { return 'error'; } };
                      return [attempt('0.29', 6), attempt('0.000001', 6), attempt('12', 6), attempt('1.0000001', 6), attempt('1e3', 6),
                              attempt('-1', 6), attempt('72.5', 2), attempt('0,5', 2), attempt('', 2)].join(' ');
                    })
                    """, as: String.self)
                #expect(parsed == "290000 1 12000000 error error error 7250 50 null")

                // Through the form: the API's refusal is shown, then the corrected proposal opens.
                try await page.fill("#proposal-title", "Cheaper first plays")
                try await page.fill("#proposal-rationale", "More listeners would try new music.")
                try await page.fill("#proposal-base-price", "0.0015")
                try await page.fill("#proposal-artist-share", "150")
                try await page.click("#proposal-form button[type=submit]")
                try await page.waitUntil("!document.getElementById('proposal-error').hidden", "the API's refusal is shown")
                #expect(try await page.text("#proposal-error").contains("artist share must be 0 to 10000 basis points"))
                try await page.fill("#proposal-artist-share", "72.5")
                try await page.click("#proposal-form button[type=submit]")
                try await page.waitUntil("document.querySelector('#open-proposals [data-proposal]')", "the new proposal is listed as open")
                let id = try #require(try await page.evaluate("document.querySelector('#open-proposals [data-proposal]').dataset.proposal", as: String.self))
                let opened = try await api.proposal(id, as: other)
                let changes = try #require(opened["changes"] as? [String: Any])
                #expect(changes["basePrice"] as? Int == 1_500 && changes["artistShareBasisPoints"] as? Int == 7_250)
                #expect(changes["previewSeconds"] is NSNull && changes["playsToOwn"] is NSNull)
                #expect(opened["rollSize"] as? Int == 2 && opened["title"] as? String == "Cheaper first plays")

                let card = "#open-proposals [data-proposal='\(id)']"
                #expect(try await page.text("\(card) .turnout").hasPrefix("0 of 2 members have voted"))
                #expect(try await page.text("\(card) .my-vote") == "You have not voted.")

                // Yes, then a change to No: the turnout counts the member once.
                try await page.click("\(card) button[data-choice=yes]")
                try await page.waitUntil("document.querySelector(\(BrowserPage.literal("\(card) .turnout")))?.textContent.startsWith('1 of 2')",
                                         "the turnout shows the vote")
                #expect(try await page.text("\(card) .my-vote") == "Your vote: Yes.")
                #expect(try await page.evaluate("document.querySelector(\(BrowserPage.literal("\(card) button[data-choice=yes]"))).getAttribute('aria-pressed')",
                                                as: String.self) == "true")
                #expect(try await api.proposal(id, as: member)["myVote"] as? String == "yes")
                try await page.click("\(card) button[data-choice=no]")
                try await page.waitUntil("document.querySelector(\(BrowserPage.literal("\(card) .my-vote")))?.textContent === 'Your vote: No.'",
                                         "the page shows the changed vote")
                #expect(try await page.text("\(card) .turnout").hasPrefix("1 of 2 members have voted"))
                #expect(try await api.proposal(id, as: member)["myVote"] as? String == "no")
                try await Screenshots.save(page, "member-open-proposal")

                // A phone-sized screen: nothing wider than the screen.
                try await page.setViewport(width: 390, height: 844, mobile: true)
                #expect(try await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth", as: Bool.self) == true)
                try await Screenshots.save(page, "member-phone")
                try await page.setViewport(width: 1280, height: 900)

                // Bob opens another proposal through the API, closing a minute after Alice's, and it
                // passes. (Alice's closing time is the form's default, a day and an hour from the
                // browser's clock, which runs on in real time while the server's stands still:
                // however long the test took so far, Bob's closes after it.)
                let aliceCloses = try #require(APIDates.parse(opened["closesAt"] as? String))
                let second = try await api.propose(["playsToOwn": 8], closingIn: aliceCloses.timeIntervalSince(clock.now) + 60, by: other, title: "Own sooner")
                let secondID = try #require(second["id"] as? String)
                #expect(try await api.vote(secondID, "yes", by: other).status == .created)

                // Past both closes: the page shows the tallies (Alice's: 1 no of a roll of 2, quorum
                // reached, no majority; Bob's passed) and the pricing version Bob's created.
                let closesAt = try #require(APIDates.parse(second["closesAt"] as? String))
                #expect(closesAt > aliceCloses)
                clock.advance(by: closesAt.timeIntervalSince(clock.now) + 1)
                try await page.click("#members-refresh")
                let closed = "#closed-proposals [data-proposal='\(id)']"
                try await page.waitUntil("document.querySelector(\(BrowserPage.literal("\(closed) dl.tally")))", "the closed proposal shows its tally")
                #expect(try await page.text("\(closed) dd[data-count=yes]") == "0")
                #expect(try await page.text("\(closed) dd[data-count=no]") == "1")
                #expect(try await page.text("\(closed) dd[data-count=abstain]") == "0")
                #expect(try await page.text("\(closed) dd[data-count=turnout]") == "1 of 2 (quorum 20 %: reached)")
                #expect(try await page.text("\(closed) .outcome").contains("no majority"))
                #expect(try await !page.text(closed).contains("null"), "no missing value shows as null")
                #expect(try await page.text("#open-proposals").contains("No proposal is open"))
                #expect(try await page.text("#closed-proposals [data-proposal='\(secondID)'] .outcome") == "Passed (pricing version 2).")
                try await page.waitUntil("document.querySelector('#pricing-history tr[data-version=\"2\"]')", "the pricing history lists version 2")
                let version2 = try await page.text("#pricing-history tr[data-version=\"2\"]")
                #expect(version2.contains("(in force)") && version2.contains("Own sooner") && version2.contains("0.002000 credits"))
                #expect(try await page.text("#pricing-history tr[data-version=\"1\"] th") == "1")
                try await page.run("document.getElementById('closed-heading').scrollIntoView()")
                try await Screenshots.save(page, "member-closed-proposal")
            }
        }
    }
}

/// The API's times (ISO 8601, with or without fractional seconds).
enum APIDates {
    static func parse(_ text: String?) -> Date? {
        guard let text else { return nil }
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

