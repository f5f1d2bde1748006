/// The interfaces the domain needs from the outside world: storage, bots and the agent
/// side. Adapters implement them (BatonStore, BatonBot, BatonMattermost).

/// What a bot says in one go: a text and optional quick-reply buttons.
public struct BotReply: Sendable, Hashable {
    public var text: String
    public var buttons: [QuickReply]
    public init(_ text: String, buttons: [QuickReply] = []) {
        self.text = text
        self.buttons = buttons
    }
}

/// What the visitor sent: typed text, or a pressed quick-reply button (`action`), and
/// files uploaded before (`files`, by id; the text may then be empty).
public struct VisitorInput: Sendable, Hashable {
    public var text: String
    public var action: String?
    public var files: [FileID]
    public init(text: String, action: String? = nil, files: [FileID] = []) {
        self.text = text
        self.action = action
        self.files = files
    }
}

/// A bot's request to hand the conversation to a human.
public struct HandoverRequest: Sendable, Hashable {
    /// Why, in words for the agents ("the visitor asked for a human").
    public var reason: String
    /// What the bot tells the visitor when agents are reachable ("Connecting you...").
    public var message: BotReply?
    /// Why, as a kind, for the insights.
    public var cause: HandoverCause?
    /// Why, in parts, for words in the agents' language.
    public var why: HandoverReason?
    public init(reason: String, message: BotReply? = nil, cause: HandoverCause? = nil) {
        self.reason = reason
        self.message = message
        self.cause = cause
    }

    /// A handover for `why`: its English words and its cause with it.
    public init(_ why: HandoverReason, message: BotReply? = nil) {
        self.init(reason: why.english, message: message, cause: why.cause)
        self.why = why
    }
}

/// Why a bot handed a chat over, in parts: the agents' posts say it in their language
/// (`english` is what the dashboard and the export show).
public struct HandoverReason: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// The visitor asked for a person.
        case asked
        /// The bot did not understand the visitor `subject` times in a row.
        case notUnderstood = "not_understood"
        /// The intent named `subject` hands over.
        case intent
        /// The flow named `subject` hands over.
        case flow
        /// The visitor could not answer the question `subject`.
        case question
    }

    public var kind: Kind
    /// The intent's or flow's name, the question, or the number of times.
    public var subject: String?
    /// The chat came outside the widget's working hours.
    public var outsideWorkingHours: Bool?

    public init(_ kind: Kind, _ subject: String? = nil) {
        self.kind = kind
        self.subject = subject
    }

    public var cause: HandoverCause {
        switch kind {
        case .asked: .asked
        case .notUnderstood: .notUnderstood
        case .intent, .flow: .byDesign
        case .question: .unansweredQuestion
        }
    }

    /// In English, as the bot has always written it ("the visitor asked for a person").
    public var english: String {
        let subject = subject ?? ""
        let words = switch kind {
        case .asked: "the visitor asked for a person"
        case .notUnderstood: "the bot did not understand the visitor \(subject) times in a row"
        case .intent: "the visitor asked about \"\(subject)\""
        case .flow: "the \"\(subject)\" flow hands over"
        case .question: "the visitor could not answer \"\(subject)\""
        }
        return words + (outsideWorkingHours == true ? " (outside working hours)" : "")
    }
}

/// Why a chat went to the agents, as the insights count it.
public enum HandoverCause: String, Sendable, Codable, Hashable, CaseIterable {
    /// The visitor asked for a person (a button, or words that ask for one).
    case asked
    /// The bot did not understand them too many times in a row.
    case notUnderstood = "not_understood"
    /// The bot's definition hands over there (an intent or a flow step).
    case byDesign = "by_design"
    /// The visitor could not answer one of the bot's questions.
    case unansweredQuestion = "unanswered_question"
}

/// The bot's answer to one visitor message.
public struct BotOutcome: Sendable, Hashable {
    public var replies: [BotReply]
    /// Set when the conversation must go to a human.
    public var handover: HandoverRequest?
    /// The bot did not understand the visitor's text (it said its fallback, or handed
    /// over after too many misunderstandings).
    public var misunderstood: Bool
    public init(replies: [BotReply], handover: HandoverRequest? = nil, misunderstood: Bool = false) {
        self.replies = replies
        self.handover = handover
        self.misunderstood = misunderstood
    }
}

/// A bot: pure functions of the conversation, so it can be tested without I/O and its
/// progress is stored with the conversation.
public protocol ChatBot: Sendable {
    /// The name shown to visitors on the bot's messages.
    var name: String { get }
    /// The language the bot speaks, when it says (one of `WidgetSettings.languages`): the
    /// widget speaks it too unless its Language is set.
    var language: String? { get }
    /// What the visitor is told when a handover finds no agent side connected.
    func noAgentsReply(_ conversation: Conversation) -> BotReply
    /// The opening messages of a new conversation.
    func greet(_ conversation: inout Conversation) -> [BotReply]
    /// `text` (a widget's own greeting) with its placeholders filled in as the bot's own
    /// texts are, from what is known of the conversation.
    func fill(_ text: String, for conversation: Conversation) -> String
    /// Answers a visitor message; may move the conversation between `bot` and `collecting`.
    /// While collecting, a message of files alone comes here too (its text empty).
    func respond(to input: VisitorInput, in conversation: inout Conversation) -> BotOutcome
}

