import BatonCore
import SQLKit

/// The write path on PostgreSQL: a conversation step is one transaction on a pooled
/// connection. Steps of one visitor never overlap (`ChatService` runs them under the
/// visitor's lock), so a conversation's messages get increasing ids in the order they
/// were written, which is what widgets resume by.
extension SQLStore {
    static func commit(_ change: ChangeSet, on connections: PostgresConnections) async throws -> [Message] {
        do {
            let stored = try await connections.transaction { db in try await write(change, on: db) }
            // The other processes hear of it once it is committed, outside the transaction:
            // a NOTIFY inside it would hold PostgreSQL's one notification lock through the
            // commit's disk sync, and every step of every process would commit one at a time.
            await PostgresShared(connections: connections).announce(shared(change, stored: stored))
            return stored
        } catch StoreError.conflict {
            throw StoreError.conflict
        } catch {
            if let constraint = PostgresConnections.uniqueViolation(error), constraint.contains("client_id") {
                for message in change.messages where message.role == .visitor {
                    if let clientID = message.clientID,
                       let earlier = try? await Self.message(from: change.conversation.visitorID, clientID: clientID, on: connections.database) {
                        throw StoreError.duplicateClientMessage(existing: earlier.id)
                    }
                }
            }
            throw StoreError.failure(PostgresConnections.describe(error))
        }
    }

    /// What the other processes are told of a committed step.
    private static func shared(_ change: ChangeSet, stored: [Message]) -> SharedChange {
        let c = change.conversation
        return .step(visitor: c.visitorID, conversation: c.id, widgetKey: c.widgetKey, firstMessage: stored.first?.id,
                     lastMessage: stored.last?.id, newState: change.basis?.state == c.state ? nil : c.state,
                     started: change.basis == nil, tasks: !change.tasks.isEmpty)
    }

    private static func write(_ change: ChangeSet, on db: any SQLDatabase) async throws -> [Message] {
        if let v = change.visitor {
            try await db.raw("""
                INSERT INTO visitors (id, widget_key, token_hash, name, email, created_at, last_seen_at)
                VALUES (\(bind: v.id.rawValue), \(bind: v.widgetKey), \(bind: v.tokenHash), \(bind: v.name), \(bind: v.email),
                        \(bind: v.createdAt), \(bind: v.lastSeenAt))
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, last_seen_at = excluded.last_seen_at
                """).run()
        }
        let c = change.conversation
        if let basis = change.basis {
            // Only from the state the step was computed from: another process may have
            // moved the conversation since (an agent joined or closed it, a second tab).
            let updated = try await db.raw("""
                UPDATE conversations SET state = \(bind: c.state.rawValue), progress = \(bind: try Rows.json(c.progress)),
                    variables = \(bind: try Rows.json(c.variables)), updated_at = \(bind: c.updatedAt), closed_at = \(bind: c.closedAt)
                WHERE id = \(bind: c.id.rawValue) AND state = \(bind: basis.state.rawValue)
                  AND progress = \(bind: try Rows.json(basis.progress)) AND variables = \(bind: try Rows.json(basis.variables))
                RETURNING id
                """).first()
            guard updated != nil else { throw StoreError.conflict }
        } else {
            try await db.raw("""
            INSERT INTO conversations (id, widget_key, visitor_id, state, progress, variables, created_at, updated_at, closed_at)
            VALUES (\(bind: c.id.rawValue), \(bind: c.widgetKey), \(bind: c.visitorID.rawValue), \(bind: c.state.rawValue),
                    \(bind: try Rows.json(c.progress)), \(bind: try Rows.json(c.variables)), \(bind: c.createdAt), \(bind: c.updatedAt),
                    \(bind: c.closedAt))
            ON CONFLICT (id) DO UPDATE SET state = excluded.state, progress = excluded.progress, variables = excluded.variables,
                updated_at = excluded.updated_at, closed_at = excluded.closed_at
            """).run()
        }
        var stored: [Message] = []
        for m in change.messages {
            let buttons = m.buttons.isEmpty ? nil : try Rows.json(m.buttons)
            let row = try await db.raw("""
                INSERT INTO messages (conversation_id, visitor_id, role, author_name, text, buttons, client_id, external_id, created_at)
                VALUES (\(bind: c.id.rawValue), \(bind: m.role == .visitor ? c.visitorID.rawValue : nil), \(bind: m.role.rawValue),
                        \(bind: m.authorName), \(bind: m.text), \(bind: buttons), \(bind: m.clientID), \(bind: m.externalID),
                        \(bind: m.createdAt))
                RETURNING id
                """).first()
            guard let id = try row?.decode(column: "id", as: Int64.self) else { throw StoreError.failure("no id for a new message") }
            stored.append(m.stored(id: id, in: c.id))
        }
        let now = Millis.now()
        for task in change.tasks {
            try await insertTask(widgetKey: c.widgetKey, conversation: c.id, task: task, messageID: stored.last?.id, now: now, on: db)
        }
        return stored
    }

    /// Queues a task in the outbox (through SQLKit: PostgreSQL).
    static func insertTask(widgetKey: String, conversation: ConversationID, task: AgentTask, messageID: MessageID?, now: Millis,
                           on db: any SQLDatabase) async throws {
        let json = task == .relay ? Rows.relayJSON : try Rows.json(task)
        try await db.raw("""
            INSERT INTO agent_tasks (widget_key, conversation_id, task, message_id, attempts, next_attempt_at, created_at)
            VALUES (\(bind: widgetKey), \(bind: conversation.rawValue), \(bind: json), \(bind: messageID), 0, \(bind: now), \(bind: now))
            """).run()
    }
}

/// Keys of the PostgreSQL advisory locks Baton takes (one number space per database).
enum AdvisoryLock {
    /// Held while the schema is brought up to date.
    static let migrations: Int64 = 0x6261_746F_6E00_0001
    /// Held by the process that runs the Mattermost links.
    static let agentSide: Int64 = 0x6261_746F_6E00_0002
}
