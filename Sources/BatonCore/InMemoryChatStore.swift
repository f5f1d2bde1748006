import Synchronization

/// A `ChatStore` and `AgentStore` in memory, with the same semantics as the SQL store
/// (atomic commits, client-id de-duplication, per-conversation task order). For tests
/// and for trying the domain without a database.
public final class InMemoryChatStore: ChatStore, AgentStore {
    struct Tables {
        var widgets: [String: Widget] = [:]
        var visitors: [VisitorID: Visitor] = [:]
        var conversations: [ConversationID: Conversation] = [:]
        var messages: [Message] = []
        var nextMessageID: MessageID = 1
        var tasks: [AgentTaskRecord] = []
        var nextTaskID: Int64 = 1
        var rooms: [ConversationID: Room] = [:]
        var integrations: [String: Integration] = [:]
        var statuses: [String: IntegrationStatus] = [:]
        var files: [FileID: StoredFile] = [:]
        var replyMail: [ConversationID: UnseenReplies] = [:]
        var replyMailRetries: [ConversationID: Millis] = [:]
        var mailDelivery = MailDelivery()
        /// `addVisitorKey`: a key's hash → its visitor and expiry.
        var visitorKeys: [String: (visitor: VisitorID, expiresAt: Millis?)] = [:]
        /// Each visitor's browser tokens, oldest first (`VisitorKeys.browsersKept`).
        var visitorKeyOrder: [VisitorID: [String]] = [:]
        /// `markTried`: conversations an admin tried, and who.
        var tried: [ConversationID: String] = [:]

        /// Why a conversation may not be erased now, if it may not.
        func refusal(_ conversation: Conversation) -> ErasureOutcome? {
            if !conversation.state.isErasable { return .open(conversation.id) }
            if tasks.contains(where: { $0.conversationID == conversation.id }) { return .busy(conversation.id) }
            return nil
        }

        /// Queues the erasure of these conversations' rooms on the agent side.
        mutating func queueRoomErasure(_ ids: [ConversationID]) {
            let now = Millis.now()
            for id in ids {
                guard let room = rooms[id] else { continue }
                tasks.append(AgentTaskRecord(id: nextTaskID, widgetKey: room.widgetKey, conversationID: id, task: .eraseRoom(room),
                                             messageID: nil, attempts: 0, nextAttemptAt: now, lastError: nil, createdAt: now))
                nextTaskID += 1
            }
        }

        /// Deletes conversations with their messages, their files and their rooms.
        mutating func erase(_ ids: [ConversationID]) {
            let gone = Set(ids)
            let messageIDs = Set(messages.filter { gone.contains($0.conversationID) }.map(\.id))
            files = files.filter { $0.value.messageID.map { !messageIDs.contains($0) } ?? true }
            messages.removeAll { gone.contains($0.conversationID) }
            for id in ids {
                conversations[id] = nil
                rooms[id] = nil
                replyMail[id] = nil
                replyMailRetries[id] = nil
            }
        }

        /// The task with the text and files of its message, as the SQL store reads it.
        func withText(_ task: AgentTaskRecord) -> AgentTaskRecord {
            var task = task
            let message = task.messageID.flatMap { id in messages.first { $0.id == id } }
            task.messageText = message?.text
            task.messageFiles = message?.files ?? []
            return task
        }
    }

    let tables = Mutex(Tables())

    public init() {}

    // MARK: FileStore

    public func saveFile(_ file: StoredFile) async throws { tables.withLock { $0.files[file.id] = file } }

    public func fileRecord(id: FileID) async throws -> StoredFile? {
        tables.withLock { tables in
            var file = tables.files[id]
            file?.data = []
            return file
        }
    }

    public func readContent(of file: StoredFile, parts consume: ([UInt8]) async throws -> Void) async throws -> Bool {
        guard let data = tables.withLock({ $0.files[file.id]?.data }) else { return false }
        try await consume(data)
        return true
    }

    public func setMattermostID(_ mattermostID: String, of file: FileID) async throws {
        tables.withLock { $0.files[file]?.mattermostID = mattermostID }
    }

    public func unsentFileCount(of visitor: VisitorID) async throws -> Int {
        tables.withLock { $0.files.values.count { $0.visitorID == visitor && $0.messageID == nil } }
    }

    public func deleteUnsentFiles(before: Millis) async throws -> Int {
        tables.withLock { tables in
            let old = tables.files.values.filter { $0.messageID == nil && $0.createdAt < before }.map(\.id)
            for id in old { tables.files[id] = nil }
            return old.count
        }
    }

