/// What became of an event from the agent side.
public enum AgentEventResult: Sendable, Equatable {
    /// Stored and shown to the visitor.
    case delivered(MessageID)
    /// Seen before: nothing was done again.
    case duplicate
    /// Not for the visitor (the conversation is closed or unknown).
    case ignored
}

extension ChatService {
    /// An agent joined the conversation: the visitor is told, and a waiting conversation
    /// is now with an agent. `externalID` names the join on the agent side, so the
    /// visitor is told once even if the join is seen twice; and an agent the visitor was
    /// told of already (the chat moved to a new room, where they joined again) is not
    /// announced a second time.
    @discardableResult
    public func agentJoined(_ conversationID: ConversationID, name: String, externalID: String) async throws -> AgentEventResult {
        guard try await store.message(externalID: externalID) == nil else { return .duplicate }
        return try await withConversation(conversationID) { conversation in
            guard try await store.message(externalID: externalID) == nil else { return .duplicate }
            let joined = NewMessage(notice: Notice(.agentJoined, name: name), externalID: externalID)
            let told = try await store.messages(in: conversationID, after: 0, limit: 100_000).contains { $0.role == .system && $0.text == joined.text }
            guard !told || conversation.state == .waitingForAgent else { return .duplicate }
            let basis = conversation
            var tasks: [AgentTask] = []
            if conversation.state == .waitingForAgent {
                try conversation.move(to: .withAgent)
                // The first agent: the announcement says who took the chat.
                if await agentSideFollows(conversation) { tasks.append(.chatTaken(by: name)) }
            } else if !told, conversation.state == .withAgent, await agentSideFollows(conversation) {
                // Another agent (the chat handed on, or help asked for): named there too.
                tasks.append(.chatTaken(by: name))
            }
            conversation.updatedAt = .now()
            let notice = told ? [] : [joined]
            let stored = try await apply(ChangeSet(conversation: conversation, messages: notice, tasks: tasks, basis: basis), from: basis.state)
            return told ? .duplicate : .delivered(stored.last?.id ?? 0)
        }
    }

    /// Nobody has answered a visitor waiting for an agent for a while (the agents were
    /// just reminded): the visitor is told they are not forgotten. Once per `externalID`;
    /// nothing when an agent joined meanwhile.
    @discardableResult
    public func stillWaiting(_ conversationID: ConversationID, externalID: String) async throws -> AgentEventResult {
        guard try await store.message(externalID: externalID) == nil else { return .duplicate }
        return try await withConversation(conversationID) { conversation in
            guard conversation.state == .waitingForAgent else { return .ignored }
            guard try await store.message(externalID: externalID) == nil else { return .duplicate }
            let basis = conversation
            conversation.updatedAt = .now()
            let notice = NewMessage(notice: Notice(.stillWaiting), externalID: externalID)
            let stored = try await apply(ChangeSet(conversation: conversation, messages: [notice], basis: basis), from: basis.state)
            return .delivered(stored.last?.id ?? 0)
        }
    }

    /// A message an agent wrote in the room, with the files they attached (saved before,
    /// for the conversation's visitor: the message makes them its own). `externalID` (the
    /// post id) makes a message seen twice (a live event and a catch-up) reach the visitor once.
    @discardableResult
    public func agentMessage(_ conversationID: ConversationID, name: String, agentID: String? = nil, text: String, files: [Attachment] = [],
                             externalID: String) async throws -> AgentEventResult {
        guard try await store.message(externalID: externalID) == nil else { return .duplicate }
        return try await withConversation(conversationID) { conversation in
            guard try await store.message(externalID: externalID) == nil else { return .duplicate }
            let basis = conversation
            if conversation.state == .waitingForAgent { try conversation.move(to: .withAgent) }
            conversation.updatedAt = .now()
            let message = NewMessage(role: .agent, authorName: name, authorID: agentID, text: text, externalID: externalID, files: files)
            let stored = try await apply(ChangeSet(conversation: conversation, messages: [message], basis: basis), from: basis.state)
            return .delivered(stored.last?.id ?? 0)
        }
    }

    /// An agent corrected one of their messages (`text`), or deleted it (`deleted`; by
    /// default when `text` is empty): the visitor's widgets show the correction in place.
    /// It is stored as a message that `replaces` the first, so a widget that was away gets
    /// it with the rest of what it missed. `externalID` names this correction (seen twice,
    /// it is done once); a message the visitor never got (an internal note) is not corrected.
    @discardableResult
    public func agentEdited(_ conversationID: ConversationID, original externalIDOfOriginal: String, text: String,
                            deleted: Bool? = nil, externalID: String) async throws -> AgentEventResult {
        let deleted = deleted ?? text.isEmpty
        guard try await store.message(externalID: externalID) == nil else { return .duplicate }
        guard let original = try await store.message(externalID: externalIDOfOriginal),
              original.conversationID == conversationID, original.role == .agent else { return .ignored }
        // Also after the chat closed: its transcript reads as corrected.
        return try await withConversation(conversationID, evenClosed: true) { conversation in
            guard try await store.message(externalID: externalID) == nil else { return .duplicate }
            // A correction to what the visitor reads already is none: the edit that made
            // the message (a note turned into a reply, sent as a new message), read again
            // by a catch-up, showed "Edited" under a message nobody had edited.
            if !deleted {
                let later = try await store.messages(in: conversationID, after: original.id, limit: 100_000)
                let current = later.last { $0.replaces == original.id } ?? original
                if current.text == text { return .duplicate }
            }
            let basis = conversation
            conversation.updatedAt = .now()
            // An edit keeps the files (the correction carries them, as it replaces the
            // message); a deletion takes them away, from the visitor and from storage.
            let message = NewMessage(role: .agent, authorName: original.authorName, authorID: original.authorID, text: deleted ? "" : text,
                                     externalID: externalID,
                                     replaces: original.id, files: deleted ? [] : original.files)
            let stored = try await apply(ChangeSet(conversation: conversation, messages: [message], basis: basis), from: basis.state)
            if deleted, !original.files.isEmpty { try await store.deleteFiles(of: original.id) }
            return .delivered(stored.last?.id ?? 0)
        }
    }

