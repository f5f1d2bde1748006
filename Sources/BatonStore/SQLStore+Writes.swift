import BatonCore
import Logging
import SQLKit

extension SQLStore {
    // MARK: Writing

    /// Applies a batch in one transaction. If any operation fails, the transaction is
    /// rolled back and the batch is applied again with a savepoint around each operation,
    /// so one failure (a duplicate client id) fails only its own operation.
    static func apply(_ ops: [WriteOp], on db: any SQLDatabase, logger: Logger) async -> [Result<[Message], any Error>] {
        do {
            try await db.raw("BEGIN IMMEDIATE").run()
            var results: [Result<[Message], any Error>] = []
            // Consecutive conversation steps are written together, a few statements for
            // the whole run; other writes one by one, in their place.
            var index = ops.startIndex
            while index < ops.endIndex {
                guard case .change = ops[index] else {
                    results.append(.success(try await apply(ops[index], on: db)))
                    index += 1
                    continue
                }
                var changes: [ChangeSet] = []
                while index < ops.endIndex, case .change(let change) = ops[index] {
                    changes.append(change)
                    index += 1
                }
                for stored in try await applyTogether(changes, on: db) { results.append(.success(stored)) }
            }
            try await db.raw("COMMIT").run()
            return results
        } catch {
            try? await db.raw("ROLLBACK").run()
            if ops.count == 1 { return [.failure(await domainError(error, op: ops[0], on: db))] }
        }
        do {
            try await db.raw("BEGIN IMMEDIATE").run()
            var results: [Result<[Message], any Error>] = []
            for op in ops {
                try await db.raw("SAVEPOINT op").run()
                do {
                    results.append(.success(try await apply(op, on: db)))
                    try await db.raw("RELEASE op").run()
                } catch {
                    try await db.raw("ROLLBACK TO op").run()
                    try await db.raw("RELEASE op").run()
                    results.append(.failure(await domainError(error, op: op, on: db)))
                }
            }
            try await db.raw("COMMIT").run()
            return results
        } catch {
            try? await db.raw("ROLLBACK").run()
            logger.error("Database write failed", metadata: ["error": "\(error)"])
            return ops.map { _ in .failure(StoreError.failure("\(error)")) }
        }
    }

    /// Turns a unique-constraint failure on a client id into `duplicateClientMessage`.
    static func domainError(_ error: any Error, op: WriteOp, on db: any SQLDatabase) async -> any Error {
        guard case .change(let change) = op, let sqlite = error as? SQLiteFailure, sqlite.isConstraint, sqlite.message.contains("client_id") else {
            return StoreError.failure("\(error)")
        }
        for message in change.messages where message.role == .visitor {
            if let clientID = message.clientID,
               let earlier = try? await Self.message(from: change.conversation.visitorID, clientID: clientID, on: db) {
                return StoreError.duplicateClientMessage(existing: earlier.id)
            }
        }
        return StoreError.failure("\(error)")
    }

    static func apply(_ op: WriteOp, on db: any SQLDatabase) async throws -> [Message] {
        switch op {
        case .statements(let statements):
            try await statements(db)
            return []
        case .change(let change):
            return try await applyTogether([change], on: db)[0]
        }
    }

    /// Rows per multi-row INSERT: well under SQLite's limit on bound parameters.
    static let rowsPerStatement = 500

    /// Writes several conversation steps with one statement per table (visitors,
    /// conversations, messages, tasks) instead of one per row: on SQLite every statement
    /// is a trip to the database thread. Message ids are given here, after the highest
    /// ever used, so that each step gets its messages back without reading them again.
    /// Returns the stored messages of each change, in order.
    static func applyTogether(_ changes: [ChangeSet], on db: any SQLDatabase) async throws -> [[Message]] {
        // The same visitor or conversation twice: the later state is the one to keep.
        var visitors: [VisitorID: Visitor] = [:]
        var conversations: [ConversationID: Conversation] = [:]
        var visitorOrder: [VisitorID] = [], conversationOrder: [ConversationID] = []
        for change in changes {
            if let visitor = change.visitor {
                if visitors.updateValue(visitor, forKey: visitor.id) == nil { visitorOrder.append(visitor.id) }
            }
            let conversation = change.conversation
            if conversations.updateValue(conversation, forKey: conversation.id) == nil { conversationOrder.append(conversation.id) }
        }
        for chunk in visitorOrder.chunked(rowsPerStatement) {
            let insert = db.insert(into: "visitors")
                .columns("id", "widget_key", "token_hash", "name", "email", "created_at", "last_seen_at")
            for id in chunk {
                let v = visitors[id]!
                insert.values(v.id.rawValue, v.widgetKey, v.tokenHash, v.name, v.email, v.createdAt, v.lastSeenAt)
            }
            try await insert.onConflict(with: "id") { $0.set(excludedValueOf: "name").set(excludedValueOf: "email").set(excludedValueOf: "last_seen_at") }
                .run()
        }
        for chunk in conversationOrder.chunked(rowsPerStatement) {
            let insert = db.insert(into: "conversations")
                .columns("id", "widget_key", "visitor_id", "state", "progress", "variables", "created_at", "updated_at", "closed_at")
            for id in chunk {
                let c = conversations[id]!
                insert.values(c.id.rawValue, c.widgetKey, c.visitorID.rawValue, c.state.rawValue, try Rows.json(c.progress),
                              try Rows.json(c.variables), c.createdAt, c.updatedAt, c.closedAt)
            }
            try await insert.onConflict(with: "id") { $0.set(excludedValueOf: "state").set(excludedValueOf: "progress")
                .set(excludedValueOf: "variables").set(excludedValueOf: "updated_at").set(excludedValueOf: "closed_at") }
                .run()
        }
        var nextID = changes.contains { !$0.messages.isEmpty } ? try await lastMessageID(on: db) + 1 : 0
        var results: [[Message]] = []
        var rows: [(Message, VisitorID)] = []
        var tasks: [(String, ConversationID, AgentTask, MessageID?)] = []
        for change in changes {
            let c = change.conversation
            var stored: [Message] = []
            for message in change.messages {
                stored.append(message.stored(id: nextID, in: c.id))
                rows.append((stored[stored.count - 1], c.visitorID))
                nextID += 1
            }
            for task in change.tasks { tasks.append((c.widgetKey, c.id, task, stored.last?.id)) }
            results.append(stored)
        }
        for chunk in rows.chunked(rowsPerStatement) {
            let insert = db.insert(into: "messages")
                .columns("id", "conversation_id", "visitor_id", "role", "author_name", "text", "buttons", "client_id", "external_id", "created_at")
            for (m, visitor) in chunk {
                insert.values(m.id, m.conversationID.rawValue, m.role == .visitor ? visitor.rawValue : nil, m.role.rawValue,
                              m.authorName, m.text, m.buttons.isEmpty ? nil : try Rows.json(m.buttons),
                              m.clientID, m.externalID, m.createdAt)
            }
            try await insert.run()
        }
        try await insertTasks(tasks, on: db)
        return results
    }

    /// The highest message id ever given, deleted messages included (ids never come back:
    /// widgets resume from the last id they saw).
    static func lastMessageID(on db: any SQLDatabase) async throws -> MessageID {
        let row = try await db.raw("""
            SELECT MAX(COALESCE((SELECT MAX(id) FROM messages), 0),
                       COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0)) AS last
            """).first()
        return try row?.decode(column: "last", as: Int64.self) ?? 0
    }
}

extension Array {
    /// The array in consecutive slices of at most `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
