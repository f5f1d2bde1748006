/// The conversation use cases, independent of any transport: start or resume a chat,
/// take a visitor message, let the bot answer, hand over. Every step of one visitor runs
/// under that visitor's lock, is committed atomically, and is published to the visitor's
/// open widgets before the next step starts, so all of them see one order.
public final class ChatService: Sendable {
    public let store: any ChatStore
    public let bots: any BotDirectory
    public let agents: any AgentDesk
    public let hub: ChatHub
    public let policy: ChatPolicy
    /// Other processes sharing the database, when there are (PostgreSQL).
    public let shared: (any SharedChanges)?
    let metrics: ChatMetrics
    let locks = KeyedLock<VisitorID>()
    /// Openings of one verified website user (widget key and user id).
    let identityLocks = KeyedLock<String>()
    let recent = ConversationCache()
    let hashToken: @Sendable (String) -> String
    /// The time, for working hours (tests set it).
    let clock: @Sendable () -> Millis

    /// - Parameter hashToken: one-way hash of visitor tokens (SHA-256 in production).
    public init(store: any ChatStore, bots: any BotDirectory, agents: any AgentDesk = NoAgentDesk(),
                hub: ChatHub = ChatHub(), policy: ChatPolicy = .init(), shared: (any SharedChanges)? = nil,
                metrics: ChatMetrics = .none, clock: @escaping @Sendable () -> Millis = { Millis.now() },
                hashToken: @escaping @Sendable (String) -> String) {
        self.clock = clock
        self.shared = shared
        self.metrics = metrics
        self.store = store
        self.bots = bots
        self.agents = agents
        self.hub = hub
        self.policy = policy
        self.hashToken = hashToken
    }

    /// Opens a chat for a widget: a new visitor when `token` is nil, else the visitor the
    /// token belongs to, with the messages of its current conversation after `lastSeen`.
    /// With a verified `identity` the visitor is the website user's, whatever browser it
    /// writes from: found by the user's id, or this browser's anonymous visitor (`token`)
    /// when the user has none yet, or a new one. A token of a signed-in user's visitor
    /// opens nothing without that identity (`unknownVisitor`): on a shared computer, the
    /// next person does not see the chat of the one who signed out.
    ///
    /// With the code of a `link` emailed to an anonymous visitor (`emailLink`), that
    /// visitor's chat opens whatever `token` says, in any browser: a browser that is not
    /// the visitor's yet gets a token of its own (`newToken`), and their other browsers
    /// keep theirs. A code unknown, expired or of another widget opens the chat as if
    /// there were none, and says so (`linkExpired`). A signed-in user's chat opens by
    /// `identity` only.
    ///
    /// `sink` is subscribed to the visitor's events and receives `.opened(session)` first:
    /// subscribing and reading the history happen under the visitor's lock, so no event
    /// falls between the history and the live stream, and none comes twice.
    @discardableResult
    public func open(widgetKey: String, token: String?, link: String? = nil, identity: VisitorIdentity? = nil, lastSeen: MessageID = 0,
                     subscription: SubscriptionID, sink: @escaping ChatHub.Sink) async throws -> ChatSession {
        guard let (widget, bot) = try await bots.widget(forKey: widgetKey) else {
            throw ChatError.unknownWidget(widgetKey)
        }
        var opening = Opening(widget: widget, bot: bot, lastSeen: lastSeen, subscription: subscription, sink: sink)
        if let identity { return try await open(identity, token: token, opening) }
        if let link {
            if let session = try await open(link: link, token: token, opening) { return session }
            opening.linkExpired = true
        }
        guard let token else {
            let session = try await startVisitor(widget: widget, bot: bot, linkExpired: opening.linkExpired)
            hub.subscribe(session.visitor.id, id: subscription, sink: sink)
            sink(.opened(session))
            return session
        }
        guard let visitor = try await store.visitor(tokenHash: hashToken(token)), visitor.widgetKey == widget.key,
              visitor.externalID == nil else {
            throw ChatError.unknownVisitor
        }
        return try await resume(visitor, opening)
    }

    /// What `open` needs beyond the visitor.
    private struct Opening {
        var widget: Widget
        var bot: any ChatBot
        var lastSeen: MessageID
        var subscription: SubscriptionID
        var sink: ChatHub.Sink
        /// A token this browser is given for the visitor it opens (by a link).
        var newToken: String?
        /// The link it came with was unknown or expired.
        var linkExpired = false
    }

