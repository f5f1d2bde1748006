import BatonCore
import Testing

/// The email of the agents' replies a visitor missed: what it says, and when there is none.
@Suite struct ReplyMailTests {
    /// A handed-over chat of a visitor who signed in as Grace (with her email) on a page of
    /// shop.example, where the widget is allowed (`origins`, unless `settings` names some).
    private func handedOver(settings: WidgetSettings = WidgetSettings(title: "Shop help"), origins: [String] = ["https://shop.example"],
                            email: String? = "grace@example.com",
                            page: String? = "https://shop.example/cart") async throws -> (ChatService, InMemoryChatStore, ChatSession) {
        var settings = settings
        if settings.allowedOrigins.isEmpty { settings.allowedOrigins = origins }
        let store = InMemoryChatStore()
        let widget = Widget(key: "w1", name: "W", botSource: "", settings: settings, createdAt: 1, updatedAt: 1)
        let chat = ChatService(store: store, bots: FixedDirectory(widgets: ["w1": widget]), agents: FakeDesk(connected: true),
                               hashToken: { "h:" + $0 })
        let session = try await chat.open(widgetKey: "w1", token: nil, identity: VisitorIdentity(id: "u1", name: "Grace", email: email),
                                          subscription: 1, sink: Inbox().sink)
        if let page { try await store.setPage(VisitedPage(url: page, title: "Cart")!, of: session.visitor.id) }
        _ = try await chat.receive(VisitorInput(text: "human"), clientID: "a", from: session, origin: 1)
        return (chat, store, session)
    }

    private func unseen(_ store: InMemoryChatStore, _ id: ConversationID) async throws -> UnseenReplies? {
        try await store.unseenReplies(changedAfter: 0, until: .max, limit: 10).first { $0.conversationID == id }
    }

