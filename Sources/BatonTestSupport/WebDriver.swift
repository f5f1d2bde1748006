import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// A small W3C WebDriver client for headless Chromium through chromedriver (Debian's
/// `chromium` and `chromium-driver`; `scripts/install-test-deps` installs them).
public final class WebDriver: Sendable {
    public let port: Int
    public let session: String
    private let process: ChildProcess

    private init(port: Int, session: String, process: ChildProcess) {
        self.port = port
        self.session = session
        self.process = process
    }

    /// Starts chromedriver and a headless Chromium of the given window size (emulating a
    /// phone when `phone` is set: headless windows are never narrower than 500 px), runs
    /// `body`, then quits both. `languages` are the browser's (`navigator.languages`),
    /// like `"fr-FR,fr"`; Chromium's own when nil.
    public static func with<T: Sendable>(width: Int = 1280, height: Int = 800, phone: Bool = false, languages: String? = nil,
                                  _ body: @Sendable (WebDriver) async throws -> T) async throws -> T {
        guard let driverPath = which("chromedriver"), let browserPath = which("chromium") else {
            throw TestFailure("chromium and chromedriver are needed for the browser tests: run scripts/install-test-deps")
        }
        let (process, port) = try await launch(driverPath)
        let driver: WebDriver
        do {
            let session = try await createSession(port: port, browser: browserPath, width: width, height: height, phone: phone,
                                                  languages: languages)
            driver = WebDriver(port: port, session: session, process: process)
        } catch {
            await stop(process, port: port)
            throw error
        }
        do {
            let result = try await body(driver)
            await driver.quit()
            return result
        } catch {
            await driver.quit()
            throw error
        }
    }

    private static func which(_ name: String) -> String? {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// Starts chromedriver on a free loopback port and waits until it answers. The port is
    /// below the system's ephemeral range (one from it may be an outgoing connection's),
    /// and the chromedriver that answers must be this one: another test's may hold the
    /// port (this one then cannot listen, and exits), and it goes away with that test.
    private static func launch(_ path: String) async throws -> (ChildProcess, Int) {
        let ephemeralStart = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))
            .flatMap { $0.split(whereSeparator: \.isWhitespace).first }.flatMap { Int($0) } ?? 32768
        for _ in 0..<5 {
            let port = Int.random(in: 10_000..<max(ephemeralStart, 20_000))
            let process = try ChildProcess(path, ["--port=\(port)", "--allowed-ips=127.0.0.1", "--log-level=OFF"])
            for _ in 0..<100 {
                if let status = try? await request(port: port, "GET", "/status"), status["ready"] as? Bool == true {
                    try await Task.sleep(for: .milliseconds(100))
                    if process.isRunning { return (process, port) }
                    break
                }
                if !process.isRunning { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            process.signal(SIGKILL)
        }
        throw TestFailure("chromedriver did not start")
    }

    private static func createSession(port: Int, browser: String, width: Int, height: Int, phone: Bool,
                                      languages: String?) async throws -> String {
        var options: [String: Any] = [
            "binary": browser,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=\(max(width, 500)),\(height)", "--force-device-scale-factor=1", "--hide-scrollbars",
                     "--no-first-run", "--disable-extensions"],
        ]
        if let languages {
            options["args"] = (options["args"] as? [String] ?? []) + ["--accept-lang=\(languages)", "--lang=\(languages.prefix { $0 != "," })"]
            options["prefs"] = ["intl.accept_languages": languages]
        }
        if phone {
            options["mobileEmulation"] = ["deviceMetrics": ["width": width, "height": height, "pixelRatio": 1, "touch": true]]
        }
        let capabilities: [String: Any] = ["capabilities": ["alwaysMatch": ["browserName": "chrome", "goog:chromeOptions": options,
                                                                           "goog:loggingPrefs": ["browser": "ALL"]]]]
        let value = try await request(port: port, "POST", "/session", capabilities)
        guard let session = value["sessionId"] as? String else { throw TestFailure("no WebDriver session: \(value)") }
        return session
    }

    /// Sends a WebDriver command; returns its `value`, or throws the WebDriver error.
    @discardableResult
    private static func request(port: Int, _ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = HTTPMethod(rawValue: method)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let data = try await response.body.collect(upTo: 64 << 20)
        let object = try JSONSerialization.jsonObject(with: Data(buffer: data)) as? [String: Any] ?? [:]
        let value = object["value"]
        if response.status.code >= 400 {
            let error = value as? [String: Any]
            throw TestFailure("WebDriver \(method) \(path): \(error?["error"] ?? "?"): \(error?["message"] ?? "")")
        }
        return value as? [String: Any] ?? ["value": value ?? NSNull()]
    }