    /// The visitor an emailed link's code opens; nil when the code is unknown, expired, of
    /// another widget or of a signed-in user.
    private func visitor(link: String, widgetKey: String) async throws -> Visitor? {
        guard let linked = try await store.visitor(linkHash: hashToken(link), now: .now()), linked.widgetKey == widgetKey,
              linked.externalID == nil else { return nil }
        return linked
    }

    /// Whether an emailed link's code opens a chat of `widgetKey` (a returning visitor),
    /// rather than starting a new one.
    public func linkOpensChat(_ link: String, widgetKey: String) async throws -> Bool {
        try await visitor(link: link, widgetKey: widgetKey) != nil
    }

    /// Opens the chat an emailed link's code is for; nil when the code does not open one.
    private func open(link: String, token: String?, _ opening: Opening) async throws -> ChatSession? {
        guard let linked = try await visitor(link: link, widgetKey: opening.widget.key) else { return nil }
        var opening = opening
        var current: Visitor?
        if let token { current = try await store.visitor(tokenHash: hashToken(token)) }
        if current?.id != linked.id {
            let browserToken = RandomID.secret()
            try await store.addVisitorKey(tokenHash: hashToken(browserToken), visitor: linked.id, expiresAt: nil, now: .now())
            opening.newToken = browserToken
            // What this browser showed was another chat: the whole of this one.
            opening.lastSeen = 0
        }
        return try await resume(linked, opening)
    }

    /// Opens the chat of a verified website user. One user's openings are taken one at a
    /// time, so two tabs opening at once find or make the same visitor.
    private func open(_ identity: VisitorIdentity, token: String?, _ opening: Opening) async throws -> ChatSession {
        let widget = opening.widget
        return try await identityLocks.withLock("\(widget.key)\n\(identity.id)") {
            if let known = try await store.visitor(widgetKey: widget.key, externalID: identity.id) {
                return try await resume(known, learning: identity, opening)
            }
            // The user chatted in this browser before signing in: that chat goes on (unless
            // another user, signing in with the same token at the same moment, took it).
            if let token, let anonymous = try await store.visitor(tokenHash: hashToken(token)),
               anonymous.widgetKey == widget.key, anonymous.externalID == nil {
                do {
                    return try await resume(anonymous, learning: identity, opening)
                } catch AdoptionError.takenMeanwhile {}
            }
            // Recognised by the identity, not by a token: it gets one nobody holds.
            let now = Millis.now()
            let visitor = Visitor(id: .random(), widgetKey: widget.key, tokenHash: hashToken(RandomID.secret()),
                                  name: identity.name, email: identity.email, externalID: identity.id, createdAt: now, lastSeenAt: now)
            let (conversation, messages) = try await begin(for: visitor, widget: widget, bot: opening.bot, insertVisitor: true)
            let session = ChatSession(widget: widget, botName: opening.bot.name, botLanguage: opening.bot.language, visitor: visitor, conversation: conversation,
                                      messages: messages, truncated: false)
            hub.subscribe(visitor.id, id: opening.subscription, sink: opening.sink)
            opening.sink(.opened(session))
            return session
        }
    }

    /// An anonymous visitor another user's opening made theirs first.
    private enum AdoptionError: Error { case takenMeanwhile }