    public func deleteFiles(of message: MessageID) async throws {
        tables.withLock { tables in tables.files = tables.files.filter { $0.value.messageID != message } }
    }

    // MARK: ErasureStore

    /// Keeps nothing for the insights, which this store does not count.
    public func eraseConversation(_ id: ConversationID, eraseRooms: Bool, keepingInsights: Bool) async throws -> ErasureOutcome {
        tables.withLock { tables in
            guard let conversation = tables.conversations[id] else { return .notFound }
            if let refusal = tables.refusal(conversation) { return refusal }
            if eraseRooms { tables.queueRoomErasure([id]) }
            tables.erase([id])
            return .erased([id])
        }
    }

    public func eraseVisitor(_ id: VisitorID, eraseRooms: Bool) async throws -> ErasureOutcome {
        tables.withLock { tables in
            guard tables.visitors[id] != nil else { return .notFound }
            let conversations = tables.conversations.values.filter { $0.visitorID == id }.sorted { $0.createdAt < $1.createdAt }
            for conversation in conversations {
                if let refusal = tables.refusal(conversation) { return refusal }
            }
            let ids = conversations.map(\.id)
            if eraseRooms { tables.queueRoomErasure(ids) }
            tables.erase(ids)
            tables.files = tables.files.filter { $0.value.visitorID != id }
            tables.visitors[id] = nil
            tables.visitorKeys = tables.visitorKeys.filter { $0.value.visitor != id }
            return .erased(ids)
        }
    }

    public func expiredConversations(before: Millis, after: ExpiredConversation?, limit: Int) async throws -> [ExpiredConversation] {
        tables.withLock { tables in
            let found = tables.conversations.values
                .filter { $0.state.isErasable && $0.updatedAt < before }
                .map { ExpiredConversation(id: $0.id, visitorID: $0.visitorID, updatedAt: $0.updatedAt) }
                .filter { after == nil || ($0.updatedAt, $0.id.rawValue) > (after!.updatedAt, after!.id.rawValue) }
                .sorted { ($0.updatedAt, $0.id.rawValue) < ($1.updatedAt, $1.id.rawValue) }
            return Array(found.prefix(limit))
        }
    }

    public func visitorsWithoutConversations(createdBefore before: Millis, limit: Int) async throws -> [VisitorID] {
        tables.withLock { tables in
            let busy = Set(tables.conversations.values.map(\.visitorID))
            let found = tables.visitors.values.filter { $0.createdAt < before && !busy.contains($0.id) }
            return Array(found.sorted { $0.createdAt < $1.createdAt }.map(\.id).prefix(limit))
        }
    }

    // MARK: ChatStore

    public func widget(key: String) async throws -> Widget? { tables.withLock { $0.widgets[key] } }
    public func widgets() async throws -> [Widget] { tables.withLock { $0.widgets.values.sorted { $0.createdAt < $1.createdAt } } }
    public func saveWidget(_ widget: Widget) async throws { tables.withLock { $0.widgets[widget.key] = widget } }
    public func createWidget(_ widget: Widget) async throws -> Bool {
        tables.withLock { tables in
            guard tables.widgets[widget.key] == nil else { return false }
            tables.widgets[widget.key] = widget
            return true
        }
    }

    public func saveWidget(_ widget: Widget, ifUpdatedAt basis: Millis) async throws -> Bool {
        tables.withLock { tables in
            guard tables.widgets[widget.key]?.updatedAt == basis else { return false }
            tables.widgets[widget.key] = widget
            return true
        }
    }
    public func deleteWidget(key: String) async throws { tables.withLock { $0.widgets[key] = nil } }

    public func visitor(tokenHash: String) async throws -> Visitor? {
        tables.withLock { tables in
            if let visitor = tables.visitors.values.first(where: { $0.tokenHash == tokenHash }) { return visitor }
            guard let key = tables.visitorKeys[tokenHash], key.expiresAt == nil else { return nil }
            return tables.visitors[key.visitor]
        }
    }

    public func addVisitorKey(tokenHash: String, visitor: VisitorID, expiresAt: Millis?, now: Millis) async throws {
        tables.withLock { tables in
            tables.visitorKeys = tables.visitorKeys.filter { $0.value.expiresAt.map { $0 > now } ?? true }
            tables.visitorKeys[tokenHash] = (visitor, expiresAt)
            guard expiresAt == nil else { return }
            tables.visitorKeyOrder[visitor, default: []].append(tokenHash)
            while let order = tables.visitorKeyOrder[visitor], order.count > VisitorKeys.browsersKept {
                tables.visitorKeys[order[0]] = nil
                tables.visitorKeyOrder[visitor]?.removeFirst()
            }
        }
    }