    @discardableResult
    public func command(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        try await Self.request(port: port, method, "/session/\(session)\(path)", body)
    }

    public func open(_ url: String) async throws { try await command("POST", "/url", ["url": url]) }

    /// Runs JavaScript in the page and returns its result.
    @discardableResult
    public func run(_ script: String, _ args: [Any] = []) async throws -> Any? {
        let value = try await command("POST", "/execute/sync", ["script": script, "args": args])
        return value["value"] ?? value
    }

    /// Runs JavaScript until it returns a truthy value, or fails after `seconds`.
    @discardableResult
    public func wait(for what: String, _ script: String, seconds: Double = 10) async throws -> Any {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if let value = try await run(script), !(value is NSNull), (value as? Bool) != false, (value as? String) != "" {
                return value
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("waited \(seconds) s for \(what)")
    }

    /// An element found by a script that returns it (for clicks and typing).
    public func element(_ script: String) async throws -> String {
        let value = try await run(script)
        guard let reference = (value as? [String: Any])?.first(where: { $0.key.hasPrefix("element-") })?.value as? String else {
            throw TestFailure("no element for \(script)")
        }
        return reference
    }

    public func click(_ element: String) async throws { try await command("POST", "/element/\(element)/click", [:]) }

    public func clear(_ element: String) async throws { try await command("POST", "/element/\(element)/clear", [:]) }

    /// Accepts a `confirm()` the page opened ("Leave this page?").
    public func acceptAlert() async throws { try await command("POST", "/alert/accept", [:]) }

    /// Dismisses a `confirm()` the page opened (its Cancel).
    public func dismissAlert() async throws { try await command("POST", "/alert/dismiss", [:]) }

    /// The text of the `alert()` or `confirm()` the page has open, or nil.
    public func alertText() async throws -> String? {
        do { return try await command("GET", "/alert/text")["value"] as? String } catch { return nil }
    }

    /// What the browser wrote to the page's console (the page's own lines, failed requests,
    /// its warnings) since the last call: each line's level ("SEVERE", "WARNING", "INFO")
    /// and text.
    public func consoleLines() async throws -> [(level: String, text: String)] {
        let entries = try await command("POST", "/se/log", ["type": "browser"])["value"] as? [[String: Any]] ?? []
        return entries.map { (level: $0["level"] as? String ?? "", text: $0["message"] as? String ?? "") }
    }

    /// Types text as key presses (`\u{E007}` is Enter).
    public func type(_ text: String, into element: String) async throws {
        try await command("POST", "/element/\(element)/value", ["text": text])
    }

    /// The tab commands go to now.
    public func currentTab() async throws -> String {
        guard let handle = try await command("GET", "/window")["value"] as? String else { throw TestFailure("no current tab") }
        return handle
    }

    /// Opens a new tab and turns to it; returns its handle.
    public func newTab() async throws -> String {
        guard let handle = try await command("POST", "/window/new", ["type": "tab"])["handle"] as? String else {
            throw TestFailure("no new tab")
        }
        try await switchTo(handle)
        return handle
    }

    /// Turns to another tab (the browser's focus with it).
    public func switchTo(_ tab: String) async throws { try await command("POST", "/window", ["handle": tab]) }

    public func setWindow(width: Int, height: Int) async throws {
        try await command("POST", "/window/rect", ["width": width, "height": height])
    }

    /// A PNG of the viewport, saved under `artifacts/screenshots/NAME.png` (and under the
    /// folder in BATON_SCREENSHOTS, which `scripts/screenshots` sets to docs/images).
    public func screenshot(_ name: String) async throws {
        let value = try await command("GET", "/screenshot")
        guard let base64 = value["value"] as? String, let png = Data(base64Encoded: base64) else { throw TestFailure("no screenshot") }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
        var folders = [root.appendingPathComponent("artifacts/screenshots")]
        if let extra = ProcessInfo.processInfo.environment["BATON_SCREENSHOTS"] {
            folders.append(URL(fileURLWithPath: extra, relativeTo: root))
        }
        for folder in folders {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try png.write(to: folder.appendingPathComponent("\(name).png"))
        }
    }

    private func quit() async {
        _ = try? await Self.request(port: port, "DELETE", "/session/\(session)")
        await Self.stop(process, port: port)
    }

    /// chromedriver ignores SIGTERM while it has children: ask it to shut down, then kill
    /// it if it is still there. Never blocks a thread waiting.
    private static func stop(_ process: ChildProcess, port: Int) async {
        _ = try? await request(port: port, "GET", "/shutdown")
        for _ in 0..<50 where process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { process.signal(SIGKILL) }
    }
}
