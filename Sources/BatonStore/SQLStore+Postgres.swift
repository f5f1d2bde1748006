import BatonCore
import SQLKit

/// The write path on PostgreSQL: a conversation step is one statement (its own
/// transaction), so that it costs one round trip to the server: the visitor, the
/// conversation, the messages and the tasks are sub-statements of it (`WITH … INSERT /
/// UPDATE`), and the messages and tasks are written only if the conversation was (its
/// conditional `UPDATE` matched). Steps of one visitor never overlap (`ChatService` runs
/// them under the visitor's lock), so a conversation's messages get increasing ids in the
/// order they were written, which is what widgets resume by.
extension SQLStore {
    static func commit(_ change: ChangeSet, on connections: PostgresConnections) async throws -> [Message] {
        do {
            let stored: [Message]
            if connections.durable {
                stored = try await write(change, on: connections.database)
            } else {
                // `SET LOCAL` needs a transaction block.
                stored = try await connections.transaction(durable: false) { db in try await write(change, on: db) }
            }
            // The other processes hear of it once it is committed, in a statement of its
            // own: a NOTIFY in the step's transaction would hold PostgreSQL's one
            // notification lock through the commit's disk sync, and every step of every
            // process would commit one at a time.
            await PostgresShared.announce(shared(change, stored: stored), on: connections)
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

    /// The step as one statement. Its rows: one per stored message (its id), or one with
    /// a NULL id when the step stored none; none when the conversation had moved on
    /// (`StoreError.conflict`).
    private static func write(_ change: ChangeSet, on db: any SQLDatabase) async throws -> [Message] {
        let c = change.conversation
        var parts: [SQLQueryString] = []
        if let basis = change.basis {
            // Only from the state the step was computed from: another process may have
            // moved the conversation since (an agent joined or closed it, a second tab).
            parts.append("""
                c AS (UPDATE conversations SET state = \(bind: c.state.rawValue), progress = \(bind: try Rows.json(c.progress)),
                    variables = \(bind: try Rows.json(c.variables)), updated_at = \(bind: c.updatedAt), closed_at = \(bind: c.closedAt)
                WHERE id = \(bind: c.id.rawValue) AND state = \(bind: basis.state.rawValue)
                  AND progress = \(bind: try Rows.json(basis.progress)) AND variables = \(bind: try Rows.json(basis.variables))
                RETURNING id)
                """)
        } else {
            parts.append("""
                c AS (INSERT INTO conversations (id, widget_key, visitor_id, state, progress, variables, created_at, updated_at, closed_at)
                VALUES (\(bind: c.id.rawValue), \(bind: c.widgetKey), \(bind: c.visitorID.rawValue), \(bind: c.state.rawValue),
                        \(bind: try Rows.json(c.progress)), \(bind: try Rows.json(c.variables)), \(bind: c.createdAt), \(bind: c.updatedAt),
                        \(bind: c.closedAt))
                ON CONFLICT (id) DO UPDATE SET state = excluded.state, progress = excluded.progress, variables = excluded.variables,
                    updated_at = excluded.updated_at, closed_at = excluded.closed_at
                RETURNING id)
                """)
        }
        if let v = change.visitor {
            // Only with the conversation (`FROM c`): a refused step writes nothing.
            parts.append("""
                v AS (INSERT INTO visitors (id, widget_key, token_hash, name, email, created_at, last_seen_at, external_id)
                SELECT \(bind: v.id.rawValue)::TEXT, \(bind: v.widgetKey)::TEXT, \(bind: v.tokenHash)::TEXT, \(bind: v.name)::TEXT,
                       \(bind: v.email)::TEXT, \(bind: v.createdAt)::BIGINT, \(bind: v.lastSeenAt)::BIGINT, \(bind: v.externalID)::TEXT
                FROM c
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, last_seen_at = excluded.last_seen_at,
                    external_id = excluded.external_id)
                """)
        }
        if change.messages.isEmpty {
            parts.append("m AS (SELECT NULL::BIGINT AS id WHERE false)")
        } else {
            var rows: [SQLQueryString] = []
            for (index, m) in change.messages.enumerated() {
                let buttons = m.buttons.isEmpty ? nil : try Rows.json(m.buttons)
                rows.append("""
                    (\(bind: Int64(index)), \(bind: m.role == .visitor ? c.visitorID.rawValue : nil), \(bind: m.role.rawValue),
                     \(bind: m.authorName), \(bind: m.text), \(bind: buttons), \(bind: m.clientID), \(bind: m.externalID), \(bind: m.createdAt),
                     \(bind: m.replaces), \(bind: try Rows.files(m.files)))
                    """)
            }
            // Rows go in in the order given (`ORDER BY n`), so their ids increase in it.
            parts.append("""
                m AS (INSERT INTO messages (conversation_id, visitor_id, role, author_name, text, buttons, client_id, external_id, created_at, replaces, files)
                SELECT c.id, x.visitor_id::TEXT, x.role::TEXT, x.author_name::TEXT, x.text::TEXT, x.buttons::TEXT, x.client_id::TEXT,
                       x.external_id::TEXT, x.created_at::BIGINT, x.replaces::BIGINT, x.files::TEXT
                FROM c, (VALUES \(rows.joined(separator: ", "))) AS x(n, visitor_id, role, author_name, text, buttons, client_id, external_id, created_at, replaces, files)
                ORDER BY x.n
                RETURNING id)
                """)
            // The messages make their files their own (a correction only shows them): the
            // nth message's id is the nth smallest returned, as they went in in order.
            var attachments: [SQLQueryString] = []
            for (index, m) in change.messages.enumerated() where m.replaces == nil {
                for file in m.files { attachments.append("(\(bind: Int64(index)), \(bind: file.id.rawValue))") }
            }
            if !attachments.isEmpty {
                parts.append("""
                    f AS (UPDATE files SET message_id = (SELECT r.id FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM m) r WHERE r.n = x.n::BIGINT)
                    FROM (VALUES \(attachments.joined(separator: ", "))) AS x(n, file_id)
                    WHERE files.id = x.file_id::TEXT AND files.message_id IS NULL)
                    """)
            }
        }
        if !change.tasks.isEmpty {
            let now = Millis.now()
            var rows: [SQLQueryString] = []
            for (index, task) in change.tasks.enumerated() {
                rows.append("(\(bind: Int64(index)), \(bind: task == .relay ? Rows.relayJSON : try Rows.json(task)))")
            }
            // Queued with the id of the step's last message, after it (and in order).
            parts.append("""
                t AS (INSERT INTO agent_tasks (widget_key, conversation_id, task, message_id, attempts, next_attempt_at, created_at)
                SELECT \(bind: c.widgetKey), c.id, x.task::TEXT, (SELECT max(id) FROM m), 0, \(bind: now), \(bind: now)
                FROM c, (VALUES \(rows.joined(separator: ", "))) AS x(n, task)
                ORDER BY x.n)
                """)
        }
        let statement: SQLQueryString = "WITH " + parts.joined(separator: ", ") + " SELECT m.id FROM c LEFT JOIN m ON true ORDER BY m.id"
        let rows = try await db.raw(statement).all()
        guard !rows.isEmpty else { throw StoreError.conflict }
        let ids = try rows.compactMap { try $0.decodeNil(column: "id") ? nil : $0.decode(column: "id", as: Int64.self) }
        guard ids.count == change.messages.count else { throw StoreError.failure("\(ids.count) ids for \(change.messages.count) new messages") }
        return zip(change.messages, ids).map { message, id in message.stored(id: id, in: c.id) }
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
