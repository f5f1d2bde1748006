/// A person who may use the dashboard and the admin API.
public struct Admin: Sendable, Hashable {
    public var id: String
    public var email: String
    /// bcrypt hash of the password.
    public var passwordHash: String
    public var createdAt: Millis

    public init(id: String, email: String, passwordHash: String, createdAt: Millis) {
        self.id = id
        self.email = email
        self.passwordHash = passwordHash
        self.createdAt = createdAt
    }
}

/// A signed-in admin's session. The browser holds the token in an HttpOnly cookie; only
/// its SHA-256 is stored.
public struct AdminSession: Sendable, Hashable {
    public var tokenHash: String
    public var adminID: String
    /// Sent back by the dashboard in `X-CSRF-Token` with every change.
    public var csrfToken: String
    public var createdAt: Millis
    public var expiresAt: Millis

    public init(tokenHash: String, adminID: String, csrfToken: String, createdAt: Millis, expiresAt: Millis) {
        self.tokenHash = tokenHash
        self.adminID = adminID
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// Storage of admins and their sessions.
public protocol AdminStore: Sendable {
    func adminCount() async throws -> Int
    func admin(email: String) async throws -> Admin?
    func admin(id: String) async throws -> Admin?
    /// Inserts an admin; false when the email is taken.
    func createAdmin(_ admin: Admin) async throws -> Bool
    /// Every admin, by email.
    func admins() async throws -> [Admin]
    /// Removes an admin and every session of theirs; false when there was none, or when
    /// `keepingOne` and they are the only admin (checked in the same transaction, so that
    /// two admins removing each other at once leave one).
    func deleteAdmin(id: String, keepingOne: Bool) async throws -> Bool
    /// Replaces an admin's password hash and ends every session of theirs.
    func setPasswordHash(_ hash: String, adminID: String) async throws
    func session(tokenHash: String) async throws -> AdminSession?
    func saveSession(_ session: AdminSession) async throws
    func deleteSession(tokenHash: String) async throws
    func deleteExpiredSessions(now: Millis) async throws
}

/// What the conversation list of the dashboard asks for.
public struct ConversationFilter: Sendable, Hashable {
    public var widgetKey: String?
    public var state: ConversationState?
    /// Words that must all appear in the visitor's name, email or messages.
    public var search: String?
    public var limit: Int
    /// Only conversations updated (started, in `.started` order) before this time; with
    /// `beforeID`, those after the conversation (before, beforeID) in the list's order.
    public var before: Millis?
    public var beforeID: ConversationID?
    /// Only conversations the visitor rated so.
    public var rating: ChatRating?
    /// Only this visitor's conversations.
    public var visitorID: VisitorID?
    /// Only conversations handed over and closed without a message from an agent.
    public var unanswered: Bool
    /// Only conversations started in this range (start included, end not).
    public var started: Range<Millis>?
    /// The list's order, newest first: by last update (the dashboard's list), or by start,
    /// which a conversation's updates do not change (an export that pages through all).
    public var order: ConversationOrder

    public enum ConversationOrder: Sendable, Hashable {
        case lastUpdate, started
    }

    public init(widgetKey: String? = nil, state: ConversationState? = nil, search: String? = nil, limit: Int = 50,
                before: Millis? = nil, beforeID: ConversationID? = nil, rating: ChatRating? = nil, visitorID: VisitorID? = nil,
                unanswered: Bool = false, started: Range<Millis>? = nil, order: ConversationOrder = .lastUpdate) {
        self.order = order
        self.unanswered = unanswered
        self.started = started
        self.beforeID = beforeID
        self.visitorID = visitorID
        self.rating = rating
        self.widgetKey = widgetKey
        self.state = state
        self.search = search
        self.limit = limit
        self.before = before
    }
}

/// A conversation as listed: the conversation and what the list shows of it.
public struct ConversationListing: Sendable, Hashable {
    public var conversation: Conversation
    public var visitorName: String?
    public var visitorEmail: String?
    /// The website's verified user id of a signed-in visitor.
    public var visitorUserID: String?
    public var lastMessage: String?
    public var messageCount: Int
    public var roomLink: String?
    /// When it was handed over to the agents, if it was.
    public var handedOverAt: Millis?
    /// The admin who had it, trying the widget in Baton's own pages (`ChatStore.markTried`).
    public var triedBy: String?

    public init(conversation: Conversation, visitorName: String?, visitorEmail: String?, visitorUserID: String? = nil,
                lastMessage: String?, messageCount: Int, roomLink: String?, handedOverAt: Millis? = nil, triedBy: String? = nil) {
        self.handedOverAt = handedOverAt
        self.triedBy = triedBy
        self.conversation = conversation
        self.visitorName = visitorName
        self.visitorEmail = visitorEmail
        self.visitorUserID = visitorUserID
        self.lastMessage = lastMessage
        self.messageCount = messageCount
        self.roomLink = roomLink
    }
}

extension ConversationListing {
    /// The visitor's name: the one stored with the visitor, else the one the bot collected.
    public var name: String? { visitorName ?? conversation.variable("name") }
    /// The visitor's email, likewise.
    public var email: String? { visitorEmail ?? conversation.variable("email") }
}

/// Looking back at conversations, for the dashboard.
public protocol ConversationArchive: Sendable {
    /// Newest first (by last update, or by start: `filter.order`).
    func conversations(_ filter: ConversationFilter) async throws -> [ConversationListing]
    func listing(of conversation: ConversationID) async throws -> ConversationListing?
    /// The conversations started in the filter's range, counted per quarter of an hour
    /// (only quarters that have some, in order).
    func insightBuckets(_ filter: InsightsFilter) async throws -> [InsightsBucket]
    /// For each conversation started in the range that was handed over and then got a
    /// message from an agent: how long after the handover that first message came, and whose.
    func firstReplies(_ filter: InsightsFilter) async throws -> [FirstReply]
    /// The agents who wrote in the conversations started in the range, by name.
    func agentActivity(_ filter: InsightsFilter) async throws -> [AgentActivity]
    /// What the bot did not understand in the conversations started in the range, the
    /// most frequent first (then the newest), at most `limit`.
    func notUnderstood(_ filter: InsightsFilter, limit: Int) async throws -> [NotUnderstood]
    /// Of the conversations started in the range and handed over, how many went for each
    /// cause (those handed over before causes were kept are in none).
    func handoverCauses(_ filter: InsightsFilter) async throws -> [HandoverCause: Int]
    /// Of the conversations started in the range, how many the retention period deleted
    /// (they still count in the insights, with their numbers only).
    func sweptConversationCount(_ filter: InsightsFilter) async throws -> Int
    /// Of the conversations started in the range, how many were admins' tries in the live
    /// preview (`ChatStore.markTried`), which the insights leave out.
    func triedConversationCount(_ filter: InsightsFilter) async throws -> Int
    /// Removes the agent tasks of a widget (when the widget is deleted).
    func deleteTasks(widgetKey: String) async throws
}
