/// Limits and texts that apply to every widget.
public struct ChatPolicy: Sendable {
    /// Longest visitor message, in Unicode scalars (what Mattermost counts as runes).
    public var maxTextLength: Int
    /// Most messages replayed to a widget on (re)connect.
    public var historyLimit: Int

    public init(maxTextLength: Int = 4000, historyLimit: Int = 500) {
        self.maxTextLength = maxTextLength
        self.historyLimit = historyLimit
    }
}

/// Why a visitor's request was refused, in words the widget can show.
public enum ChatError: Error, Equatable {
    case unknownWidget(String)
    case unknownVisitor
    case emptyMessage
    case textTooLong(limit: Int)
    case invalidClientID
    case unavailable(String)

    /// A stable machine-readable code (the widget protocol's `error.code`).
    public var code: String {
        switch self {
        case .unknownWidget: "unknown_widget"
        case .unknownVisitor: "unknown_visitor"
        case .emptyMessage: "empty_message"
        case .textTooLong: "text_too_long"
        case .invalidClientID: "invalid_client_id"
        case .unavailable: "unavailable"
        }
    }

    public var message: String {
        switch self {
        case .unknownWidget(let key): "No widget has the key \"\(key)\". Check the data-widget attribute of the embed snippet."
        case .unknownVisitor: "This visitor token is not known here. Start a new conversation without it."
        case .emptyMessage: "The message is empty."
        case .textTooLong(let limit): "The message is longer than \(limit) characters."
        case .invalidClientID: "clientId must be 1 to 64 characters of letters, digits, '-', '_', ':' or '.'."
        case .unavailable(let reason): "The server cannot take messages right now (\(reason)). Try again shortly."
        }
    }
}

/// An open chat: the visitor, the current conversation and what the widget missed.
public struct ChatSession: Sendable {
    public var widget: Widget
    public var botName: String
    public var visitor: Visitor
    public var conversation: Conversation
    /// Set only when the visitor was created by this session: the widget must keep it.
    public var newToken: String?
    /// Messages after the widget's last seen id, oldest first.
    public var messages: [Message]
    /// More messages exist before `messages` than were sent.
    public var truncated: Bool
}

