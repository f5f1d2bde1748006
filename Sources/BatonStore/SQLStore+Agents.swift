import BatonCore
import SQLKit
import Synchronization

/// The agent side's storage: the outbox of tasks, rooms, integrations.
extension SQLStore: AgentStore {
    // MARK: Outbox

    public func dueTasks(widgetKey: String, now: Millis, limit: Int) async throws -> [AgentTaskRecord] {
        // Only the oldest task of each conversation may run: its later tasks wait for it.
        // One pass over the (widget, conversation, id) index finds every conversation's first.
        // The limit is part of the text, not bound: a bound LIMIT makes SQLite compile
        // the statement again for every new value.
        try await reader.raw("""
            SELECT t.*, m.text AS message_text, m.files AS message_files FROM agent_tasks t
            JOIN (SELECT MIN(id) AS first FROM agent_tasks WHERE widget_key = \(bind: widgetKey) GROUP BY conversation_id) f
              ON t.id = f.first
            LEFT JOIN messages m ON m.id = t.message_id
            WHERE t.next_attempt_at <= \(bind: now)
            ORDER BY t.id LIMIT \(unsafeRaw: String(max(0, limit)))
            """).all().map(Rows.task)
    }

    public func tasks(of conversation: ConversationID, widgetKey: String, limit: Int) async throws -> [AgentTaskRecord] {
        try await reader.raw("""
            SELECT t.*, m.text AS message_text, m.files AS message_files FROM agent_tasks t
            LEFT JOIN messages m ON m.id = t.message_id
            WHERE t.widget_key = \(bind: widgetKey) AND t.conversation_id = \(bind: conversation.rawValue)
            ORDER BY t.id LIMIT \(unsafeRaw: String(max(0, limit)))
            """).all().map(Rows.task)
    }

    public func nextTaskTime(widgetKey: String) async throws -> Millis? {
        try await reader.raw("SELECT MIN(next_attempt_at) AS next FROM agent_tasks WHERE widget_key = \(bind: widgetKey)")
            .first()?.decode(column: "next", as: Int64?.self)
    }

    public func completeTask(_ id: Int64) async throws { try await completeTasks([id]) }

    public func completeTasks(_ ids: [Int64]) async throws {
        guard !ids.isEmpty else { return }
        // Not synced to disk by itself: a completion lost to a power cut runs its task
        // again, and a task's work is found done (a post by its marker, a room's steps
        // in the room), as after a crash between the work and its completion.
        switch engine {
        case .sqlite(_, let writes):
            // A kept statement, a row at a time: each relayed post completes a few tasks.
            _ = try await writes.submit(.statements({ db in
                try db.withHandle { handle in
                    for id in ids { try handle.run(WriteSQL.deleteTask, [.integer(id)]) }
                }
            }, durable: false))
        case .postgres:
            try await write(durable: false) { db in try await db.delete(from: "agent_tasks").where("id", .in, ids).run() }
        }
    }

    public func retryTask(_ id: Int64, at: Millis, error: String) async throws {
        try await write { db in
            try await db.raw("""
                UPDATE agent_tasks SET attempts = attempts + 1, next_attempt_at = \(bind: at), last_error = \(bind: error)
                WHERE id = \(bind: id)
                """).run()
        }
    }

    public func rescheduleTasks(widgetKey: String, at: Millis) async throws {
        try await write { db in
            try await db.update("agent_tasks").set("next_attempt_at", to: at).where("widget_key", .equal, widgetKey).run()
        }
    }

    public func taskCount(widgetKey: String) async throws -> Int {
        try await reader.raw("SELECT COUNT(*) AS n FROM agent_tasks WHERE widget_key = \(bind: widgetKey)")
            .first()?.decode(column: "n", as: Int.self) ?? 0
    }

    public func addTasks(_ tasks: [(ConversationID, AgentTask, MessageID?)], widgetKey: String) async throws {
        let now = Millis.now()
        switch engine {
        case .sqlite(_, let writes):
            _ = try await writes.submit(.statements({ db in
                try db.withHandle { handle in
                    for (conversation, task, messageID) in tasks {
                        try Self.insertTask(widgetKey: widgetKey, conversation: conversation, task: task, messageID: messageID, now: now, on: handle)
                    }
                }
            }, durable: true))
        case .postgres:
            try await write { db in
                for (conversation, task, messageID) in tasks {
                    try await Self.insertTask(widgetKey: widgetKey, conversation: conversation, task: task, messageID: messageID, now: now, on: db)
                }
            }
        }
    }

