import BatonCore
import Logging
import SQLKit
import SQLiteNIO
import Synchronization

extension SQLStore {
    // MARK: Writing

    /// Applies a batch in one transaction. If any operation fails, the transaction is
    /// rolled back and the batch is applied again with a savepoint around each operation,
    /// so one failure (a duplicate client id) fails only its own operation.
    static func apply(_ ops: [WriteOp], on db: InlineSQLite, botStates: BotStates, logger: Logger) async -> [Result<[Message], any Error>] {
        // Bot states written by this batch: known to be stored once it commits.
        var written: [ConversationID: BotStates.Entry] = [:]
        do {
            try db.execute("BEGIN IMMEDIATE")
            var results: [Result<[Message], any Error>] = []
            // Consecutive conversation steps are written together, a few statements for
            // the whole run; other writes one by one, in their place.
            var index = ops.startIndex
            while index < ops.endIndex {
                guard case .change = ops[index] else {
                    results.append(.success(try await apply(ops[index], on: db, botStates: botStates, written: &written)))
                    index += 1
                    continue
                }
                var changes: [ChangeSet] = []
                while index < ops.endIndex, case .change(let change) = ops[index] {
                    changes.append(change)
                    index += 1
                }
                for stored in try applyTogether(changes, on: db, botStates: botStates, written: &written) { results.append(.success(stored)) }
            }
            try db.execute("COMMIT")
            botStates.record(written)
            return results
        } catch {
            written = [:]
            try? db.execute("ROLLBACK")
            if ops.count == 1 { return [.failure(await domainError(error, op: ops[0], on: db))] }
        }
        do {
            try db.execute("BEGIN IMMEDIATE")
            var results: [Result<[Message], any Error>] = []
            for op in ops {
                try db.execute("SAVEPOINT op")
                var writtenByOp: [ConversationID: BotStates.Entry] = [:]
                do {
                    results.append(.success(try await apply(op, on: db, botStates: botStates, written: &writtenByOp)))
                    try db.execute("RELEASE op")
                    written.merge(writtenByOp) { _, new in new }
                } catch {
                    try db.execute("ROLLBACK TO op")
                    try db.execute("RELEASE op")
                    results.append(.failure(await domainError(error, op: op, on: db)))
                }
            }
            try db.execute("COMMIT")
            botStates.record(written)
            return results
        } catch {
            try? db.execute("ROLLBACK")
            logger.error("Database write failed", metadata: ["error": "\(error)"])
            return ops.map { _ in .failure(StoreError.failure("\(error)")) }
        }
    }