extension ChatBot {
    public var language: String? { nil }
    public func fill(_ text: String, for conversation: Conversation) -> String { text }
}

/// Finds the widget for a key and the compiled bot that answers in it.
public protocol BotDirectory: Sendable {
    func widget(forKey key: String) async throws -> (widget: Widget, bot: any ChatBot)?
    /// The widget as last read or saved, without reading the store (nil: not known here).
    /// Cheap enough for every frame of every open chat.
    func cachedWidget(forKey key: String) -> Widget?
}

extension BotDirectory {
    public func cachedWidget(forKey key: String) -> Widget? { nil }
}

/// The human side of a handover (Mattermost, or nothing yet).
public protocol AgentDesk: Sendable {
    /// Whether an agent side is configured for this widget: its tasks will be carried out
    /// (now, or when the agent side is reachable again).
    func isConnected(widgetKey: String) async -> Bool
    /// Tasks of a conversation were committed to the outbox: carry them out soon.
    func tasksAdded(widgetKey: String, conversation: ConversationID)
    /// The visitor of a handed-over conversation is typing (or stopped). Best effort.
    func visitorTyping(in conversation: Conversation, active: Bool) async
}

/// An agent desk that is never connected: handovers wait in `waiting_for_agent`.
public struct NoAgentDesk: AgentDesk {
    public init() {}
    public func isConnected(widgetKey: String) async -> Bool { false }
    public func tasksAdded(widgetKey: String, conversation: ConversationID) {}
    public func visitorTyping(in conversation: Conversation, active: Bool) async {}
}

/// Everything one step of a conversation writes, applied by the store atomically: all of
/// it or none of it.
public struct ChangeSet: Sendable {
    /// A visitor to insert, or to update when it exists.
    public var visitor: Visitor?
    /// A conversation to insert, or to update when it exists.
    public var conversation: Conversation
    /// Messages appended to `conversation`, in order.
    public var messages: [NewMessage]
    /// Work for the agent side, queued in the outbox with the id of the change's last message.
    public var tasks: [AgentTask]
    /// The conversation as the step read it, when it continues a stored one (nil for a
    /// new conversation). A store shared by several processes refuses the change with
    /// `StoreError.conflict` when the stored state, progress or variables are no longer
    /// these: another process moved the conversation meanwhile.
    public var basis: Conversation?

    public init(visitor: Visitor? = nil, conversation: Conversation, messages: [NewMessage] = [], tasks: [AgentTask] = [],
                basis: Conversation? = nil) {
        self.visitor = visitor
        self.conversation = conversation
        self.messages = messages
        self.tasks = tasks
        self.basis = basis
    }
}

/// Errors a store reports in domain terms.
public enum StoreError: Error, Equatable {
    /// A visitor message with this client id is already stored (with this id).
    case duplicateClientMessage(existing: MessageID)
    /// The database failed; the text says how.
    case failure(String)
    /// The conversation changed since the step read it (`ChangeSet.basis`): read it
    /// again and redo the step.
    case conflict
}

/// Durable storage for widgets, visitors, conversations, messages and their files.
public protocol ChatStore: FileStore, ErasureStore, ReplyMailStore {
    func widget(key: String) async throws -> Widget?
    func widgets() async throws -> [Widget]
    func saveWidget(_ widget: Widget) async throws
    /// Saves a change to a widget only if it is still the version of `basis` (its
    /// `updatedAt` then); false, and nothing written, when it was saved since.
    func saveWidget(_ widget: Widget, ifUpdatedAt basis: Millis) async throws -> Bool
    /// Stores a new widget; false, and nothing written, when its key is taken.
    func createWidget(_ widget: Widget) async throws -> Bool
    func deleteWidget(key: String) async throws