    @Test func theRepliesAVisitorDidNotSeeAreMailedOnceAsCorrected() async throws {
        let (chat, store, session) = try await handedOver()
        let id = session.conversation.id
        #expect(try await unseen(store, id) == nil)  // no agent reply yet

        _ = try await chat.agentMessage(id, name: "Alice Archer", text: "Hello Grace!", externalID: "p1")
        _ = try await chat.agentMessage(id, name: "Alice Archer", text: "Your order shipped.", externalID: "p2")
        _ = try await chat.agentMessage(id, name: "Alice Archer", text: "Oops, wrong chat", externalID: "p3")
        _ = try await chat.agentEdited(id, original: "p2", text: "Your order shipped today.", externalID: "p2-edit")
        _ = try await chat.agentEdited(id, original: "p3", text: "", externalID: "p3-delete")
        _ = try await chat.agentMessage(id, name: "Bob", text: "I'll follow up tomorrow.", externalID: "p4")

        let found = try #require(try await unseen(store, id))
        #expect(found.hasNews)
        let (mail, upTo) = try #require(try await chat.replyMail(for: found))
        #expect(mail.to == "grace@example.com")
        #expect(mail.senderName == "Shop help")
        #expect(mail.language == "en")
        #expect(mail.subject == "Alice Archer replied to your chat on shop.example")
        #expect(mail.body == """
            You left the chat on shop.example before these replies came:

            Alice Archer:
            Hello Grace!
            Your order shipped today.

            Bob:
            I'll follow up tomorrow.

            To answer, open the chat again: https://shop.example/cart

            --\u{20}
            You get this email because you gave this address in the chat.
            """)

        // Taken once: a second claim of the same state fails.
        #expect(try await store.claimReplyMail(found, upTo: upTo))
        #expect(try await !store.claimReplyMail(found, upTo: upTo))
        #expect(try await unseen(store, id)?.hasNews == false)

        // A new reply after the email: only it is news.
        _ = try await chat.agentMessage(id, name: "Bob", text: "Done!", externalID: "p5")
        let next = try #require(try await unseen(store, id))
        let (second, _) = try #require(try await chat.replyMail(for: next))
        #expect(second.subject == "Bob replied to your chat on shop.example")
        #expect(second.body.contains("Done!") && !second.body.contains("Hello Grace"))
    }

    /// An anonymous visitor's email links their chat with a code: it opens that chat in any
    /// browser, which gets a token of its own; the first browser keeps its own.
    @Test func theEmailsLinkOpensTheChatInAnotherBrowser() async throws {
        let store = InMemoryChatStore()
        let widget = Widget(key: "w1", name: "W", botSource: "", settings: WidgetSettings(title: "Shop help", allowedOrigins: ["https://shop.example"]),
                            createdAt: 1, updatedAt: 1)
        let other = Widget(key: "w2", name: "W2", botSource: "", settings: WidgetSettings(), createdAt: 1, updatedAt: 1)
        let chat = ChatService(store: store, bots: FixedDirectory(widgets: ["w1": widget, "w2": other]), agents: FakeDesk(connected: true),
                               hashToken: { "h:" + $0 })
        let first = try await chat.open(widgetKey: "w1", token: nil, subscription: 1, sink: Inbox().sink)
        let firstToken = try #require(first.newToken)
        var visitor = first.visitor
        visitor.email = "grace@example.com"
        _ = try await store.commit(ChangeSet(visitor: visitor, conversation: first.conversation, basis: first.conversation))
        try await store.setPage(VisitedPage(url: "https://shop.example/cart?item=5", title: "Cart")!, of: visitor.id)
        _ = try await chat.receive(VisitorInput(text: "human"), clientID: "a", from: first, origin: 1)
        _ = try await chat.agentMessage(first.conversation.id, name: "Alice", text: "Your order shipped.", externalID: "p1")

        let found = try #require(try await unseen(store, first.conversation.id))
        let (mail, _) = try #require(try await chat.replyMail(for: found))
        let line = try #require(mail.body.split(separator: "\n").first { $0.hasPrefix("To answer, open the chat again: ") })
        let link = line.dropFirst("To answer, open the chat again: ".count)
        // Without the page's query: anyone's script may say it is on any page of the site.
        #expect(link.hasPrefix("https://shop.example/cart#baton-chat=w1:"), "\(link)")
        let code = String(link.split(separator: ":").last ?? "")
        #expect(code.count == 43)

        // Another browser (no token, or another visitor's): the same chat, and a token of its own.
        let stranger = try await chat.open(widgetKey: "w1", token: nil, subscription: 2, sink: Inbox().sink)
        for token in [nil, stranger.newToken] {
            let linked = try await chat.open(widgetKey: "w1", token: token, link: code, lastSeen: 10_000, subscription: 3, sink: Inbox().sink)
            #expect(linked.visitor.id == first.visitor.id && linked.conversation.id == first.conversation.id)
            #expect(!linked.linkExpired)
            // Shown from the start: what the other chat's page showed does not count here.
            #expect(linked.messages.contains { $0.text == "Your order shipped." })
            let own = try #require(linked.newToken)
            #expect(own != firstToken)
            // Its token opens the chat by itself later, as the first browser's still does.
            #expect(try await chat.open(widgetKey: "w1", token: own, subscription: 4, sink: Inbox().sink).visitor.id == first.visitor.id)
        }
        #expect(try await chat.open(widgetKey: "w1", token: firstToken, subscription: 5, sink: Inbox().sink).visitor.id == first.visitor.id)
        // The visitor's own browser opening the link gets no new token.
        let same = try await chat.open(widgetKey: "w1", token: firstToken, link: code, subscription: 6, sink: Inbox().sink)
        #expect(same.visitor.id == first.visitor.id && same.newToken == nil)
        // The code is no token, and no key to another widget's chats.
        await #expect(throws: ChatError.unknownVisitor) {
            try await chat.open(widgetKey: "w1", token: code, subscription: 7, sink: Inbox().sink)
        }
        let elsewhere = try await chat.open(widgetKey: "w2", token: nil, link: code, subscription: 8, sink: Inbox().sink)
        #expect(elsewhere.linkExpired && elsewhere.visitor.id != first.visitor.id && elsewhere.newToken != nil)
        // Unknown or expired: the chat opens as without it, and says so.
        let unknown = try await chat.open(widgetKey: "w1", token: stranger.newToken, link: "nonsense", subscription: 9, sink: Inbox().sink)
        #expect(unknown.linkExpired && unknown.visitor.id == stranger.visitor.id && unknown.newToken == nil)
        try await store.addVisitorKey(tokenHash: "h:old", visitor: first.visitor.id, expiresAt: Millis.now() - 1, now: 0)
        #expect(try await chat.open(widgetKey: "w1", token: nil, link: "old", subscription: 10, sink: Inbox().sink).linkExpired)
        // The link opened over and over from new browsers: the newest tokens are kept.
        var tokens: [String] = []
        for index in 0..<(VisitorKeys.browsersKept + 2) {
            let opened = try await chat.open(widgetKey: "w1", token: nil, link: code, subscription: SubscriptionID(20 + index), sink: Inbox().sink)
            tokens.append(try #require(opened.newToken))
        }
        await #expect(throws: ChatError.unknownVisitor) {
            try await chat.open(widgetKey: "w1", token: tokens[0], subscription: 60, sink: Inbox().sink)
        }
        #expect(try await chat.open(widgetKey: "w1", token: tokens.last, subscription: 61, sink: Inbox().sink).visitor.id == first.visitor.id)
    }

    /// A signed-in user's email links the page alone: their chat opens where they sign in.
    @Test func aSignedInUsersEmailHasNoCode() async throws {
        let (chat, store, session) = try await handedOver()
        _ = try await chat.agentMessage(session.conversation.id, name: "Alice", text: "Hi", externalID: "p1")
        let found = try #require(try await unseen(store, session.conversation.id))
        let (mail, _) = try #require(try await chat.replyMail(for: found))
        #expect(mail.body.contains("open the chat again: https://shop.example/cart\n"))
        #expect(!mail.body.contains("baton-chat"))
    }

    @Test func repliesTheWidgetShowedAreNotNews() async throws {
        let (chat, store, session) = try await handedOver()
        let id = session.conversation.id
        guard case .delivered(let reply) = try await chat.agentMessage(id, name: "Alice", text: "Hi", externalID: "p1") else {
            Issue.record("the reply was not stored")
            return
        }
        let before = try #require(try await unseen(store, id))
        try await chat.visitorSaw(upTo: reply, visitor: session.visitor.id)
        #expect(try await unseen(store, id)?.hasNews == false)
        // The claim of what was read before the visitor saw it fails.
        #expect(try await !store.claimReplyMail(before, upTo: reply))
        // Saying less than before changes nothing.
        try await chat.visitorSaw(upTo: reply - 1, visitor: session.visitor.id)
        #expect(try await unseen(store, id)?.seen == reply)
    }

    @Test func aFailedEmailGoesBackToBeTriedAgain() async throws {
        let (chat, store, session) = try await handedOver()
        let id = session.conversation.id
        _ = try await chat.agentMessage(id, name: "Alice", text: "Hi", externalID: "p1")
        let found = try #require(try await unseen(store, id))
        let (_, upTo) = try #require(try await chat.replyMail(for: found))
        #expect(try await store.claimReplyMail(found, upTo: upTo))
        try await store.replyMailFailed(id, upTo: upTo, mailed: found.mailed, attempts: 1, retryAt: 5000)
        #expect(try await store.replyMailRetries(dueBy: 4999, limit: 10).isEmpty)
        let retry = try #require(try await store.replyMailRetries(dueBy: 5000, limit: 10).first)
        #expect(retry.conversationID == id && retry.attempts == 1 && retry.hasNews)
        #expect(try await store.claimReplyMail(retry, upTo: upTo))
        #expect(try await store.replyMailRetries(dueBy: 10_000, limit: 10).isEmpty)
    }

    @Test func aWidgetThatSendsNoSuchEmailsSendsNone() async throws {
        let (chat, store, session) = try await handedOver(settings: WidgetSettings(emailMissedReplies: false))
        _ = try await chat.agentMessage(session.conversation.id, name: "Alice", text: "Hi", externalID: "p1")
        let found = try #require(try await unseen(store, session.conversation.id))
        #expect(try await chat.replyMail(for: found) == nil)
    }

    @Test func noAddressNoEmail() async throws {
        let (chat, store, session) = try await handedOver(email: nil)
        _ = try await chat.agentMessage(session.conversation.id, name: "Alice", text: "Hi", externalID: "p1")
        let found = try #require(try await unseen(store, session.conversation.id))
        #expect(try await chat.replyMail(for: found) == nil)
    }

    /// The language the widget showed (a page may choose it: `data-language`) wins over the
    /// one it is set to speak.
    @Test func theEmailSpeaksTheLanguageTheWidgetShowed() async throws {
        let (chat, store, session) = try await handedOver(settings: WidgetSettings(title: "Hilfe", language: "de"))
        try await chat.visitorReads("ar", in: session)
        _ = try await chat.agentMessage(session.conversation.id, name: "Alice", text: "مرحبا", externalID: "p1")
        let found = try #require(try await unseen(store, session.conversation.id))
        #expect(try await chat.replyMail(for: found)?.mail.language == "ar")
    }

    @Test func theEmailSpeaksTheWidgetsLanguageAndNamesTheWidgetWithoutAPage() async throws {
        let (chat, store, session) = try await handedOver(settings: WidgetSettings(title: "Hilfe", language: "de"), origins: [], page: nil)
        _ = try await chat.agentMessage(session.conversation.id, name: "Alice", text: "Hallo!", externalID: "p1")
        let found = try #require(try await unseen(store, session.conversation.id))
        let (mail, _) = try #require(try await chat.replyMail(for: found))
        #expect(mail.language == "de")
        #expect(mail.subject == "Alice hat auf Ihren Chat auf Hilfe geantwortet")
        #expect(mail.body.contains("Um zu antworten, öffnen Sie den Chat auf Hilfe wieder."))
    }

    @Test func withoutAPageTheWidgetsFirstSiteIsNamed() async throws {
        let settings = WidgetSettings(title: "Help", allowedOrigins: ["https://www.shop.example", "https://shop.example"])
        let (chat, store, session) = try await handedOver(settings: settings, page: nil)
        _ = try await chat.agentMessage(session.conversation.id, name: "Alice", text: "Hi", externalID: "p1")
        let found = try #require(try await unseen(store, session.conversation.id))
        let (mail, _) = try #require(try await chat.replyMail(for: found))
        #expect(mail.subject == "Alice replied to your chat on www.shop.example")
        #expect(mail.body.contains("To answer, open the chat again: https://www.shop.example/"))
    }

    /// The page is the visitor's word: one on a site the widget is not allowed on is not
    /// linked (the widget's first site is), and a widget allowed anywhere links none.
    @Test func onlyASiteTheWidgetIsAllowedOnIsLinked() async throws {
        let (chat, store, session) = try await handedOver(origins: ["https://www.shop.example"], page: "https://evil.example/shop-login")
        _ = try await chat.agentMessage(session.conversation.id, name: "Alice", text: "Hi", externalID: "p1")
        let found = try #require(try await unseen(store, session.conversation.id))
        let (mail, _) = try #require(try await chat.replyMail(for: found))
        #expect(mail.subject == "Alice replied to your chat on www.shop.example")
        #expect(mail.body.contains("open the chat again: https://www.shop.example/\n") && !mail.body.contains("evil"), "\(mail.body)")

        let (anywhere, anywhereStore, anywhereSession) = try await handedOver(origins: [], page: "https://evil.example/shop-login")
        _ = try await anywhere.agentMessage(anywhereSession.conversation.id, name: "Alice", text: "Hi", externalID: "p1")
        let unlinked = try #require(try await unseen(anywhereStore, anywhereSession.conversation.id))
        let (plain, _) = try #require(try await anywhere.replyMail(for: unlinked))
        #expect(plain.subject == "Alice replied to your chat on Shop help")
        #expect(plain.body.contains("To answer, open the chat on Shop help again.") && !plain.body.contains("http"), "\(plain.body)")
    }

    @Test(arguments: WidgetSettings.languages) func everyLanguageHasItsWords(_ language: String) async throws {
        let (chat, store, session) = try await handedOver(settings: WidgetSettings(language: language))
        _ = try await chat.agentMessage(session.conversation.id, name: "Alice", text: "…", externalID: "p1")
        let found = try #require(try await unseen(store, session.conversation.id))
        let (mail, _) = try #require(try await chat.replyMail(for: found))
        #expect(mail.language == language)
        #expect(mail.subject.contains("Alice") && mail.subject.contains("shop.example"))
        #expect(mail.body.contains("https://shop.example/cart"))
        #expect(!mail.body.contains("{") && !mail.subject.contains("{"))
        if language != "en" { #expect(!mail.body.contains("You get this email")) }
    }

    @Test(arguments: [
        ("grace@example.com", true), ("g.r+1@mail.example.co.uk", true),
        ("grace", false), ("grace@example", false), ("@example.com", false), ("grace@@example.com", false),
        ("grace@example.com\r\nBcc: x@y.z", false), ("Grace <grace@example.com>", false), ("grace @example.com", false),
        ("grâce@example.com", true), ("Δημήτρης@example.com", true), ("grace@exämple.com", false), ("gr\u{202E}ace@example.com", false),
        ("gr\u{200B}ace@example.com", false), ("gr\u{00A0}ace@example.com", false), ("grace@.example.com", false), ("grace@example.com.", false),
    ]) func addressesAreChecked(_ text: String, _ valid: Bool) {
        #expect(ReplyMail.isAddress(text) == valid)
    }

    /// A domain in other letters is mailed in its ASCII form; a name before the `@` in
    /// other letters as it is, composed (it needs a server with SMTPUTF8).
    @Test(arguments: [
        ("grace@example.com", "grace@example.com"), (" Grace@Müller.de ", "Grace@xn--mller-kva.de"),
        ("grace@bücher.example", "grace@xn--bcher-kva.example"), ("grace@例え。テスト", "grace@xn--r8jz45g.xn--zckzah"),
        ("grace@MÜNCHEN.DE", "grace@xn--mnchen-3ya.de"),
        ("grâce@example.com", "grâce@example.com"), ("gra\u{0302}ce@Müller.de", "grâce@xn--mller-kva.de"),
        ("gr\u{202E}ace@example.com", nil), ("grace@exa mple.de", nil), ("grace@müller..de", nil), ("grace", nil), ("grace@ü", nil),
    ] as [(String, String?)]) func aDomainInOtherLettersIsMailedInASCII(_ text: String, _ address: String?) {
        #expect(ReplyMail.deliverableAddress(text) == address)
    }

    @Test func anAddressInADomainOfOtherLettersGetsItsEmail() async throws {
        let (chat, store, session) = try await handedOver(email: "grace@müller.de")
        _ = try await chat.agentMessage(session.conversation.id, name: "Alice", text: "Hi", externalID: "p1")
        let found = try #require(try await unseen(store, session.conversation.id))
        #expect(try await chat.replyMail(for: found)?.mail.to == "grace@xn--mller-kva.de")
    }

    /// RFC 3492's samples (section 7.1) and names of known domains.
    @Test(arguments: [
        ("bücher", "bcher-kva"), ("münchen", "mnchen-3ya"), ("日本語", "wgv71a119e"),
        ("\u{0644}\u{064A}\u{0647}\u{0645}\u{0627}\u{0628}\u{062A}\u{0643}\u{0644}\u{0645}\u{0648}\u{0634}\u{0639}\u{0631}\u{0628}\u{064A}\u{061F}",
         "egbpdaj6bu4bxfgehfvwxn"),
        ("他们为什么不说中文", "ihqwcrb4cv8a8dqg056pqjye"),
        ("Pročprostěnemluvíčesky", "Proprostnemluvesky-uyb24dma41a"),
        ("почемужеонинеговорятпорусски", "b1abfaaepdrnnbgefbadotcwatmq2g4l"),
        ("3年B組金八先生", "3B-ww4c5e180e575a65lsy2b"),
    ]) func punycodeAsRFC3492Gives(_ text: String, _ encoded: String) {
        #expect(Punycode.encode(text) == encoded)
    }
}

/// Agents' Markdown in a plain-text email: the words, without the marks.
@Suite struct MarkdownPlainTests {
    @Test(arguments: [
        ("**Done**, see [our returns page](https://shop.example/returns).", "Done, see our returns page (https://shop.example/returns)."),
        ("Type `reset` and ~~wait~~ *retry* or _now_.", "Type reset and wait retry or now."),
        ("snake_case_name stays, 2*3*4 too", "snake_case_name stays, 2*3*4 too"),
        ("[https://shop.example/x](https://shop.example/x)", "https://shop.example/x"),
        ("[wiki](https://w.example/Swift_(lang))", "wiki (https://w.example/Swift_(lang))"),
        ("![the box](https://shop.example/box.png)", "the box (https://shop.example/box.png)"),
        ("## Your order\n```\ncode line\n```\n\\*not italic\\*", "Your order\ncode line\n*not italic*"),
        ("C:\\path\\to", "C:\\path\\to"),
    ]) func marksGoWordsStay(_ markdown: String, _ plain: String) {
        #expect(MarkdownPlain.text(markdown) == plain)
    }
}