    /// An agent is typing (or stopped).
    public func agentTyping(_ conversationID: ConversationID, name: String, active: Bool) async throws {
        guard let conversation = try await store.conversation(id: conversationID), conversation.state != .closed else { return }
        hub.publish(.typing(conversationID, role: .agent, name: name, active: active), to: conversation.visitorID)
        // The visitor's socket may be held by another process.
        await shared?.announce(.typing(visitor: conversation.visitorID, conversation: conversationID, role: .agent, name: name, active: active))
    }

    /// Closes the conversation: the visitor is told who closed it, and the agent side is
    /// asked to update the room (announcement, archive).
    @discardableResult
    public func closeConversation(_ conversationID: ConversationID, closedBy name: String?,
                                  roomArchived: Bool = false) async throws -> AgentEventResult {
        try await withConversation(conversationID) { conversation in
            let basis = conversation
            try conversation.move(to: .closed)
            var tasks: [AgentTask] = []
            if await agentSideFollows(conversation) {
                tasks.append(.closeRoom(closedBy: name, roomArchived: roomArchived))
            }
            let change = ChangeSet(conversation: conversation, messages: [NewMessage(notice: Notice(.closed, name: name))], tasks: tasks,
                                   basis: basis)
            let stored = try await apply(change, from: basis.state)
            return .delivered(stored.last?.id ?? 0)
        }
    }

    /// Runs `body` on an open conversation under its visitor's lock; `.ignored` when the
    /// conversation is unknown, or closed (unless `evenClosed`: a correction of what the
    /// visitor has).
    private func withConversation(_ id: ConversationID, evenClosed: Bool = false,
                                  _ body: (inout Conversation) async throws -> AgentEventResult) async throws -> AgentEventResult {
        guard let found = try await store.conversation(id: id) else { return .ignored }
        return try await locks.withLock(found.visitorID) { try await retryingConflicts(of: found.visitorID) {
            // Read again under the lock: the visitor may have moved it meanwhile.
            guard var conversation = try await store.conversation(id: id), evenClosed || conversation.state != .closed else { return .ignored }
            return try await body(&conversation)
        } }
    }
}

extension ChatService {
    /// This process missed what the others told it (its listener's connection was lost,
    /// the database restarting): each widget open here gets its latest conversation's
    /// messages from `since` on, and its state. The widget keeps a message once, in order.
    public func resendRecent(since: Millis) async {
        for visitor in hub.onlineVisitors {
            await locks.withLock(visitor) {
                guard let conversation = try? await store.latestConversation(of: visitor),
                      let messages = try? await store.messages(in: conversation.id, after: 0, limit: 10_000) else { return }
                for message in messages where message.createdAt >= since { hub.publish(.message(message, origin: nil), to: visitor) }
                hub.publish(.state(conversation.id, conversation.state), to: visitor)
            }
        }
    }

    /// What another process sharing the database committed: the visitor's widgets open
    /// here get its messages and state, the cached conversation is dropped, and the agent
    /// side here (if it runs here) hears of new tasks and of the visitor typing.
    public func applyShared(_ change: SharedChange) async {
        switch change {
        case .step(let visitor, let conversationID, let widgetKey, let first, let last, let newState, let started, let tasks):
            if tasks { agents.tasksAdded(widgetKey: widgetKey, conversation: conversationID) }
            await locks.withLock(visitor) {
                recent.forget(visitor)
                guard hub.isOnline(visitor) else { return }
                // A read that fails leaves the widgets behind until they reconnect and
                // resume from the last message they have.
                if started, let conversation = try? await store.conversation(id: conversationID) {
                    hub.publish(.conversationStarted(conversation), to: visitor)
                }
                if let first, let last, last >= first,
                   let messages = try? await store.messages(in: conversationID, after: first - 1, limit: Int(min(last - first + 1, 1000))) {
                    for message in messages where message.id <= last { hub.publish(.message(message, origin: nil), to: visitor) }
                }
                if let newState { hub.publish(.state(conversationID, newState), to: visitor) }
            }
        case .typing(let visitor, let conversationID, let role, let name, let active):
            switch role {
            case .agent:
                hub.publish(.typing(conversationID, role: .agent, name: name, active: active), to: visitor)
            case .visitor:
                guard let conversation = try? await store.conversation(id: conversationID), conversation.state.isHandedOver else { return }
                await agents.visitorTyping(in: conversation, active: active)
            case .bot, .system:
                return
            }
        case .erased(let visitor, let conversation):
            await locks.withLock(visitor) { forgetErased(visitor: visitor, conversation: conversation) }
        }
    }
}
