import Foundation
import Testing
import TuttiTestSupport

/// Runs `body` with a fresh headless Chromium and one tab, and expects no script errors,
/// console errors or Content-Security-Policy violations in the pages it visited, other than
/// those `expected` (e.g. an API refusal the test provokes on purpose).
func withBrowser<Value: Sendable>(expected: (String) -> Bool = { _ in false }, _ body: (BrowserPage) async throws -> Value) async throws -> Value {
    let browser = try Chromium()
    let value: Value
    do {
        let page = try await browser.newPage()
        try await page.setViewport(width: 1280, height: 900)
        value = try await body(page)
    } catch {
        await browser.shutDown()
        throw error
    }
    await browser.shutDown()
    let problems = browser.problems.filter { !BrowserProblems.expected($0) && !expected($0) }
    #expect(problems.isEmpty, "problems in the pages: \(problems)")
    return value
}

enum BrowserProblems {
    /// A stream the page gave up on when it left, or a preview the server ended on purpose.
    static func expected(_ problem: String) -> Bool {
        problem.contains("/audio/standard") && (problem.contains("ERR_ABORTED") || problem.contains("402"))
    }
}

/// Screenshots saved as test artifacts in `.build/test-artifacts/browser/`.
enum Screenshots {
    static let folder = Fixtures.repository.appendingPathComponent(".build/test-artifacts/browser")

    /// Saves what the page shows and checks the picture is not blank: decoded by ffmpeg, it
    /// must hold more than a handful of colours (a blank page has one).
    static func save(_ page: BrowserPage, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let path = folder.appendingPathComponent("\(name).png")
        let data = try await page.screenshot(to: path)
        #expect(data.starts(with: [0x89, 0x50, 0x4E, 0x47]), "\(name) is a PNG", sourceLocation: sourceLocation)
        let colours = try await distinctColours(path)
        #expect(colours > 16, "\(name).png has \(colours) colour(s): the page looks blank", sourceLocation: sourceLocation)
    }

    static func distinctColours(_ png: URL) async throws -> Int {
        let raw = Fixtures.scratch("screenshot").appendingPathComponent("pixels.rgb")
        let decoded = try await ThirdPartyTools.run(
            "ffmpeg", ["-nostdin", "-v", "error", "-i", png.path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-y", raw.path])
        guard decoded.status == 0 else { throw DecodeFailure(message: "ffmpeg could not decode \(png.path): \(decoded.stderr)") }
        let pixels = try Data(contentsOf: raw)
        var colours = Set<UInt32>()
        pixels.withUnsafeBytes { bytes in
            var index = 0
            while index + 2 < bytes.count {
                colours.insert(UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2]))
                index += 3 * 7  // every 7th pixel is plenty to tell a page from a blank one
            }
        }
        return colours.count
    }
}

extension BrowserPage {
    /// Logs in through the page's form and waits until the page says who is signed in.
    func signIn(_ api: TestAPI, _ username: String, password: String = "correct horse battery") async throws {
        try await navigate("\(api.baseURL)/#/signin")
        try await waitUntil("document.querySelector('#signin-form')", "no log-in form")
        try await fill("#signin-username", username)
        try await fill("#signin-password", password)
        try await click("#signin-form button[type=submit]")
        try await waitUntil("document.getElementById('whoami').textContent.includes('(')", "the page does not show the signed-in user")
    }

    func audioTime() async throws -> Double {
        try await evaluate("document.getElementById('audio').currentTime", as: Double.self) ?? -1
    }

    /// Waits until the audio element's time has moved on by `seconds` from now.
    func waitForPlayback(advancingBy seconds: Double = 0.5, timeout: Duration = Deadline.standard) async throws {
        let start = try await audioTime()
        do {
            try await waitUntil("document.getElementById('audio').currentTime > \(start + seconds)", timeout: timeout)
        } catch {
            throw Chromium.ProtocolError(description: "audio.currentTime stays at \(start): \(try await audioState())")
        }
    }

    /// What the audio element and the page say about playback, for a failure's message.
    func audioState() async throws -> String {
        let script = """
            (() => {
              const audio = document.getElementById('audio');
              const buffered = Array.from({ length: audio.buffered.length }, (_, i) => `${audio.buffered.start(i)}-${audio.buffered.end(i)}`);
              return JSON.stringify({
                paused: audio.paused, readyState: audio.readyState, networkState: audio.networkState,
                error: audio.error ? `${audio.error.code} ${audio.error.message}` : null, buffered,
                src: audio.getAttribute('src'), notice: document.getElementById('now-notice').textContent,
                state: document.getElementById('player').dataset.state ?? null,
                audioContext: document.getElementById('player').dataset.audioContext ?? null,
              });
            })()
            """
        return try await evaluate(script, as: String.self) ?? "(no state)"
    }

    func text(_ selector: String) async throws -> String {
        try await evaluate("document.querySelector(\(BrowserPage.literal(selector)))?.textContent ?? ''", as: String.self) ?? ""
    }
}
