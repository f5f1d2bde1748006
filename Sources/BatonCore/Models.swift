import Foundation

/// Milliseconds since 1970, the one time format Baton stores and sends. It is what
/// Mattermost uses too (`create_at`, `since`).
public typealias Millis = Int64

extension Millis {
    public static func now() -> Millis { Millis((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// A duration in whole milliseconds (rounded down).
    public init(_ duration: Duration) {
        self = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}

/// Who wrote a message.
public enum Role: String, Sendable, Codable {
    case visitor, bot, agent, system
}

/// A quick-reply button under a bot message. `action` is what pressing it does; without
/// one the button sends its title as if typed.
public struct QuickReply: Sendable, Codable, Hashable {
    public var title: String
    public var action: String?
    public init(title: String, action: String? = nil) {
        self.title = title
        self.action = action
    }
}

/// A stored message of a conversation.
public struct Message: Sendable, Codable, Hashable, Identifiable {
    public var id: MessageID
    public var conversationID: ConversationID
    public var role: Role
    /// The name shown to the visitor: the bot's or agent's name; nil for the visitor and
    /// for system notices.
    public var authorName: String?
    /// Who an agent is on the agent side (a Mattermost user id), whatever name they show:
    /// the insights count agents by it. Nil for other messages, and agents' messages
    /// stored before it was kept.
    public var authorID: String?
    public var text: String
    public var buttons: [QuickReply]
    /// The widget's own id for a visitor message; de-duplicates resent messages.
    public var clientID: String?
    /// The agent side's id for an agent message (a Mattermost post id); de-duplicates
    /// events seen twice.
    public var externalID: String?
    /// An agent's correction: this message's text replaces the text of message `replaces`
    /// of the same conversation; an empty text means that message was deleted.
    public var replaces: MessageID?
    /// Files sent with the message (the text may then be empty).
    public var files: [Attachment]
    /// A system notice's meaning, for the widget to say in the visitor's language (the
    /// text says it in English); nil for other messages and notices stored before.
    public var notice: Notice?
    /// A visitor's message the bot did not understand (it said its fallback, or handed
    /// over after too many): for the insights.
    public var misunderstood: Bool
    public var createdAt: Millis

    public init(id: MessageID, conversationID: ConversationID, role: Role, authorName: String? = nil, authorID: String? = nil,
                text: String, buttons: [QuickReply] = [], clientID: String? = nil, externalID: String? = nil,
                replaces: MessageID? = nil, files: [Attachment] = [], notice: Notice? = nil, misunderstood: Bool = false,
                createdAt: Millis) {
        self.id = id
        self.conversationID = conversationID
        self.role = role
        self.authorName = authorName
        self.authorID = authorID
        self.text = text
        self.buttons = buttons
        self.clientID = clientID
        self.externalID = externalID
        self.replaces = replaces
        self.files = files
        self.notice = notice
        self.misunderstood = misunderstood
        self.createdAt = createdAt
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(MessageID.self, forKey: .id)
        conversationID = try c.decode(ConversationID.self, forKey: .conversationID)
        role = try c.decode(Role.self, forKey: .role)
        authorName = try c.decodeIfPresent(String.self, forKey: .authorName)
        authorID = try c.decodeIfPresent(String.self, forKey: .authorID)
        text = try c.decode(String.self, forKey: .text)
        buttons = try c.decodeIfPresent([QuickReply].self, forKey: .buttons) ?? []
        clientID = try c.decodeIfPresent(String.self, forKey: .clientID)
        externalID = try c.decodeIfPresent(String.self, forKey: .externalID)
        replaces = try c.decodeIfPresent(MessageID.self, forKey: .replaces)
        files = try c.decodeIfPresent([Attachment].self, forKey: .files) ?? []
        notice = try c.decodeIfPresent(Notice.self, forKey: .notice)
        misunderstood = try c.decodeIfPresent(Bool.self, forKey: .misunderstood) ?? false
        createdAt = try c.decode(Millis.self, forKey: .createdAt)
    }
}

/// A message not stored yet; the store gives it its id.
public struct NewMessage: Sendable, Hashable {
    public var role: Role
    public var authorName: String?
    /// See `Message.authorID`.
    public var authorID: String?
    public var text: String
    public var buttons: [QuickReply]
    public var clientID: String?
    public var externalID: String?
    /// See `Message.replaces`.
    public var replaces: MessageID?
    /// Files sent with it; the store records this message as theirs.
    public var files: [Attachment]
    /// See `Message.notice`.
    public var notice: Notice?
    /// See `Message.misunderstood`.
    public var misunderstood = false
    public var createdAt: Millis

    public init(role: Role, authorName: String? = nil, authorID: String? = nil, text: String, buttons: [QuickReply] = [],
                clientID: String? = nil, externalID: String? = nil, replaces: MessageID? = nil, files: [Attachment] = [],
                notice: Notice? = nil, createdAt: Millis = .now()) {
        self.role = role
        self.authorName = authorName
        self.authorID = authorID
        self.text = text
        self.buttons = buttons
        self.clientID = clientID
        self.externalID = externalID
        self.replaces = replaces
        self.files = files
        self.notice = notice
        self.createdAt = createdAt
    }

    /// A system notice: its text is the notice in English.
    public init(notice: Notice, externalID: String? = nil) {
        self.init(role: .system, text: notice.englishText, externalID: externalID, notice: notice)
    }

    public func stored(id: MessageID, in conversation: ConversationID) -> Message {
        Message(id: id, conversationID: conversation, role: role, authorName: authorName, authorID: authorID, text: text, buttons: buttons,
                clientID: clientID, externalID: externalID, replaces: replaces, files: files, notice: notice,
                misunderstood: misunderstood, createdAt: createdAt)
    }
}

/// What a system notice to the visitor means ("Alice joined the chat."), so that the
/// widget can say it in its own language; the message's text says it in English, for
/// the transcript, the agents and widgets that do not know the kind.
public struct Notice: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable {
        /// An agent joined (`name`).
        case agentJoined = "agent_joined"
        /// The visitor waits, and the agents were reminded.
        case stillWaiting = "still_waiting"
        /// An agent closed the chat (`name`; nil when the agent side did not say who).
        case closed
        /// The visitor ended the chat from the widget (`name`: the visitor's, if known).
        case visitorEnded = "visitor_ended"
        /// The visitor rated the chat (`rating`; `name`: the visitor's, if known).
        case visitorRated = "visitor_rated"
        /// The replies the visitor had not seen were emailed to them (`name`: theirs, if known).
        case repliesEmailed = "replies_emailed"
    }

    public var kind: Kind
    public var name: String?
    /// A rating's value (`good`, `bad`).
    public var rating: String?

    public init(_ kind: Kind, name: String? = nil, rating: String? = nil) {
        self.kind = kind
        self.name = name
        self.rating = rating
    }

    public var englishText: String {
        switch kind {
        case .agentJoined: "\(name ?? "An agent") joined the chat."
        case .stillWaiting: "Thanks for waiting. Everyone is busy right now; someone will answer here as soon as they are free."
        case .closed: name.map { "\($0) closed the chat." } ?? "The chat was closed."
        case .visitorEnded: name.map { "\($0) ended the chat." } ?? "The visitor ended the chat."
        case .visitorRated: "\(name ?? "The visitor") rated the chat: \(rating ?? "")."
        case .repliesEmailed: "\(name ?? "The visitor") was emailed the replies they had not seen."
        }
    }
}

/// A person on a website, recognised across page reloads by a secret token kept in the
/// browser (only the token's SHA-256 is stored), or, when the website signs its users in
/// and vouches for them (identity verification), by the website's own user id.
public struct Visitor: Sendable, Codable, Hashable {
    public var id: VisitorID
    public var widgetKey: String
    public var tokenHash: String
    public var name: String?
    public var email: String?
    /// The website's user id, verified (an HMAC of it, made with the widget's identity
    /// secret, came with it); nil for an anonymous visitor. Unique per widget.
    public var externalID: String?
    public var createdAt: Millis
    public var lastSeenAt: Millis
    /// The page of the website the visitor's widget was last on (`ChatStore.setPage`;
    /// a step leaves it as it is).
    public var page: VisitedPage?
    /// The first language of the visitor's browser, a BCP 47 tag such as `de-DE`, as their
    /// widget last said (`ChatStore.setLanguage`; a step leaves it as it is).
    public var language: String?
    /// The language the visitor's widget showed its words in (one of
    /// `WidgetSettings.languages`), as it last said (`ChatStore.setWidgetLanguage`): what
    /// Baton writes to the visitor away from the widget (emails) follows it.
    public var widgetLanguage: String?

    public init(id: VisitorID, widgetKey: String, tokenHash: String, name: String? = nil, email: String? = nil,
                externalID: String? = nil, createdAt: Millis, lastSeenAt: Millis, page: VisitedPage? = nil,
                language: String? = nil, widgetLanguage: String? = nil) {
        self.id = id
        self.widgetKey = widgetKey
        self.tokenHash = tokenHash
        self.name = name
        self.email = email
        self.externalID = externalID
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.page = page
        self.language = language
        self.widgetLanguage = widgetLanguage
    }

    /// A language tag as a browser gives it (`de-DE`, `pt-br`, `zh-Hant-TW`), checked for
    /// form (a language of 2 to 8 letters, up to four subtags of 1 to 8 letters or digits,
    /// at most 35 characters) and written the usual way (`pt-BR`); nil when it is not one.
    public static func languageTag(_ text: String) -> String? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.utf8.count <= 35, let first = parts.first, (2...8).contains(first.count),
              first.utf8.allSatisfy({ ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A }), parts.count <= 5,
              parts.dropFirst().allSatisfy({ part in
                  (1...8).contains(part.count) && part.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || (($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A) }
              }) else { return nil }
        return parts.enumerated().map { index, part in
            if index == 0 { return part.lowercased() }
            if part.count == 2 { return part.uppercased() }
            if part.count == 4 { return part.prefix(1).uppercased() + part.dropFirst().lowercased() }
            return part.lowercased()
        }.joined(separator: "-")
    }
}

/// A page of the website the widget is on, as the widget said: for the agents, so they
/// see what the visitor is looking at. Only `http` and `https` addresses are kept.
public struct VisitedPage: Sendable, Codable, Hashable {
    public var url: String
    public var title: String

    /// Longest address and title kept (longer addresses are refused, titles cut).
    public static let maxURLLength = 2048
    public static let maxTitleLength = 200

    /// A page as the widget named it, cleaned: nil for an address that is not an
    /// absolute `http(s)` one, or too long; the title without control characters, cut.
    public init?(url: String, title: String?) {
        let url = url.trimmingWhitespace()
        guard url.utf8.count <= Self.maxURLLength, let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(),
              scheme == "http" || scheme == "https", parsed.host?.isEmpty == false else { return nil }
        var cleaned = ChatService.clean(title ?? "").replacingOccurrences(of: "\n", with: " ").trimmingWhitespace()
        if cleaned.count > Self.maxTitleLength { cleaned = String(cleaned.prefix(Self.maxTitleLength - 1)) + "…" }
        self.url = url
        self.title = cleaned
    }

    /// A page as stored (checked when it was recorded).
    public init(stored url: String, title: String) {
        self.url = url
        self.title = title
    }
}

/// A website user the widget's page vouched for, already verified by the caller (the
/// widget socket checks the HMAC). `name` and `email` are what the page said: the
/// signature covers the id only, so they are the visitor's details, not proven ones.
public struct VisitorIdentity: Sendable, Hashable {
    public var id: String
    public var name: String?
    public var email: String?

    public init(id: String, name: String? = nil, email: String? = nil) {
        self.id = id
        self.name = name
        self.email = email
    }
}

/// Where the bot is in its script for one conversation. Owned by the bot engine, stored
/// with the conversation so a restart resumes mid-question.
public struct BotProgress: Sendable, Codable, Hashable {
    /// The flow being run, if any.
    public var flow: String?
    /// The index of the step in `flow` that waits for the visitor's answer.
    public var step: Int
    /// Not-understood visitor messages in a row.
    public var misunderstandings: Int
    /// Bad answers in a row to the current question.
    public var invalidAnswers: Int
    /// A handover was asked for and the bot is collecting the handover flow's answers first.
    public var handoverPending: Bool
    /// Why the handover was asked for, kept for the agents' transcript.
    public var handoverReason: String?
    /// The same as a kind, for the insights (nil before it was kept).
    public var handoverCause: HandoverCause?
    /// The same in parts, for the agents' language (nil before it was kept).
    public var handoverWhy: HandoverReason?
    /// A room was asked of the agent side (handed over while one was connected): what
    /// happens in the chat goes to it even while it is disconnected, to be carried out
    /// once it is connected again (nil before it was kept).
    public var roomAsked: Bool?
    /// What the visitor is to be told when the handover asked for (by a `handover` step
    /// with a text of its own) happens, after the handover flow; nil: `handoverMessage`.
    public var handoverMessage: String?
    /// The flow whose question each answer (by its variable) was given to: a flow run
    /// again asks its own questions again (nil before it was kept).
    public var answeredIn: [String: String]?
    /// The variables the running flow asks for again although they are known: its own
    /// answers from an earlier run (`answeredIn`), until answered anew.
    public var askAgain: [String]?

    public init(flow: String? = nil, step: Int = 0, misunderstandings: Int = 0, invalidAnswers: Int = 0,
                handoverPending: Bool = false, handoverReason: String? = nil) {
        self.flow = flow
        self.step = step
        self.misunderstandings = misunderstandings
        self.invalidAnswers = invalidAnswers
        self.handoverPending = handoverPending
        self.handoverReason = handoverReason
    }
}

extension BotProgress {
    /// The conversation went to the agents (not only asked to: while the bot collects the
    /// handover flow's answers it has not).
    public var handedOver: Bool { handoverReason != nil && !handoverPending }
}

/// One conversation between a visitor and the company, bot first, then maybe agents.
public struct Conversation: Sendable, Codable, Hashable {
    public var id: ConversationID
    public var widgetKey: String
    public var visitorID: VisitorID
    public private(set) var state: ConversationState
    public var progress: BotProgress
    /// Answers the bot collected (`name`, `email`, `topic`...), in the order asked.
    public var variables: [Variable]
    public var createdAt: Millis
    public var updatedAt: Millis
    public var closedAt: Millis?

    public init(id: ConversationID, widgetKey: String, visitorID: VisitorID, state: ConversationState = .bot,
                progress: BotProgress = .init(), variables: [Variable] = [], createdAt: Millis, updatedAt: Millis,
                closedAt: Millis? = nil) {
        self.id = id
        self.widgetKey = widgetKey
        self.visitorID = visitorID
        self.state = state
        self.progress = progress
        self.variables = variables
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.closedAt = closedAt
    }

    /// Moves the conversation through the state machine, or refuses.
    public mutating func move(to next: ConversationState, at time: Millis = .now()) throws(InvalidTransition) {
        guard state.canMove(to: next) else { throw InvalidTransition(from: state, to: next) }
        if next != state { updatedAt = time }
        state = next
        if next == .closed, closedAt == nil { closedAt = time }
    }

    /// The value collected for `name`, if any.
    public func variable(_ name: String) -> String? {
        variables.last(where: { $0.name == name })?.value
    }

    /// Records an answer, replacing an earlier one of the same name.
    public mutating func set(_ name: String, to value: String) {
        variables.removeAll { $0.name == name }
        variables.append(Variable(name: name, value: value))
    }
}

/// A named answer collected by the bot.
public struct Variable: Sendable, Codable, Hashable {
    public var name: String
    public var value: String
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