    // MARK: Rooms

    public func room(for conversation: ConversationID) async throws -> Room? {
        try await reader.select().column("*").from("rooms").where("conversation_id", .equal, conversation.rawValue).first().map(Rows.room)
    }

    public func room(externalID: String) async throws -> Room? {
        try await reader.select().column("*").from("rooms").where("external_id", .equal, externalID).first().map(Rows.room)
    }

    public func openRooms(widgetKey: String) async throws -> [Room] {
        try await reader.select().column("*").from("rooms").where("widget_key", .equal, widgetKey)
            .where("closed_at", .is, SQLLiteral.null).orderBy("created_at").all().map(Rows.room)
    }

    public func earlierRooms(of visitor: VisitorID, excluding conversation: ConversationID, limit: Int) async throws -> EarlierRooms {
        let rows = try await reader.raw("""
            SELECT rooms.*, COUNT(*) OVER () AS total FROM rooms JOIN conversations ON conversations.id = rooms.conversation_id
            WHERE conversations.visitor_id = \(bind: visitor.rawValue) AND rooms.conversation_id <> \(bind: conversation.rawValue)
            ORDER BY rooms.created_at DESC, rooms.conversation_id DESC LIMIT \(bind: limit)
            """).all()
        return EarlierRooms(rooms: try rows.map(Rows.room), count: try rows.first?.decode(column: "total", as: Int.self) ?? 0)
    }

    public func saveRoom(_ room: Room) async throws {
        try await write { db in
            try await db.insert(into: "rooms")
                .columns("conversation_id", "widget_key", "external_id", "thread_channel_id", "name", "link", "announcement_id", "transcript_until",
                         "cursor", "joined_agents", "agents", "created_at", "closed_at", "internal_prefix", "close_command")
                .values(room.conversationID.rawValue, room.widgetKey, room.externalID, room.threadChannelID, room.name, room.link, room.announcementID,
                        room.transcriptUntil, room.cursor, try Rows.json(room.joinedAgents), try room.agents.map { try Rows.json($0) }, room.createdAt, room.closedAt,
                        room.internalPrefix, room.closeCommand)
                .onConflict(with: "conversation_id") { update in
                    update.set(excludedValueOf: "announcement_id").set(excludedValueOf: "transcript_until").set(excludedValueOf: "agents")
                        .set(excludedValueOf: "internal_prefix").set(excludedValueOf: "close_command")
                        .set(excludedValueOf: "closed_at")
                }
                .run()
        }
    }

    public func replaceRoom(of conversation: ConversationID, externalID: String) async throws -> Bool {
        let replaced = Mutex(false)
        let now = Millis.now()
        try await write { db in
            let rows = try await db.raw("""
                DELETE FROM rooms WHERE conversation_id = \(bind: conversation.rawValue) AND external_id = \(bind: externalID) AND closed_at IS NULL
                RETURNING widget_key
                """).all()
            guard let widgetKey = try rows.first?.decode(column: "widget_key", as: String.self) else { return }
            try await Self.insertTask(widgetKey: widgetKey, conversation: conversation, task: .openRoom, messageID: nil, now: now, on: db)
            replaced.withLock { $0 = true }
        }
        return replaced.withLock { $0 }
    }

    public func recordRoomAgents(_ conversation: ConversationID, agents: [String]) async throws {
        let json = try Rows.json(agents)
        try await write { db in
            try await db.raw("UPDATE rooms SET agents = \(bind: json) WHERE conversation_id = \(bind: conversation.rawValue)").run()
        }
    }

    public func advanceRoom(_ conversation: ConversationID, cursor: Millis, joinedAgents: [String]) async throws {
        let joined = try Rows.json(joinedAgents)
        try await write { db in
            try await db.raw("""
                UPDATE rooms SET cursor = CASE WHEN cursor < \(bind: cursor) THEN \(bind: cursor) ELSE cursor END,
                    joined_agents = \(bind: joined)
                WHERE conversation_id = \(bind: conversation.rawValue)
                """).run()
        }
    }