    /// The visitor of a browser's token: the one it started with, or one it got by opening
    /// a link emailed to the visitor (`addVisitorKey`).
    func visitor(tokenHash: String) async throws -> Visitor?
    /// Gives a visitor another key: the token of another browser (`expiresAt` nil), or the
    /// code of a link emailed to them, good until `expiresAt`. Keys expired by `now` are
    /// deleted meanwhile, and a visitor keeps the `VisitorKeys.browsersKept` newest browser
    /// tokens only (each opening of a link from a browser without the token adds one).
    func addVisitorKey(tokenHash: String, visitor: VisitorID, expiresAt: Millis?, now: Millis) async throws
    /// The visitor of an emailed link's code, unless it expired by `now`.
    func visitor(linkHash: String, now: Millis) async throws -> Visitor?
    func visitor(id: VisitorID) async throws -> Visitor?
    /// The visitor of a widget with this verified website user id.
    func visitor(widgetKey: String, externalID: String) async throws -> Visitor?
    /// Records the page the visitor's widget is on (a visitor that is gone: nothing).
    func setPage(_ page: VisitedPage, of visitor: VisitorID) async throws
    /// Records the first language of the visitor's browser (not synced on its own).
    func setLanguage(_ language: String, of visitor: VisitorID) async throws
    /// Records the language the visitor's widget shows its words in (as `setLanguage`).
    func setWidgetLanguage(_ language: String, of visitor: VisitorID) async throws
    /// Records that an admin tried the widget in this conversation (`ChatSession.triedBy`):
    /// it is listed as such and left out of the insights. Marking it again changes nothing.
    func markTried(_ conversation: ConversationID, by admin: String) async throws

    func conversation(id: ConversationID) async throws -> Conversation?
    /// The visitor's newest conversation, open or closed.
    func latestConversation(of visitor: VisitorID) async throws -> Conversation?
    /// Messages of a conversation with an id greater than `after`, oldest first.
    func messages(in conversation: ConversationID, after: MessageID, limit: Int) async throws -> [Message]
    /// The newest `limit` messages of a conversation with an id greater than `after`,
    /// oldest first.
    func latestMessages(in conversation: ConversationID, after: MessageID, limit: Int) async throws -> [Message]
    /// The visitor's message with this client id, if stored.
    func message(from visitor: VisitorID, clientID: String) async throws -> Message?
    /// The agent message with this agent-side id, if stored.
    func message(externalID: String) async throws -> Message?
    func message(id: MessageID) async throws -> Message?

    /// Applies a change atomically and returns the stored messages with their ids. A
    /// visitor message whose client id is already stored fails the whole change with
    /// `StoreError.duplicateClientMessage`.
    func commit(_ change: ChangeSet) async throws -> [Message]
}

extension ChatStore {
    /// The visitor's name: as the bot collected it in `conversation`, else as their record
    /// has it; nil when neither has one that is not blank.
    public func visitorName(of conversation: Conversation) async throws -> String? {
        func named(_ text: String?) -> String? { text?.trimmingWhitespace().isEmpty == false ? text : nil }
        if let name = named(conversation.variable("name")) { return name }
        return named(try await visitor(id: conversation.visitorID)?.name)
    }
}

/// Something another Baton process sharing the database committed, as the store tells it.
public enum SharedChange: Sendable, Hashable, Codable {
    /// A conversation step: messages `firstMessage...lastMessage` (none when nil), the
    /// conversation's new state (nil when the step kept it), whether it started the
    /// conversation and whether it queued agent-side tasks.
    case step(visitor: VisitorID, conversation: ConversationID, widgetKey: String, firstMessage: MessageID?, lastMessage: MessageID?,
              newState: ConversationState?, started: Bool, tasks: Bool)
    /// Someone is typing (or stopped): an agent (for the visitor) or the visitor (for the agents).
    case typing(visitor: VisitorID, conversation: ConversationID, role: Role, name: String?, active: Bool)
    /// A conversation was erased (`conversation` nil: the visitor, with everything of theirs).
    case erased(visitor: VisitorID, conversation: ConversationID?)
}

/// A store that several Baton processes share (PostgreSQL): what one commits, the
/// others hear of, so that a visitor's widget gets every event whichever process holds
/// its socket.
public protocol SharedChanges: Sendable {
    /// Calls `handle` with what other processes commit, in commit order, one at a time,
    /// until the task is cancelled or the listening connection is lost (it then throws;
    /// call again).
    func listen(_ handle: @Sendable (SharedChange) async -> Void) async throws
    /// Tells the other processes (typing is not stored).
    func announce(_ change: SharedChange) async
    /// How long after a listening connection went silent `listen` may throw at the latest
    /// (what was told meanwhile is resent from before then).
    var noticesLossWithin: Duration { get }
}

extension SharedChanges {
    public var noticesLossWithin: Duration { .zero }
}

/// Who runs what must run in one process at a time (the Mattermost links).
public protocol Leadership: Sendable {
    /// Whether this process leads now; takes the lead when nobody holds it.
    func isLeading() async -> Bool
    /// Calls `action` each time this process loses a lead it held, so that what it runs
    /// stops at once instead of at its next `isLeading`.
    func whenLost(_ action: @escaping @Sendable () -> Void)
}

extension Leadership {
    public func whenLost(_ action: @escaping @Sendable () -> Void) {}
}

/// The keys a visitor's chat opens with, besides the token of the browser it began in.
public enum VisitorKeys {
    /// Browser tokens kept per visitor, the newest: opening an emailed link from a browser
    /// without the visitor's token gives that browser one, and a link opened over and over
    /// (a script, within the hello pacing) added a row each time, for ever.
    public static let browsersKept = 20
}
