/// What the agent side must do for a conversation, stored in the outbox in the same
/// transaction as the change that asked for it, and carried out (retried until done) by
/// the agent side's worker. Tasks of one conversation run one at a time, in order.
public enum AgentTask: Sendable, Codable, Hashable {
    /// Open a room for the conversation: create it, add the agents, post the transcript
    /// (messages up to the task's `messageID`) and announce it.
    case openRoom
    /// Post the visitor message `messageID` in the room.
    case relay
    /// The conversation was closed: tell the room, update the announcement, archive the
    /// room unless it already is. `endedByVisitor` when the visitor ended it from the
    /// widget (`closedBy` is then their name); nil in tasks stored before it existed, and
    /// a Baton that does not know it reads the task as closed by that name.
    case closeRoom(closedBy: String?, roomArchived: Bool, endedByVisitor: Bool? = nil)
    /// The conversation was erased with what the agent side keeps of it: delete the room
    /// (its channel, or its thread), its announcement and any reminder of it. The room is
    /// kept here because the conversation's rows are gone.
    case eraseRoom(Room)
    /// The visitor's widget moved to another page while the chat is with the agents: tell
    /// the room.
    case visitorPage(VisitedPage)
    /// The visitor rated the closed chat: tell the room, or (archived) the announcement's
    /// thread.
    case chatRated(ChatRating)
    /// The visitor had left: the replies they had not seen were emailed to them. Tell the
    /// room (or, archived, the announcement's thread), so agents know.
    case repliesEmailed
    /// An agent took the chat (the first to join it or write in it): mark its announcement
    /// with who, so that the other agents see it is in hand. Best effort.
    case chatTaken(by: String)
}

/// How a visitor rated a chat with the agents, asked by the widget once it ended. Kept
/// with the conversation's answers, as the variable `chat rating`.
public enum ChatRating: String, Sendable, Codable, Hashable, CaseIterable {
    case good, bad

    /// The conversation variable that holds it: a name no bot variable can have (a space).
    public static let variable = "chat rating"
}

/// A task as stored in the outbox.
public struct AgentTaskRecord: Sendable, Hashable {
    public var id: Int64
    public var widgetKey: String
    public var conversationID: ConversationID
    public var task: AgentTask
    /// The last message of the change that created the task.
    public var messageID: MessageID?
    public var attempts: Int
    public var nextAttemptAt: Millis
    public var lastError: String?
    public var createdAt: Millis
    /// The text of message `messageID`, read along with the task (nil when it was not).
    public var messageText: String?
    /// The files of message `messageID`, read along with its text.
    public var messageFiles: [Attachment]

    public init(id: Int64, widgetKey: String, conversationID: ConversationID, task: AgentTask, messageID: MessageID?,
                attempts: Int, nextAttemptAt: Millis, lastError: String?, createdAt: Millis, messageText: String? = nil,
                messageFiles: [Attachment] = []) {
        self.id = id
        self.widgetKey = widgetKey
        self.conversationID = conversationID
        self.task = task
        self.messageID = messageID
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.createdAt = createdAt
        self.messageText = messageText
        self.messageFiles = messageFiles
    }
}