/// What became of a visitor message.
public enum Receipt: Sendable, Equatable {
    /// Stored now with this id.
    case stored(MessageID)
    /// Was stored before (a resend): this is its id; nothing was done again.
    case duplicate(MessageID)
}

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
    let locks = KeyedLock<VisitorID>()
    let hashToken: @Sendable (String) -> String

    /// - Parameter hashToken: one-way hash of visitor tokens (SHA-256 in production).
    public init(store: any ChatStore, bots: any BotDirectory, agents: any AgentDesk = NoAgentDesk(),
                hub: ChatHub = ChatHub(), policy: ChatPolicy = .init(),
                hashToken: @escaping @Sendable (String) -> String) {
        self.store = store
        self.bots = bots
        self.agents = agents
        self.hub = hub
        self.policy = policy
        self.hashToken = hashToken
    }

    /// Opens a chat for a widget: a new visitor when `token` is nil, else the visitor the
    /// token belongs to, with the messages of its current conversation after `lastSeen`.
    ///
    /// `sink` is subscribed to the visitor's events and receives `.opened(session)` first:
    /// subscribing and reading the history happen under the visitor's lock, so no event
    /// falls between the history and the live stream, and none comes twice.
    @discardableResult
    public func open(widgetKey: String, token: String?, lastSeen: MessageID = 0,
                     subscription: SubscriptionID, sink: @escaping ChatHub.Sink) async throws -> ChatSession {
        guard let (widget, bot) = try await bots.widget(forKey: widgetKey) else {
            throw ChatError.unknownWidget(widgetKey)
        }
        guard let token else {
            let session = try await startVisitor(widget: widget, bot: bot)
            hub.subscribe(session.visitor.id, id: subscription, sink: sink)
            sink(.opened(session))
            return session
        }
        guard let visitor = try await store.visitor(tokenHash: hashToken(token)), visitor.widgetKey == widget.key else {
            throw ChatError.unknownVisitor
        }
        return try await locks.withLock(visitor.id) {
            let session: ChatSession
            if let conversation = try await store.latestConversation(of: visitor.id) {
                // Ids grow across conversations, so a last-seen id from an earlier
                // conversation replays the whole current one.
                var messages = try await store.messages(in: conversation.id, after: max(lastSeen, 0), limit: policy.historyLimit + 1)
                let truncated = messages.count > policy.historyLimit
                if truncated { messages = Array(messages.suffix(policy.historyLimit)) }
                session = ChatSession(widget: widget, botName: bot.name, visitor: visitor, conversation: conversation,
                                      messages: messages, truncated: truncated)
            } else {
                // Never strand a visitor without a conversation.
                let (conversation, messages) = try await begin(for: visitor, widget: widget, bot: bot, insertVisitor: false)
                session = ChatSession(widget: widget, botName: bot.name, visitor: visitor, conversation: conversation,
                                      messages: messages, truncated: false)
            }
            hub.subscribe(visitor.id, id: subscription, sink: sink)
            sink(.opened(session))
            return session
        }
    }

    /// Stops delivering events to a widget that went away.
    public func close(_ session: ChatSession, subscription: SubscriptionID) {
        hub.unsubscribe(session.visitor.id, subscription)
    }

    private func startVisitor(widget: Widget, bot: any ChatBot) async throws -> ChatSession {
        let token = RandomID.secret()
        let now = Millis.now()
        let visitor = Visitor(id: .random(), widgetKey: widget.key, tokenHash: hashToken(token), createdAt: now, lastSeenAt: now)
        let (conversation, messages) = try await begin(for: visitor, widget: widget, bot: bot, insertVisitor: true)
        return ChatSession(widget: widget, botName: bot.name, visitor: visitor, conversation: conversation,
                           newToken: token, messages: messages, truncated: false)
    }

    /// Creates a conversation with the bot's greeting.
    private func begin(for visitor: Visitor, widget: Widget, bot: any ChatBot,
                       insertVisitor: Bool) async throws -> (Conversation, [Message]) {
        let now = Millis.now()
        var conversation = Conversation(id: .random(), widgetKey: widget.key, visitorID: visitor.id, createdAt: now, updatedAt: now)
        let greeting = bot.greet(&conversation).map { botMessage($0, bot: bot) }
        let stored = try await store.commit(ChangeSet(visitor: insertVisitor ? visitor : nil, conversation: conversation, messages: greeting))
        return (conversation, stored)
    }

    /// Takes a visitor message: stores it with the bot's answer atomically, publishes both
    /// to the visitor's widgets, and returns the message id. A resent `clientID` is
    /// answered with the first id and nothing else happens.
    public func receive(_ input: VisitorInput, clientID: String, from session: ChatSession,
                        origin: SubscriptionID?) async throws -> Receipt {
        let text = Self.clean(input.text)
        guard Self.isValidClientID(clientID) else { throw ChatError.invalidClientID }
        guard text.unicodeScalars.count <= policy.maxTextLength else { throw ChatError.textTooLong(limit: policy.maxTextLength) }
        guard !text.isEmpty else { throw ChatError.emptyMessage }
        let input = VisitorInput(text: text, action: input.action)
        guard let (widget, bot) = try await bots.widget(forKey: session.widget.key) else {
            throw ChatError.unknownWidget(session.widget.key)
        }
        let visitor = session.visitor
        return try await locks.withLock(visitor.id) {
            if let earlier = try await store.message(from: visitor.id, clientID: clientID) {
                return .duplicate(earlier.id)
            }
            var events: [ChatEvent] = []
            var greeting: [NewMessage] = []
            var conversation: Conversation
            let current = try await store.latestConversation(of: visitor.id)
            if let current, current.state != .closed {
                conversation = current
            } else {
                // Writing to a closed conversation starts a new one (docs/widget-protocol.md).
                // It must sort after the closed one even within the same millisecond.
                let now = max(Millis.now(), (current?.createdAt ?? 0) + 1)
                conversation = Conversation(id: .random(), widgetKey: widget.key, visitorID: visitor.id, createdAt: now, updatedAt: now)
                greeting = bot.greet(&conversation).map { botMessage($0, bot: bot) }
                events.append(.conversationStarted(conversation))
            }
            let before = conversation.state
            var messages = greeting
            messages.append(NewMessage(role: .visitor, text: input.text, clientID: clientID))
            if conversation.state.isBotActive {
                let outcome = bot.respond(to: input, in: &conversation)
                messages += outcome.replies.map { botMessage($0, bot: bot) }
                if let request = outcome.handover {
                    messages += try await handOver(&conversation, request, bot: bot)
                }
            }
            conversation.updatedAt = Millis.now()
            let stored: [Message]
            do {
                stored = try await store.commit(ChangeSet(visitor: updatedVisitor(visitor, from: conversation), conversation: conversation, messages: messages))
            } catch StoreError.duplicateClientMessage(let existing) {
                return .duplicate(existing)
            }
            for message in stored {
                events.append(.message(message, origin: message.role == .visitor ? origin : nil))
                // The state change follows the visitor's message it answers.
                if message.role == .visitor, conversation.state != before { events.append(.state(conversation.id, conversation.state)) }
            }
            for event in events { hub.publish(event, to: visitor.id) }
            let visitorMessage = stored.first { $0.role == .visitor && $0.clientID == clientID }
            return .stored(visitorMessage?.id ?? 0)
        }
    }

    /// Moves the conversation to `waiting_for_agent`; without a connected agent side the
    /// visitor is told so by the bot's "nobody is available" message.
    private func handOver(_ conversation: inout Conversation, _ request: HandoverRequest,
                          bot: any ChatBot) async throws -> [NewMessage] {
        conversation.progress.handoverReason = request.reason
        try conversation.move(to: .waitingForAgent)
        guard await agents.isConnected(widgetKey: conversation.widgetKey) else {
            return [botMessage(bot.noAgentsReply(conversation), bot: bot)]
        }
        return request.message.map { [botMessage($0, bot: bot)] } ?? []
    }

    /// The visitor record with the name and email the bot collected, when they changed.
    private func updatedVisitor(_ visitor: Visitor, from conversation: Conversation) -> Visitor? {
        var updated = visitor
        if let name = conversation.variable("name") { updated.name = name }
        if let email = conversation.variable("email") { updated.email = email }
        return updated == visitor ? nil : updated
    }

    private func botMessage(_ reply: BotReply, bot: any ChatBot) -> NewMessage {
        NewMessage(role: .bot, authorName: bot.name, text: reply.text, buttons: reply.buttons)
    }

    /// Text as stored: control characters other than newline and tab removed, line ends
    /// normalised, surrounding white space trimmed.
    static func clean(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A, 0x09: scalars.append(scalar)
            case 0x0D: continue
            case 0x00...0x1F, 0x7F: continue
            default: scalars.append(scalar)
            }
        }
        return String(scalars).trimmingWhitespace()
    }

    static func isValidClientID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64 && id.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || byte == 0x5F || byte == 0x3A || byte == 0x2E
        }
    }
}

extension String {
    /// The string without leading and trailing white space and newlines.
    public func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
