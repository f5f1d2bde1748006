import BatonCore
import Foundation
import BatonTestSupport
import Testing


/// Waits until the widget is shown (it stays hidden until it can speak its language) and
/// speaks `language`: the words of a language other than English are fetched from Baton.
func waitForWidget(_ driver: WebDriver, speaking language: String, seconds: Double = 10) async throws {
    try await driver.wait(for: "the widget shown in \(language)", """
        const host = document.querySelector('baton-chat');
        return !!host && getComputedStyle(host).visibility === 'visible' && \(root).querySelector('.root').lang === '\(language)'
        """, seconds: seconds)
}

private func jsonString(_ text: String) -> String {
    String(data: try! JSONSerialization.data(withJSONObject: [text]), encoding: .utf8)!.dropFirst().dropLast().description
}

/// Asks the demo bot for a person from its greeting ("Talk to a person") and answers its
/// questions as Grace, about Sales.
func askTheDemoBotForAPerson(_ driver: WebDriver) async throws {
    let button = { (text: String) in "return Array.from(\(root).querySelectorAll('.quick button')).find(b => b.textContent === '\(text)')" }
    try await driver.click(try await driver.element(button("Talk to a person")))
    try await waitForBubble(driver, containing: "What's your name?")
    try await send(driver, "Grace")
    try await waitForBubble(driver, containing: "email address")
    try await send(driver, "grace@example.com")
    try await waitForBubble(driver, containing: "What is it about?")
    try await driver.click(try await driver.element(button("Sales")))
}

/// axe-core finds nothing on the page as it is now (the widget's shadow root included).
func expectAccessible(_ driver: WebDriver, _ state: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let violations = try await driver.accessibilityViolations()
    #expect(violations == [], "\(state):\n\(violations.joined(separator: "\n"))", sourceLocation: sourceLocation)
}



/// The widget in a real headless Chromium against a live Baton: what a visitor sees.
/// Screenshots go to artifacts/screenshots/ (and to docs/images/ via scripts/screenshots).
@Suite(.serialized) struct BrowserTests {
    @Test func aVisitorChatsWithTheDemoBotUntilTheHandover() async throws {
        try await LiveBaton.run { baton in
            try await WebDriver.with(width: 1280, height: 800) { driver in
                try await driver.open("\(baton.http)/")
                try await driver.wait(for: "the launcher", "return \(root)?.querySelector('.launcher')")
                try await driver.screenshot("demo-page")
                try await expectAccessible(driver, "the demo page, the widget closed")
                try await driver.click(try await driver.element("return \(root).querySelector('.launcher')"))
                try await waitForBubble(driver, containing: "I'm Ada")
                // The greeting's quick replies are offered.
                let quick = try await driver.run("return Array.from(\(root).querySelectorAll('.quick button')).map(b => b.textContent)") as? [String]
                #expect(quick == ["What is Baton?", "How does the handover work?", "Talk to a person"])
                try await driver.screenshot("widget-greeting")
                try await expectAccessible(driver, "the greeting with its quick replies")

                try await send(driver, "how much does it cost?")
                try await waitForBubble(driver, containing: "free to run on your own server")
                // The widget told Baton which page it is on, and tells it again when a
                // single-page site moves on (here: history.pushState, which fires no event);
                // by default without the query, which may hold secrets.
                let store = baton.services.store
                let visitor = try #require(try await store.conversations(ConversationFilter(widgetKey: "demo", limit: 1)).first?.conversation.visitorID)
                let title = try await driver.run("return document.title") as? String ?? ""
                #expect(try await store.visitor(id: visitor)?.page == VisitedPage(stored: "\(baton.http)/", title: title))
                _ = try await driver.run("history.pushState({}, '', '/pricing?from=test'); document.title = 'Pricing'")
                let moved = VisitedPage(stored: "\(baton.http)/pricing", title: "Pricing")
                let deadline = ContinuousClock.now + .seconds(10)
                while try await store.visitor(id: visitor)?.page != moved, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(try await store.visitor(id: visitor)?.page == moved)
                // A typo-laden question is still understood.
                try await send(driver, "does it wrok with matermost")
                try await waitForBubble(driver, containing: "opens a channel for the chat")
                try await driver.screenshot("widget-chat")

                let talk = try await driver.element("return Array.from(\(root).querySelectorAll('.quick button')).find(b => b.textContent === 'Try it')")
                try await driver.click(talk)
                try await waitForBubble(driver, containing: "What's your name?")
                try await send(driver, "Grace")
                try await waitForBubble(driver, containing: "email address")
                try await send(driver, "not-an-email")
                try await waitForBubble(driver, containing: "doesn't look like an email")
                try await send(driver, "grace@example.com")
                try await waitForBubble(driver, containing: "What is it about?")
                try await driver.click(try await driver.element("return Array.from(\(root).querySelectorAll('.quick button')).find(b => b.textContent === 'Sales')"))
                try await waitForBubble(driver, containing: "Nobody is available right now")
                try await driver.wait(for: "the waiting status", "return \(root).querySelector('.status').textContent.includes('Waiting')")
                try await driver.screenshot("widget-handover")
                try await expectAccessible(driver, "waiting for an agent")

                // A reload resumes the same conversation with its history.
                let before = try await driver.run("return \(bubbles)") as? [String] ?? []
                try await driver.open("\(baton.http)/#baton-open")
                try await driver.wait(for: "the history after a reload", "return \(bubbles).length >= \(before.count)")
                let after = try await driver.run("return \(bubbles)") as? [String] ?? []
                #expect(after == before)

                // The visitor ends the chat: asked first, and "Keep chatting" keeps it.
                try await driver.wait(for: "the End chat button", "return !\(root).querySelector('.end-chat').hidden")
                try await driver.click(try await driver.element("return \(root).querySelector('.end-chat')"))
                try await driver.wait(for: "the confirmation", "return !\(root).querySelector('.confirm').hidden")
                try await driver.screenshot("widget-end-chat")
                try await expectAccessible(driver, "asked to confirm the end")
                try await driver.click(try await driver.element("return \(root).querySelector('.confirm-keep')"))
                try await driver.wait(for: "the confirmation gone", "return \(root).querySelector('.confirm').hidden")
                #expect(try await store.conversations(ConversationFilter(widgetKey: "demo", limit: 1)).first?.conversation.state == .waitingForAgent)
                // Escape answers the question "no" first, and leaves the panel open.
                try await driver.click(try await driver.element("return \(root).querySelector('.end-chat')"))
                try await driver.wait(for: "the confirmation again", "return !\(root).querySelector('.confirm').hidden")
                try await driver.type("\u{E00C}", into: try await driver.element("return \(root).querySelector('.confirm-keep')"))
                try await driver.wait(for: "the confirmation gone on Escape", "return \(root).querySelector('.confirm').hidden")
                #expect(try await driver.run("return !\(root).querySelector('.panel').hidden") as? Bool == true)
                // An agent answers (a chat nobody answered is not rated: below).
                let handedOver = try #require(try await store.conversations(ConversationFilter(widgetKey: "demo", limit: 1)).first).conversation.id
                try await baton.services.chat.agentMessage(handedOver, name: "Alice", text: "Hello Grace, how can I help?", externalID: "post-hello")
                try await waitForBubble(driver, containing: "Hello Grace")
                try await driver.click(try await driver.element("return \(root).querySelector('.end-chat')"))
                try await driver.click(try await driver.element("return \(root).querySelector('.confirm-end')"))
                let notices = "Array.from(\(root).querySelectorAll('.log .notice')).map(n => n.textContent)"
                try await driver.wait(for: "the notice", "return \(notices).includes('You ended the chat.')")
                try await driver.wait(for: "the ended status", "return \(root).querySelector('.status').textContent === 'Conversation ended'")
                #expect(try await driver.run("return \(root).querySelector('.end-chat').hidden") as? Bool == true)
                #expect(try await store.conversations(ConversationFilter(widgetKey: "demo", limit: 1)).first?.conversation.state == .closed)

                // The chat with the agents ended: the widget asks for a rating, once, also after a reload.
                try await driver.wait(for: "the rating question", "return !\(root).querySelector('.rate').hidden")
                try await driver.open("\(baton.http)/#baton-open")
                try await driver.wait(for: "the rating question after a reload", "return !\(root).querySelector('.rate').hidden")
                try await driver.screenshot("widget-rate")
                try await expectAccessible(driver, "asked for a rating")
                try await driver.click(try await driver.element("return \(root).querySelector('.rate-good')"))
                try await driver.wait(for: "the rating's notice", "return \(notices).includes('You rated the chat: good.')")
                #expect(try await driver.run("return \(root).querySelector('.rate').hidden") as? Bool == true)
                let rated = try await store.conversations(ConversationFilter(widgetKey: "demo", limit: 1)).first?.conversation
                #expect(rated?.variable(ChatRating.variable) == "good")
                try await driver.open("\(baton.http)/#baton-open")
                try await driver.wait(for: "the history after a reload", "return \(notices).includes('You rated the chat: good.')")
                #expect(try await driver.run("return \(root).querySelector('.rate').hidden") as? Bool == true)

                // The visitor saves the chat as a text file (the download itself is caught here).
                _ = try await driver.run("""
                    const create = URL.createObjectURL;
                    URL.createObjectURL = (blob) => { blob.text().then((t) => { window.savedText = t; }); return create.call(URL, blob); };
                    HTMLAnchorElement.prototype.click = function () { window.savedName = this.download; };
                    """)
                try await driver.click(try await driver.element("return \(root).querySelector('.save')"))
                try await driver.wait(for: "the saved chat", "return typeof window.savedText === 'string'")
                let saved = try await driver.run("return window.savedText") as? String ?? ""
                let name = try await driver.run("return window.savedName") as? String ?? ""
                #expect(name.wholeMatch(of: /chat-\d{4}-\d{2}-\d{2}\.txt/) != nil, "\(name)")
                let lines = saved.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                #expect(lines.first?.hasSuffix(" · 127.0.0.1:\(baton.port)") == true, "\(saved)")
                #expect(lines.contains { $0.hasPrefix("You · ") } && lines.contains("  how much does it cost?"), "\(saved)")
                #expect(lines.contains { $0.hasPrefix("Ada · ") } && lines.contains { $0.contains("free to run on your own server") })
                #expect(lines.contains("— You ended the chat. —") && lines.contains("— You rated the chat: good. —"), "\(saved)")
            }
        }
    }

