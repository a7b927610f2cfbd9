import Foundation
import Ledger
import Testing
import TuttiServer
import TuttiTestSupport

extension BrowserTests {
    @Test("a three-person band through the pages: the owner proposes 50/30/20, the others accept on their splits page, each sees their part; a declined later sheet changes nothing")
    func bandSplitsThroughPages() async throws {
        let metered = MeteredService()
        try await metered.service.run { api in
            let track = try await MeteredTrack.make(api, artistName: "ada")
            _ = try await api.account("bea", role: "artist")
            let cal = try await api.account("cal")
            let lena = try await api.account("lena")
            try await metered.fund(lena, 10_000_000, api)
            let releaseID = try #require(try await api.request(.get, "/api/v1/tracks/\(track.id)").json()["releaseID"] as? String)
            // The form's shares that do not add up are one 422 the page reports in the console.
            let refusal = { (problem: String) in problem.contains("422") && problem.hasSuffix("/split-sheets") }
            try await withBrowser(expected: refusal) { page in
                try await page.signIn(api, "ada")
                try await page.click("a[href='#/splits']")
                try await page.waitUntil("document.querySelector('#split-form')", "the owner is offered the proposal form")
                #expect(try await page.text("#split-pending").contains("Nothing is waiting"))
                let row = { (index: Int, field: String) in "#split-form tbody tr:nth-child(\(index)) input[name=\(field)]" }
                try await page.fill(row(1, "share"), "50")
                try await page.fill(row(1, "role"), "vocals")
                try await page.click("#split-add")
                try await page.fill(row(2, "username"), "bea")
                try await page.fill(row(2, "share"), "30")
                try await page.fill(row(2, "role"), "guitar")
                try await page.click("#split-add")
                try await page.fill(row(3, "username"), "cal")
                try await page.fill(row(3, "share"), "10")
                try await page.fill(row(3, "role"), "producer")
                #expect(try await page.text("#split-total") == "Total: 90 % (must be 100 %)")
                try await page.click("#split-form button[type=submit]")
                try await page.waitUntil("document.getElementById('toast').textContent.includes('10,000 basis points')", "the API's refusal is shown")
                try await page.fill(row(3, "share"), "20")
                #expect(try await page.text("#split-total") == "Total: 100 %")
                try await page.click("#split-form button[type=submit]")
                try await page.waitUntil("document.querySelector('#split-sheets [data-status=pending]')", "the proposed sheet is listed as pending")
                #expect(try await page.text("#split-sheets [data-status=pending]").contains("ada (vocals) 50 %: accepted; bea (guitar) 30 %: no answer yet; cal (producer) 20 %: no answer yet"))
                try await Screenshots.save(page, "splits-proposed")

                // A play before the last acceptance pays Ada alone.
                metered.clock.advance(by: 60)
                let before = try await SplitFlowTests.countPlay(track, by: lena, api)

                for (name, last) in [("bea", false), ("cal", true)] {
                    try await page.click("#logout")
                    try await page.waitUntil("document.getElementById('whoami').hidden")
                    try await page.signIn(api, name)
                    try await page.click("a[href='#/splits']")
                    // (An artist signs in to the dashboard, which has a panel of pending sheets too: wait for the splits page's own.)
                    try await page.waitUntil("document.querySelector('#split-statement') && document.querySelector('#split-pending [data-sheet] button')", "\(name) sees the sheet waiting for an answer")
                    try await page.click("#split-pending [data-sheet] button")  // Accept
                    try await page.waitUntil("document.querySelector('#split-pending')?.textContent.includes('Nothing is waiting')", "\(name)'s answer is taken")
                    if last {
                        try await page.waitUntil("document.querySelector('#split-sheets [data-status=in_force]')", "the sheet is in force after the last acceptance")
                    }
                }

                // A play after it pays all three: Lena's second, 4,000 units, artist part 2,800 → Cal's 20 % is 560.
                metered.clock.advance(by: 60)
                let after = try await SplitFlowTests.countPlay(track, by: lena, api)
                try await page.navigate("\(api.baseURL)/#/wallet")
                try await page.click("a[href='#/splits']")
                try await page.waitUntil("document.querySelector('#split-statement tbody tr')", "Cal's earnings list the play")
                #expect(try await page.evaluate("[...document.querySelectorAll('#split-statement tbody tr')].map((row) => row.dataset.play).join(' ')", as: String.self) == after)
                #expect(try await page.text("#split-statement tbody tr").contains("20 %"))
                #expect(try await page.text("#split-statement tbody tr").contains("0.000560 credits"))
                #expect(try await page.text("#split-balance").hasPrefix("0.000560 credits unpaid"))
                let csv = try await page.evaluate("""
                    fetch('/api/v1/split-earnings/statement?format=csv', { headers: { Authorization: 'Bearer ' + JSON.parse(sessionStorage.getItem('tutti.session')).token } })
                      .then((response) => response.text())
                    """, as: String.self) ?? ""
                #expect(csv.contains("\(after),\(track.id),River,\(releaseID),"))
                try await Screenshots.save(page, "splits-earnings")

                // A later sheet that Bea declines on her page: the one in force stays.
                let later = try await api.request(.post, "/api/v1/releases/\(releaseID)/split-sheets", token: track.artist.token, json: [
                    "parties": [["username": "ada", "shareBasisPoints": 9_000, "role": "vocals"], ["username": "bea", "shareBasisPoints": 1_000, "role": "guitar"]],
                ])
                #expect(later.status == .created)
                try await page.click("#logout")
                try await page.waitUntil("document.getElementById('whoami').hidden")
                try await page.signIn(api, "bea")
                try await page.click("a[href='#/splits']")
                try await page.waitUntil("document.querySelector('#split-statement') && document.querySelector('#split-pending [data-sheet] button.secondary')", "Bea sees the later sheet")
                try await page.click("#split-pending [data-sheet] button.secondary")  // Decline
                try await page.waitUntil("document.querySelector('#split-sheets [data-status=declined]')", "the later sheet is declined")
                metered.clock.advance(by: 60)
                _ = try await SplitFlowTests.countPlay(track, by: lena, api)
                #expect(try metered.ledger().balance(of: .artistEarnings(cal.id)).balance == 560 + 1_120)  // and Lena's third, 8,000: 5,600 → 1,120
                #expect(try metered.ledger().earningsStatement(of: cal.id).rows.count == 2)
                #expect(try metered.ledger().earningsStatement(of: track.artist.id).rows.first?.playID == before)
                #expect(try metered.ledger().verify().isIntact)
            }
        }
    }
}

