import BatonCore
import BatonTestSupport
import Foundation
import Testing

/// The widget in the visitor's language: its own words, the notices Baton sends, and
/// which language it picks.
@Suite(.serialized) struct WidgetLanguageTests {
    /// The languages the widget speaks, as served to the dashboard: exactly the ones the
    /// server accepts, each with every string of English and the same placeholders.
    @Test func everyLanguageHasEveryString() async throws {
        try await LiveBaton.run { baton in
            let module = try await get("\(baton.http)/dashboard/widget-languages.js")
            #expect(module.status == 200)
            let start = try #require(module.body.range(of: "return {")).upperBound
            let end = try #require(module.body.range(of: "};\n}", options: .backwards)).lowerBound
            let json = "{" + module.body[start..<end] + "}"
            let languages = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: [String: Any]])
            // JSON objects keep no order: the file's order is the order of the first appearances.
            let order = WidgetSettings.languages.sorted { module.body.range(of: "\"\($0)\": {")!.lowerBound < module.body.range(of: "\"\($1)\": {")!.lowerBound }
            #expect(Set(languages.keys) == Set(WidgetSettings.languages))
            #expect(order == WidgetSettings.languages, "the dashboard lists them in the file's order")
            let english = try #require(languages["en"]?["strings"] as? [String: String])
            func placeholders(_ text: String) -> Set<String> { Set(text.matches(of: /\{(\w+)\}/).map { String($0.1) }) }
            for (code, language) in languages {
                #expect((language["name"] as? String)?.isEmpty == false, "\(code)")
                let strings = try #require(language["strings"] as? [String: String], "\(code)")
                #expect(Set(strings.keys) == Set(english.keys), "\(code): \(Set(english.keys).symmetricDifference(strings.keys).sorted())")
                for (key, text) in strings {
                    #expect(!text.isEmpty && text == text.trimmingCharacters(in: .whitespacesAndNewlines), "\(code).\(key)")
                    #expect(placeholders(text) == placeholders(english[key] ?? ""), "\(code).\(key): \(text)")
                }
            }
            // Every kind of notice is one the widget can say.
            let widget = try await get("\(baton.http)/widget.js").body
            for kind in ["agent_joined", "still_waiting", "closed", "visitor_ended", "visitor_rated", "replies_emailed"] {
                #expect(widget.contains("case '\(kind)':"), "\(kind)")
            }
            // The widget fetches the same words, one language at a time.
            for code in WidgetSettings.languages {
                let file = try await get("\(baton.http)/widget/v1/languages/\(code).json")
                func canonical(_ object: Any) throws -> Data { try JSONSerialization.data(withJSONObject: object, options: .sortedKeys) }
                let served = try JSONSerialization.jsonObject(with: Data(file.body.utf8))
                #expect(try canonical(served) == canonical(languages[code] ?? [:]), "\(code)")
            }
        }
    }

    /// widget.js carries English only, and the version of every other language; it fetches
    /// one by that version (kept for good by browsers and proxies, from any origin). Others
    /// are not found.
    @Test func theWidgetCarriesEnglishAndFetchesTheOthersByTheirVersion() async throws {
        try await LiveBaton.run { baton in
            let widget = try await get("\(baton.http)/widget.js").body
            #expect(widget.contains("const LANGUAGES = { \"en\": {") && !widget.contains("\"Nachricht\""))
            let versions = try #require(widget.firstMatch(of: /const LANGUAGE_VERSIONS = (\{[^}]*\});/)).1
            let table = try #require(try JSONSerialization.jsonObject(with: Data(versions.utf8)) as? [String: String])
            #expect(Set(table.keys) == Set(WidgetSettings.languages).subtracting(["en"]))
            for (code, version) in table {
                let file = try await get("\(baton.http)/widget/v1/languages/\(code).json?v=\(version)")
                #expect(file.status == 200, "\(code)")
                #expect(file.headers["etag"].first == "\"\(version)\"", "\(code)")
                #expect(file.headers["content-type"].first == "application/json", "\(code)")
                #expect(file.headers["access-control-allow-origin"].first == "*", "\(code)")
                #expect(file.headers["cache-control"].first == "public, max-age=31536000, immutable", "\(code)")
            }
            // Without the version (or with an old one): kept for five minutes, as widget.js is.
            let unversioned = try await get("\(baton.http)/widget/v1/languages/de.json?v=0123456789abcdef")
            #expect(unversioned.status == 200 && unversioned.headers["cache-control"].first == "public, max-age=300")
            #expect(unversioned.body.contains("\"Nachricht\""))
            let cached = try await get("\(baton.http)/widget/v1/languages/de.json", headers: [("If-None-Match", "\"\(table["de"] ?? "")\"")])
            #expect(cached.status == 304 && cached.body.isEmpty)
            for path in ["xx.json", "de", "de.js", "README.md", "..%2Fwidget.js", "DE.json", "en.json.json"] {
                let missing = try await get("\(baton.http)/widget/v1/languages/\(path)")
                #expect(missing.status == 404, "\(path)")
                #expect((missing.json["error"] as? [String: Any])?["code"] as? String == "unknown_language", "\(path)")
            }
            #expect(try await get("\(baton.http)/languages/de.json").status == 404)
        }
    }

    /// Set in the dashboard, the language wins over the page's (`lang="en"`) and the
    /// browser's (French): the widget's words, its status lines and every notice of a
    /// handover are German; the bot's own texts stay as its definition says.
    @Test func aWidgetSetToGermanSpeaksGermanThroughAHandover() async throws {
        try await LiveBaton.run { baton in
            var demo = try #require(try await baton.services.bots.widget(forKey: "demo")).widget
            demo.settings.language = "de"
            _ = try await baton.services.bots.save(demo)
            try await WebDriver.with(width: 1280, height: 800, languages: "fr-FR,fr") { driver in
                try await driver.open("\(baton.http)/#baton-open")
                try await waitForBubble(driver, containing: "I'm Ada")
                func value(_ script: String) async throws -> String? { try await driver.run("return \(root).\(script)") as? String }
                // Learnt from the welcome: its frames wait for the German words, so nothing
                // was drawn in English first.
                #expect(try await value("querySelector('.root').lang") == "de")
                #expect(try await value("querySelector('textarea').placeholder") == "Nachricht schreiben…")
                #expect(try await value("querySelector('textarea').getAttribute('aria-label')") == "Nachricht")
                #expect(try await value("querySelector('.send').getAttribute('aria-label')") == "Senden")
                #expect(try await value("querySelector('.launcher').getAttribute('aria-label')") == "Chat schließen")
                #expect(try await value("querySelector('.log').getAttribute('aria-label')") == "Nachrichten")
                // The bot's own words are its definition's.
                let quick = try await driver.run("return Array.from(\(root).querySelectorAll('.quick button')).map(b => b.textContent)") as? [String]
                #expect(quick?.last == "Talk to a person")

                try await askTheDemoBotForAPerson(driver)
                try await driver.wait(for: "the waiting status", "return \(root).querySelector('.status').textContent === 'Warten auf das Team…'")
                #expect(try await value("querySelector('.end-chat').textContent") == "Chat beenden")
                // Near the length limit (4,000 by default) the counter counts down in German.
                func type(_ count: Int) async throws -> String? {
                    try await driver.run("const x = \(root).querySelector('textarea'); x.value = 'x'.repeat(\(count)); x.dispatchEvent(new Event('input')); "
                        + "return \(root).querySelector('.counter').hidden ? null : \(root).querySelector('.counter').textContent") as? String
                }
                #expect(try await type(3_999) == "Noch 1 Zeichen")
                #expect(try await type(2_500) == nil)
                #expect(try await type(3_850) == "Noch 150 Zeichen")
                // A paste past it: the end left out, and said so.
                #expect(try await type(4_100) == "Auf 4.000 Zeichen gekürzt, mehr fasst eine Nachricht nicht.")
                #expect(try await driver.run("return \(root).querySelector('textarea').value.length") as? Int == 4_000)
                // Cut between characters: a flag at the limit is left out whole (half of it
                // was kept), a letter keeps its accent.
                for (end, kept) in [("🇩🇪", 3_999), ("e\\u0301", 3_999)] {
                    let value = try await driver.run("const x = \(root).querySelector('textarea'); x.value = 'x'.repeat(3999) + '\(end)'; "
                        + "x.dispatchEvent(new Event('input')); return Array.from(x.value).length") as? Int
                    #expect(value == kept, "\(end)")
                }
                #expect(try await type(0) == nil)
                let you = try await driver.run("return Array.from(\(root).querySelectorAll('.row.visitor .name')).map(n => n.textContent)") as? [String]
                #expect(you?.first == "Sie")

                // The agents' side, as the Mattermost link would tell it.
                let conversation = try #require(try await baton.services.store.conversations(ConversationFilter(widgetKey: "demo", limit: 1)).first).conversation.id
                let notices = "Array.from(\(root).querySelectorAll('.log .notice')).map(n => n.textContent)"
                _ = try await baton.services.chat.stillWaiting(conversation, externalID: "remind-1")
                try await driver.wait(for: "the reminder", "return \(notices).some(n => n.startsWith('Danke für Ihre Geduld.'))")
                try await baton.services.chat.agentJoined(conversation, name: "Alice", externalID: "join-1")
                try await driver.wait(for: "the join", "return \(notices).includes('Alice ist dem Chat beigetreten.')")
                try await driver.wait(for: "the agent's status", "return \(root).querySelector('.status').textContent === 'Im Chat mit Alice'")
                try await baton.services.chat.agentTyping(conversation, name: "Alice", active: true)
                try await driver.wait(for: "the typing line", "return \(root).querySelector('.typing-text').textContent === 'Alice schreibt'")
                try await driver.screenshot("widget-german")
                try await expectAccessible(driver, "the widget in German, with an agent")
                try await baton.services.chat.closeConversation(conversation, closedBy: "Alice")
                try await driver.wait(for: "the close", "return \(notices).includes('Alice hat den Chat beendet.')")
                try await driver.wait(for: "the rating question", "return !\(root).querySelector('.rate').hidden")
                #expect(try await value("querySelector('.rate-text').textContent") == "Wie war Ihr Chat?")
                #expect(try await value("querySelector('.status').textContent") == "Unterhaltung beendet")
                #expect(try await value("querySelector('textarea').placeholder") == "Neuen Chat beginnen…")
                // Rated in another tab: this one stops asking too.
                let first = try await driver.currentTab()
                let second = try await driver.newTab()
                try await driver.open("\(baton.http)/#baton-open")
                try await driver.wait(for: "the rating question in the second tab", "return !\(root).querySelector('.rate').hidden")
                try await driver.click(try await driver.element("return \(root).querySelector('.rate-good')"))
                try await driver.wait(for: "the rating's notice", "return \(notices).includes('Sie haben den Chat mit „gut“ bewertet.')")
                try await driver.switchTo(first)
                try await driver.wait(for: "the rating's notice in the first tab", "return \(notices).includes('Sie haben den Chat mit „gut“ bewertet.')")
                try await driver.wait(for: "no more asking in the first tab", "return \(root).querySelector('.rate').hidden")
                try await driver.switchTo(second)

                // A reload draws the history in German from the start (the language is remembered).
                try await driver.open("\(baton.http)/#baton-open")
                try await driver.wait(for: "the history", "return \(notices).includes('Alice ist dem Chat beigetreten.')")
                #expect(try await value("querySelector('.root').lang") == "de")
                #expect(try await driver.run("return getComputedStyle(document.querySelector('baton-chat')).visibility") as? String == "visible")
            }
        }
    }

    /// Arabic and Hebrew are written right to left: the whole widget is mirrored (the
    /// button and the panel in the bottom left corner, the visitor's messages on the left,
    /// the send button's plane flying left), while a message in English keeps its own
    /// direction.
    @Test(arguments: [("ar", "اكتب رسالة…", "إرسال", "مرحبا"), ("he", "כתיבת הודעה…", "שליחה", "שלום"), ("fa", "پیامی بنویسید…", "ارسال", "سلام")])
    func aWidgetInARightToLeftLanguageIsMirrored(language: String, placeholder: String, send label: String, hello: String) async throws {
        try await LiveBaton.run { baton in
            var demo = try #require(try await baton.services.bots.widget(forKey: "demo")).widget
            demo.settings.language = language
            _ = try await baton.services.bots.save(demo)
            try await WebDriver.with(width: 1280, height: 800) { driver in
                try await driver.open("\(baton.http)/#baton-open")
                try await waitForBubble(driver, containing: "I'm Ada")
                func value(_ script: String) async throws -> Any? { try await driver.run("return \(root).\(script)") }
                #expect(try await value("querySelector('.root').dir") as? String == "rtl")
                #expect(try await value("querySelector('textarea').placeholder") as? String == placeholder)
                #expect(try await value("querySelector('.send').getAttribute('aria-label')") as? String == label)
                // The empty text box starts on the right, where its placeholder is read from.
                #expect(try await driver.run("return getComputedStyle(\(root).querySelector('textarea')).direction") as? String == "rtl")
                func box(_ selector: String) async throws -> [String: Double] {
                    let found = try await driver.run("""
                        const r = Array.from(\(root).querySelectorAll("\(selector)")).pop().getBoundingClientRect();
                        return { left: r.left, right: r.right, width: innerWidth };
                        """) as? [String: Any] ?? [:]
                    return found.compactMapValues { ($0 as? NSNumber)?.doubleValue }
                }
                let launcher = try await box(".launcher"), panel = try await box(".panel")
                #expect(launcher["left"] == 20, "\(launcher)")
                #expect(panel["left"] == 20, "\(panel)")
                // The bot's English greeting keeps its own direction.
                #expect(try await value("querySelector('.bubble').dir") as? String == "auto")
                #expect(try await driver.run("return getComputedStyle(\(root).querySelector('.bubble')).direction") as? String == "ltr")
                try await send(driver, hello)
                try await waitForBubble(driver, containing: hello)
                let mine = try await box(".row.visitor .bubble"), log = try await box(".log")
                #expect(mine["left"].map { $0 - (log["left"] ?? 0) < 30 } == true, "the visitor's message on the left: \(mine), \(log)")
                #expect(try await driver.run("return getComputedStyle(\(root).querySelector('.send svg')).transform") as? String
                    == "matrix(-1, 0, 0, 1, 0, 0)")
                // A notice in the widget's words reads right to left, though it starts with a
                // name in Latin letters.
                let conversation = try #require(try await baton.services.store.conversations(ConversationFilter(widgetKey: "demo", limit: 1)).first).conversation.id
                _ = try await baton.services.chat.agentJoined(conversation, name: "Alice Archer", externalID: "join-\(language)")
                try await driver.wait(for: "the join notice", "return \(root).querySelectorAll('.log .notice').length > 0")
                #expect(try await driver.run("return getComputedStyle(\(root).querySelector('.log .notice')).direction") as? String == "rtl")
                try await driver.screenshot(["ar": "widget-arabic", "he": "widget-hebrew"][language] ?? "widget-\(language)")
                try await expectAccessible(driver, "the widget in \(language)")
            }
        }
    }

    /// A page on another origin in Russian: the widget fetches the Russian words from Baton
    /// (allowed from any origin) and shows itself once they are in; an English page fetches
    /// none. Words that do not come within 5 s: the widget shows itself in English.
    @Test func theWidgetFetchesItsLanguageFromAnotherOriginOrSpeaksEnglish() async throws {
        try await LiveBaton.run { baton in
            try await WebDriver.with(width: 1280, height: 800) { driver in
                let fetchedLanguages = "return performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('/widget/v1/languages/'))"
                func load(language: String, before: String = "") async throws {
                    try await driver.open("http://localhost:\(baton.port)/healthz")
                    _ = try await driver.run("""
                        localStorage.clear();
                        document.documentElement.lang = '\(language)';
                        \(before)
                        const s = document.createElement('script');
                        s.src = '\(baton.http)/widget.js';
                        Object.assign(s.dataset, { widget: 'demo', open: 'true' });
                        document.body.append(s);
                        """)
                }
                try await load(language: "ru")
                try await waitForBubble(driver, containing: "I'm Ada")
                try await waitForWidget(driver, speaking: "ru")
                #expect(try await driver.run("return \(root).querySelector('textarea').placeholder") as? String == "Напишите сообщение…")
                #expect(try await driver.run("return \(root).querySelector('.row.them .name').textContent") as? String == "Ada")
                let fetched = try await driver.run(fetchedLanguages) as? [String] ?? []
                #expect(fetched.count == 1 && fetched.first?.hasPrefix("\(baton.http)/widget/v1/languages/ru.json?v=") == true, "\(fetched)")

                try await load(language: "en")
                try await waitForBubble(driver, containing: "I'm Ada")
                try await waitForWidget(driver, speaking: "en")
                #expect(try await driver.run(fetchedLanguages) as? [String] == [])

                // A fetch that never answers (a page's service worker, a stalled proxy).
                try await load(language: "de", before: """
                    window.fetch = (url, options) => new Promise((resolve, reject) => {
                      options.signal.addEventListener('abort', () => reject(new DOMException('The operation was aborted.', 'AbortError')));
                    });
                    """)
                try await driver.wait(for: "the widget's element", "return !!document.querySelector('baton-chat')")
                try await Task.sleep(for: .seconds(1))
                #expect(try await driver.run("return getComputedStyle(document.querySelector('baton-chat')).visibility") as? String == "hidden")
                try await waitForWidget(driver, speaking: "en", seconds: 15)
                try await waitForBubble(driver, containing: "I'm Ada")
                #expect(try await driver.run("return \(root).querySelector('textarea').placeholder") as? String == "Write a message…")
            }
        }
    }

    /// With no language set, the widget takes the embed tag's `data-language`, else the
    /// page's `lang`, else the browser's languages (a region counts as its language); a
    /// bot that says its language comes before the page's.
    @Test func withoutASettingTheTagThePageOrTheBrowserDecides() async throws {
        try await LiveBaton.run { baton in
            try await WebDriver.with(width: 1280, height: 800, languages: "pt-BR,pt,en") { driver in
                func value(_ script: String) async throws -> String? { try await driver.run("return \(root).\(script)") as? String }
                // The demo page says lang="en".
                try await driver.open("\(baton.http)/#baton-open")
                try await waitForBubble(driver, containing: "I'm Ada")
                #expect(try await value("querySelector('textarea').placeholder") == "Write a message…")

                // A page that names no language: the browser's.
                func load(tag attributes: String) async throws {
                    try await driver.open("\(baton.http)/healthz")
                    _ = try await driver.run("""
                        localStorage.clear();
                        sessionStorage.clear();
                        const s = document.createElement('script');
                        s.src = '/widget.js';
                        s.dataset.widget = 'demo';
                        \(attributes)
                        document.body.append(s);
                        """)
                    try await driver.wait(for: "the launcher shown", "return \(root)?.querySelector('.launcher') && getComputedStyle(document.querySelector('baton-chat')).visibility === 'visible'")
                }
                try await load(tag: "")
                #expect(try await value("querySelector('.launcher').getAttribute('aria-label')") == "Abrir o chat")
                try await driver.click(try await driver.element("return \(root).querySelector('.launcher')"))
                try await waitForBubble(driver, containing: "I'm Ada")
                #expect(try await value("querySelector('textarea').placeholder") == "Escreva uma mensagem…")
                #expect(try await value("querySelector('.root').lang") == "pt")
                // (The bare page itself has no title, language or landmarks: only the widget is judged.)
                let violations = try await driver.accessibilityViolations(skip: ["document-title": "the page", "html-has-lang": "the page", "region": "the page"])
                #expect(violations == [], "the widget in Portuguese:\n\(violations.joined(separator: "\n"))")

                // The tag's data-language, over the browser's.
                try await load(tag: "s.dataset.language = 'es';")
                #expect(try await value("querySelector('.launcher').getAttribute('aria-label')") == "Abrir el chat")
                // Chinese by its characters: Taiwan's and Hong Kong's are traditional.
                for (tag, label) in [("zh-TW", "開啟聊天"), ("zh-Hant-HK", "開啟聊天"), ("zh-CN", "打开聊天"), ("zh", "打开聊天")] {
                    try await load(tag: "s.dataset.language = '\(tag)';")
                    #expect(try await value("querySelector('.launcher').getAttribute('aria-label')") == label, "\(tag)")
                }
                #expect(try await value("querySelector('.root').lang") == "zh")
                // The old codes of Hebrew and Indonesian are theirs.
                for (tag, label) in [("iw", "פתיחת הצ׳אט"), ("in-ID", "Buka chat")] {
                    try await load(tag: "s.dataset.language = '\(tag)';")
                    #expect(try await value("querySelector('.launcher').getAttribute('aria-label')") == label, "\(tag)")
                }
                #expect(WidgetSettings.language(forTag: "iw-IL") == "he" && WidgetSettings.language(forTag: "in") == "id")
                // A language the widget does not speak is passed over.
                try await load(tag: "s.dataset.language = 'tlh';")
                #expect(try await value("querySelector('.launcher').getAttribute('aria-label')") == "Abrir o chat")

                // A bot that says it speaks Italian: its widget does, over the page's and the
                // browser's; the tag's data-language still wins.
                var demo = try #require(try await baton.services.bots.widget(forKey: "demo")).widget
                demo.botSource = "language: it\n" + demo.botSource
                _ = try await baton.services.bots.save(demo)
                try await driver.open("\(baton.http)/#baton-open")
                _ = try await driver.run("localStorage.clear(); location.reload(); return true")
                try await waitForBubble(driver, containing: "I'm Ada")
                try await driver.wait(for: "the widget in Italian", "return \(root).querySelector('textarea').placeholder === 'Scrivi un messaggio…'")
                try await load(tag: "s.dataset.language = 'es';")
                #expect(try await value("querySelector('.launcher').getAttribute('aria-label')") == "Abrir el chat")
            }
        }
    }
}
