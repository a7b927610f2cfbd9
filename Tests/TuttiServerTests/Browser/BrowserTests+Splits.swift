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
                    try await page.waitUntil("document.querySelector('#split-pending [data-sheet] button')", "\(name) sees the sheet waiting for an answer")
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
                try await page.waitUntil("document.querySelector('#split-pending [data-sheet] button.secondary')", "Bea sees the later sheet")
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