    public func roomsAwaitingAgents(widgetKey: String, createdBefore: Millis, limit: Int) async throws -> [Room] {
        try await reader.raw("""
            SELECT r.* FROM rooms r JOIN conversations c ON c.id = r.conversation_id
            WHERE r.widget_key = \(bind: widgetKey) AND r.closed_at IS NULL AND r.reminded_at IS NULL
              AND r.announcement_id IS NOT NULL AND r.joined_agents = '[]' AND r.created_at < \(bind: createdBefore)
              AND c.state = \(bind: ConversationState.waitingForAgent.rawValue)
            ORDER BY r.created_at LIMIT \(bind: limit)
            """).all().map(Rows.room)
    }

    public func markReminded(_ conversation: ConversationID, at time: Millis, post: String) async throws {
        // Lost to a power cut, the reminder is posted again: nothing worse.
        try await write(durable: false) { db in
            try await db.raw("UPDATE rooms SET reminded_at = \(bind: time), reminder_id = \(bind: post) WHERE conversation_id = \(bind: conversation.rawValue)")
                .run()
        }
    }

    public func conversationsWithoutRoom(widgetKey: String, state: ConversationState, since: Millis) async throws -> [Conversation] {
        try await reader.raw("""
            SELECT c.* FROM conversations c
            WHERE c.widget_key = \(bind: widgetKey) AND c.state = \(bind: state.rawValue) AND c.updated_at >= \(bind: since)
              AND NOT EXISTS (SELECT 1 FROM rooms r WHERE r.conversation_id = c.id)
            ORDER BY c.created_at
            """).all().map(Rows.conversation)
    }

    // MARK: Integrations

    public func integration(widgetKey: String, kind: String) async throws -> Integration? {
        try await reader.select().column("*").from("integrations").where("widget_key", .equal, widgetKey)
            .where("kind", .equal, kind).first().map(Rows.integration)
    }

    public func integrations(kind: String) async throws -> [Integration] {
        try await reader.select().column("*").from("integrations").where("kind", .equal, kind).orderBy("created_at").all().map(Rows.integration)
    }

    public func saveIntegration(_ integration: Integration) async throws {
        try await write { db in
            try await db.insert(into: "integrations")
                .columns("widget_key", "kind", "settings", "secret", "created_at", "updated_at")
                .values(integration.widgetKey, integration.kind, integration.settings, Base64URL.encode(integration.secret),
                        integration.createdAt, integration.updatedAt)
                .onConflict(with: ["widget_key", "kind"]) { $0.set(excludedValueOf: "settings").set(excludedValueOf: "secret").set(excludedValueOf: "updated_at") }
                .run()
        }
    }

    public func deleteIntegration(widgetKey: String, kind: String) async throws {
        try await write { db in
            try await db.delete(from: "integrations").where("widget_key", .equal, widgetKey).where("kind", .equal, kind).run()
            try await db.delete(from: "integration_status").where("widget_key", .equal, widgetKey).where("kind", .equal, kind).run()
        }
    }

    public func integrationStatus(widgetKey: String, kind: String) async throws -> IntegrationStatus? {
        try await reader.select().column("*").from("integration_status").where("widget_key", .equal, widgetKey)
            .where("kind", .equal, kind).first().map { row in
                IntegrationStatus(state: try row.decode(column: "state", as: String.self),
                                  lastEventAt: try row.decode(column: "last_event_at", as: Int64?.self),
                                  lastError: try row.decode(column: "last_error", as: String?.self),
                                  updatedAt: try row.decode(column: "updated_at", as: Int64.self))
            }
    }

    public func saveIntegrationStatus(_ status: IntegrationStatus, widgetKey: String, kind: String) async throws {
        try await write { db in
            try await db.insert(into: "integration_status")
                .columns("widget_key", "kind", "state", "last_event_at", "last_error", "updated_at")
                .values(widgetKey, kind, status.state, status.lastEventAt, status.lastError, status.updatedAt)
                .onConflict(with: ["widget_key", "kind"]) { update in
                    update.set(excludedValueOf: "state").set(excludedValueOf: "last_event_at")
                        .set(excludedValueOf: "last_error").set(excludedValueOf: "updated_at")
                }
                .run()
        }
    }
}
