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

    public func deleteAdmin(id: String) async throws -> Bool {
        guard try await admin(id: id) != nil else { return false }
        try await write { db in
            try await db.delete(from: "admin_sessions").where("admin_id", .equal, id).run()
            try await db.delete(from: "admins").where("id", .equal, id).run()
        }
        return true
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
        var conditions: [SQLQueryString] = []
        if let key = filter.widgetKey { conditions.append("c.widget_key = \(bind: key)") }
        if let state = filter.state { conditions.append("c.state = \(bind: state.rawValue)") }
        if let visitor = filter.visitorID { conditions.append("c.visitor_id = \(bind: visitor.rawValue)") }
        if filter.unanswered { conditions.append(Self.unanswered) }
        if let started = filter.started {
            conditions.append("c.created_at >= \(bind: started.lowerBound) AND c.created_at < \(bind: started.upperBound)")
        }
        if let rating = filter.rating {
            // The rating is one of the conversation's variables, stored as JSON with sorted
            // keys: its member is always written the same way (and holds no LIKE wildcard).
            let member = try Rows.json(Variable(name: ChatRating.variable, value: rating.rawValue))
            conditions.append("c.variables LIKE \(bind: "%" + member + "%")")
        }
        if let before = filter.before {
            if let id = filter.beforeID {
                conditions.append("(c.updated_at < \(bind: before) OR (c.updated_at = \(bind: before) AND c.id < \(bind: id.rawValue)))")
            } else {
                conditions.append("c.updated_at < \(bind: before)")
            }
        }
        for word in (filter.search ?? "").split(whereSeparator: \.isWhitespace).prefix(8) {
            // LIKE with the wildcards of the word escaped; case-insensitive for ASCII.
            let pattern = "%" + word.lowercased().replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
            conditions.append("""
                (LOWER(COALESCE(v.name, '')) LIKE \(bind: pattern) ESCAPE '\\' OR LOWER(COALESCE(v.email, '')) LIKE \(bind: pattern) ESCAPE '\\'
                 OR LOWER(COALESCE(v.external_id, '')) LIKE \(bind: pattern) ESCAPE '\\'
                 OR EXISTS (SELECT 1 FROM messages s WHERE s.conversation_id = c.id AND LOWER(s.text) LIKE \(bind: pattern) ESCAPE '\\'))
                """)
        }
        var query: SQLQueryString = Self.listingSelect
        if !conditions.isEmpty {
            query = query + " WHERE " + conditions.dropFirst().reduce(conditions[0]) { $0 + " AND " + $1 }
        }
        query = query + " ORDER BY c.updated_at DESC, c.id DESC LIMIT \(bind: max(1, min(filter.limit, 500)))"
        return try await reader.raw(query).all().map(Self.listing)
    }

    /// A conversation with its visitor, room, message count and last message (a message
    /// of files alone shows as "📎 File").
    private static let listingSelect: SQLQueryString = """
        SELECT c.*, v.name AS visitor_name, v.email AS visitor_email, v.external_id AS visitor_user_id, r.link AS room_link,
            (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count,
            (SELECT CASE WHEN m.text = '' AND m.files IS NOT NULL THEN '📎 File' ELSE m.text END
             FROM messages m WHERE m.conversation_id = c.id ORDER BY m.id DESC LIMIT 1) AS last_message
        FROM conversations c
        JOIN visitors v ON v.id = c.visitor_id
        LEFT JOIN rooms r ON r.conversation_id = c.id
        """

    public func listing(of conversation: ConversationID) async throws -> ConversationListing? {
        try await reader.raw(Self.listingSelect + " WHERE c.id = \(bind: conversation.rawValue)").first().map(Self.listing)
    }

    public func insightBuckets(_ filter: InsightsFilter) async throws -> [InsightsBucket] {
        let good = "%" + (try Rows.json(Variable(name: ChatRating.variable, value: ChatRating.good.rawValue))) + "%"
        let bad = "%" + (try Rows.json(Variable(name: ChatRating.variable, value: ChatRating.bad.rawValue))) + "%"
        let query: SQLQueryString = """
            SELECT c.created_at / \(unsafeRaw: String(InsightsBucket.length)) AS quarter, COUNT(*) AS started,
                COUNT(c.handed_over_at) AS handed_over,
                SUM(CASE WHEN \(Self.unanswered) THEN 1 ELSE 0 END) AS unanswered,
                SUM(CASE WHEN c.variables LIKE \(bind: good) THEN 1 ELSE 0 END) AS rated_good,
                SUM(CASE WHEN c.variables LIKE \(bind: bad) THEN 1 ELSE 0 END) AS rated_bad
            FROM conversations c
            WHERE \(Self.insightsRange(filter))
            GROUP BY quarter ORDER BY quarter
            """
        return try await reader.raw(query).all().map { row in
            InsightsBucket(start: try row.decode(column: "quarter", as: Int64.self) * InsightsBucket.length,
                           started: try row.decode(column: "started", as: Int.self),
                           handedOver: try row.decode(column: "handed_over", as: Int.self),
                           unanswered: try row.decode(column: "unanswered", as: Int.self),
                           ratedGood: try row.decode(column: "rated_good", as: Int.self),
                           ratedBad: try row.decode(column: "rated_bad", as: Int.self))
        }
    }

    public func firstReplies(_ filter: InsightsFilter) async throws -> [FirstReply] {
        // An agent's first message is their conversation's agent message with the lowest id.
        let query: SQLQueryString = """
            SELECT f.created_at - c.handed_over_at AS wait, f.author_name AS agent
            FROM conversations c
            JOIN messages f ON f.id = (SELECT MIN(m.id) FROM messages m WHERE m.conversation_id = c.id AND m.role = 'agent')
            WHERE \(Self.insightsRange(filter)) AND c.handed_over_at IS NOT NULL
            """
        return try await reader.raw(query).all().map { row in
            FirstReply(wait: try row.decode(column: "wait", as: Int64.self), agent: try row.decode(column: "agent", as: String?.self))
        }
    }

    public func agentActivity(_ filter: InsightsFilter) async throws -> [AgentActivity] {
        // Agents' corrections (`replaces`) are not messages of their own.
        let query: SQLQueryString = """
            SELECT m.author_name AS agent, COUNT(DISTINCT m.conversation_id) AS chats, COUNT(*) AS messages
            FROM conversations c JOIN messages m ON m.conversation_id = c.id
            WHERE \(Self.insightsRange(filter)) AND m.role = 'agent' AND m.replaces IS NULL
            GROUP BY m.author_name
            """
        return try await reader.raw(query).all().map { row in
            AgentActivity(agent: try row.decode(column: "agent", as: String?.self), chats: try row.decode(column: "chats", as: Int.self),
                          messages: try row.decode(column: "messages", as: Int.self))
        }
    }

    /// A conversation `c` handed over and closed without a message from an agent.
    private static let unanswered: SQLQueryString = """
        (c.handed_over_at IS NOT NULL AND c.state = 'closed'
         AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.role = 'agent'))
        """

    private static func insightsRange(_ filter: InsightsFilter) -> SQLQueryString {
        let range: SQLQueryString = "c.created_at >= \(bind: filter.start) AND c.created_at < \(bind: filter.end)"
        guard let key = filter.widgetKey else { return range }
        return range + " AND c.widget_key = \(bind: key)"
    }

    public func deleteTasks(widgetKey: String) async throws {
        try await write { db in try await db.delete(from: "agent_tasks").where("widget_key", .equal, widgetKey).run() }
    }

    static func listing(_ row: any SQLRow) throws -> ConversationListing {
        ConversationListing(conversation: try Rows.conversation(row),
                            visitorName: try row.decode(column: "visitor_name", as: String?.self),
                            visitorEmail: try row.decode(column: "visitor_email", as: String?.self),
                            visitorUserID: try row.decode(column: "visitor_user_id", as: String?.self),
                            lastMessage: try row.decode(column: "last_message", as: String?.self),
                            messageCount: try row.decode(column: "message_count", as: Int.self),
                            roomLink: try row.decode(column: "room_link", as: String?.self),
                            handedOverAt: try row.decode(column: "handed_over_at", as: Int64?.self))
    }
}
