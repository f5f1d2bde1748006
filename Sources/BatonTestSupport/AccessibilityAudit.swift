import Foundation

/// An accessibility audit of what a page shows now, by axe-core (Deque's rules engine, the
/// one browsers' developer tools and most audit services use), run in the page under test.
/// `scripts/install-test-deps` puts its script in `.build/test-deps/axe.min.js`;
/// BATON_AXE_SCRIPT names another copy.
extension WebDriver {
    /// The rules checked: WCAG 2.0, 2.1 and 2.2 at levels A and AA (contrast, names and
    /// roles of controls, labels, landmarks, ARIA used right, …) and axe's best practices.
    public static let auditedRules = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

    /// Every violation on the page as it is now (open shadow roots included), one line each:
    /// "impact rule: what it asks — the elements (selectors) and why". Empty when it passes.
    /// `skip` names rules left out, each with the caller's reason.
    public func accessibilityViolations(skip: [String: String] = [:]) async throws -> [String] {
        // Colours are judged as they end up: not halfway through a fade-in.
        try await waitForAnimations()
        if try await run("return typeof window.axe === 'object'") as? Bool != true {
            _ = try await run(try Self.axeScript() + "\nreturn true;")
        }
        let options: [String: Any] = [
            "runOnly": ["type": "tag", "values": Self.auditedRules],
            "rules": Dictionary(uniqueKeysWithValues: skip.keys.map { ($0, ["enabled": false]) }),
            "resultTypes": ["violations"],
        ]
        let found = try await run("""
            return axe.run(document, arguments[0]).then((r) => r.violations.map((v) =>
              `${v.impact} ${v.id}: ${v.help} — ` + v.nodes.slice(0, 5).map((n) =>
                JSON.stringify(n.target) + ' (' + n.failureSummary.replace(/\\s+/g, ' ').trim() + ')').join('; ')));
            """, [options])
        guard let lines = found as? [String] else { throw TestFailure("the accessibility audit did not run: \(String(describing: found))") }
        return lines
    }

    /// Waits until no animation or transition that ends is running: in the page, its open
    /// shadow roots and its same-origin frames (the dashboard's preview).
    public func waitForAnimations(seconds: Double = 5) async throws {
        try await wait(for: "the page's transitions to end", """
            const documents = [document, ...[...document.querySelectorAll('iframe')].map((f) => { try { return f.contentDocument; } catch (e) { return null; } }).filter(Boolean)];
            const roots = documents.flatMap((d) => [d, ...[...d.querySelectorAll('*')].filter((e) => e.shadowRoot).map((e) => e.shadowRoot)]);
            return roots.flatMap((r) => r.getAnimations()).every((a) => a.playState !== 'running' || a.effect.getComputedTiming().endTime === Infinity);
            """, seconds: seconds)
    }

    private static func axeScript() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
        let path = ProcessInfo.processInfo.environment["BATON_AXE_SCRIPT"] ?? root.appendingPathComponent(".build/test-deps/axe.min.js").path
        guard let script = try? String(contentsOfFile: path, encoding: .utf8), !script.isEmpty else {
            throw TestFailure("axe-core is needed for the accessibility audits (\(path)): run scripts/install-test-deps")
        }
        return script
    }
}
