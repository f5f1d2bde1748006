import BatonCore
import Logging
import SQLKit
import SQLiteKit

extension SQLStore {
    // MARK: Writing

    /// Applies a batch in one transaction. If any operation fails, the transaction is
    /// rolled back and the batch is applied again with a savepoint around each operation,
    /// so one failure (a duplicate client id) fails only its own operation.
    static func apply(_ ops: [WriteOp], on db: any SQLDatabase, logger: Logger) async -> [Result<[Message], any Error>] {
        do {
            try await db.raw("BEGIN IMMEDIATE").run()
            var results: [Result<[Message], any Error>] = []
            for op in ops { results.append(.success(try await apply(op, on: db))) }
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
        guard case .change(let change) = op, let sqlite = error as? SQLiteError, sqlite.message.contains("client_id") else {
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
            return try await apply(change, on: db)
        }
    }

    static func apply(_ change: ChangeSet, on db: any SQLDatabase) async throws -> [Message] {
        if let visitor = change.visitor {
            try await db.insert(into: "visitors")
                .columns("id", "widget_key", "token_hash", "name", "email", "created_at", "last_seen_at")
                .values(visitor.id.rawValue, visitor.widgetKey, visitor.tokenHash, visitor.name, visitor.email,
                        visitor.createdAt, visitor.lastSeenAt)
                .onConflict(with: "id") { $0.set(excludedValueOf: "name").set(excludedValueOf: "email").set(excludedValueOf: "last_seen_at") }
                .run()
        }
        let c = change.conversation
        try await db.insert(into: "conversations")
            .columns("id", "widget_key", "visitor_id", "state", "progress", "variables", "created_at", "updated_at", "closed_at")
            .values(c.id.rawValue, c.widgetKey, c.visitorID.rawValue, c.state.rawValue, try Rows.json(c.progress),
                    try Rows.json(c.variables), c.createdAt, c.updatedAt, c.closedAt)
            .onConflict(with: "id") { $0.set(excludedValueOf: "state").set(excludedValueOf: "progress")
                .set(excludedValueOf: "variables").set(excludedValueOf: "updated_at").set(excludedValueOf: "closed_at") }
            .run()
        var stored: [Message] = []
        stored.reserveCapacity(change.messages.count)
        for message in change.messages {
            let row = try await db.insert(into: "messages")
                .columns("conversation_id", "visitor_id", "role", "author_name", "text", "buttons", "client_id", "external_id", "created_at")
                .values(c.id.rawValue, message.role == .visitor ? c.visitorID.rawValue : nil, message.role.rawValue,
                        message.authorName, message.text, message.buttons.isEmpty ? nil : try Rows.json(message.buttons),
                        message.clientID, message.externalID, message.createdAt)
                .returning("id").first()
            guard let id = try row?.decode(column: "id", as: Int64.self) else { throw StoreError.failure("no id returned for a new message") }
            stored.append(message.stored(id: id, in: c.id))
        }
        if !change.tasks.isEmpty {
            try await insertTasks(change.tasks.map { (c.id, $0, stored.last?.id) }, widgetKey: c.widgetKey, on: db)
        }
        return stored
    }
}