    public func visitor(linkHash: String, now: Millis) async throws -> Visitor? {
        tables.withLock { tables in
            guard let key = tables.visitorKeys[linkHash], let expiry = key.expiresAt, expiry > now else { return nil }
            return tables.visitors[key.visitor]
        }
    }

    public func visitor(id: VisitorID) async throws -> Visitor? { tables.withLock { $0.visitors[id] } }
    public func setPage(_ page: VisitedPage, of visitor: VisitorID) async throws { tables.withLock { $0.visitors[visitor]?.page = page } }
    public func setLanguage(_ language: String, of visitor: VisitorID) async throws {
        tables.withLock { $0.visitors[visitor]?.language = language }
    }
    public func setWidgetLanguage(_ language: String, of visitor: VisitorID) async throws {
        tables.withLock { $0.visitors[visitor]?.widgetLanguage = language }
    }
    public func markTried(_ conversation: ConversationID, by admin: String) async throws {
        tables.withLock { if $0.tried[conversation] == nil { $0.tried[conversation] = admin } }
    }
    /// Who tried the widget in `conversation` (`markTried`).
    public func triedBy(_ conversation: ConversationID) -> String? {
        tables.withLock { $0.tried[conversation] }
    }

    public func visitor(widgetKey: String, externalID: String) async throws -> Visitor? {
        tables.withLock { $0.visitors.values.first { $0.widgetKey == widgetKey && $0.externalID == externalID } }
    }

    public func conversation(id: ConversationID) async throws -> Conversation? { tables.withLock { $0.conversations[id] } }

    public func latestConversation(of visitor: VisitorID) async throws -> Conversation? {
        tables.withLock { tables in
            tables.conversations.values.filter { $0.visitorID == visitor }
                .max { ($0.createdAt, $0.id.rawValue) < ($1.createdAt, $1.id.rawValue) }
        }
    }

    public func messages(in conversation: ConversationID, after: MessageID, limit: Int) async throws -> [Message] {
        tables.withLock { tables in
            Array(tables.messages.lazy.filter { $0.conversationID == conversation && $0.id > after }.prefix(limit))
        }
    }

    public func latestMessages(in conversation: ConversationID, after: MessageID, limit: Int) async throws -> [Message] {
        tables.withLock { tables in
            Array(tables.messages.filter { $0.conversationID == conversation && $0.id > after }.suffix(limit))
        }
    }

    public func message(from visitor: VisitorID, clientID: String) async throws -> Message? {
        tables.withLock { Self.message(in: $0, from: visitor, clientID: clientID) }
    }

    public func message(externalID: String) async throws -> Message? {
        tables.withLock { $0.messages.first { $0.externalID == externalID } }
    }

    public func message(id: MessageID) async throws -> Message? {
        tables.withLock { $0.messages.first { $0.id == id } }
    }

    private static func message(in tables: Tables, from visitor: VisitorID, clientID: String) -> Message? {
        tables.messages.first { message in
            message.role == .visitor && message.clientID == clientID
                && tables.conversations[message.conversationID]?.visitorID == visitor
        }
    }