    @Test func onAPhoneThePanelFillsTheScreen() async throws {
        try await LiveBaton.run { baton in
            try await WebDriver.with(width: 390, height: 844, phone: true) { driver in
                try await driver.open("\(baton.http)/#baton-open")
                try await waitForBubble(driver, containing: "I'm Ada")
                try await send(driver, "What is Baton?")
                try await waitForBubble(driver, containing: "self-hosted chatbot")
                let width = try await driver.run("return \(root).querySelector('.panel').getBoundingClientRect().width") as? Double
                #expect(width == 390)
                try await driver.screenshot("widget-phone")
                // The page behind cannot be seen: Tab goes round the panel's controls, and
                // the panel says it is modal.
                #expect(try await driver.run("return \(root).querySelector('.panel').getAttribute('aria-modal')") as? String == "true")
                // Nor does the page behind scroll (a swipe on the header moved it); closed,
                // the page's own setting is back.
                #expect(try await driver.run("return document.documentElement.style.overflow") as? String == "hidden")
                // The status (waiting, with an agent, away) is told to screen readers.
                #expect(try await driver.run("return \(root).querySelector('.status').getAttribute('role')") as? String == "status")
                let controls = """
                    Array.from(\(root).querySelector('.panel').querySelectorAll('button, textarea, a[href], [tabindex="0"]'))
                      .filter((n) => !n.disabled && n.getClientRects().length > 0)
                    """
                try await driver.type("\u{E004}", into: try await driver.element("return \(controls).pop()"))
                #expect(try await driver.run("const c = \(controls); return \(root).activeElement === c[0]") as? Bool == true)
                try await driver.type("\u{E008}\u{E004}", into: try await driver.element("return \(controls)[0]"))
                #expect(try await driver.run("const c = \(controls); return \(root).activeElement === c[c.length - 1]") as? Bool == true)
            }
            // Held sideways (or a page zoomed in): a short screen is filled too, and the text
            // box stays whole however many replies are suggested.
            try await WebDriver.with(width: 844, height: 360, phone: true) { driver in
                try await driver.open("\(baton.http)/#baton-open")
                try await waitForBubble(driver, containing: "I'm Ada")
                try await driver.wait(for: "the quick replies", "return \(root).querySelectorAll('.quick button').length > 0")
                let fits = try await driver.run("""
                    const r = \(root), panel = r.querySelector('.panel').getBoundingClientRect();
                    const box = r.querySelector('textarea').getBoundingClientRect(), close = r.querySelector('.close').getBoundingClientRect();
                    return [panel.height === innerHeight && panel.width === innerWidth,
                            box.top >= 0 && box.bottom <= innerHeight, close.top >= 0, r.querySelector('.log').clientHeight > 40];
                    """) as? [Bool]
                #expect(fits == [true, true, true, true], "\(String(describing: fits))")
                try await driver.screenshot("widget-phone-sideways")
                try await driver.run("\(root).querySelector('.close').click()")
                #expect(try await driver.run("return document.documentElement.style.overflow") as? String == "")
            }
            // Very short (zoomed in to 400%, or sideways with the keyboard up): a few lines of
            // the chat stay in sight, and the whole text box is within reach (the panel
            // scrolls as a whole); the messages were squeezed to nothing and the text box cut.
            for (width, height) in [(320, 200), (500, 147)] {
                try await WebDriver.with(width: width, height: height, phone: true) { driver in
                    try await driver.open("\(baton.http)/#baton-open")
                    try await waitForBubble(driver, containing: "I'm Ada")
                    try await driver.wait(for: "the quick replies", "return \(root).querySelectorAll('.quick button').length > 0")
                    let fits = try await driver.run("""
                        const r = \(root), b = r.querySelector('textarea').getBoundingClientRect();
                        return [r.querySelector('.log').clientHeight >= 30, b.top >= 0 && b.bottom <= innerHeight];
                        """) as? [Bool]
                    #expect(fits == [true, true], "\(width)×\(height): \(String(describing: fits))")
                    if height == 200 { try await driver.screenshot("widget-very-short") }
                }
            }
        }
    }

    /// A visitor who ends the chat before any agent joined or wrote is not asked to rate it:
    /// there was nobody's help to rate.
    @Test func aChatNobodyAnsweredIsNotRated() async throws {
        try await LiveBaton.run { baton in
            try await WebDriver.with(width: 1280, height: 800) { driver in
                try await driver.open("\(baton.http)/#baton-open")
                try await waitForBubble(driver, containing: "I'm Ada")
                try await askTheDemoBotForAPerson(driver)
                try await waitForBubble(driver, containing: "Nobody is available right now")
                try await driver.wait(for: "the End chat button", "return !\(root).querySelector('.end-chat').hidden")
                try await driver.click(try await driver.element("return \(root).querySelector('.end-chat')"))
                try await driver.click(try await driver.element("return \(root).querySelector('.confirm-end')"))
                let notices = "Array.from(\(root).querySelectorAll('.log .notice')).map(n => n.textContent)"
                try await driver.wait(for: "the notice", "return \(notices).includes('You ended the chat.')")
                try await driver.wait(for: "the ended status", "return \(root).querySelector('.status').textContent === 'Conversation ended'")
                try await Task.sleep(for: .milliseconds(300))
                #expect(try await driver.run("return \(root).querySelector('.rate').hidden") as? Bool == true)
                // Nor after a reload, which draws the whole chat again.
                try await driver.open("\(baton.http)/#baton-open")
                try await driver.wait(for: "the history after a reload", "return \(notices).includes('You ended the chat.')")
                try await driver.wait(for: "the ended status", "return \(root).querySelector('.status').textContent === 'Conversation ended'")
                try await Task.sleep(for: .milliseconds(300))
                #expect(try await driver.run("return \(root).querySelector('.rate').hidden") as? Bool == true)
            }
        }
    }

    /// A chat that opens by itself (data-open) on a phone takes no focus from the page: a
    /// field the visitor is in keeps it (the panel's messages took it). With nothing
    /// focused, the panel, which hides the page, takes it to its messages.
    @Test func aChatOpenedAtLoadLeavesTheFocusWhereItIs() async throws {
        try await LiveBaton.run { baton in
            try await WebDriver.with(width: 390, height: 844, phone: true) { driver in
                try await driver.open("\(baton.http)/nothing")
                _ = try await driver.run("""
                    document.open();
                    document.write(`<!doctype html><html><head><meta name="viewport" content="width=device-width, initial-scale=1"></head>\\
                    <body><label>Search <input id="search"></label><script>document.getElementById('search').focus()</script>\\
                    <script src="/widget.js" data-widget="demo" data-open="true"></script></body></html>`);
                    document.close();
                    return true;
                    """)
                try await waitForBubble(driver, containing: "I'm Ada")
                #expect(try await driver.run("return \(root).querySelector('.panel').getAttribute('aria-modal')") as? String == "true")
                #expect(try await driver.run("return document.activeElement?.id ?? null") as? String == "search")
                try await driver.open("\(baton.http)/#baton-open")
                try await waitForBubble(driver, containing: "I'm Ada")
                try await driver.wait(for: "the messages focused", "return \(root).activeElement?.classList.contains('log') === true")
            }
        }
    }

    /// The demo page on a phone, upright and sideways: its top is on the screen and its end
    /// can be scrolled to (centred in a body as high as the window, its top was cut off,
    /// out of reach).
    @Test func theDemoPageFitsAPhone() async throws {
        try await LiveBaton.run { baton in
            for (width, height) in [(375, 667), (667, 375)] {
                try await WebDriver.with(width: width, height: height, phone: true) { driver in
                    try await driver.open("\(baton.http)/")
                    try await driver.wait(for: "the launcher", "return \(root)?.querySelector('.launcher')")
                    let top = try await driver.run("return document.querySelector('.mark').getBoundingClientRect().top + scrollY") as? Double
                    #expect((top ?? -1) >= 0, "\(width)×\(height): the top at \(String(describing: top))")
                    let end = try await driver.run("""
                        scrollTo(0, document.documentElement.scrollHeight);
                        return document.querySelector('footer').getBoundingClientRect().bottom <= innerHeight;
                        """) as? Bool
                    #expect(end == true, "\(width)×\(height)")
                }
            }
        }
    }

    /// The pages Baton serves ask for no icon that is not there (a 404 in the console).
    @Test func noPageAsksForAMissingIcon() async throws {
        try await LiveBaton.run { baton in
            try await WebDriver.with(width: 1280, height: 800) { driver in
                for page in ["/", "/preview/demo"] {
                    try await driver.open("\(baton.http)\(page)")
                    try await driver.wait(for: "the launcher", "return \(root)?.querySelector('.launcher')")
                    try await Task.sleep(for: .milliseconds(500))
                    let failed = try await driver.consoleLines().filter { $0.level == "SEVERE" }.map(\.text)
                    #expect(failed == [], "\(page): \(failed)")
                }
            }
        }
    }

    /// Reloaded mid-chat, the widget makes no sound device before the visitor's first gesture:
    /// a Tab or the start of a touch is none, and one made then could not start (the
    /// browser said so in the console). A click is one.
    @Test func theChimeWaitsForAGesture() async throws {
        try await LiveBaton.run { baton in
            try await WebDriver.with(width: 1280, height: 800) { driver in
                try await driver.open("\(baton.http)/#baton-open")
                try await waitForBubble(driver, containing: "I'm Ada")
                try await driver.open("\(baton.http)/")
                try await waitForBubble(driver, containing: "I'm Ada")
                _ = try await driver.run("""
                    window.__made = 0;
                    window.AudioContext = class { constructor() { window.__made++; this.state = 'running'; } resume() {} };
                    const panel = \(root).querySelector('.panel');
                    panel.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true, composed: true, pointerType: 'touch' }));
                    panel.dispatchEvent(new KeyboardEvent('keydown', { key: 'Tab', bubbles: true, composed: true }));
                    return true;
                    """)
                #expect(try await driver.run("return navigator.userActivation.hasBeenActive") as? Bool == false)
                #expect(try await driver.run("return window.__made") as? Int == 0)
                try await driver.click(try await driver.element("return \(root).querySelector('.log')"))
                try await driver.wait(for: "the sound made", "return window.__made === 1")
            }
        }
    }

    @Test func textFromTheServerIsNeverHTML() async throws {
        try await LiveBaton.run { baton in
            let now = Millis.now()
            try await baton.services.bots.save(Widget(key: "xss", name: "XSS", botSource: """
                name: "<b>Bot</b>"
                greeting: "<img src=x onerror=\\"window.pwned=1\\"><script>window.pwned=2</script> & friends"
                """, createdAt: now, updatedAt: now))
            try await WebDriver.with { driver in
                try await driver.open("\(baton.http)/preview/xss")
                try await waitForBubble(driver, containing: "<img src=x")
                #expect(try await driver.run("return window.pwned === undefined") as? Bool == true)
                #expect(try await driver.run("return \(root).querySelectorAll('.log img, .log script, .log b').length") as? Int == 0)
                let name = try await driver.run("return \(root).querySelector('.log .name').textContent") as? String
                #expect(name == "<b>Bot</b>")
            }
        }
    }