extension BrowserTests {
    @Test("the band on the pages where they work: the owner proposes 50/30/20 on the release page, the others accept on their dashboards, a counted play, each sees their part on the earnings page and in its CSV")
    func bandSplitsOnReleaseAndDashboards() async throws {
        let metered = MeteredService()
        try await metered.service.run { api in
            let track = try await MeteredTrack.make(api, artistName: "ada")
            let bea = try await api.account("bea", role: "artist")
            let cal = try await api.account("cal")
            let lena = try await api.account("lena")
            try await metered.fund(lena, 10_000_000, api)
            let releaseID = try #require(try await api.request(.get, "/api/v1/tracks/\(track.id)").json()["releaseID"] as? String)
            let downloads = Fixtures.scratch("browser-split-csv")
            // Cal's library asks for his spending limit; he has none: a 404 the page expects.
            try await withBrowser(expected: { $0.contains("/spending-limit") && $0.contains("404") }) { page in
                // Ada, on her release's page: the splits section offers her (and only her) the form.
                try await page.signIn(api, "ada")
                try await page.run("location.hash = '#/releases/\(releaseID)'")
                try await page.waitUntil("document.querySelector('#release-splits #split-form')", "the owner's release page offers the proposal form")
                #expect(try await page.text("#release-splits").contains("No sheet is in force"))
                #expect(try await page.evaluate(Self.everyFieldLabelled, as: Bool.self) == true, "every field of the form has its label")
                let row = { (index: Int, field: String) in "#release-splits #split-form tbody tr:nth-child(\(index)) input[name=\(field)]" }
                #expect(try await page.evaluate("document.querySelector(\(BrowserPage.literal(row(1, "username")))).value", as: String.self) == "ada")
                try await page.fill(row(1, "share"), "50")
                try await page.fill(row(1, "role"), "vocals")
                try await page.click("#split-add")
                // Adding a person moves the focus to their first field.
                #expect(try await page.evaluate("document.activeElement === document.querySelector(\(BrowserPage.literal(row(2, "username"))))", as: Bool.self) == true)
                try await page.fill(row(2, "username"), "bea")
                try await page.fill(row(2, "share"), "30")
                try await page.fill(row(2, "role"), "guitar")
                try await page.click("#split-add")
                try await page.fill(row(3, "username"), "cal")
                try await page.fill(row(3, "share"), "20")
                try await page.fill(row(3, "role"), "producer")
                #expect(try await page.text("#split-total") == "Total: 100 %")
                try await page.click("#release-splits #split-form button[type=submit]")
                try await page.waitUntil("document.querySelector('#release-split-sheets [data-status=pending]')", "the release page lists the proposed sheet as pending")
                #expect(try await page.text("#release-split-sheets [data-status=pending]").contains("ada (vocals) 50 %: accepted; bea (guitar) 30 %: no answer yet; cal (producer) 20 %: no answer yet"))
                try await Screenshots.save(page, "splits-release-page")

                // A play before the last acceptance pays Ada alone (Lena's first: 2,000 units, artist part 1,400).
                metered.clock.advance(by: 60)
                let before = try await SplitFlowTests.countPlay(track, by: lena, api)

                // Bea, an artist, answers on her artist dashboard; Cal, a listener, on his library.
                for (name, dashboard) in [("bea", "#/artist"), ("cal", "#/my-library")] {
                    try await page.click("#logout")
                    try await page.waitUntil("document.getElementById('whoami').hidden")
                    try await page.signIn(api, name)
                    try await page.click("a[href='\(dashboard)']")
                    let accept = "#split-pending [data-sheet] button[data-answer=accept]"
                    try await page.waitUntil("document.querySelector(\(BrowserPage.literal(accept)))", "\(name)'s dashboard shows the sheet waiting for an answer")
                    #expect(try await page.text("#split-pending [data-sheet]").contains("River"))
                    #expect(try await page.evaluate("document.querySelector(\(BrowserPage.literal(accept))).getAttribute('aria-label')", as: String.self)?.hasPrefix("Accept the split sheet of River") == true)
                    if name == "cal" { try await Screenshots.save(page, "splits-dashboard-pending") }
                    try await page.click(accept)
                    try await page.waitUntil("document.querySelector('#split-pending')?.textContent.includes('Nothing is waiting')", "\(name)'s answer is taken")
                }
                // Cal's answer was the last: the sheet is in force from then on.
                let sheets = try await api.request(.get, "/api/v1/split-sheets", token: cal.token).json()["items"] as? [[String: Any]]
                #expect(sheets?.map { $0["status"] as? String } == ["in_force"], "\(sheets ?? [])")

                // A play after it pays all three: Lena's second, 4,000 units, artist part 2,800.
                metered.clock.advance(by: 60)
                let after = try await SplitFlowTests.countPlay(track, by: lena, api)
                let parts: [(name: String, account: TestAPI.Account, share: String, role: String, part: Int64)] = [
                    ("cal", cal, "20 %", "producer", 560), ("bea", bea, "30 %", "guitar", 840), ("ada", track.artist, "50 %", "vocals", 1_400),
                ]
                for (index, party) in parts.enumerated() {
                    if index > 0 {
                        try await page.click("#logout")
                        try await page.waitUntil("document.getElementById('whoami').hidden")
                        try await page.signIn(api, party.name)
                    }
                    try await page.click("a[href='#/splits']")
                    let row = "#split-statement tbody tr[data-play='\(after)']"
                    try await page.waitUntil("document.querySelector(\(BrowserPage.literal(row)))", "\(party.name)'s earnings list the play")
                    let text = try await page.text(row)
                    #expect(text.contains(party.share) && text.contains(Money.format(party.part)) && text.contains("v1"), "\(party.name): \(text)")
                    // The CSV the page's button saves holds the same part.
                    let folder = downloads.appendingPathComponent(party.name)
                    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                    try await page.browser.send("Browser.setDownloadBehavior", ["behavior": "allow", "downloadPath": folder.path])
                    try await page.click("#split-csv")
                    let file = try await waitFor("the browser to save \(party.name)'s CSV", timeout: Deadline.standard, every: .milliseconds(100)) { () -> URL? in
                        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
                        guard !names.contains(where: { $0.hasSuffix(".crdownload") }), let name = names.first(where: { $0.hasSuffix(".csv") }) else { return nil }
                        return folder.appendingPathComponent(name)
                    }
                    let csv = try String(contentsOf: file, encoding: .utf8)
                    let line = csv.split(whereSeparator: \.isNewline).first { $0.hasPrefix("\(after),") }.map(String.init) ?? ""
                    #expect(line.hasPrefix("\(after),\(track.id),River,\(releaseID),"), "\(party.name): \(csv)")
                    #expect(line.contains(",1,\(party.role),\(Int(party.share.dropLast(2))! * 100),2800,\(party.part),\(Money.format(party.part))"), "\(party.name): \(line)")
                    #expect(try metered.ledger().balance(of: .artistEarnings(party.account.id)).balance == party.part + (party.name == "ada" ? 1_400 : 0))
                }
                // Ada's own earnings page also lists the play before the sheet, whole, on the default sheet.
                let first = "#split-statement tbody tr[data-play='\(before)']"
                let firstText = try await page.text(first)
                #expect(firstText.contains("default") && firstText.contains(Money.format(1_400)), "\(firstText)")
                try await Screenshots.save(page, "splits-earnings-owner")

                // Back on the release page, the sheet is in force and the form starts from it.
                try await page.run("location.hash = '#/releases/\(releaseID)'")
                try await page.waitUntil("document.querySelector('#release-split-sheets [data-status=in_force]')", "the release page shows the sheet in force")
                #expect(try await page.text("#release-splits").contains("In force: ada (vocals) 50 %"))
                #expect(try await page.evaluate("document.querySelectorAll('#release-splits #split-form tbody tr').length", as: Int.self) == 3)
                #expect(try metered.ledger().verify().isIntact)
            }
        }
    }
}