    public func commit(_ change: ChangeSet) async throws -> [Message] {
        try tables.withLock { tables in
            for message in change.messages {
                if message.role == .visitor, let clientID = message.clientID,
                   let earlier = Self.message(in: tables, from: change.conversation.visitorID, clientID: clientID) {
                    throw StoreError.duplicateClientMessage(existing: earlier.id)
                }
                if let external = message.externalID, tables.messages.contains(where: { $0.externalID == external }) {
                    throw StoreError.failure("a message with external id \(external) is stored already")
                }
            }
            // As a store shared by several processes does: a step computed from a state
            // that is no longer the stored one is refused.
            if let basis = change.basis, let stored = tables.conversations[basis.id],
               (stored.state, stored.progress, stored.variables) != (basis.state, basis.progress, basis.variables) {
                throw StoreError.conflict
            }
            if let visitor = change.visitor, let external = visitor.externalID,
               tables.visitors.values.contains(where: { $0.id != visitor.id && $0.widgetKey == visitor.widgetKey && $0.externalID == external }) {
                throw StoreError.failure("another visitor of widget \(visitor.widgetKey) has external id \(external)")
            }
            if var visitor = change.visitor {
                // A step does not change the page (as the database's upsert leaves it).
                visitor.page = tables.visitors[visitor.id]?.page
                visitor.language = tables.visitors[visitor.id]?.language
                visitor.widgetLanguage = tables.visitors[visitor.id]?.widgetLanguage
                tables.visitors[visitor.id] = visitor
            }
            tables.conversations[change.conversation.id] = change.conversation
            var stored: [Message] = []
            for message in change.messages {
                let saved = message.stored(id: tables.nextMessageID, in: change.conversation.id)
                tables.nextMessageID += 1
                tables.messages.append(saved)
                stored.append(saved)
                // A correction shows the files of the message it replaces; it does not take them.
                if saved.replaces == nil {
                    for file in saved.files { tables.files[file.id]?.messageID = saved.id }
                }
            }
            let now = Millis.now()
            for task in change.tasks {
                tables.tasks.append(AgentTaskRecord(id: tables.nextTaskID, widgetKey: change.conversation.widgetKey,
                                                    conversationID: change.conversation.id, task: task, messageID: stored.last?.id,
                                                    attempts: 0, nextAttemptAt: now, lastError: nil, createdAt: now))
                tables.nextTaskID += 1
            }
            return stored
        }
    }

    // MARK: AgentStore

    public func dueTasks(widgetKey: String, now: Millis, limit: Int) async throws -> [AgentTaskRecord] {
        tables.withLock { tables in
            var seen = Set<ConversationID>()
            var due: [AgentTaskRecord] = []
            for task in tables.tasks where task.widgetKey == widgetKey {
                guard seen.insert(task.conversationID).inserted else { continue }
                if task.nextAttemptAt <= now { due.append(task) }
            }
            return due.prefix(limit).map { tables.withText($0) }
        }
    }

    public func nextTaskTime(widgetKey: String) async throws -> Millis? {
        tables.withLock { $0.tasks.filter { $0.widgetKey == widgetKey }.map(\.nextAttemptAt).min() }
    }

    public func tasks(of conversation: ConversationID, widgetKey: String, limit: Int) async throws -> [AgentTaskRecord] {
        tables.withLock { tables in
            tables.tasks.filter { $0.widgetKey == widgetKey && $0.conversationID == conversation }.prefix(limit).map { tables.withText($0) }
        }
    }

    public func completeTask(_ id: Int64) async throws { try await completeTasks([id]) }

    public func completeTasks(_ ids: [Int64]) async throws {
        let ids = Set(ids)
        tables.withLock { $0.tasks.removeAll { ids.contains($0.id) } }
    }

    public func retryTask(_ id: Int64, at: Millis, error: String) async throws {
        tables.withLock { tables in
            guard let index = tables.tasks.firstIndex(where: { $0.id == id }) else { return }
            tables.tasks[index].attempts += 1
            tables.tasks[index].nextAttemptAt = at
            tables.tasks[index].lastError = error
        }
    }

    public func rescheduleTasks(widgetKey: String, at: Millis) async throws {
        tables.withLock { tables in
            for index in tables.tasks.indices where tables.tasks[index].widgetKey == widgetKey { tables.tasks[index].nextAttemptAt = at }
        }
    }

    public func taskCount(widgetKey: String) async throws -> Int { tables.withLock { $0.tasks.filter { $0.widgetKey == widgetKey }.count } }

    public func addTasks(_ tasks: [(ConversationID, AgentTask, MessageID?)], widgetKey: String) async throws {
        tables.withLock { tables in
            let now = Millis.now()
            for (conversation, task, messageID) in tasks {
                tables.tasks.append(AgentTaskRecord(id: tables.nextTaskID, widgetKey: widgetKey, conversationID: conversation, task: task,
                                                    messageID: messageID, attempts: 0, nextAttemptAt: now, lastError: nil, createdAt: now))
                tables.nextTaskID += 1
            }
        }
    }

