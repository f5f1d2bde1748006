import Synchronization
import BatonCore
import SQLKit

extension SQLStore: AdminStore {
    public func adminCount() async throws -> Int {
        try await reader.raw("SELECT COUNT(*) AS n FROM admins").first()?.decode(column: "n", as: Int.self) ?? 0
    }

    public func admin(email: String) async throws -> Admin? {
        try await reader.select().column("*").from("admins").where("email", .equal, email.lowercased()).first().map(Self.admin)
    }

    public func admin(id: String) async throws -> Admin? {
        try await reader.select().column("*").from("admins").where("id", .equal, id).first().map(Self.admin)
    }

    public func createAdmin(_ admin: Admin) async throws -> Bool {
        guard try await self.admin(email: admin.email) == nil else { return false }
        do {
            try await write { db in
                try await db.insert(into: "admins").columns("id", "email", "password_hash", "created_at")
                    .values(admin.id, admin.email.lowercased(), admin.passwordHash, admin.createdAt).run()
            }
            return true
        } catch {
            // Two creations racing for one email: the unique index decides.
            if try await self.admin(email: admin.email) != nil { return false }
            throw error
        }
    }

    public func admins() async throws -> [Admin] {
        try await reader.select().column("*").from("admins").orderBy("email").all().map(Self.admin)
    }

    public func deleteAdmin(id: String, keepingOne: Bool) async throws -> Bool {
        let deleted = Mutex(false)
        let lock = flavor == .postgres ? " FOR UPDATE" : ""
        try await write { db in
            // Of two admins removing each other at once, the second must find one left:
            // SQLite writes one transaction at a time; on PostgreSQL every admin row is
            // locked first, so the second waits for the first and counts after it.
            if keepingOne && !lock.isEmpty { _ = try await db.raw("SELECT id FROM admins\(unsafeRaw: lock)").all() }
            let rows = try await db.raw("""
                DELETE FROM admins WHERE id = \(bind: id)
                    AND (\(bind: !keepingOne) OR (SELECT COUNT(*) FROM admins) > 1)
                RETURNING id
                """).all()
            guard !rows.isEmpty else { return }
            try await db.delete(from: "admin_sessions").where("admin_id", .equal, id).run()
            deleted.withLock { $0 = true }
        }
        return deleted.withLock { $0 }
    }

    public func setPasswordHash(_ hash: String, adminID: String) async throws {
        try await write { db in
            try await db.update("admins").set("password_hash", to: hash).where("id", .equal, adminID).run()
            try await db.delete(from: "admin_sessions").where("admin_id", .equal, adminID).run()
        }
    }

    public func session(tokenHash: String) async throws -> AdminSession? {
        try await reader.select().column("*").from("admin_sessions").where("token_hash", .equal, tokenHash).first().map { row in
            AdminSession(tokenHash: try row.decode(column: "token_hash", as: String.self),
                         adminID: try row.decode(column: "admin_id", as: String.self),
                         csrfToken: try row.decode(column: "csrf_token", as: String.self),
                         createdAt: try row.decode(column: "created_at", as: Int64.self),
                         expiresAt: try row.decode(column: "expires_at", as: Int64.self))
        }
    }

    public func saveSession(_ session: AdminSession) async throws {
        try await write { db in
            try await db.insert(into: "admin_sessions").columns("token_hash", "admin_id", "csrf_token", "created_at", "expires_at")
                .values(session.tokenHash, session.adminID, session.csrfToken, session.createdAt, session.expiresAt)
                .onConflict(with: "token_hash") { $0.set(excludedValueOf: "expires_at") }
                .run()
        }
    }

    public func deleteSession(tokenHash: String) async throws {
        try await write { db in try await db.delete(from: "admin_sessions").where("token_hash", .equal, tokenHash).run() }
    }

    public func deleteExpiredSessions(now: Millis) async throws {
        try await write { db in try await db.delete(from: "admin_sessions").where("expires_at", .lessThan, now).run() }
    }

    static func admin(_ row: any SQLRow) throws -> Admin {
        Admin(id: try row.decode(column: "id", as: String.self), email: try row.decode(column: "email", as: String.self),
              passwordHash: try row.decode(column: "password_hash", as: String.self),
              createdAt: try row.decode(column: "created_at", as: Int64.self))
    }
}

extension SQLStore: ConversationArchive {
    public func conversations(_ filter: ConversationFilter) async throws -> [ConversationListing] {
        try await reader.raw(try Self.listingQuery(filter)).all().map(Self.listing)
    }

