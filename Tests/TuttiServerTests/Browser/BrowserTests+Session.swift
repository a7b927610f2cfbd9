import Foundation
import Testing
import TuttiServer
import TuttiTestSupport

extension BrowserTests {
    /// A page's requests may still be on their way when the listener logs out (a view that was
    /// loading). The token is revoked only once they have their answers, and a 401 meant for an
    /// older token never ends the session that came after it.
    @Test("logging out with requests on their way: each is answered as signed in, then the token is revoked; a 401 for an older token keeps the newer session")
    func logOutWithRequestsUnderWay() async throws {
        let service = TestService()
        try await service.run { api in
            let lena = try await api.account("lena")
            // The two 401s the test asks for on purpose are reported in the console.
            try await withBrowser(expected: { $0.contains("401") && $0.hasSuffix("/api/v1/me") }) { page in
                try await page.signIn(api, "lena")
                let token = try #require(try await page.evaluate("JSON.parse(sessionStorage.getItem('tutti.session')).token", as: String.self))
                // Twenty reads sent with the session and the log-out clicked in the same turn:
                // the browser holds some of them in its queue behind its six connections.
                let statuses = try await page.evaluate("""
                    import('/web/api.js').then(({ api }) => {
                      const reads = Array.from({ length: 20 }, () => api('/api/v1/me').then(() => 200, (error) => error.status));
                      document.getElementById('logout').click();
                      return Promise.all(reads);
                    }).then((statuses) => statuses.join(' '))
                    """, as: String.self)
                #expect(statuses == Array(repeating: "200", count: 20).joined(separator: " "))
                #expect(try await page.evaluate("sessionStorage.getItem('tutti.session')", as: String.self) == nil)
                try await waitUntil("the logged-out token is revoked") {
                    try await api.request(.get, "/api/v1/me", token: token).status == .unauthorized
                }

                // Signed in again: a 401 answering the revoked token leaves this session alone,
                // a 401 answering this session's own token ends it.
                try await page.signIn(api, "lena")
                let kept = try await page.evaluate("""
                    import('/web/api.js').then(({ api, session }) =>
                      api('/api/v1/me', { token: \(BrowserPage.literal(token)) }).then(() => 'answered', (error) => `${error.status} ${session.get() ? 'kept' : 'ended'}`))
                    """, as: String.self)
                #expect(kept == "401 kept")
                let current = try #require(try await page.evaluate("JSON.parse(sessionStorage.getItem('tutti.session')).token", as: String.self))
                #expect(try await api.request(.delete, "/api/v1/sessions/current", token: current).status == .noContent)
                let ended = try await page.evaluate("""
                    import('/web/api.js').then(({ api, session }) =>
                      api('/api/v1/me').then(() => 'answered', (error) => `${error.status} ${session.get() ? 'kept' : 'ended'}`))
                    """, as: String.self)
                #expect(ended == "401 ended")
                try await page.waitUntil("document.getElementById('whoami').hidden", "the page shows no one signed in")
                #expect(try await api.request(.get, "/api/v1/me", token: lena.token).status == .ok, "other sessions of the account stay")
            }
        }
    }
}