/// The place on the agent side where a conversation happens: a Mattermost channel of its
/// own, or a thread in a channel shared with other conversations.
public struct Room: Sendable, Codable, Hashable {
    public var conversationID: ConversationID
    public var widgetKey: String
    /// The room's id on the agent side: its channel's id, or for a thread its root post's.
    public var externalID: String
    /// For a thread: the channel it is in. Nil for a channel of its own.
    public var threadChannelID: String?
    public var name: String
    /// The link that joins the room.
    public var link: String
    /// The announcement of the room in the index channel, once posted; "" when none will
    /// be (the index channel was archived or deleted when the room opened).
    public var announcementID: String?
    /// The announcement's post, when there is one to edit or delete.
    public var announcementPost: String? { announcementID.flatMap { $0.isEmpty ? nil : $0 } }
    /// The last message of the transcript posted in the room, once posted: visitor
    /// messages up to it are in the room already.
    public var transcriptUntil: MessageID?
    /// The creation time of the newest agent-side post handled, for catching up.
    public var cursor: Millis
    /// Agents (agent-side user ids) the visitor has been told about.
    public var joinedAgents: [String]
    /// The connection's default agents (agent-side user ids) made members (or followers)
    /// of the room, once done: agents added to the connection later are added to the open
    /// rooms that lack them. Nil for rooms made before Baton kept this.
    public var agents: [String]?
    public var createdAt: Millis
    /// When the room was closed on the agent side (told, archived or marked): set by the
    /// outbox's `closeRoom` task, after the conversation itself closed. In between, the
    /// chat is over (`Conversation.state == .closed`) and its room still open, which is why
    /// some checks ask both: the conversation whether the chat may go on, the room whether
    /// the agent side still has something to do.
    public var closedAt: Millis?
    /// When the agents were reminded that the visitor waits (`markReminded`), and the
    /// reminder's post, to mark once the chat is taken or ends (nil for a reminder of an
    /// older Baton). Only `markReminded` writes them: `saveRoom` leaves them.
    public var remindedAt: Millis?
    public var reminderID: String?
    /// The internal-note prefix and the close command the room's transcript told its
    /// agents, set with `transcriptUntil`; nil for rooms made before Baton kept them. They
    /// keep working there after the connection's own change.
    public var internalPrefix: String?
    public var closeCommand: String?

    public init(conversationID: ConversationID, widgetKey: String, externalID: String, threadChannelID: String? = nil, name: String, link: String,
                announcementID: String? = nil, transcriptUntil: MessageID? = nil, cursor: Millis, joinedAgents: [String] = [], agents: [String]? = nil,
                createdAt: Millis, closedAt: Millis? = nil, remindedAt: Millis? = nil, reminderID: String? = nil,
                internalPrefix: String? = nil, closeCommand: String? = nil) {
        self.conversationID = conversationID
        self.widgetKey = widgetKey
        self.externalID = externalID
        self.threadChannelID = threadChannelID
        self.name = name
        self.link = link
        self.announcementID = announcementID
        self.transcriptUntil = transcriptUntil
        self.cursor = cursor
        self.joinedAgents = joinedAgents
        self.agents = agents
        self.createdAt = createdAt
        self.closedAt = closedAt
        self.remindedAt = remindedAt
        self.reminderID = reminderID
        self.internalPrefix = internalPrefix
        self.closeCommand = closeCommand
    }

    /// The channel the room's posts go to.
    public var channelID: String { threadChannelID ?? externalID }
    /// The root post its posts answer, for a thread; nil for a channel.
    public var rootID: String? { threadChannelID == nil ? nil : externalID }
}

/// A visitor's earlier chats with the agents, as a new room names them.
public struct EarlierRooms: Sendable, Hashable {
    /// The newest, newest first.
    public var rooms: [Room]
    /// How many there are in all.
    public var count: Int

    public init(rooms: [Room], count: Int) {
        self.rooms = rooms
        self.count = count
    }
}

/// A widget's connection to an agent side, as stored: settings as JSON, the credential
/// encrypted, the last known state for `status` commands and the dashboard.
public struct Integration: Sendable, Hashable {
    public var widgetKey: String
    /// The kind of agent side: "mattermost".
    public var kind: String
    /// Settings, JSON of the adapter's choosing.
    public var settings: String
    /// The credential (password or token), encrypted by the adapter.
    public var secret: [UInt8]
    public var createdAt: Millis
    public var updatedAt: Millis

