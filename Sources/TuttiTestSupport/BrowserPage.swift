import Foundation

/// One tab of a ``Chromium``: navigate, run JavaScript, type, attach files, take screenshots.
public struct BrowserPage: Sendable {
    public let browser: Chromium
    public let session: String
    public let target: String

    @discardableResult
    public func send(_ method: String, _ parameters: [String: Any] = [:]) async throws -> [String: Any] {
        try await browser.send(method, parameters, session: session)
    }

    /// Loads `url` and waits until its document has loaded.
    public func navigate(_ url: String, timeout: Duration = Deadline.standard) async throws {
        try await send("Page.navigate", ["url": url])
        try await waitUntil("document.readyState === 'complete' && location.href.startsWith(\(Self.literal(url.components(separatedBy: "#")[0])))",
                            timeout: timeout, "\(url) did not load")
    }

    /// Evaluates `expression` (awaiting a promise) and returns its value as JSON would carry it.
    public func evaluate<Value: Sendable>(_ expression: String, as type: Value.Type = Value.self) async throws -> Value? {
        let result = try await send("Runtime.evaluate", ["expression": expression, "awaitPromise": true, "returnByValue": true])
        if let details = result["exceptionDetails"] as? [String: Any] {
            let exception = details["exception"] as? [String: Any]
            throw Chromium.ProtocolError(description: "\(expression): \(exception?["description"] as? String ?? details["text"] as? String ?? "exception")")
        }
        return (result["result"] as? [String: Any])?["value"] as? Value
    }

    /// Runs `statement` for its effect.
    public func run(_ statement: String) async throws {
        let _: Bool? = try await evaluate("(() => { \(statement); return true; })()")
    }

    /// Polls `condition` (a JavaScript expression) every 100 ms until it is true.
    public func waitUntil(_ condition: String, timeout: Duration = Deadline.standard, _ failure: @autoclosure () -> String = "") async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await evaluate("Boolean(\(condition))", as: Bool.self)) == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        let message = failure()
        throw Chromium.ProtocolError(description: "timed out after \(timeout) waiting for \(condition)\(message.isEmpty ? "" : ": " + message)")
    }

    /// Sets a text field's value as typing would (input and change events).
    public func fill(_ selector: String, _ text: String) async throws {
        try await run("""
            const field = document.querySelector(\(Self.literal(selector)));
            field.focus(); field.value = \(Self.literal(text));
            field.dispatchEvent(new Event('input', { bubbles: true })); field.dispatchEvent(new Event('change', { bubbles: true }))
            """)
    }

    public func click(_ selector: String) async throws {
        try await waitUntil("document.querySelector(\(Self.literal(selector)))", "no \(selector)")
        try await run("document.querySelector(\(Self.literal(selector))).click()")
    }

    /// Presses a key as the keyboard does (keydown, char for printable keys, keyup) on the focused element.
    public func press(_ key: String, code: String, keyCode: Int, text: String? = nil) async throws {
        var down: [String: Any] = ["type": "keyDown", "key": key, "code": code, "windowsVirtualKeyCode": keyCode]
        if let text { down["text"] = text }
        try await send("Input.dispatchKeyEvent", down)
        try await send("Input.dispatchKeyEvent", ["type": "keyUp", "key": key, "code": code, "windowsVirtualKeyCode": keyCode])
    }

    /// Attaches files to an `<input type=file>`, as choosing them in the dialog would.
    public func setFiles(_ selector: String, _ paths: [String]) async throws {
        let document = try await send("DOM.getDocument", ["depth": 0])
        guard let root = (document["root"] as? [String: Any])?["nodeId"] as? Int else { throw Chromium.ProtocolError(description: "no document node") }
        let found = try await send("DOM.querySelector", ["nodeId": root, "selector": selector])
        guard let node = found["nodeId"] as? Int, node != 0 else { throw Chromium.ProtocolError(description: "no \(selector)") }
        try await send("DOM.setFileInputFiles", ["files": paths, "nodeId": node])
        try await run("document.querySelector(\(Self.literal(selector))).dispatchEvent(new Event('change', { bubbles: true }))")
    }

    /// Emulates a screen of `width` × `height` CSS pixels (a phone with `mobile`).
    public func setViewport(width: Int, height: Int, mobile: Bool = false) async throws {
        try await send("Emulation.setDeviceMetricsOverride", ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile])
    }

    /// Saves a PNG of what the tab shows to `path` and returns its bytes.
    @discardableResult
    public func screenshot(to path: URL) async throws -> Data {
        let shot = try await send("Page.captureScreenshot", ["format": "png"])
        guard let encoded = shot["data"] as? String, let data = Data(base64Encoded: encoded) else {
            throw Chromium.ProtocolError(description: "no screenshot data")
        }
        try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: path)
        return data
    }

    public func close() async throws {
        try await browser.send("Target.closeTarget", ["targetId": target])
    }

    /// `text` as a JavaScript string literal.
    public static func literal(_ text: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [text])
        let array = String(decoding: data, as: UTF8.self)
        return String(array.dropFirst().dropLast())
    }
}