    /// Agents write Mattermost's Markdown: the visitor sees its bold, italics, code and
    /// links (http, https and mailto only; in a new tab), never markup or a script link; a
    /// visitor's own text gets its addresses linked and nothing else. The saved chat keeps
    /// the text as written.
    @Test func agentsFormattingAndLinksShow() async throws {
        try await LiveBaton.run { baton in
            try await WebDriver.with(width: 1280, height: 800) { driver in
                try await driver.open("\(baton.http)/#baton-open")
                try await waitForBubble(driver, containing: "I'm Ada")
                try await send(driver, "my order is at https://shop.example/orders/42, **urgent**")
                try await driver.wait(for: "the message stored", "return !\(root).querySelector('.row.pending') && \(root).querySelectorAll('.row.visitor').length === 1")
                let conversation = try #require(try await baton.services.store.conversations(ConversationFilter(widgetKey: "demo", limit: 1)).first)
                let text = "**Thanks!** See [our _returns_ page](https://shop.example/returns) or https://shop.example/faq. "
                    + "Type `reset` and ~~wait~~ *retry*; mail help@shop.example or mailto:help@shop.example.\n"
                    + "<b>not html</b> [bad](javascript:alert(1)) \\*not italic\\* snake_case_name 2*3*4 _[tracking](https://shop.example/t)_\n"
                    + "[https://shop.example/x](https://shop.example/x)\n"
                    + "[wiki](https://w.example/Swift_(lang)) (https://w.example/C_(lang))"
                try await baton.services.chat.agentMessage(conversation.conversation.id, name: "Alice Archer", text: text,
                                                           files: [], externalID: "post-1")
                try await waitForBubble(driver, containing: "Thanks!")
                let agent = "Array.from(\(root).querySelectorAll('.row.them .bubble')).pop()"
                let found = try await driver.run("""
                    const b = \(agent);
                    return {
                      strong: Array.from(b.querySelectorAll('strong')).map(e => e.textContent),
                      em: Array.from(b.querySelectorAll('em')).map(e => e.textContent),
                      code: Array.from(b.querySelectorAll('code')).map(e => e.textContent),
                      del: Array.from(b.querySelectorAll('del')).map(e => e.textContent),
                      links: Array.from(b.querySelectorAll('a')).map(a => [a.textContent, a.getAttribute('href'), a.target, a.rel]),
                      other: b.querySelectorAll('b, script, img').length,
                      text: b.textContent,
                    };
                    """) as? [String: Any] ?? [:]
                #expect(found["strong"] as? [String] == ["Thanks!"])
                #expect(found["em"] as? [String] == ["returns", "retry", "tracking"])
                #expect(found["code"] as? [String] == ["reset"])
                #expect(found["del"] as? [String] == ["wait"])
                let links = found["links"] as? [[String]] ?? []
                // A link's label holds no link of its own.
                // Parentheses in pairs are the address's; the one that closes the sentence's is not.
                #expect(links.map { $0[0] } == ["our returns page", "https://shop.example/faq", "help@shop.example", "mailto:help@shop.example",
                                                "tracking", "https://shop.example/x", "wiki", "https://w.example/C_(lang)"])
                #expect(links.map { $0[1] } == ["https://shop.example/returns", "https://shop.example/faq", "mailto:help@shop.example",
                                                "mailto:help@shop.example", "https://shop.example/t", "https://shop.example/x",
                                                "https://w.example/Swift_(lang)", "https://w.example/C_(lang)"])
                #expect(links.map { $0[2] } == ["_blank", "_blank", "", "", "_blank", "_blank", "_blank", "_blank"])
                #expect(try await driver.run("return \(agent).querySelectorAll('a a').length") as? Int == 0)
                #expect(links.allSatisfy { $0[3] == "noopener noreferrer nofollow ugc" })
                #expect(found["other"] as? Int == 0)
                let shown = found["text"] as? String ?? ""
                #expect(shown.contains("<b>not html</b> [bad](javascript:alert(1)) *not italic* snake_case_name 2*3*4"), "\(shown)")
                // A fenced block keeps its lines, Markdown and addresses as they are (one left
                // open runs to the end); a link's title is left out; an address in brackets.
                let blocks = "Try this:\n```bash\ncurl https://shop.example/api\n  **not bold**\n```\n"
                    + "then [Docs](https://shop.example/docs \"the docs\") or <https://shop.example/help>.\n```\nunclosed"
                try await baton.services.chat.agentMessage(conversation.conversation.id, name: "Alice Archer", text: blocks,
                                                           files: [], externalID: "post-blocks")
                try await waitForBubble(driver, containing: "Try this")
                let second = try await driver.run("""
                    const b = \(agent);
                    return {
                      pre: Array.from(b.querySelectorAll('pre.code-block > code')).map(e => e.textContent),
                      links: Array.from(b.querySelectorAll('a')).map(a => [a.textContent, a.getAttribute('href')]),
                      strong: b.querySelectorAll('strong').length,
                      text: b.textContent,
                    };
                    """) as? [String: Any] ?? [:]
                #expect(second["pre"] as? [String] == ["curl https://shop.example/api\n  **not bold**", "unclosed"])
                #expect(second["links"] as? [[String]] == [["Docs", "https://shop.example/docs"],
                                                           ["https://shop.example/help", "https://shop.example/help"]])
                #expect(second["strong"] as? Int == 0)
                #expect((second["text"] as? String)?.contains("Try this:curl") == true && (second["text"] as? String)?.contains("then Docs or https://shop.example/help.") == true,
                        "\(second)")
                // Other scripts: an address with letters beyond ASCII is linked whole (the
                // link began after the last of them: mailto:ller@firma.de); an address ends
                // at CJK and Arabic punctuation; a star or underscore inside a word of any
                // script is no emphasis.
                let scripts = "jürgen.müller@firma.de, 山田@例え.jp; 詳しくは https://example.com/help。または（https://example.com/faq）を、"
                    + "راجع https://example.com/ar، شكرا. ファイル名_注文_2024.pdf λέξη_με_κάτω Ä*ö*ü"
                try await baton.services.chat.agentMessage(conversation.conversation.id, name: "Alice Archer", text: scripts,
                                                           files: [], externalID: "post-scripts")
                try await waitForBubble(driver, containing: "jürgen")
                let third = try await driver.run("""
                    const b = \(agent);
                    return {
                      links: Array.from(b.querySelectorAll('a')).map(a => [a.textContent, decodeURI(a.getAttribute('href'))]),
                      em: b.querySelectorAll('em').length,
                      text: b.textContent,
                    };
                    """) as? [String: Any] ?? [:]
                #expect(third["links"] as? [[String]] == [["jürgen.müller@firma.de", "mailto:jürgen.müller@firma.de"], ["山田@例え.jp", "mailto:山田@例え.jp"],
                                                          ["https://example.com/help", "https://example.com/help"],
                                                          ["https://example.com/faq", "https://example.com/faq"],
                                                          ["https://example.com/ar", "https://example.com/ar"]], "\(third)")
                #expect(third["em"] as? Int == 0, "\(third)")
                #expect(third["text"] as? String == scripts, "\(third)")
                // The visitor's own message: the address linked, the stars as typed.
                let mine = try await driver.run("""
                    const b = Array.from(\(root).querySelectorAll('.row.visitor .bubble')).pop();
                    return [Array.from(b.querySelectorAll('a')).map(a => a.href), b.querySelectorAll('strong').length, b.textContent];
                    """) as? [Any] ?? []
                #expect(mine.first as? [String] == ["https://shop.example/orders/42"])
                #expect(mine.dropFirst().first as? Int == 0)
                #expect(mine.last as? String == "my order is at https://shop.example/orders/42, **urgent**")
                // The saved chat has the agent's text as written.
                _ = try await driver.run("const r = \(root); r.querySelector('.save').hidden = false; return true")
                let saved = try await driver.run("""
                    return (async () => {
                      const made = new Promise((resolve) => {
                        const original = URL.createObjectURL;
                        URL.createObjectURL = (blob) => { blob.text().then(resolve); URL.createObjectURL = original; return original(blob); };
                      });
                      \(root).querySelector('.save').click();
                      return await made;
                    })();
                    """) as? String ?? ""
                #expect(saved.contains("  **Thanks!** See [our _returns_ page](https://shop.example/returns)"), "\(saved)")
                // Right-to-left text reads right to left in its bubble, the rest left to right.
                try await baton.services.chat.agentMessage(conversation.conversation.id, name: "נועה", text: "שלום! איך אפשר לעזור?",
                                                           files: [], externalID: "post-2")
                try await waitForBubble(driver, containing: "שלום!")
                let directions = try await driver.run("""
                    return Array.from(\(root).querySelectorAll('.row.them .bubble')).slice(-2).map(b => getComputedStyle(b).direction);
                    """) as? [String]
                #expect(directions == ["ltr", "rtl"])
                try await driver.screenshot("widget-agent-formatting")
                try await expectAccessible(driver, "an agent's formatted message")
            }
        }
    }

    /// An agent answers while the visitor is on another tab: the page's title alternates
    /// with "Alice Archer wrote" (then "(2) …") and a chime plays; back on the page, the
    /// title is the page's own again.
    @Test func aReplyWhileAwayFlashesTheTitleAndChimes() async throws {
        try await LiveBaton.run { baton in
            try await WebDriver.with(width: 1280, height: 800) { driver in
                try await driver.open("\(baton.http)/#baton-open")
                try await waitForBubble(driver, containing: "I'm Ada")
                // A recording stand-in for the browser's audio, in place before the visitor's
                // first gesture (typing), which makes the audio context.
                _ = try await driver.run("""
                    window.__tones = 0;
                    window.AudioContext = class {
                      constructor() { this.state = 'running'; this.currentTime = 0; this.destination = {}; }
                      resume() {}
                      createOscillator() { return { frequency: {}, connect: (g) => g, start: () => { window.__tones++; }, stop() {} }; }
                      createGain() { return { gain: { setValueAtTime() {}, exponentialRampToValueAtTime() {} }, connect: (d) => d }; }
                    };
                    return true;
                    """)
                try await send(driver, "hello")
                try await waitForBubble(driver, containing: "Hello! What can I do for you?")
                let title = try await driver.run("return document.title") as? String ?? ""
                #expect(try await driver.run("return window.__tones") as? Int == 0, "no chime for the bot, nor while the page is seen")
                // The visitor goes to another tab.
                _ = try await driver.run("""
                    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
                    document.dispatchEvent(new Event('visibilitychange'));
                    window.__titles = new Set();
                    new MutationObserver(() => window.__titles.add(document.title)).observe(document.querySelector('title'), { childList: true, characterData: true, subtree: true });
                    return true;
                    """)
                let conversation = try #require(try await baton.services.store.conversations(ConversationFilter(widgetKey: "demo", limit: 1)).first)
                try await baton.services.chat.agentMessage(conversation.conversation.id, name: "Alice Archer", text: "Hi! Sorry for the wait.",
                                                           files: [], externalID: "post-1")
                try await driver.wait(for: "the title to name Alice", "return window.__titles.has('Alice Archer wrote')")
                #expect(try await driver.run("return window.__tones") as? Int == 2, "one chime of two tones")
                try await driver.wait(for: "the page's own title in between", "return document.title === \(jsonString(title))", seconds: 4)
                try await baton.services.chat.agentMessage(conversation.conversation.id, name: "Alice Archer", text: "Are you still there?",
                                                           files: [], externalID: "post-2")
                try await driver.wait(for: "the count in the title", "return window.__titles.has('(2) Alice Archer wrote')")
                // Back on the page: the page's title stays.
                _ = try await driver.run("""
                    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
                    document.dispatchEvent(new Event('visibilitychange'));
                    return true;
                    """)
                #expect(try await driver.run("return document.title") as? String == title)
                try await Task.sleep(for: .seconds(2))
                #expect(try await driver.run("return document.title") as? String == title)
            }
        }
    }

    /// A site with a strict Content Security Policy (no inline styles) that enforces Trusted
    /// Types, allowing the policy `baton-chat`: the widget is styled and works (its styles
    /// go in through the CSS object model, its constant markup through the policy).
    @Test func aStrictContentSecurityPolicyStillShowsAStyledWidget() async throws {
        try await LiveBaton.run { baton in
            let now = Millis.now()
            try await baton.services.bots.save(Widget(key: "second", name: "Second", botSource: "name: Second\ngreeting: Hi from the second\n",
                                                      createdAt: now, updatedAt: now))
            try await WebDriver.with { driver in
                try await driver.open("\(baton.http)/nothing")
                _ = try await driver.run("""
                    document.open();
                    document.write(`<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'self'; \\
                    style-src 'self'; require-trusted-types-for 'script'; trusted-types baton-chat"></head><body><h1>Shop</h1>\\
                    <script src="/widget.js" data-widget="demo" data-open="true"></script>\\
                    <script src="/widget.js" data-widget="second"></script></body></html>`);
                    document.close();
                    return true;
                    """)
                try await waitForBubble(driver, containing: "I'm Ada")
                // The page does enforce both: inline styles and plain HTML strings are refused.
                #expect(try await driver.run("""
                    try { document.body.insertAdjacentHTML('beforeend', '<b>x</b>'); return 'accepted'; } catch (e) { return 'refused'; }
                    """) as? String == "refused")
                #expect(try await driver.run("""
                    const s = document.createElement('style'); s.textContent = 'h1 { color: rgb(255, 0, 0) }'; document.head.append(s);
                    return getComputedStyle(document.querySelector('h1')).color;
                    """) as? String != "rgb(255, 0, 0)")
                let styled = try await driver.run("""
                    const r = \(root);
                    return [getComputedStyle(r.querySelector('.panel')).position, getComputedStyle(r.querySelector('.launcher')).width,
                            getComputedStyle(document.querySelector('baton-chat')).display];
                    """) as? [String]
                #expect(styled == ["fixed", "56px", "inline"], "\(String(describing: styled))")
                // A second widget on the page shares the policy (a name is made only once).
                try await driver.wait(for: "the second widget", """
                    const hosts = document.querySelectorAll('baton-chat');
                    return hosts.length === 2 && !!hosts[1].shadowRoot?.querySelector('.launcher')
                      && getComputedStyle(hosts[1].shadowRoot.querySelector('.launcher')).width === '56px';
                    """)
                try await send(driver, "hello")
                try await waitForBubble(driver, containing: "Hello! What can I do for you?")
            }
        }
    }

    /// Sites whose body carries the widget away or takes it out: a body with a transform and
    /// a filter (which make `position: fixed` relative to the body: the launcher was off the
    /// screen), a body swapped for the next page's (Turbo, pjax: the widget was gone, its
    /// socket still open), the whole page's content replaced. Two widgets on one page sit
    /// side by side, each in its own colour from the start (a new visitor's launcher was the
    /// default blue until the chat opened).
    @Test func aBodyThatMovesOrGoesLeavesTheWidgetInPlace() async throws {
        try await LiveBaton.run { baton in
            let now = Millis.now()
            var settings = WidgetSettings()
            settings.color = "#c2255c"
            settings.title = "Sales team"
            try await baton.services.bots.save(Widget(key: "second", name: "Second", botSource: "name: Second\ngreeting: Hi from sales\n",
                                                      settings: settings, createdAt: now, updatedAt: now))
            try await WebDriver.with(width: 1280, height: 800) { driver in
                try await driver.open("\(baton.http)/nothing")
                _ = try await driver.run("""
                    localStorage.clear();
                    document.open();
                    document.write(`<!doctype html><html><head><style>body { transform: scale(1.5); transform-origin: 0 0; \\
                    filter: grayscale(1); will-change: transform }</style></head><body><h1>Shop</h1>\\
                    <script src="/widget.js" data-widget="demo"></script><script src="/widget.js" data-widget="second"></script></body></html>`);
                    document.close();
                    return true;
                    """)
                let launchers = """
                    const hosts = [...document.querySelectorAll('baton-chat')];
                    return hosts.map((h) => {
                      const l = h.shadowRoot.querySelector('.launcher'), b = l.getBoundingClientRect();
                      const x = b.left + b.width / 2, y = b.top + b.height / 2;
                      return { onScreen: b.left >= 0 && b.top >= 0 && b.right <= innerWidth && b.bottom <= innerHeight,
                               onTop: document.elementFromPoint(x, y) === h, left: Math.round(b.left), right: Math.round(b.right),
                               colour: getComputedStyle(l).backgroundColor, title: h.shadowRoot.querySelector('.title').textContent,
                               shown: getComputedStyle(h).visibility === 'visible' };
                    });
                    """
                try await driver.wait(for: "both widgets shown", "const w = (() => { \(launchers) })(); return w.length === 2 && w.every((x) => x.shown)")
                func check(_ when: String) async throws {
                    let found = try #require(try await driver.run(launchers) as? [[String: Any]], "\(when)")
                    #expect(found.count == 2, "\(when)")
                    #expect(found.allSatisfy { $0["onScreen"] as? Bool == true && $0["onTop"] as? Bool == true }, "\(when): \(found)")
                    #expect(found.map { $0["colour"] as? String } == ["rgb(59, 91, 219)", "rgb(194, 37, 92)"], "\(when): \(found)")
                    #expect(found.last?["title"] as? String == "Sales team", "\(when): \(found)")
                    // Side by side, not one on top of the other.
                    #expect((found.last?["right"] as? Int ?? .max) < (found.first?["left"] as? Int ?? 0), "\(when): \(found)")
                }
                try await check("on a transformed body")
                try await driver.screenshot("widget-transformed-body")
                // The next page's body in place of this one's, as Turbo does; then all of it.
                _ = try await driver.run("document.documentElement.replaceChild(document.createElement('body'), document.body)")
                try await check("after the body was swapped")
                _ = try await driver.run("document.documentElement.innerHTML = '<head></head><body><p>All new</p></body>'")
                try await driver.wait(for: "the widgets back", "return document.querySelectorAll('baton-chat').length === 2")
                try await check("after the page's content was replaced")
                _ = try await driver.run("document.replaceChild(document.createElement('html'), document.documentElement)")
                try await driver.wait(for: "the widgets back in the new root", "return document.querySelectorAll('baton-chat').length === 2")
                try await driver.click(try await driver.element("return \(root).querySelector('.launcher')"))
                try await waitForBubble(driver, containing: "I'm Ada")
                try await send(driver, "hello")
                try await waitForBubble(driver, containing: "Hello! What can I do for you?")
                // One chat open at a time: the second's closes the first's.
                #expect(try await driver.run("return document.querySelectorAll('baton-chat')[1].shadowRoot.querySelector('.launcher').getAttribute('aria-label')")
                    as? String == "Open chat: Sales team")
                try await driver.click(try await driver.element("return document.querySelectorAll('baton-chat')[1].shadowRoot.querySelector('.launcher')"))
                try await driver.wait(for: "the first chat closed", """
                    const [a, b] = [...document.querySelectorAll('baton-chat')].map((h) => h.shadowRoot.querySelector('.panel').hidden);
                    return a === true && b === false;
                    """)
                // On a phone the open chat fills the screen: the other launcher is not drawn over it.
                try await driver.setWindow(width: 360, height: 700)
                try await driver.wait(for: "the other launcher hidden", """
                    return getComputedStyle(\(root).querySelector('.launcher')).display === 'none';
                    """)
            }
        }
    }

    /// Several widgets are in the page in the order of their tags (and so of their places),
    /// whichever script ran first: Tab goes from one to the next as they were put.
    @Test func severalWidgetsAreInTheOrderOfTheirTags() async throws {
        try await LiveBaton.run { baton in
            let now = Millis.now()
            try await baton.services.bots.save(Widget(key: "second", name: "Second", botSource: "name: Second\ngreeting: Hi from sales\n",
                                                      createdAt: now, updatedAt: now))
            try await WebDriver.with(width: 1280, height: 800) { driver in
                try await driver.open("\(baton.http)/nothing")
                // The first tag's script runs last (here: it is only added once the second's ran).
                _ = try await driver.run("""
                    localStorage.clear();
                    document.body.innerHTML = '<h1>Shop</h1>';
                    const tag = (key, type) => Object.assign(document.createElement('script'), { src: '/widget.js', type: type || '' });
                    const first = tag('demo', 'text/plain'); first.dataset.widget = 'demo';
                    const second = tag('second'); second.dataset.widget = 'second';
                    document.body.append(first, second);
                    return true;
                    """)
                try await driver.wait(for: "the second widget", "return document.querySelectorAll('baton-chat').length === 1")
                _ = try await driver.run("""
                    const late = Object.assign(document.createElement('script'), { src: '/widget.js' });
                    late.dataset.widget = 'demo';
                    document.body.append(late);
                    return true;
                    """)
                try await driver.wait(for: "both widgets", "return document.querySelectorAll('baton-chat').length === 2")
                #expect(try await driver.run("return [...document.querySelectorAll('baton-chat')].map((h) => h.getAttribute('data-baton-slot')).join()")
                    as? String == "0,1")
                // Both ask to open at load: the first tag's chat is the one open, though the
                // second's script ran after it (which used to close it).
                try await driver.open("\(baton.http)/nothing")
                let add = { (key: String) in """
                    const s = Object.assign(document.createElement('script'), { src: '/widget.js' });
                    s.dataset.widget = '\(key)'; s.dataset.open = 'true';
                    document.body.append(s);
                    return true;
                    """ }
                _ = try await driver.run("localStorage.clear(); sessionStorage.clear(); document.body.innerHTML = '<h1>Shop</h1>'; return true")
                _ = try await driver.run(add("demo"))
                try await driver.wait(for: "the first chat open", "return \(root)?.querySelector('.panel')?.hidden === false")
                _ = try await driver.run(add("second"))
                try await driver.wait(for: "the second widget", "return document.querySelectorAll('baton-chat').length === 2 && getComputedStyle(document.querySelectorAll('baton-chat')[1]).visibility === 'visible'")
                try await Task.sleep(for: .milliseconds(500))
                let panelsHidden = "return [...document.querySelectorAll('baton-chat')].map((h) => h.shadowRoot.querySelector('.panel').hidden).join()"
                #expect(try await driver.run(panelsHidden) as? String == "false,true")
                // The visitor opens the second's chat; after a reload it is that one open,
                // whatever the page asks.
                try await driver.click(try await driver.element("return document.querySelectorAll('baton-chat')[1].shadowRoot.querySelector('.launcher')"))
                try await driver.wait(for: "the second chat open", "return document.querySelectorAll('baton-chat')[1].shadowRoot.querySelector('.panel').hidden === false")
                try await driver.open("\(baton.http)/nothing")
                _ = try await driver.run("document.body.innerHTML = '<h1>Shop</h1>'; return true")
                _ = try await driver.run(add("demo"))
                try await driver.wait(for: "the first widget", "return \(root)?.querySelector('.launcher') != null")
                _ = try await driver.run(add("second"))
                try await driver.wait(for: "the visitor's chat open again, the other closed", """
                    const hosts = [...document.querySelectorAll('baton-chat')];
                    return hosts.length === 2 && hosts[1].shadowRoot.querySelector('.panel').hidden === false
                      && hosts[0].shadowRoot.querySelector('.panel').hidden === true;
                    """)
            }
        }
    }

    /// The widget leaves the page as it found it: on a phone, the chat that fills the screen
    /// keeps the page's scroll position, whether the window or the body scrolls (a body
    /// that scrolls went back to the top); Escape with the page's own popover open closes
    /// that popover only, and the chat on the next Escape.
    @Test func theWidgetLeavesThePageAsItFoundIt() async throws {
        try await LiveBaton.run { baton in
            try await WebDriver.with(width: 390, height: 844, phone: true) { driver in
                for bodyScrolls in [false, true] {
                    try await driver.open("\(baton.http)/dashboard/")
                    _ = try await driver.run("""
                        localStorage.clear();
                        // (The dashboard's Content-Security-Policy takes no style attribute: styles are set by script.)
                        document.querySelectorAll('link[rel=stylesheet], style').forEach((e) => e.remove());
                        if (\(bodyScrolls)) {
                          // The body's overflow is the window's (CSS propagates it) until the root's own is set.
                          Object.assign(document.documentElement.style, { height: '100%' });
                          Object.assign(document.body.style, { height: '100%', overflow: 'auto', margin: '0' });
                        }
                        document.body.innerHTML = '<div>A long page</div>';
                        Object.assign(document.body.firstElementChild.style, { height: '6000px', background: 'linear-gradient(#fff, #89a)' });
                        const script = document.createElement('script');
                        script.src = '/widget.js';
                        script.dataset.widget = 'demo';
                        document.body.append(script);
                        """)
                    try await driver.wait(for: "the launcher", "return \(root)?.querySelector('.launcher')")
                    let scroller = "window.scrollY"
                    _ = try await driver.run("window.scrollTo(0, 1500); return true")
                    #expect(try await driver.run("return \(scroller)") as? Int == 1500)
                    try await driver.run("\(root).querySelector('.launcher').click()")
                    try await waitForBubble(driver, containing: "I'm Ada")
                    #expect(try await driver.run("return document.documentElement.style.overflow") as? String == "hidden")
                    try await driver.run("\(root).querySelector('.close').click()")
                    try await driver.wait(for: "the page's own overflow back", "return document.documentElement.style.overflow === ''")
                    #expect(try await driver.run("return \(scroller)") as? Int == 1500, "the body scrolls: \(bodyScrolls)")
                }
            }
            try await WebDriver.with(width: 1280, height: 800) { driver in
                try await driver.open("\(baton.http)/#baton-open")
                try await waitForBubble(driver, containing: "I'm Ada")
                _ = try await driver.run("""
                    document.body.insertAdjacentHTML('beforeend', '<div id="menu" popover>The page’s menu</div>');
                    document.getElementById('menu').showPopover();
                    return true
                    """)
                let textBox = try await driver.element("return \(root).querySelector('textarea')")
                try await driver.run("\(root).querySelector('textarea').focus()")
                try await driver.type("\u{E00C}", into: textBox)
                try await driver.wait(for: "the page's menu closed", "return !document.getElementById('menu').matches(':popover-open')")
                #expect(try await driver.run("return !!\(root).querySelector('textarea').checkVisibility()") as? Bool == true)
                try await driver.type("\u{E00C}", into: textBox)
                try await driver.wait(for: "the chat closed", "return !\(root).querySelector('textarea').checkVisibility()")
            }
        }
    }

    /// A right-to-left site with a header and a cookie banner at the highest z-index there
    /// is: the widget stays on top, its close button within reach, on a desktop and on a
    /// phone. On an Urdu page (a language the widget does not speak: its words are
    /// English) it keeps its left-to-right layout; on an Arabic page it speaks Arabic and is
    /// mirrored.
    /// Each message and button takes its own direction.
    @Test func aRightToLeftPageWithItsOwnTopLayerKeepsTheWidgetUsable() async throws {
        try await LiveBaton.run { baton in
            try await WebDriver.with(width: 1280, height: 800) { driver in
                for (width, height, language) in [(1280, 800, "ur"), (360, 700, "ur"), (1280, 800, "ar")] {
                    try await driver.setWindow(width: width, height: height)
                    try await driver.open("\(baton.http)/dashboard/")
                    _ = try await driver.run("""
                        localStorage.clear();
                        document.documentElement.dir = 'rtl';
                        document.documentElement.lang = '\(language)';
                        document.body.innerHTML = '<header style="position:fixed;inset:0 0 auto 0;height:80px;background:#222;z-index:2147483647">رأس</header>'
                          + '<div style="position:fixed;inset:auto 0 0 0;height:60px;background:#c00;z-index:2147483647">ملفات تعريف الارتباط</div>';
                        const script = document.createElement('script');
                        script.src = '/widget.js';
                        Object.assign(script.dataset, { widget: 'demo', open: 'true' });
                        document.body.append(script);
                        """)
                    try await waitForBubble(driver, containing: "I'm Ada")
                    try await waitForWidget(driver, speaking: language == "ar" ? "ar" : "en")
                    try await driver.wait(for: "the quick replies", "return \(root).querySelectorAll('.quick button').length > 0")
                    let layout = try await driver.run("""
                        const r = \(root), panel = r.querySelector('.panel').getBoundingClientRect();
                        const bubble = r.querySelector('.row.them .bubble').getBoundingClientRect();
                        const close = r.querySelector('.close').getBoundingClientRect();
                        const x = close.left + close.width / 2, y = close.top + close.height / 2;
                        const rtl = getComputedStyle(r.querySelector('.panel')).direction === 'rtl';
                        return [getComputedStyle(r.querySelector('.panel')).direction,
                                (bubble.left - panel.left < panel.right - bubble.right) !== rtl,
                                document.elementFromPoint(x, y) === document.querySelector('baton-chat') && r.elementFromPoint(x, y)?.closest('.close') !== null,
                                [...r.querySelectorAll('.quick button')].every((b) => b.dir === 'auto')];
                        """) as? [Any]
                    #expect(layout?.first as? String == (language == "ar" ? "rtl" : "ltr"), "\(width) \(language): \(String(describing: layout))")
                    #expect(layout?.dropFirst().allSatisfy { $0 as? Bool == true } == true, "\(width) \(language): \(String(describing: layout))")
                    try await driver.screenshot("widget-rtl-page-\(language)-\(width)")
                }
            }
        }
    }

    /// A snippet with data-page-title="off" names the page by its address alone: a title
    /// may name the signed-in user.
    @Test func thePageTitleCanBeLeftOut() async throws {
        try await LiveBaton.run { baton in
            try await WebDriver.with { driver in
                // A page of Baton's own origin without a widget (the dashboard's) is given one.
                try await driver.open("\(baton.http)/dashboard/")
                _ = try await driver.run("""
                    document.title = 'Grace Hopper · My account';
                    const script = document.createElement('script');
                    script.src = '/widget.js';
                    Object.assign(script.dataset, { widget: 'demo', pageTitle: 'off', open: 'true' });
                    document.body.append(script);
                    """)
                try await waitForBubble(driver, containing: "I'm Ada")
                let store = baton.services.store
                let visitor = try #require(try await store.conversations(ConversationFilter(widgetKey: "demo", limit: 1)).first?.conversation.visitorID)
                let deadline = ContinuousClock.now + .seconds(10)
                while try await store.visitor(id: visitor)?.page == nil, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(try await store.visitor(id: visitor)?.page == VisitedPage(stored: "\(baton.http)/dashboard/", title: ""))
            }
        }
    }

    /// The code of an emailed link followed on a page already open, where the widget sends
    /// the whole address (`data-page="full"`): it leaves the address bar, is never sent as
    /// the page, and, not known here, is said to have expired.
    @Test func anEmailedLinksCodeIsNeverSentAsThePage() async throws {
        try await LiveBaton.run { baton in
            try await WebDriver.with { driver in
                try await driver.open("\(baton.http)/dashboard/?from=mail")
                _ = try await driver.run("""
                    const script = document.createElement('script');
                    script.src = '/widget.js';
                    Object.assign(script.dataset, { widget: 'demo', page: 'full', open: 'true' });
                    document.body.append(script);
                    """)
                try await waitForBubble(driver, containing: "I'm Ada")
                _ = try await driver.run("""
                    window.sentFrames = [];
                    const send = WebSocket.prototype.send;
                    WebSocket.prototype.send = function (data) { window.widgetSocket = this; window.sentFrames.push(String(data)); return send.call(this, data); };
                    location.hash = 'baton-chat=demo:' + 'A'.repeat(43);
                    return true;
                    """)
                try await driver.wait(for: "the link said to have expired",
                                      "return \(root).querySelector('.log').textContent.includes('The link to your earlier chat has expired.')")
                #expect(try await driver.run("return location.href") as? String == "\(baton.http)/dashboard/?from=mail")
                try await waitForBubble(driver, containing: "I'm Ada")
                try await Task.sleep(for: .seconds(2.5))  // the widget looks at the address every 2 s
                let frames = try await driver.run("return window.sentFrames") as? [String] ?? []
                #expect(frames.contains { $0.contains("\"link\":\"AAAA") }, "\(frames)")
                #expect(!frames.contains { $0.contains("baton-chat") }, "\(frames)")
                let store = baton.services.store
                let visitor = try #require(try await store.conversations(ConversationFilter(widgetKey: "demo", limit: 1)).first?.conversation.visitorID)
                #expect(try await store.visitor(id: visitor)?.page?.url == "\(baton.http)/dashboard/?from=mail")
                #expect(try await store.conversations(ConversationFilter(widgetKey: "demo")).count == 1)
                // A page of another origin than this one's is not recorded (a script's word).
                _ = try await driver.run("""
                    window.widgetSocket.send(JSON.stringify({ type: 'page', url: 'https://evil.example/login', title: 'Sign in' }));
                    window.widgetSocket.send(JSON.stringify({ type: 'page', url: '\(baton.http)/dashboard/#later', title: 'Later' }));
                    return true;
                    """)
                let deadline = ContinuousClock.now + .seconds(10)
                while try await store.visitor(id: visitor)?.page?.title != "Later", ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(try await store.visitor(id: visitor)?.page?.title == "Later")
            }
        }
    }

    @Test func aReloadedPreviewResumesTheSameConversation() async throws {
        try await LiveBaton.run { baton in
            try await WebDriver.with { driver in
                for _ in 0..<3 {
                    try await driver.open("\(baton.http)/preview/demo")
                    try await waitForBubble(driver, containing: "I'm Ada")
                }
            }
            let conversations = try await baton.services.store.conversations(.init(widgetKey: "demo"))
            #expect(conversations.count == 1)
        }
    }

    /// `?new=1` (the dashboard's "New chat", and its preview after a bot is saved) starts
    /// as a new visitor, greeted anew: the old chat, with the bot's old greeting, went on.
    @Test func aPreviewOfANewVisitorStartsANewChat() async throws {
        try await LiveBaton.run { baton in
            try await WebDriver.with { driver in
                try await driver.open("\(baton.http)/preview/demo")
                try await waitForBubble(driver, containing: "I'm Ada")
                try await send(driver, "first try")
                try await waitForBubble(driver, containing: "Sorry, I didn't get that")
                let before = try await driver.run("return JSON.parse(localStorage.getItem('baton:demo') || '{}').token") as? String
                try await driver.open("\(baton.http)/preview/demo?new=1")
                try await waitForBubble(driver, containing: "I'm Ada")
                #expect(try await driver.run("return \(bubbles).some(t => t.includes('first try'))") as? Bool == false)
                let after = try await driver.run("return JSON.parse(localStorage.getItem('baton:demo') || '{}').token") as? String
                #expect(before != nil && after != nil && before != after)
            }
            let conversations = try await baton.services.store.conversations(.init(widgetKey: "demo"))
            #expect(conversations.count == 2)
        }
    }

    @Test func aSignedInUserIsRecognisedAndSigningOutHidesTheirChat() async throws {
        try await AdminAPITests.withAdmin { baton, admin in
            let secret = try #require(try await admin.send("POST", "/api/v1/bots/demo/identity-secret").json["secret"] as? String)
            let hash = IdentityVerificationTests.sign("u-1", with: secret)
            try await WebDriver.with { driver in
                try await driver.open("\(baton.http)/preview/demo")
                try await waitForBubble(driver, containing: "I'm Ada")
                try await send(driver, "asked before signing in")
                try await waitForBubble(driver, containing: "Sorry, I didn't get that")
                // The page signs the user in: the same chat goes on, as the user's.
                _ = try await driver.run("BatonChat.identify({id: 'u-1', hash: arguments[0], name: 'Ada Lovelace'})", [hash])
                try await driver.wait(for: "the signed-in welcome", "return JSON.parse(localStorage.getItem('baton:demo') || '{}').signedIn === true")
                try await waitForBubble(driver, containing: "asked before signing in")
                #expect(try await baton.services.store.visitor(widgetKey: "demo", externalID: "u-1")?.name == "Ada Lovelace")
                // Signed out: nothing of that chat stays on the page or in the browser.
                _ = try await driver.run("BatonChat.logout()")
                try await driver.wait(for: "a new anonymous chat",
                                      "return \(bubbles).length == 1 && \(bubbles)[0].includes(\"I'm Ada\") && JSON.parse(localStorage.getItem('baton:demo') || '{}').token")
                // Signed in again (another device would do the same): the chat is back.
                _ = try await driver.run("BatonChat.identify({id: 'u-1', hash: arguments[0]})", [hash])
                try await waitForBubble(driver, containing: "asked before signing in")
                // A page that signs wrongly gets a clear refusal, not someone's chat.
                _ = try await driver.run("BatonChat.identify({id: 'u-2', hash: arguments[0]})", [hash])
                try await driver.wait(for: "the refusal", "return \(root).querySelector('.log').innerText.includes('could not confirm who you are')")
                #expect(try await driver.run("return \(bubbles).some(t => t.includes('asked before signing in'))") as? Bool == false)
                try await driver.screenshot("widget-identity-refused")
                // Signed in properly afterwards, the chat works again.
                _ = try await driver.run("BatonChat.identify({id: 'u-1', hash: arguments[0]})", [hash])
                try await waitForBubble(driver, containing: "asked before signing in")
                #expect(try await driver.run("return \(root).querySelector('.log').innerText.includes('could not confirm')") as? Bool == false)
                #expect(try await driver.run("return \(root).querySelector('textarea').disabled") as? Bool == false)
            }
        }
    }

    @Test func keyboardOnly() async throws {
        try await LiveBaton.run { baton in
            try await WebDriver.with { driver in
                try await driver.open("\(baton.http)/")
                try await driver.wait(for: "the launcher", "return \(root)?.querySelector('.launcher')")
                // Focus the launcher, press Enter: the panel opens with the input focused.
                let launcher = try await driver.element("return \(root).querySelector('.launcher')")
                try await driver.type("\u{E007}", into: launcher)
                try await waitForBubble(driver, containing: "I'm Ada")
                try await driver.wait(for: "the input to have focus", "return \(root).activeElement?.tagName === 'TEXTAREA'")
                #expect(try await driver.run("return \(root).querySelector('.log').getAttribute('role')") as? String == "log")
                #expect(try await driver.run("return \(root).querySelector('.log').getAttribute('aria-live')") as? String == "polite")
                // Beside the page, not over it: not modal, and Tab goes on to the page.
                #expect(try await driver.run("return \(root).querySelector('.panel').getAttribute('aria-modal')") as? String == "false")
                // Left open, it is open on the next page (here the same one, reloaded).
                try await driver.open("\(baton.http)/")
                try await driver.wait(for: "the panel open after the reload", "return \(root) && !\(root).querySelector('.panel').hidden")
                // Escape closes it and gives the focus back to the launcher.
                try await driver.type("\u{E00C}", into: try await driver.element("return \(root).querySelector('textarea')"))
                try await driver.wait(for: "the panel to close", "return \(root).querySelector('.panel').hidden")
                #expect(try await driver.run("return \(root).activeElement?.classList.contains('launcher')") as? Bool == true)
                // Closed, it stays closed on the next page.
                try await driver.open("\(baton.http)/")
                try await driver.wait(for: "the launcher", "return \(root)?.querySelector('.launcher')")
                try await Task.sleep(for: .milliseconds(500))
                #expect(try await driver.run("return \(root).querySelector('.panel').hidden") as? Bool == true)
            }
        }
    }
    /// Away for more than a week (holidays): the header names the day by its date, as a
    /// weekday alone ("back Mon") reads as the coming one.
    @Test func awayForWeeksTheHeaderSaysTheDate() async throws {
        try await LiveBaton.run { baton in
            var demo = try #require(try await baton.services.bots.widget(forKey: "demo")).widget
            var utc = Calendar(identifier: .gregorian)
            utc.timeZone = TimeZone(identifier: "UTC")!
            let days = (0..<10).compactMap { utc.date(byAdding: .day, value: $0, to: Date()) }
            let closed = days.map { ISO8601DateFormatter.string(from: $0, timeZone: utc.timeZone, formatOptions: [.withFullDate]) }
            demo.settings.workingHours = WorkingHours(timeZone: "UTC", days: Array(repeating: [.init(from: 0, to: 1440)], count: 7), closedDates: closed)
            _ = try await baton.services.bots.save(demo)
            let back = try #require(utc.date(byAdding: .day, value: 10, to: utc.startOfDay(for: Date())))
            let month = back.formatted(Date.FormatStyle(timeZone: utc.timeZone).month(.abbreviated).locale(Locale(identifier: "en-US")))
            let day = utc.component(.day, from: back)
            try await WebDriver.with(width: 1280, height: 800) { driver in
                try await driver.open("\(baton.http)/#baton-open")
                try await waitForBubble(driver, containing: "I'm Ada")
                try await askTheDemoBotForAPerson(driver)
                // No agent side here: the bot's own words for that (the away message, with the
                // date, is the room's: WorkingHoursTests).
                try await waitForBubble(driver, containing: "Nobody is available right now")
                try await driver.wait(for: "the away status", "return \(root).querySelector('.status').textContent.startsWith('Away')")
                let status = try await driver.run("return \(root).querySelector('.status').textContent") as? String ?? ""
                #expect(status.contains(month) && status.contains("\(day)"), "\(status)")
                try await driver.screenshot("widget-away-for-weeks")
            }
        }
    }

    /// The hours close while the chat is open: the header says "Away" then, without a
    /// reconnect (it changed only with the next welcome).
    @Test func theHeaderFollowsTheHoursClosing() async throws {
        try await LiveBaton.run { baton in
            var utc = Calendar(identifier: .gregorian)
            utc.timeZone = TimeZone(identifier: "UTC")!
            let now = utc.dateComponents([.weekday, .hour, .minute, .second], from: Date())
            // Open today until the next minute (or the one after, to be handed over before),
            // tomorrow from 01:00 (so that a closing at midnight is one), other days all day.
            let closing = min(1440, now.hour! * 60 + now.minute! + (now.second! < 45 ? 1 : 2))
            var days = Array(repeating: [WorkingHours.Interval(from: 0, to: 1440)], count: 7)
            days[(now.weekday! + 5) % 7] = [.init(from: 0, to: closing)]
            days[(now.weekday! + 6) % 7] = [.init(from: 60, to: 1440)]
            var demo = try #require(try await baton.services.bots.widget(forKey: "demo")).widget
            demo.settings.workingHours = WorkingHours(timeZone: "UTC", days: days)
            _ = try await baton.services.bots.save(demo)
            try await WebDriver.with(width: 1280, height: 800) { driver in
                try await driver.open("\(baton.http)/#baton-open")
                try await waitForBubble(driver, containing: "I'm Ada")
                try await askTheDemoBotForAPerson(driver)
                try await driver.wait(for: "the waiting status", "return \(root).querySelector('.status').textContent.includes('Waiting')")
                try await driver.wait(for: "the away status once the hours close",
                                      "return \(root).querySelector('.status').textContent.startsWith('Away')", seconds: 150)
                let status = try await driver.run("return \(root).querySelector('.status').textContent") as? String ?? ""
                #expect(status.contains("back"), "\(status)")
            }
        }
    }

    /// Hours the admin sets while a chat is open reach its header at the widget's next
    /// frame (here the visitor's message; an idle widget's ping at the latest).
    @Test func theHeaderFollowsHoursChangedDuringTheChat() async throws {
        try await LiveBaton.run { baton in
            try await WebDriver.with(width: 1280, height: 800) { driver in
                try await driver.open("\(baton.http)/#baton-open")
                try await waitForBubble(driver, containing: "I'm Ada")
                try await askTheDemoBotForAPerson(driver)
                try await driver.wait(for: "the waiting status", "return \(root).querySelector('.status').textContent.includes('Waiting')")
                // Open one minute a week, at 03:00 on Mondays at the other end of the world:
                // closed now.
                var demo = try #require(try await baton.services.bots.widget(forKey: "demo")).widget
                var days = Array(repeating: [WorkingHours.Interval](), count: 7)
                days[0] = [.init(from: 180, to: 181)]
                demo.settings.workingHours = WorkingHours(timeZone: "Pacific/Kiritimati", days: days)
                _ = try await baton.services.bots.save(demo)
                try await send(driver, "are you there?")
                try await driver.wait(for: "the away status", "return \(root).querySelector('.status').textContent.startsWith('Away')")
                let status = try await driver.run("return \(root).querySelector('.status').textContent") as? String ?? ""
                #expect(status.contains("back"), "\(status)")
            }
        }
    }

    /// A site picks the widget's colour; whatever it picks, the text on it stays readable
    /// (light colours get dark text) and the audit passes: the launcher, the header, the
    /// quick replies and the visitor's own bubbles are in that colour.
    @Test func everyColourStaysReadable() async throws {
        try await LiveBaton.run { baton in
            try await WebDriver.with(width: 1280, height: 800) { driver in
                for color in ["#ffd43b", "#ff6b6b", "#868e96", "#12b886", "#000000", "#ffffff"] {
                    var demo = try #require(try await baton.services.bots.widget(forKey: "demo")).widget
                    demo.settings.color = color
                    _ = try await baton.services.bots.save(demo)
                    try await driver.open("\(baton.http)/#baton-open")
                    try await driver.run("localStorage.clear(); location.reload()")
                    try await waitForBubble(driver, containing: "I'm Ada")
                    try await driver.wait(for: "the quick replies", "return \(root).querySelectorAll('.quick button').length > 0")
                    let rgb = stride(from: 1, to: 7, by: 2).map { Int(color.dropFirst($0).prefix(2), radix: 16)! }
                    #expect(try await driver.run("return getComputedStyle(\(root).querySelector('.launcher')).backgroundColor") as? String
                        == "rgb(\(rgb.map(String.init).joined(separator: ", ")))")
                    try await expectAccessible(driver, "the greeting in \(color)")
                    try await send(driver, "what is baton?")
                    try await driver.wait(for: "the message stored", "return !\(root).querySelector('.row.pending') && \(root).querySelectorAll('.row.visitor').length === 1")
                    try await expectAccessible(driver, "a visitor's message in \(color)")
                }
            }
        }
    }

    /// An upload that failed on the way (here the network) is tried again from its chip;
    /// one refused for what it is (too large) is not offered again.
    @Test func aFailedUploadIsTriedAgain() async throws {
        try await LiveBaton.run { baton in
            try await WebDriver.with(width: 1280, height: 800) { driver in
                try await driver.open("\(baton.http)/#baton-open")
                try await waitForBubble(driver, containing: "I'm Ada")
                try await driver.wait(for: "the paperclip", "return !\(root).querySelector('.attach').hidden")
                _ = try await driver.run("""
                    const send = XMLHttpRequest.prototype.send;
                    window.failNext = 1;
                    XMLHttpRequest.prototype.send = function (body) {
                      if (window.failNext > 0) { window.failNext--; setTimeout(() => this.onerror(new ProgressEvent('error')), 10); return; }
                      return send.call(this, body);
                    };
                    const dt = new DataTransfer();
                    dt.items.add(new File(['the log'], 'log.txt', { type: 'text/plain' }));
                    dt.items.add(new File([new Uint8Array(12000000)], 'huge.bin', { type: 'application/octet-stream' }));
                    const input = \(root).querySelector('.file-input');
                    input.files = dt.files;
                    input.dispatchEvent(new Event('change'));
                    return true;
                    """)
                try await driver.wait(for: "both failed", "return \(root).querySelectorAll('.tray .chip.failed').length === 2")
                let retries = "Array.from(\(root).querySelectorAll('.tray .chip-retry')).map(b => b.getAttribute('aria-label'))"
                #expect(try await driver.run("return \(retries)") as? [String] == ["Try uploading log.txt again"])
                try await driver.screenshot("widget-file-retry")
                try await driver.click(try await driver.element("return \(root).querySelector('.chip-retry')"))
                try await driver.wait(for: "the file uploaded", """
                    const r = \(root);
                    return r.querySelectorAll('.tray .chip.failed').length === 1 && !r.querySelector('.tray .chip.uploading')
                    """)
                let chips = try await driver.run("return Array.from(\(root).querySelectorAll('.tray .chip')).map(c => c.textContent)") as? [String]
                #expect(chips == ["log.txt7 bytes", "huge.binNot sent: larger than 10 MB."], "\(chips ?? [])")
                #expect(try await driver.run("return \(retries)") as? [String] == [])
                try await send(driver, "Here it is")
                try await driver.wait(for: "the message with the file", "return \(root).querySelectorAll('.row.visitor .file').length === 1")
            }
        }
    }

    /// The network goes while the visitor types: the message sent into the dead connection
    /// and those typed while the widget cannot connect go out once each, in order, when it
    /// can again.
    @Test func messagesTypedOfflineAreSentOnceEachInOrderWhenBackOnline() async throws {
        let closed = try ClosedPort()
        try await LiveBaton.run { baton in
            try await WebDriver.with(width: 1280, height: 800) { driver in
                try await driver.open("\(baton.http)/#baton-open")
                try await waitForBubble(driver, containing: "I'm Ada")
                // Offline: the socket open now loses everything it sends, new ones reach a
                // closed port. Online again: what the sockets send is kept.
                _ = try await driver.run("""
                    window.offline = true;
                    window.sentOnline = [];
                    const send = WebSocket.prototype.send;
                    WebSocket.prototype.send = function (data) {
                      if (window.offline) return;
                      window.sentOnline.push(String(data));
                      return send.call(this, data);
                    };
                    const Original = window.WebSocket;
                    window.WebSocket = class extends Original {
                      constructor(url, ...rest) {
                        super(window.offline ? String(url).replace(':\(baton.port)/', ':\(closed.port)/') : url, ...rest);
                      }
                    };
                    return true
                    """)
                try await send(driver, "first")
                // The dead connection found out (its ping unanswered): typed while reconnecting.
                try await driver.wait(for: "the widget reconnecting", "return !\(root).querySelector('.bar').hidden", seconds: 20)
                try await send(driver, "second")
                try await send(driver, "third")
                #expect(try await driver.run("return \(root).querySelectorAll('.row.pending').length") as? Int == 3)
                _ = try await driver.run("window.offline = false; window.dispatchEvent(new Event('online')); return true")
                try await driver.wait(for: "the three acknowledged",
                                      "return !\(root).querySelector('.row.pending') && \(root).querySelectorAll('.row.visitor').length === 3",
                                      seconds: 30)
                let sent = try await driver.run("""
                    return window.sentOnline.map(f => JSON.parse(f)).filter(f => f.type === 'message').map(f => f.clientId + ' ' + f.text)
                    """) as? [String] ?? []
                #expect(sent.map { $0.split(separator: " ").last.map(String.init) } == ["first", "second", "third"], "\(sent)")
                #expect(Set(sent.map { $0.split(separator: " ").first }).count == 3, "\(sent)")
                let conversation = try #require(try await baton.services.store.conversations(ConversationFilter(widgetKey: "demo", limit: 1)).first).conversation.id
                let stored = try await baton.services.store.messages(in: conversation, after: 0, limit: 100).filter { $0.role == .visitor }.map(\.text)
                #expect(stored == ["first", "second", "third"])
            }
        }
    }

    /// A connection that went dead without a word (a network gone, a frozen server): a
    /// message it leaves unacknowledged has it checked and replaced within seconds, not at
    /// the next ping (up to 35 s).
    @Test func aMessageUnacknowledgedHasTheConnectionChecked() async throws {
        try await LiveBaton.run { baton in
            try await WebDriver.with(width: 1280, height: 800) { driver in
                try await driver.open("\(baton.http)/#baton-open")
                try await waitForBubble(driver, containing: "I'm Ada")
                // From now on the socket open now loses everything it sends.
                _ = try await driver.run("""
                    const send = WebSocket.prototype.send;
                    WebSocket.prototype.send = function (data) {
                      if (window.deadSocket === undefined) window.deadSocket = this;
                      if (this === window.deadSocket) return;
                      return send.call(this, data);
                    };
                    // The sockets made from now on, to play a server's frames on.
                    const Original = window.WebSocket;
                    window.sockets = [];
                    window.WebSocket = class extends Original { constructor(...a) { super(...a); window.sockets.push(this); } };
                    return true
                    """)
                try await send(driver, "are you there?")
                // Before the next ping would have found the connection dead (35 s).
                try await driver.wait(for: "the message stored over a new connection",
                                      "return !\(root).querySelector('.row.pending') && \(root).querySelectorAll('.row.visitor').length === 1",
                                      seconds: 20)
                #expect(try await driver.run("return window.deadSocket !== undefined") as? Bool == true)
                // A message that comes after a later one (another server's, or sent again
                // after a lost notification) stands by its id, before the later one.
                let conversation = try #require(try await baton.services.store.conversations(ConversationFilter(widgetKey: "demo", limit: 1)).first).conversation.id
                _ = try await driver.run("""
                    const socket = window.sockets[window.sockets.length - 1];
                    const frame = (id, text) => new MessageEvent('message', { data: JSON.stringify({ type: 'message',
                      message: { id: id, conversation: '\(conversation.rawValue)', role: 'agent', name: 'Alice', text: text, at: Date.now() } }) });
                    socket.dispatchEvent(frame(1000002, 'The later reply'));
                    socket.dispatchEvent(frame(1000001, 'The earlier reply'));
                    return true
                    """)
                try await waitForBubble(driver, containing: "The earlier reply")
                let order = try await driver.run("return \(bubbles).filter(t => t.includes('reply'))") as? [String]
                #expect(order == ["The earlier reply", "The later reply"], "\(order ?? [])")
            }
        }
    }

    /// The visitor's own bubble and file names show what the server keeps: a direction
    /// override showed "rlo‮evil" reversed there alone, "evil‮gnp.exe" as a picture.
    @Test func invisibleCharactersAreLeftOutAsTheServerDoes() async throws {
        try await LiveBaton.run { baton in
            try await WebDriver.with(width: 1280, height: 800) { driver in
                try await driver.open("\(baton.http)/#baton-open")
                try await waitForBubble(driver, containing: "I'm Ada")
                try await driver.wait(for: "the paperclip", "return !\(root).querySelector('.attach').hidden")
                _ = try await driver.run("""
                    const r = \(root), box = r.querySelector('textarea');
                    box.value = 'rlo\\u202Eevil\\u202C end\\u200B';
                    box.dispatchEvent(new Event('input'));
                    const dt = new DataTransfer();
                    dt.items.add(new File(['x'], 'evil\\u202Egnp.exe', { type: 'application/octet-stream' }));
                    const input = r.querySelector('.file-input');
                    input.files = dt.files;
                    input.dispatchEvent(new Event('change'));
                    return true
                    """)
                try await driver.wait(for: "the file in the tray", "return \(root).querySelector('.tray .chip .fname')?.textContent === 'evilgnp.exe'")
                try await driver.wait(for: "the file uploaded", "return !\(root).querySelector('.tray .chip.uploading')")
                try await driver.type("\u{E007}", into: try await driver.element("return \(root).querySelector('textarea')"))
                try await driver.wait(for: "the message stored", "return !\(root).querySelector('.row.pending') && \(root).querySelectorAll('.row.visitor').length === 1")
                #expect(try await driver.run("return \(root).querySelector('.row.visitor .bubble').firstChild.textContent") as? String == "rloevil end")
                let stored = try await baton.services.store.conversations(ConversationFilter(widgetKey: "demo", limit: 1)).first
                let messages = try await baton.services.store.messages(in: try #require(stored).conversation.id, after: 0, limit: 10)
                #expect(messages.contains { $0.text == "rloevil end" && $0.files.map(\.name) == ["evilgnp.exe"] })
            }
        }
    }

    @Test func filesAreSentAndShown() async throws {
        try await LiveBaton.run { baton in
            try await WebDriver.with(width: 1280, height: 800) { driver in
                try await driver.open("\(baton.http)/#baton-open")
                try await waitForBubble(driver, containing: "I'm Ada")
                try await driver.wait(for: "the paperclip", "return !\(root).querySelector('.attach').hidden")
                try await send(driver, "hello")
                try await waitForBubble(driver, containing: "Hello! What can I do for you?")
                // The visitor picks a picture, two text files and one too large (as the file
                // dialog would): they wait above the text box, uploaded, for the next message.
                let askedToLeave = try await driver.run("""
                    return (async () => {
                      const c = document.createElement('canvas'); c.width = 160; c.height = 90;
                      const g = c.getContext('2d'); g.fillStyle = '#c92a2a'; g.fillRect(0, 0, 160, 90);
                      g.fillStyle = '#fff'; g.font = 'bold 22px sans-serif'; g.fillText('Error 42', 28, 54);
                      const blob = await new Promise((r) => c.toBlob(r, 'image/png'));
                      const dt = new DataTransfer();
                      dt.items.add(new File([blob], 'screenshot.png', { type: 'image/png' }));
                      dt.items.add(new File(['line 1\\nline 2\\n'], 'console log.txt', { type: 'text/plain' }));
                      dt.items.add(new File(['not this one'], 'notes.txt', { type: 'text/plain' }));
                      dt.items.add(new File([new Uint8Array(12000000)], 'huge.bin', { type: 'application/octet-stream' }));
                      const input = \(root).querySelector('.file-input');
                      input.files = dt.files;
                      input.dispatchEvent(new Event('change'));
                      // Leaving now would lose the uploads: the page asks first.
                      const leaving = new Event('beforeunload', { cancelable: true });
                      window.dispatchEvent(leaving);
                      return leaving.defaultPrevented;
                    })()
                    """)
                #expect(askedToLeave as? Bool == true, "leaving during the uploads asks first")
                let chips = "Array.from(\(root).querySelectorAll('.tray .chip')).map(c => c.textContent)"
                try await driver.wait(for: "the files in the tray", """
                    const r = \(root);
                    return !r.querySelector('.tray .chip.uploading') && r.querySelectorAll('.tray .chip').length === 4
                      && !r.querySelector('.send').disabled
                    """)
                let staged = try await driver.run("return \(chips)") as? [String] ?? []
                let leavingNow = "const e = new Event('beforeunload', { cancelable: true }); window.dispatchEvent(e); return e.defaultPrevented"
                #expect(try await driver.run(leavingNow) as? Bool == false, "once uploaded, leaving is free")
                #expect(staged.count == 4 && staged[0].hasPrefix("screenshot.png") && staged[0].hasSuffix(" kB"), "\(staged)")
                #expect(staged.dropFirst() == ["console log.txt14 bytes", "notes.txt12 bytes", "huge.binNot sent: larger than 10 MB."])
                #expect(try await driver.run("return !!\(root).querySelector('.row.visitor .file')") as? Bool == false, "nothing is sent yet")
                // Screen readers hear what became of each file.
                let status = try await driver.run("return \(root).querySelector('.tray-status').textContent") as? String ?? ""
                #expect(status.hasSuffix(" is attached to your next message."), "\(status)")
                try await driver.screenshot("widget-files-tray")
                // One is taken back; after a reload the uploaded ones are still there.
                try await driver.click(try await driver.element("return \(root).querySelector('.chip-remove[aria-label=\"Remove notes.txt\"]')"))
                _ = try await driver.run("location.reload()")
                try await waitForBubble(driver, containing: "Hello! What can I do for you?")
                try await driver.wait(for: "the uploaded files after the reload", "return \(chips).length === 2")
                let names = try await driver.run("return Array.from(\(root).querySelectorAll('.tray .chip .fname')).map(n => n.textContent)") as? [String]
                #expect(names == ["screenshot.png", "console log.txt"])
                // The text is their caption: one message.
                try await send(driver, "Here is the error")
                // A step at a time, so that a failure says which part did not come.
                try await driver.wait(for: "the message with both files", "return \(root).querySelectorAll('.row.visitor .file').length === 2")
                try await driver.wait(for: "the message acknowledged", "return !\(root).querySelector('.row.pending')")
                try await driver.wait(for: "the tray emptied", "return \(root).querySelector('.tray').hidden")
                try await driver.wait(for: "the picture loaded from Baton", """
                    return Array.from(\(root).querySelectorAll('.row.visitor img')).some((i) => i.complete && i.naturalWidth === 160)
                    """)
                let caption = try await driver.run("return Array.from(\(root).querySelectorAll('.row.visitor .bubble')).pop().firstChild.textContent") as? String
                #expect(caption == "Here is the error")
                let link = try await driver.run("return Array.from(\(root).querySelectorAll('.row.visitor a.file:not(.image)')).map(a => a.textContent)") as? [String]
                #expect(link == ["console log.txt14 bytes"])

                // Stored, and the picture comes from Baton once sent.
                let conversation = try #require(try await baton.services.store.conversations(ConversationFilter(widgetKey: "demo", limit: 1)).first)
                let messages = try await baton.services.store.messages(in: conversation.conversation.id, after: 0, limit: 100)
                let withFiles = messages.filter { !$0.files.isEmpty }
                #expect(withFiles.count == 1)
                #expect(withFiles.first?.text == "Here is the error")
                #expect(withFiles.first?.files.map(\.name) == ["screenshot.png", "console log.txt"])

                // An agent's file (as the Mattermost link stores it) shows in the widget.
                let visitor = conversation.conversation.visitorID
                let manual = Attachment(id: .newFile(), name: "manual.pdf", contentType: "application/pdf", size: 2_400_000)
                try await baton.services.store.saveFile(StoredFile(attachment: manual, visitorID: visitor, data: Array(repeating: 37, count: 2_400_000)))
                try await baton.services.chat.agentMessage(conversation.conversation.id, name: "Alice Archer", text: "The manual:",
                                                           files: [manual], externalID: "post-1")
                try await driver.wait(for: "the agent's file", "return Array.from(\(root).querySelectorAll('.row.them a.file')).some(a => a.textContent.includes('manual.pdf'))")
                let href = try await driver.run("return Array.from(\(root).querySelectorAll('.row.them a.file')).pop().href") as? String ?? ""
                #expect(href.hasSuffix("/widget/v1/files/\(manual.id.rawValue)/manual.pdf?download"))
                #expect(try await driver.run("return Array.from(\(root).querySelectorAll('.row.them a.file')).pop().textContent") as? String == "manual.pdf2.4 MB")
                try await driver.screenshot("widget-files")
            }
        }
    }
}