    /// Resumes a stored visitor's current conversation (or starts one); with `identity`,
    /// the visitor is first recorded as that website user, with the name and email the
    /// page gave, when they differ from what is stored.
    private func resume(_ found: Visitor, learning identity: VisitorIdentity? = nil, _ opening: Opening) async throws -> ChatSession {
        try await locks.withLock(found.id) {
            // An anonymous visitor becomes one user's: read again under its lock, in case
            // another user's opening made it theirs meanwhile (the locks of two users'
            // openings are not the same).
            if let identity, found.externalID == nil, let now = try await store.visitor(id: found.id),
               let owner = now.externalID, owner != identity.id {
                throw AdoptionError.takenMeanwhile
            }
            var visitor = found
            if let identity {
                visitor.externalID = identity.id
                if let name = identity.name { visitor.name = name }
                if let email = identity.email { visitor.email = email }
            }
            let widget = opening.widget, bot = opening.bot
            let session: ChatSession
            if var conversation = try await latestConversation(of: visitor.id) {
                if visitor != found {
                    // Written with the conversation (a step writes a visitor only with one),
                    // which learns the name and email too while the bot is not asking.
                    conversation = try await retryingConflicts(of: visitor.id) {
                        guard var current = try await latestConversation(of: visitor.id) else { return conversation }
                        let basis = current
                        if current.state == .bot {
                            if let name = visitor.name, current.variable("name") == nil { current.set("name", to: name) }
                            if let email = visitor.email, current.variable("email") == nil { current.set("email", to: email) }
                        }
                        _ = try await store.commit(ChangeSet(visitor: visitor, conversation: current, basis: basis))
                        recent.update(current)
                        return current
                    }
                }
                // Ids grow across conversations, so a last-seen id from an earlier
                // conversation replays the whole current one. Past the limit, the newest
                // (it sent the oldest, leaving out the latest replies).
                var messages = try await store.latestMessages(in: conversation.id, after: max(opening.lastSeen, 0), limit: policy.historyLimit + 1)
                let truncated = messages.count > policy.historyLimit
                if truncated { messages = Array(messages.suffix(policy.historyLimit)) }
                session = ChatSession(widget: widget, botName: bot.name, botLanguage: bot.language, visitor: visitor, conversation: conversation,
                                      newToken: opening.newToken, messages: messages, truncated: truncated, linkExpired: opening.linkExpired)
            } else {
                // Never strand a visitor without a conversation.
                let (conversation, messages) = try await begin(for: visitor, widget: widget, bot: bot, insertVisitor: visitor != found)
                session = ChatSession(widget: widget, botName: bot.name, botLanguage: bot.language, visitor: visitor, conversation: conversation,
                                      newToken: opening.newToken, messages: messages, truncated: false, linkExpired: opening.linkExpired)
            }
            hub.subscribe(visitor.id, id: opening.subscription, sink: opening.sink)
            opening.sink(.opened(session))
            return session
        }
    }

    /// An admin tries the widget in this session (`ChatSession.triedBy`): its conversation
    /// is marked, as the ones it starts later will be (best effort there: a conversation
    /// left unmarked only counts in the insights).
    public func markTried(_ session: ChatSession) async throws {
        guard let admin = session.triedBy else { return }
        try await store.markTried(session.conversation.id, by: admin)
    }

    /// Stops delivering events to a widget that went away.
    public func close(_ session: ChatSession, subscription: SubscriptionID) {
        hub.unsubscribe(session.visitor.id, subscription)
    }

    private func startVisitor(widget: Widget, bot: any ChatBot, linkExpired: Bool = false) async throws -> ChatSession {
        let token = RandomID.secret()
        let now = Millis.now()
        let visitor = Visitor(id: .random(), widgetKey: widget.key, tokenHash: hashToken(token), createdAt: now, lastSeenAt: now)
        let (conversation, messages) = try await begin(for: visitor, widget: widget, bot: bot, insertVisitor: true)
        return ChatSession(widget: widget, botName: bot.name, botLanguage: bot.language, visitor: visitor, conversation: conversation,
                           newToken: token, messages: messages, truncated: false, linkExpired: linkExpired)
    }

    /// Creates a conversation with the bot's greeting.
    private func begin(for visitor: Visitor, widget: Widget, bot: any ChatBot,
                       insertVisitor: Bool) async throws -> (Conversation, [Message]) {
        let now = Millis.now()
        var conversation = Conversation(id: .random(), widgetKey: widget.key, visitorID: visitor.id, createdAt: now, updatedAt: now)
        // What the visitor told us before, or the website said, need not be asked.
        if let name = visitor.name { conversation.set("name", to: name) }
        if let email = visitor.email { conversation.set("email", to: email) }
        let greeting = greet(&conversation, widget: widget, bot: bot)
        let stored = try await store.commit(ChangeSet(visitor: insertVisitor ? visitor : nil, conversation: conversation, messages: greeting))
        recent.remember(conversation)
        metrics.record(stored, started: true, from: conversation.state, to: conversation.state)
        return (conversation, stored)
    }

    /// The visitor's latest conversation, from the cache when it is there.
    func latestConversation(of visitor: VisitorID) async throws -> Conversation? {
        if let cached = recent.latest(of: visitor) { return cached }
        let stored = try await store.latestConversation(of: visitor)
        if let stored { recent.remember(stored) }
        return stored
    }

