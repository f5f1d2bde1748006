import BatonCore
import SQLKit
import Synchronization

/// Erasing conversations and visitors (`ErasureStore`): each a transaction that checks
/// what may go and deletes it, children before parents (files, messages, the room, the
/// conversation, the visitor). On PostgreSQL the rows are locked first, so that another
/// Baton cannot hand the conversation over between the check and the delete: its step
/// then finds the conversation gone and reads again.
extension SQLStore: ErasureStore {
    public func eraseConversation(_ id: ConversationID, eraseRooms: Bool, keepingInsights: Bool) async throws -> ErasureOutcome {
        let outcome = Mutex<ErasureOutcome>(.notFound)
        let lock = flavor == .postgres ? " FOR UPDATE" : ""
        try await write { db in
            guard let row = try await db.raw("SELECT state FROM conversations WHERE id = \(bind: id.rawValue)\(unsafeRaw: lock)").first() else {
                return
            }
            let state = try row.decode(column: "state", as: String.self)
            if let refusal = try await Self.refusal(id, state: state, on: db) {
                outcome.withLock { $0 = refusal }
                return
            }
            let only: SQLQueryString = "= \(bind: id.rawValue)"
            if keepingInsights { try await Self.keepInsights(of: id, on: db) }
            if eraseRooms { try await Self.queueRoomErasure(only, on: db) }
            try await Self.deleteConversations(only, on: db)
            outcome.withLock { $0 = .erased([id]) }
        }
        return outcome.withLock { $0 }
    }

    public func eraseVisitor(_ id: VisitorID, eraseRooms: Bool) async throws -> ErasureOutcome {
        let outcome = Mutex<ErasureOutcome>(.notFound)
        let lock = flavor == .postgres ? " FOR UPDATE" : ""
        try await write { db in
            guard try await db.raw("SELECT id FROM visitors WHERE id = \(bind: id.rawValue)\(unsafeRaw: lock)").first() != nil else { return }
            let rows = try await db.raw("""
                SELECT id, state FROM conversations WHERE visitor_id = \(bind: id.rawValue) ORDER BY created_at, id\(unsafeRaw: lock)
                """).all()
            var conversations: [ConversationID] = []
            for row in rows {
                let conversation = ConversationID(try row.decode(column: "id", as: String.self))
                if let refusal = try await Self.refusal(conversation, state: try row.decode(column: "state", as: String.self), on: db) {
                    outcome.withLock { $0 = refusal }
                    return
                }
                conversations.append(conversation)
            }
            let ofVisitor: SQLQueryString = "IN (SELECT id FROM conversations WHERE visitor_id = \(bind: id.rawValue))"
            if eraseRooms { try await Self.queueRoomErasure(ofVisitor, on: db) }
            try await Self.deleteConversations(ofVisitor, on: db)
            // Uploads never sent; an agent's files sent to the visitor went with their messages.
            try await db.raw("DELETE FROM files WHERE visitor_id = \(bind: id.rawValue) AND message_id IS NULL").run()
            try await db.raw("DELETE FROM visitors WHERE id = \(bind: id.rawValue)").run()
            outcome.withLock { $0 = .erased(conversations) }
        }
        return outcome.withLock { $0 }
    }

    public func expiredConversations(before: Millis, after: ExpiredConversation?, limit: Int) async throws -> [ExpiredConversation] {
        let states = ConversationState.allCases.filter(\.isErasable).map { "'\($0.rawValue)'" }.joined(separator: ", ")
        var query: SQLQueryString = """
            SELECT id, visitor_id, updated_at FROM conversations
            WHERE updated_at < \(bind: before) AND state IN (\(unsafeRaw: states))
            """
        if let after {
            // As the conversation list's cursor: the first condition bounds the index range.
            query = query + " AND updated_at >= \(bind: after.updatedAt) AND (updated_at > \(bind: after.updatedAt) OR id > \(bind: after.id.rawValue))"
        }
        query = query + " ORDER BY updated_at, id LIMIT \(bind: limit)"
        return try await reader.raw(query).all().map { row in
            ExpiredConversation(id: ConversationID(try row.decode(column: "id", as: String.self)),
                                visitorID: VisitorID(try row.decode(column: "visitor_id", as: String.self)),
                                updatedAt: try row.decode(column: "updated_at", as: Int64.self))
        }
    }

    public func visitorsWithoutConversations(createdBefore before: Millis, limit: Int) async throws -> [VisitorID] {
        try await reader.raw("""
            SELECT id FROM visitors v WHERE created_at < \(bind: before)
            AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.visitor_id = v.id)
            ORDER BY created_at LIMIT \(bind: limit)
            """).all().map { VisitorID(try $0.decode(column: "id", as: String.self)) }
    }

    /// Why a conversation may not go now, if it may not.
    private static func refusal(_ id: ConversationID, state: String, on db: any SQLDatabase) async throws -> ErasureOutcome? {
        guard let state = ConversationState(rawValue: state), state.isErasable else { return .open(id) }
        let queued = try await db.raw("SELECT 1 AS queued FROM agent_tasks WHERE conversation_id = \(bind: id.rawValue) LIMIT 1").first()
        return queued == nil ? nil : .busy(id)
    }

    /// Queues the erasure of the rooms of the conversations whose id matches `match` on the
    /// agent side: each task carries its room, whose row goes with the conversation.
    private static func queueRoomErasure(_ match: SQLQueryString, on db: any SQLDatabase) async throws {
        let now = Millis.now()
        for row in try await db.raw("SELECT * FROM rooms WHERE conversation_id " + match + " ORDER BY created_at").all() {
            let room = try Rows.room(row)
            try await insertTask(widgetKey: room.widgetKey, conversation: room.conversationID, task: .eraseRoom(room), messageID: nil,
                                 now: now, on: db)
        }
    }

    /// Deletes the conversations whose id matches `match` (`= ?` or `IN (...)`), with
    /// everything that points at them.
    private static func deleteConversations(_ match: SQLQueryString, on db: any SQLDatabase) async throws {
        try await db.raw("DELETE FROM files WHERE message_id IS NOT NULL AND message_id IN (SELECT id FROM messages WHERE conversation_id " + match + ")").run()
        try await db.raw("DELETE FROM messages WHERE conversation_id " + match).run()
        try await db.raw("DELETE FROM rooms WHERE conversation_id " + match).run()
        try await db.raw("DELETE FROM reply_mail WHERE conversation_id " + match).run()
        try await db.raw("DELETE FROM conversations WHERE id " + match).run()
    }
}