    public func room(for conversation: ConversationID) async throws -> Room? { tables.withLock { $0.rooms[conversation] } }
    public func room(externalID: String) async throws -> Room? { tables.withLock { $0.rooms.values.first { $0.externalID == externalID } } }
    public func openRooms(widgetKey: String) async throws -> [Room] {
        tables.withLock { $0.rooms.values.filter { $0.widgetKey == widgetKey && $0.closedAt == nil }.sorted { $0.createdAt < $1.createdAt } }
    }
    public func earlierRooms(of visitor: VisitorID, excluding conversation: ConversationID, limit: Int) async throws -> EarlierRooms {
        tables.withLock { tables in
            let rooms = tables.rooms.values
                .filter { $0.conversationID != conversation && tables.conversations[$0.conversationID]?.visitorID == visitor }
                .sorted { ($0.createdAt, $0.conversationID.rawValue) > ($1.createdAt, $1.conversationID.rawValue) }
            return EarlierRooms(rooms: Array(rooms.prefix(limit)), count: rooms.count)
        }
    }
    public func saveRoom(_ room: Room) async throws {
        tables.withLock { tables in
            guard var existing = tables.rooms[room.conversationID] else {
                tables.rooms[room.conversationID] = room
                return
            }
            existing.announcementID = room.announcementID
            existing.transcriptUntil = room.transcriptUntil
            existing.internalPrefix = room.internalPrefix
            existing.closeCommand = room.closeCommand
            existing.agents = room.agents
            existing.closedAt = room.closedAt
            tables.rooms[room.conversationID] = existing
        }
    }

    public func replaceRoom(of conversation: ConversationID, externalID: String) async throws -> Bool {
        tables.withLock { tables in
            guard let room = tables.rooms[conversation], room.externalID == externalID, room.closedAt == nil else { return false }
            tables.rooms[conversation] = nil
            let now = Millis.now()
            tables.tasks.append(AgentTaskRecord(id: tables.nextTaskID, widgetKey: room.widgetKey, conversationID: conversation, task: .openRoom,
                                                messageID: nil, attempts: 0, nextAttemptAt: now, lastError: nil, createdAt: now))
            tables.nextTaskID += 1
            return true
        }
    }

    public func recordRoomAgents(_ conversation: ConversationID, agents: [String]) async throws {
        tables.withLock { $0.rooms[conversation]?.agents = agents }
    }

    public func advanceRoom(_ conversation: ConversationID, cursor: Millis, joinedAgents: [String]) async throws {
        tables.withLock { tables in
            guard var room = tables.rooms[conversation] else { return }
            room.cursor = max(room.cursor, cursor)
            room.joinedAgents = joinedAgents
            tables.rooms[conversation] = room
        }
    }

    public func roomsAwaitingAgents(widgetKey: String, createdBefore: Millis, limit: Int) async throws -> [Room] {
        tables.withLock { tables in
            let found = tables.rooms.values.filter { room in
                room.widgetKey == widgetKey && room.createdAt < createdBefore && room.closedAt == nil && room.announcementID != nil
                    && room.joinedAgents.isEmpty && room.remindedAt == nil
                    && tables.conversations[room.conversationID]?.state == .waitingForAgent
            }
            return Array(found.sorted { $0.createdAt < $1.createdAt }.prefix(limit))
        }
    }

    public func markReminded(_ conversation: ConversationID, at time: Millis, post: String) async throws {
        tables.withLock { tables in
            tables.rooms[conversation]?.remindedAt = time
            tables.rooms[conversation]?.reminderID = post
        }
    }

    public func conversationsWithoutRoom(widgetKey: String, state: ConversationState, since: Millis) async throws -> [Conversation] {
        tables.withLock { tables in
            tables.conversations.values.filter {
                $0.widgetKey == widgetKey && $0.state == state && $0.updatedAt >= since && tables.rooms[$0.id] == nil
            }.sorted { $0.createdAt < $1.createdAt }
        }
    }

    public func integration(widgetKey: String, kind: String) async throws -> Integration? {
        tables.withLock { $0.integrations["\(kind):\(widgetKey)"] }
    }
    public func integrations(kind: String) async throws -> [Integration] {
        tables.withLock { $0.integrations.values.filter { $0.kind == kind }.sorted { $0.createdAt < $1.createdAt } }
    }
    public func saveIntegration(_ integration: Integration) async throws {
        tables.withLock { $0.integrations["\(integration.kind):\(integration.widgetKey)"] = integration }
    }
    public func deleteIntegration(widgetKey: String, kind: String) async throws {
        tables.withLock { $0.integrations["\(kind):\(widgetKey)"] = nil }
    }
    public func integrationStatus(widgetKey: String, kind: String) async throws -> IntegrationStatus? {
        tables.withLock { $0.statuses["\(kind):\(widgetKey)"] }
    }
    public func saveIntegrationStatus(_ status: IntegrationStatus, widgetKey: String, kind: String) async throws {
        tables.withLock { $0.statuses["\(kind):\(widgetKey)"] = status }
    }
}
