/// Erasing what Baton keeps of visitors: a conversation, everything of one visitor, or
/// whatever has been quiet longer than the retention period allows.
///
/// What may go: a conversation that is closed, or that never left the bot (no agent saw
/// it). A conversation handed over and not closed belongs to the agents until they close
/// it, and one whose work for the agent side is still queued (its last posts, the closing
/// of its room) waits until that work is done. What Baton posted to Mattermost stays
/// there unless the erasure asks for the rooms too (`eraseRooms`): then, in the same
/// transaction, each room goes into the outbox as an `AgentTask.eraseRoom`, which the
/// agent side carries out (and retries) like any task.

/// What an erasure did, or why it did nothing.
public enum ErasureOutcome: Sendable, Hashable {
    /// Deleted: the conversations (all of the visitor's, for a visitor).
    case erased([ConversationID])
    /// Nothing has this id.
    case notFound
    /// A conversation is with the agents (handed over, not closed).
    case open(ConversationID)
    /// Work for the agent side is still queued for a conversation.
    case busy(ConversationID)
}

/// A conversation the retention sweep found, oldest change first.
public struct ExpiredConversation: Sendable, Hashable {
    public var id: ConversationID
    public var visitorID: VisitorID
    public var updatedAt: Millis

    public init(id: ConversationID, visitorID: VisitorID, updatedAt: Millis) {
        self.id = id
        self.visitorID = visitorID
        self.updatedAt = updatedAt
    }
}

/// The store's side of erasure: each call one transaction, all of it or none of it.
public protocol ErasureStore: Sendable {
    /// Deletes a conversation with its messages, their files and its room record, when it
    /// may go (see above); with `eraseRooms`, queues the erasure of its room on the agent
    /// side. With `keepingInsights` (the retention period's sweep), what the dashboard's
    /// insights count of it stays, without any of its words or its visitor: when it
    /// started and was handed over, whether an agent answered, its rating, why it was
    /// handed over, the first reply's wait and agent, and each agent's message count.
    func eraseConversation(_ id: ConversationID, eraseRooms: Bool, keepingInsights: Bool) async throws -> ErasureOutcome
    /// Deletes a visitor with all their conversations (each must be allowed to go, or
    /// nothing is deleted) and their uploads; with `eraseRooms`, queues the erasure of
    /// their rooms on the agent side.
    func eraseVisitor(_ id: VisitorID, eraseRooms: Bool) async throws -> ErasureOutcome
    /// Conversations that may go and last changed before `before`, in the order of their
    /// last change, starting after `after` (the last one of the previous page).
    func expiredConversations(before: Millis, after: ExpiredConversation?, limit: Int) async throws -> [ExpiredConversation]
    /// Visitors created before `before` who have no conversation left.
    func visitorsWithoutConversations(createdBefore before: Millis, limit: Int) async throws -> [VisitorID]
}

extension ErasureStore {
    /// Erases with no figures kept for the insights; the rooms stay on the agent side
    /// unless `eraseRooms`. (The stores' tests use these: the service's
    /// `ChatService.erase` also takes the visitor's lock and tells the widgets.)
    public func eraseConversation(_ id: ConversationID, eraseRooms: Bool = false) async throws -> ErasureOutcome {
        try await eraseConversation(id, eraseRooms: eraseRooms, keepingInsights: false)
    }

    public func eraseVisitor(_ id: VisitorID) async throws -> ErasureOutcome {
        try await eraseVisitor(id, eraseRooms: false)
    }
}

extension ConversationState {
    /// Whether a conversation in this state may be erased: it is over, or no agent has
    /// seen it.
    public var isErasable: Bool { self == .closed || isBotActive }
}

/// What a retention sweep erased.
public struct SweepResult: Sendable, Hashable {
    public var conversations = 0
    public var visitors = 0
    /// Conversations old enough that had to stay (their agent-side work is still queued).
    public var kept = 0

    public init() {}
}

extension ChatService {
    /// Erases a conversation (see `ErasureStore.eraseConversation`), under its visitor's
    /// lock; the visitor's open widgets are told, here and in other processes. With
    /// `eraseRooms`, its room on the agent side is erased too (by the outbox, which the
    /// agent side's worker searches for due tasks every 250 ms).
    public func erase(conversation id: ConversationID, eraseRooms: Bool = false) async throws -> ErasureOutcome {
        guard let found = try await store.conversation(id: id) else { return .notFound }
        return try await erase(conversation: id, of: found.visitorID, eraseRooms: eraseRooms)
    }

    /// Erases a conversation whose visitor is known (keeping what the insights count of it,
    /// for the retention period's sweep).
    private func erase(conversation id: ConversationID, of visitor: VisitorID, eraseRooms: Bool,
                       keepingInsights: Bool = false) async throws -> ErasureOutcome {
        let outcome = try await locks.withLock(visitor) {
            let outcome = try await store.eraseConversation(id, eraseRooms: eraseRooms, keepingInsights: keepingInsights)
            if case .erased = outcome { forgetErased(visitor: visitor, conversation: id) }
            return outcome
        }
        if case .erased = outcome { await shared?.announce(.erased(visitor: visitor, conversation: id)) }
        return outcome
    }

    /// Erases a visitor and everything of theirs; their open widgets are closed and
    /// start over as a new visitor. With `eraseRooms`, their rooms on the agent side too.
    public func erase(visitor id: VisitorID, eraseRooms: Bool = false) async throws -> ErasureOutcome {
        let outcome = try await locks.withLock(id) {
            let outcome = try await store.eraseVisitor(id, eraseRooms: eraseRooms)
            if case .erased = outcome { forgetErased(visitor: id, conversation: nil) }
            return outcome
        }
        if case .erased = outcome { await shared?.announce(.erased(visitor: id, conversation: nil)) }
        return outcome
    }

    /// Erases what has been quiet since before `cutoff`: conversations that may go, then
    /// visitors left without any (with `eraseRooms`, their rooms on the agent side too).
    /// The insights go on counting the conversations (their numbers, not their words).
    /// `batch` rows are read at a time.
    public func sweep(before cutoff: Millis, eraseRooms: Bool = false, batch: Int = 200) async throws -> SweepResult {
        var result = SweepResult()
        var after: ExpiredConversation?
        while true {
            let page = try await store.expiredConversations(before: cutoff, after: after, limit: batch)
            for expired in page {
                switch try await erase(conversation: expired.id, of: expired.visitorID, eraseRooms: eraseRooms, keepingInsights: true) {
                case .erased: result.conversations += 1
                case .open, .busy: result.kept += 1
                case .notFound: break
                }
            }
            guard page.count == batch, let last = page.last else { break }
            after = last
        }
        while true {
            let visitors = try await store.visitorsWithoutConversations(createdBefore: cutoff, limit: batch)
            var erased = 0
            for visitor in visitors {
                if case .erased = try await erase(visitor: visitor) { erased += 1 }
            }
            result.visitors += erased
            // A visitor who started a conversation meanwhile stays: stop rather than loop.
            guard visitors.count == batch, erased > 0 else { break }
        }
        return result
    }

    /// Drops what this process remembers of an erased conversation (or visitor) and tells
    /// the visitor's widgets. Call it under the visitor's lock.
    func forgetErased(visitor: VisitorID, conversation: ConversationID?) {
        recent.forget(visitor)
        hub.publish(.erased(conversation), to: visitor)
    }
}
