import Foundation

// Driving the widget in a browser (WebDriver): its shadow root, its bubbles, its text box.

/// JavaScript that reaches into the widget's shadow root.
public let root = "document.querySelector('baton-chat')?.shadowRoot"
/// JavaScript: the texts of the widget's message bubbles, in order.
public let bubbles = "Array.from(\(root)?.querySelectorAll('.log .bubble') ?? []).map(b => b.textContent)"

/// Waits until the widget shows a message containing `text`.
public func waitForBubble(_ driver: WebDriver, containing text: String, seconds: Double = 10) async throws {
    let literal = String(data: try JSONSerialization.data(withJSONObject: [text]), encoding: .utf8)!
    try await driver.wait(for: "a message containing \(text)", "return \(bubbles).some(t => t.includes(\(literal)[0]))", seconds: seconds)
}

/// Types `text` into the widget's text box and presses Enter.
public func send(_ driver: WebDriver, _ text: String) async throws {
    let input = try await driver.element("return \(root).querySelector('textarea')")
    try await driver.type(text + "\u{E007}", into: input)
}