    /// Runs a step, again (up to 5 times) when the store says another process moved the
    /// conversation meanwhile (`StoreError.conflict`); the cached conversation is dropped
    /// first, so the step reads the stored one. Call it under the visitor's lock.
    func retryingConflicts<T>(of visitor: VisitorID, _ step: () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await step()
            } catch StoreError.conflict where attempt < 5 {
                attempt += 1
                recent.forget(visitor)
            }
        }
    }

    /// Commits a change, publishes what it stored to the visitor's widgets (the state
    /// change right after the message that caused it), and wakes the agent side when the
    /// change queued tasks. Call it under the visitor's lock.
    func apply(_ change: ChangeSet, from before: ConversationState, prefix: [ChatEvent] = [],
               origin: SubscriptionID? = nil) async throws -> [Message] {
        let stored = try await store.commit(change)
        recent.update(change.conversation)
        metrics.record(stored, started: prefix.contains { if case .conversationStarted = $0 { true } else { false } },
                       from: before, to: change.conversation.state)
        var events = prefix
        var stateSent = change.conversation.state == before
        for message in stored {
            events.append(.message(message, origin: message.role == .visitor ? origin : nil))
            if !stateSent, message.role == .visitor || message.role == .system {
                events.append(.state(change.conversation.id, change.conversation.state))
                stateSent = true
            }
        }
        if !stateSent { events.append(.state(change.conversation.id, change.conversation.state)) }
        for event in events { hub.publish(event, to: change.conversation.visitorID) }
        if !change.tasks.isEmpty { agents.tasksAdded(widgetKey: change.conversation.widgetKey, conversation: change.conversation.id) }
        return stored
    }

    /// The visitor record with the name and email the bot collected, when they changed.
    func updatedVisitor(_ visitor: Visitor, from conversation: Conversation) -> Visitor? {
        var updated = visitor
        if let name = conversation.variable("name") { updated.name = name }
        if let email = conversation.variable("email") { updated.email = email }
        return updated == visitor ? nil : updated
    }

    /// The bot's greeting for a new conversation, its first text replaced by the widget's
    /// own greeting when it has one (`{{name}}` and `{{email}}` in it filled in as in the bot's).
    func greet(_ conversation: inout Conversation, widget: Widget, bot: any ChatBot) -> [NewMessage] {
        var messages = bot.greet(&conversation).map { botMessage($0, bot: bot) }
        if let own = widget.settings.greeting?.trimmingWhitespace(), !own.isEmpty {
            let text = bot.fill(own, for: conversation)
            if messages.isEmpty {
                messages = [NewMessage(role: .bot, authorName: bot.name, text: text)]
            } else {
                messages[0].text = text
            }
        }
        return messages
    }

    func botMessage(_ reply: BotReply, bot: any ChatBot) -> NewMessage {
        NewMessage(role: .bot, authorName: bot.name, text: reply.text, buttons: reply.buttons)
    }

    /// Text as stored: control characters other than newline and tab removed (C0 and C1),
    /// line ends normalised (Unicode's line and paragraph separators become newlines),
    /// surrounding white space trimmed. The explicit bidirectional embeddings, overrides
    /// and isolates (U+202A–U+202E, U+2066–U+2069) are removed too: a visitor's name or
    /// text with a right-to-left override shows the rest of its line reversed, in the
    /// room, the announcement and the dashboard ("Eve\u{202E}gnp.exe" reads "Eveexe.png").
    /// Right-to-left text needs none of them; the marks (U+200E, U+200F) stay. So do
    /// characters that show nothing and mean nothing in a chat: the zero-width space, the
    /// soft hyphen, the word joiner and invisible operators, the byte order mark, the
    /// combining grapheme joiner, the interlinear annotation marks and the Hangul fillers
    /// (the joiners U+200C and U+200D stay: Persian words and emoji need them). A text of
    /// nothing visible is empty.
    public static func clean(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A, 0x09: scalars.append(scalar)
            case 0x2028, 0x2029: scalars.append("\n")
            case 0x0D: continue
            case 0x00...0x1F, 0x7F...0x9F: continue
            case 0x202A...0x202E, 0x2066...0x2069: continue
            case 0x00AD, 0x034F, 0x115F, 0x1160, 0x180E, 0x200B, 0x2060...0x2064, 0x3164, 0xFEFF, 0xFFA0, 0xFFF9...0xFFFB: continue
            default: scalars.append(scalar)
            }
        }
        let cleaned = String(scalars).trimmingWhitespace()
        let visible = cleaned.unicodeScalars.contains { !$0.properties.isWhitespace && !$0.properties.isDefaultIgnorableCodePoint }
        return visible ? cleaned : ""
    }

    static func isValidClientID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64 && id.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || byte == 0x5F || byte == 0x3A || byte == 0x2E
        }
    }
}