    /// Turns a unique-constraint failure on a client id into `duplicateClientMessage`.
    static func domainError(_ error: any Error, op: WriteOp, on db: InlineSQLite) async -> any Error {
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

    static func apply(_ op: WriteOp, on db: InlineSQLite, botStates: BotStates,
                      written: inout [ConversationID: BotStates.Entry]) async throws -> [Message] {
        switch op {
        case .statements(let statements, _):
            try await statements(db)
            return []
        case .change(let change):
            return try applyTogether([change], on: db, botStates: botStates, written: &written)[0]
        }
    }

    /// Writes several conversation steps: one kept statement per table, run once a row
    /// on the writer's connection (a row is a few microseconds; building and compiling
    /// SQL for each batch cost more than the writes). Message ids are given here, after
    /// the highest ever used, so that each step gets its messages back without reading
    /// them again. Returns the stored messages of each change, in order.
    /// A conversation whose bot state (progress, variables) is what was last stored gets
    /// a lighter update: in a chat with an agent, every step changes only the time.
    static func applyTogether(_ changes: [ChangeSet], on db: InlineSQLite, botStates: BotStates,
                              written: inout [ConversationID: BotStates.Entry]) throws -> [[Message]] {
        try db.withHandle { handle in
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
            for id in visitorOrder {
                let v = visitors[id]!
                try handle.run(WriteSQL.upsertVisitor, [.text(v.id.rawValue), .text(v.widgetKey), .text(v.tokenHash), .text(v.name),
                                                         .text(v.email), .integer(v.createdAt), .integer(v.lastSeenAt), .text(v.externalID)])
            }
            for id in conversationOrder {
                let c = conversations[id]!
                let state = BotStates.Entry(progress: c.progress, variables: c.variables)
                if (written[id] ?? botStates.entry(for: id)) == state {
                    try handle.run(WriteSQL.touchConversation, [.text(c.id.rawValue), .text(c.state.rawValue), .integer(c.updatedAt),
                                                                 .integer(c.closedAt)])
                    if handle.changes == 1 { continue }
                }
                written[id] = state
                try handle.run(WriteSQL.upsertConversation, [
                    .text(c.id.rawValue), .text(c.widgetKey), .text(c.visitorID.rawValue), .text(c.state.rawValue),
                    .text(try Rows.json(c.progress)), .text(try Rows.json(c.variables)), .integer(c.createdAt), .integer(c.updatedAt),
                    .integer(c.closedAt),
                ])
            }
            var nextID = changes.contains { !$0.messages.isEmpty } ? try lastMessageID(on: handle) + 1 : 0
            var results: [[Message]] = []
            let now = Millis.now()
            for change in changes {
                let c = change.conversation
                var stored: [Message] = []
                for message in change.messages {
                    let m = message.stored(id: nextID, in: c.id)
                    nextID += 1
                    try handle.run(WriteSQL.insertMessage, [
                        .integer(m.id), .text(c.id.rawValue), m.role == .visitor ? .text(c.visitorID.rawValue) : .null, .text(m.role.rawValue),
                        .text(m.authorName), .text(m.text), m.buttons.isEmpty ? .null : .text(try Rows.json(m.buttons)),
                        .text(m.clientID), .text(m.externalID), .integer(m.createdAt), .integer(m.replaces),
                        .text(try Rows.files(m.files)), .text(try m.notice.map(Rows.json)), m.misunderstood ? .integer(1) : .null,
                        .text(m.authorID),
                    ])
                    // The message makes its files its own (a correction only shows them).
                    if m.replaces == nil {
                        for file in m.files { try handle.run(WriteSQL.attachFile, [.integer(m.id), .text(file.id.rawValue)]) }
                    }
                    stored.append(m)
                }
                for task in change.tasks {
                    try insertTask(widgetKey: c.widgetKey, conversation: c.id, task: task, messageID: stored.last?.id, now: now, on: handle)
                }
                results.append(stored)
            }
            return results
        }
    }

    /// Queues a task in the outbox.
    static func insertTask(widgetKey: String, conversation: ConversationID, task: AgentTask, messageID: MessageID?, now: Millis,
                           on handle: SQLiteHandle) throws {
        let json = task == .relay ? Rows.relayJSON : try Rows.json(task)
        try handle.run(WriteSQL.insertTask, [.text(widgetKey), .text(conversation.rawValue), .text(json), .integer(messageID), .integer(0),
                                             .integer(now), .integer(now)])
    }

    /// The highest message id ever given, deleted messages included (ids never come back:
    /// widgets resume from the last id they saw).
    static func lastMessageID(on handle: SQLiteHandle) throws -> MessageID {
        var last: Int64 = 0
        try handle.run(WriteSQL.lastMessageID, []) { row in
            if case .integer(let value)? = row.values.first { last = Int64(value) }
        }
        return last
    }
}

/// The statements of the write path, kept prepared by the writer's connection.
enum WriteSQL {
    static let upsertVisitor = """
        INSERT INTO visitors (id, widget_key, token_hash, name, email, created_at, last_seen_at, external_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
        ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, last_seen_at = excluded.last_seen_at,
            external_id = excluded.external_id
        """
    static let upsertConversation = """
        INSERT INTO conversations (id, widget_key, visitor_id, state, progress, variables, created_at, updated_at, closed_at, handed_over_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, \(handedOver("?4", "?8")))
        ON CONFLICT (id) DO UPDATE SET state = excluded.state, progress = excluded.progress, variables = excluded.variables,
            updated_at = excluded.updated_at, closed_at = excluded.closed_at,
            handed_over_at = COALESCE(conversations.handed_over_at, \(handedOver("excluded.state", "excluded.updated_at")))
        """
    static let touchConversation = """
        UPDATE conversations SET state = ?2, updated_at = ?3, closed_at = ?4,
            handed_over_at = COALESCE(handed_over_at, \(handedOver("?2", "?3"))) WHERE id = ?1
        """
    /// `handed_over_at` of a step that wrote `state` at `time`: the step's time when it
    /// leaves the conversation with the agents (kept by the caller once set).
    static func handedOver(_ state: String, _ time: String) -> String {
        "CASE WHEN \(state) IN ('waiting_for_agent', 'with_agent') THEN \(time) END"
    }
    static let insertMessage = """
        INSERT INTO messages (id, conversation_id, visitor_id, role, author_name, text, buttons, client_id, external_id, created_at, replaces, files, notice,
            misunderstood, author_id)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
        """
    static let attachFile = "UPDATE files SET message_id = ?1 WHERE id = ?2 AND message_id IS NULL"
    static let insertTask = """
        INSERT INTO agent_tasks (widget_key, conversation_id, task, message_id, attempts, next_attempt_at, created_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
        """
    static let deleteTask = "DELETE FROM agent_tasks WHERE id = ?1"
    static let lastMessageID = """
        SELECT MAX(COALESCE((SELECT MAX(id) FROM messages), 0),
                   COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0)) AS last
        """
}

/// The bot state (progress and variables) last committed for each conversation, so that
/// a step that leaves it as it was does not encode and write it again. Recorded only once
/// the transaction that wrote it has committed.
final class BotStates: Sendable {
    struct Entry: Equatable, Sendable {
        let progress: BotProgress
        let variables: [Variable]
    }

    private let entries = Mutex<[ConversationID: Entry]>([:])
    /// Entries kept at most; the map starts over beyond (a miss only costs a full write).
    private let capacity: Int

    init(capacity: Int = 50_000) { self.capacity = capacity }

    func entry(for id: ConversationID) -> Entry? { entries.withLock { $0[id] } }

    func record(_ written: [ConversationID: Entry]) {
        guard !written.isEmpty else { return }
        entries.withLock { entries in
            if entries.count + written.count > capacity { entries.removeAll(keepingCapacity: true) }
            entries.merge(written) { _, new in new }
        }
    }
}

extension SQLiteData {
    static func text(_ value: String?) -> SQLiteData { value.map { .text($0) } ?? .null }
    static func integer(_ value: Int64?) -> SQLiteData { value.map { .integer(Int($0)) } ?? .null }
    static func integer(_ value: Int64) -> SQLiteData { .integer(Int(value)) }
}