    /// The conversation list's query (its plan is tested).
    static func listingQuery(_ filter: ConversationFilter) throws -> SQLQueryString {
        var conditions: [SQLQueryString] = []
        if let key = filter.widgetKey { conditions.append("c.widget_key = \(bind: key)") }
        if let state = filter.state { conditions.append("c.state = \(bind: state.rawValue)") }
        if let visitor = filter.visitorID { conditions.append("c.visitor_id = \(bind: visitor.rawValue)") }
        // As the insights count them: without an admin's tries.
        if filter.unanswered { conditions.append(unanswered + " AND t.conversation_id IS NULL") }
        if let started = filter.started {
            conditions.append("c.created_at >= \(bind: started.lowerBound) AND c.created_at < \(bind: started.upperBound)")
        }
        if let rating = filter.rating {
            // The rating is one of the conversation's variables, stored as JSON with sorted
            // keys: its member is always written the same way (and holds no LIKE wildcard).
            let member = try Rows.json(Variable(name: ChatRating.variable, value: rating.rawValue))
            conditions.append("c.variables LIKE \(bind: "%" + member + "%")")
        }
        let time: SQLQueryString = filter.order == .started ? "c.created_at" : "c.updated_at"
        if let before = filter.before {
            if let id = filter.beforeID {
                // The first condition alone bounds the index range (with the time bound twice,
                // SQLite cannot tell that an OR of both is one range, and sorted everything).
                conditions.append(time + " <= \(bind: before) AND (" + time + " < \(bind: before) OR c.id < \(bind: id.rawValue))")
            } else {
                conditions.append(time + " < \(bind: before)")
            }
        }
        for word in (filter.search ?? "").split(whereSeparator: \.isWhitespace).prefix(8) {
            // LIKE with the wildcards of the word escaped, case-insensitive: `LOWER` for a
            // word of ASCII letters (only ASCII letters can match them), Unicode's rules for
            // any other (`baton_lower`, slower: "ÖZIL" finds "Özil").
            let pattern = "%" + word.lowercased().replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
            let lower: SQLQueryString = word.utf8.allSatisfy { $0 < 0x80 } ? "LOWER" : "baton_lower"
            let holds = { (text: SQLQueryString) -> SQLQueryString in lower + "(" + text + ") LIKE \(bind: pattern) ESCAPE '\\'" }
            conditions.append("(" + holds("COALESCE(v.name, '')") + " OR " + holds("COALESCE(v.email, '')") + " OR " + holds("COALESCE(v.external_id, '')")
                              + " OR EXISTS (SELECT 1 FROM messages s WHERE s.conversation_id = c.id AND " + holds("s.text") + "))")
        }
        var query: SQLQueryString = listingSelect
        if !conditions.isEmpty {
            query = query + " WHERE " + conditions.dropFirst().reduce(conditions[0]) { $0 + " AND " + $1 }
        }
        return query + " ORDER BY " + time + " DESC, c.id DESC LIMIT \(bind: max(1, min(filter.limit, 500)))"
    }

    /// A conversation with its visitor, room, message count and last message (a message
    /// of files alone shows as "📎 File"; the bot's words without the escapes of the
    /// visitor's answers put into them). Corrections (`replaces`) are no messages of their
    /// own: the last message reads as last corrected ("Message deleted" once deleted).
    private static let listingSelect: SQLQueryString = """
        SELECT c.*, v.name AS visitor_name, v.email AS visitor_email, v.external_id AS visitor_user_id, r.link AS room_link,
            t.admin_email AS tried_by,
            (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id AND m.replaces IS NULL) AS message_count,
            (SELECT CASE WHEN x.text = '' AND x.files IS NOT NULL THEN '📎 File'
                         WHEN x.text = '' AND x.replaces IS NOT NULL THEN 'Message deleted' ELSE x.text END
             FROM messages x WHERE x.conversation_id = c.id AND x.id = (
                SELECT COALESCE((SELECT MAX(e.id) FROM messages e WHERE e.conversation_id = c.id AND e.replaces = m.id), m.id)
                FROM messages m WHERE m.conversation_id = c.id AND m.replaces IS NULL ORDER BY m.id DESC LIMIT 1)) AS last_message,
            (SELECT m.role FROM messages m WHERE m.conversation_id = c.id AND m.replaces IS NULL ORDER BY m.id DESC LIMIT 1) AS last_message_role
        FROM conversations c
        JOIN visitors v ON v.id = c.visitor_id
        LEFT JOIN rooms r ON r.conversation_id = c.id
        LEFT JOIN tried_conversations t ON t.conversation_id = c.id
        """

    public func listing(of conversation: ConversationID) async throws -> ConversationListing? {
        try await reader.raw(Self.listingSelect + " WHERE c.id = \(bind: conversation.rawValue)").first().map(Self.listing)
    }

    public func deleteTasks(widgetKey: String) async throws {
        try await write { db in try await db.delete(from: "agent_tasks").where("widget_key", .equal, widgetKey).run() }
    }

    static func listing(_ row: any SQLRow) throws -> ConversationListing {
        ConversationListing(conversation: try Rows.conversation(row),
                            visitorName: try row.decode(column: "visitor_name", as: String?.self),
                            visitorEmail: try row.decode(column: "visitor_email", as: String?.self),
                            visitorUserID: try row.decode(column: "visitor_user_id", as: String?.self),
                            lastMessage: try row.decode(column: "last_message", as: String?.self).map { text in
                                try row.decode(column: "last_message_role", as: String?.self) == Role.bot.rawValue
                                    ? BotMarkdown.unescaped(text) : text
                            },
                            messageCount: try row.decode(column: "message_count", as: Int.self),
                            roomLink: try row.decode(column: "room_link", as: String?.self),
                            handedOverAt: try row.decode(column: "handed_over_at", as: Int64?.self),
                            triedBy: try row.decode(column: "tried_by", as: String?.self))
    }
}