    public init(widgetKey: String, kind: String, settings: String, secret: [UInt8], createdAt: Millis, updatedAt: Millis) {
        self.widgetKey = widgetKey
        self.kind = kind
        self.settings = settings
        self.secret = secret
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// How an agent-side connection is doing, as last reported.
public struct IntegrationStatus: Sendable, Hashable, Codable {
    public var state: String
    public var lastEventAt: Millis?
    public var lastError: String?
    public var updatedAt: Millis

    public init(state: String, lastEventAt: Millis? = nil, lastError: String? = nil, updatedAt: Millis) {
        self.state = state
        self.lastEventAt = lastEventAt
        self.lastError = lastError
        self.updatedAt = updatedAt
    }
}

/// Storage the agent side needs: the outbox, rooms, integrations.
public protocol AgentStore: Sendable {
    /// The next task of every conversation of the widget whose next task is due, oldest
    /// first, each with the text of its message: a conversation's later tasks wait for its
    /// earlier ones.
    func dueTasks(widgetKey: String, now: Millis, limit: Int) async throws -> [AgentTaskRecord]
    /// When the widget's next not-yet-due task is due, if any.
    func nextTaskTime(widgetKey: String) async throws -> Millis?
    /// A conversation's tasks in order (due or not), at most `limit`, each with the text
    /// of its message.
    func tasks(of conversation: ConversationID, widgetKey: String, limit: Int) async throws -> [AgentTaskRecord]
    func completeTask(_ id: Int64) async throws
    /// Completes several tasks in one write.
    func completeTasks(_ ids: [Int64]) async throws
    func retryTask(_ id: Int64, at: Millis, error: String) async throws
    /// Makes every task of the widget due now (after the connection changed).
    func rescheduleTasks(widgetKey: String, at: Millis) async throws
    func taskCount(widgetKey: String) async throws -> Int
    /// Adds tasks outside a conversation change (handing over what waited for a connection).
    func addTasks(_ tasks: [(ConversationID, AgentTask, MessageID?)], widgetKey: String) async throws

    func room(for conversation: ConversationID) async throws -> Room?
    func room(externalID: String) async throws -> Room?
    /// Rooms of the widget not closed yet.
    func openRooms(widgetKey: String) async throws -> [Room]
    /// The rooms of the visitor's other conversations, newest first, at most `limit`, and
    /// how many there are in all: the agents' view of a returning visitor.
    func earlierRooms(of visitor: VisitorID, excluding conversation: ConversationID, limit: Int) async throws -> EarlierRooms
    /// Inserts a room, or updates what the worker changes (announcement, transcript, the
    /// default agents added, closing); the cursor and joined agents move only with `advanceRoom`.
    func saveRoom(_ room: Room) async throws
    /// Forgets an open room that is gone from the agent side (its channel deleted for good,
    /// or on another server after a re-link) and queues the opening of a new one, in one
    /// write. Does nothing and returns false when the conversation's room is no longer that
    /// one (closed, or made again already).
    func replaceRoom(of conversation: ConversationID, externalID: String) async throws -> Bool
    /// Records the default agents a room has been given (`Room.agents`).
    func recordRoomAgents(_ conversation: ConversationID, agents: [String]) async throws
    /// Moves a room's cursor forward (never back) and records the agents who joined.
    func advanceRoom(_ conversation: ConversationID, cursor: Millis, joinedAgents: [String]) async throws
    /// Conversations of the widget waiting for an agent that have no room.
    func conversationsWithoutRoom(widgetKey: String, state: ConversationState, since: Millis) async throws -> [Conversation]
    /// Announced rooms made before `createdBefore` whose conversation still waits for an
    /// agent, that no agent joined and that the agents were not reminded of; oldest first.
    func roomsAwaitingAgents(widgetKey: String, createdBefore: Millis, limit: Int) async throws -> [Room]
    /// Records that the agents were reminded of the room's waiting visitor, by `post`.
    func markReminded(_ conversation: ConversationID, at time: Millis, post: String) async throws

    func integration(widgetKey: String, kind: String) async throws -> Integration?
    func integrations(kind: String) async throws -> [Integration]
    func saveIntegration(_ integration: Integration) async throws
    func deleteIntegration(widgetKey: String, kind: String) async throws
    func integrationStatus(widgetKey: String, kind: String) async throws -> IntegrationStatus?
    func saveIntegrationStatus(_ status: IntegrationStatus, widgetKey: String, kind: String) async throws
}
