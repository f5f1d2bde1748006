import Foundation

extension ChatService {
    /// The visitor's widget showed them their conversation's messages up to `message`
    /// (the panel open on a visible page): replies up to there are not emailed.
    public func visitorSaw(upTo message: MessageID, visitor: VisitorID) async throws {
        guard message > 0, let conversation = try await store.latestConversation(of: visitor) else { return }
        try await store.markRepliesSeen(in: conversation.id, upTo: message)
    }

    /// The email of the agents' replies in `unseen` that its visitor neither saw nor got by
    /// email, and the newest message it covers; nil when there is none (the replies were
    /// deleted), no address to send them to, or the widget sends no such emails.
    public func replyMail(for unseen: UnseenReplies) async throws -> (mail: ReplyMail, upTo: MessageID)? {
        guard unseen.hasNews, let conversation = try await store.conversation(id: unseen.conversationID),
              let visitor = try await store.visitor(id: conversation.visitorID) else { return nil }
        guard let address = (conversation.variable("email") ?? visitor.email).flatMap(ReplyMail.deliverableAddress) else { return nil }
        let after = max(unseen.seen, unseen.mailed)
        let messages = try await store.messages(in: conversation.id, after: after, limit: 1000)
        let replies = Self.replies(in: messages)
        guard !replies.isEmpty, let upTo = messages.last?.id else { return nil }

        let found = try await bots.widget(forKey: conversation.widgetKey)
        guard found?.widget.settings.emailMissedReplies != false else { return nil }
        let sender = found.map { $0.widget.settings.title ?? $0.bot.name } ?? conversation.widgetKey
        // The language the widget showed the visitor (the page may have chosen it), else the
        // one it is set to speak, else the browser's.
        let language = visitor.widgetLanguage.flatMap { WidgetSettings.languages.contains($0) ? $0 : nil }
            ?? found.flatMap { $0.widget.settings.language(botLanguage: $0.bot.language) }
            ?? visitor.language.flatMap(WidgetSettings.language(forTag:)) ?? "en"
        let words = ReplyMailWords.of(language)
        // The page they chatted on, else the first site the widget may be on (a widget that
        // is told no pages, `data-page="off"`), else the widget's name. Only a site the
        // widget is allowed on is linked: the page is the visitor's word, and a widget
        // allowed anywhere would let anyone have this mail server send a link to a site of
        // theirs.
        // Its address only, without a query: what a script that is no widget said there
        // (an open redirect's parameter) is not sent in the company's name.
        let allowed = Set((found?.widget.settings.allowedOrigins ?? []).compactMap(WebOrigin.canonical))
        let pageURL = visitor.page.flatMap { page in WebOrigin.of(url: page.url).map(allowed.contains) == true ? Self.withoutQuery(page.url) : nil }
            ?? found?.widget.settings.allowedOrigins.first.flatMap(WebOrigin.canonical).flatMap { URL(string: $0 + "/") }
        let site = pageURL?.host ?? sender
        // The link opens this chat in any browser, not only the one it began in; a signed-in
        // user's opens where they sign in.
        var link = pageURL
        if let pageURL, visitor.externalID == nil {
            link = try await emailLink(to: pageURL, visitor: visitor, widgetKey: conversation.widgetKey)
        }

        func fill(_ text: String) -> String {
            text.replacingOccurrences(of: "{agent}", with: replies[0].authorName ?? sender).replacingOccurrences(of: "{site}", with: site)
        }
        var lines = [fill(words.intro), ""]
        var lastAuthor: String?
        for reply in replies {
            let author = reply.authorName ?? sender
            if author != lastAuthor {
                if lastAuthor != nil { lines.append("") }
                lines.append(author + ":")
                lastAuthor = author
            }
            if !reply.text.isEmpty { lines.append(MarkdownPlain.text(reply.text)) }
            lines += reply.files.map { "📎 " + $0.name }
        }
        lines += ["", link.map { words.goOn.replacingOccurrences(of: "{link}", with: $0.absoluteString) } ?? fill(words.goOnWithoutLink),
                  "", "-- ", words.why]
        let subject = fill(words.subject).replacingOccurrences(of: "\n", with: " ")
        return (ReplyMail(to: address, senderName: sender, subject: subject, body: lines.joined(separator: "\n"), language: language), upTo)
    }

    /// How long the link in an email opens the chat it is about.
    public static let emailLinkLifetime: Millis = 30 * 24 * 3_600_000

    /// What a widget key may hold unescaped in a link's fragment.
    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")

    /// `page` with the code of a new link to the visitor's chat in its fragment
    /// (`#baton-chat=WIDGET:CODE`: the widget on that page opens the chat with it; a
    /// fragment does not reach the website's server, nor a Referer). The code is stored as
    /// a SHA-256 and good for `emailLinkLifetime`.
    func emailLink(to page: URL, visitor: Visitor, widgetKey: String) async throws -> URL? {
        let code = RandomID.secret()
        let now = Millis.now()
        try await store.addVisitorKey(tokenHash: hashToken(code), visitor: visitor.id, expiresAt: now + Self.emailLinkLifetime, now: now)
        var components = URLComponents(url: page, resolvingAgainstBaseURL: false)
        let key = widgetKey.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? widgetKey
        components?.percentEncodedFragment = "baton-chat=\(key):\(code)"
        return components?.url ?? page
    }

    /// The replies the visitor had not seen were emailed to them: the transcript says so
    /// (and the widget, when they come back, in its language), and the agent side tells
    /// the room, when the widget is connected to one. The conversation's state and time of
    /// last change are left as they were.
    public func repliesEmailed(in id: ConversationID) async throws {
        guard let found = try await store.conversation(id: id) else { return }
        let connected = await agentSideFollows(found)
        try await locks.withLock(found.visitorID) { try await retryingConflicts(of: found.visitorID) {
            guard let conversation = try await store.conversation(id: id) else { return }
            let notice = NewMessage(notice: Notice(.repliesEmailed, name: try await store.visitorName(of: conversation)))
            _ = try await apply(ChangeSet(conversation: conversation, messages: [notice], tasks: connected ? [.repliesEmailed] : [],
                                          basis: conversation), from: conversation.state)
        } }
    }

    /// The agents' messages among `messages`, as corrected later in them: a reply edited
    /// reads as it does now, a deleted one is left out, and corrections of earlier replies
    /// (already seen or mailed) are not news.
    static func replies(in messages: [Message]) -> [Message] {
        var replies = messages.filter { $0.role == .agent && $0.replaces == nil }
        for correction in messages where correction.role == .agent {
            guard let original = correction.replaces, let index = replies.firstIndex(where: { $0.id == original }) else { continue }
            replies[index].text = correction.text
            replies[index].files = correction.files
        }
        return replies.filter { !$0.text.isEmpty || !$0.files.isEmpty }
    }

    /// A page's address without its query and fragment.
    static func withoutQuery(_ url: String) -> URL? {
        guard var parts = URLComponents(string: url) else { return nil }
        parts.query = nil
        parts.fragment = nil
        return parts.url
    }
}
