import BatonCore
import SQLKit

/// The counts behind the dashboard's insights.
extension SQLStore {
    public func insightBuckets(_ filter: InsightsFilter) async throws -> [InsightsBucket] {
        try await reader.raw(try Self.bucketsQuery(filter)).all().map { row in
            InsightsBucket(start: try row.decode(column: "quarter", as: Int64.self) * InsightsBucket.length,
                           started: try row.decode(column: "started", as: Int.self),
                           handedOver: try row.decode(column: "handed_over", as: Int.self),
                           unanswered: try row.decode(column: "unanswered", as: Int.self),
                           ratedGood: try row.decode(column: "rated_good", as: Int.self),
                           ratedBad: try row.decode(column: "rated_bad", as: Int.self))
        }
    }

    public func firstReplies(_ filter: InsightsFilter) async throws -> [FirstReply] {
        try await reader.raw(Self.firstRepliesQuery(filter)).all().map { row in
            FirstReply(wait: try row.decode(column: "wait", as: Int64.self), agent: try row.decode(column: "agent", as: String?.self),
                       agentID: try row.decode(column: "agent_id", as: String?.self))
        }
    }

    public func agentActivity(_ filter: InsightsFilter) async throws -> [AgentActivity] {
        try await reader.raw(Self.agentActivityQuery(filter)).all().map { row in
            AgentActivity(agent: try row.decode(column: "agent", as: String?.self), agentID: try row.decode(column: "agent_id", as: String?.self),
                          chats: try row.decode(column: "chats", as: Int.self), messages: try row.decode(column: "messages", as: Int.self))
        }
    }

    public func notUnderstood(_ filter: InsightsFilter, limit: Int) async throws -> [NotUnderstood] {
        // The database groups by the text as written (case and outer spaces aside); alike
        // ones (punctuation, accents, inner spaces aside) are merged here, among the most
        // frequent of those groups.
        let exact = try await reader.raw(Self.notUnderstoodQuery(filter, limit: min(limit * 20, 1000))).all().map { row in
            (said: try row.decode(column: "said", as: String.self), count: try row.decode(column: "n", as: Int.self),
             last: try row.decode(column: "last_id", as: Int64.self))
        }
        var merged: [String: (count: Int, last: Int64)] = [:]
        for group in exact {
            let key = NotUnderstood.key(group.said)
            let before = merged[key] ?? (0, 0)
            merged[key] = (before.count + group.count, max(before.last, group.last))
        }
        let groups = merged.values.sorted { ($0.count, $0.last) > ($1.count, $1.last) }.prefix(limit)
        guard !groups.isEmpty else { return [] }
        // The newest message of each group, as written.
        let newest = try await reader.select().columns("id", "conversation_id", "text", "created_at").from("messages")
            .where("id", .in, groups.map(\.last)).all()
        var byID: [Int64: (ConversationID, String, Millis)] = [:]
        for row in newest {
            byID[try row.decode(column: "id", as: Int64.self)] = (ConversationID(try row.decode(column: "conversation_id", as: String.self)),
                                                                 try row.decode(column: "text", as: String.self),
                                                                 try row.decode(column: "created_at", as: Int64.self))
        }
        return groups.compactMap { group in
            byID[group.last].map { NotUnderstood(text: $0.1, count: group.count, conversationID: $0.0, lastAt: $0.2) }
        }
    }

    public func handoverCauses(_ filter: InsightsFilter) async throws -> [HandoverCause: Int] {
        guard let row = try await reader.raw(Self.handoverCausesQuery(filter)).first() else { return [:] }
        var counts: [HandoverCause: Int] = [:]
        for cause in HandoverCause.allCases {
            counts[cause] = try row.decode(column: cause.rawValue, as: Int?.self) ?? 0
        }
        return counts
    }

    /// The conversations waiting for an agent now, by widget (those with none left out).
    public func waitingVisitors() async throws -> [WaitingVisitors] {
        try await reader.raw("""
            SELECT widget_key, COUNT(*) AS waiting, MIN(handed_over_at) AS since FROM conversations
            WHERE state = 'waiting_for_agent' GROUP BY widget_key
            """).all().map { row in
            WaitingVisitors(widgetKey: try row.decode(column: "widget_key", as: String.self), count: try row.decode(column: "waiting", as: Int.self),
                            longestSince: try row.decode(column: "since", as: Int64?.self))
        }
    }

    // The queries (their plans are tested).

    static func bucketsQuery(_ filter: InsightsFilter) throws -> SQLQueryString {
        let good = "%" + (try Rows.json(Variable(name: ChatRating.variable, value: ChatRating.good.rawValue))) + "%"
        let bad = "%" + (try Rows.json(Variable(name: ChatRating.variable, value: ChatRating.bad.rawValue))) + "%"
        return """
            SELECT c.created_at / \(unsafeRaw: String(InsightsBucket.length)) AS quarter, COUNT(*) AS started,
                COUNT(c.handed_over_at) AS handed_over,
                SUM(CASE WHEN \(Self.unanswered) THEN 1 ELSE 0 END) AS unanswered,
                SUM(CASE WHEN c.variables LIKE \(bind: good) THEN 1 ELSE 0 END) AS rated_good,
                SUM(CASE WHEN c.variables LIKE \(bind: bad) THEN 1 ELSE 0 END) AS rated_bad
            FROM conversations c
            WHERE \(Self.insightsRange(filter))
            GROUP BY quarter ORDER BY quarter
            """
    }

    static func firstRepliesQuery(_ filter: InsightsFilter) -> SQLQueryString {
        // An agent's first message is their conversation's agent message with the lowest id.
        """
            SELECT f.created_at - c.handed_over_at AS wait, f.author_name AS agent, f.author_id AS agent_id
            FROM conversations c
            JOIN messages f ON f.id = (SELECT MIN(m.id) FROM messages m WHERE m.conversation_id = c.id AND m.role = 'agent')
            WHERE \(Self.insightsRange(filter)) AND c.handed_over_at IS NOT NULL
            """
    }

    static func agentActivityQuery(_ filter: InsightsFilter) -> SQLQueryString {
        // Agents' corrections (`replaces`) are not messages of their own. An agent is their
        // id where it was kept (else their name), named by their latest message.
        """
            SELECT n.author_name AS agent, n.author_id AS agent_id, a.chats, a.messages
            FROM (SELECT MAX(m.id) AS latest, COUNT(DISTINCT m.conversation_id) AS chats, COUNT(*) AS messages
                  FROM conversations c JOIN messages m ON m.conversation_id = c.id
                  WHERE \(Self.insightsRange(filter)) AND m.role = 'agent' AND m.replaces IS NULL
                  GROUP BY COALESCE('id:' || m.author_id, 'name:' || m.author_name)) a
            JOIN messages n ON n.id = a.latest
            """
    }

    static func notUnderstoodQuery(_ filter: InsightsFilter, limit: Int) -> SQLQueryString {
        // Through the index of misunderstood messages only (`messages_misunderstood`).
        """
            SELECT LOWER(TRIM(m.text)) AS said, COUNT(*) AS n, MAX(m.id) AS last_id
            FROM conversations c JOIN messages m ON m.conversation_id = c.id
            WHERE \(Self.insightsRange(filter)) AND m.misunderstood = 1
            GROUP BY said ORDER BY n DESC, last_id DESC LIMIT \(bind: limit)
            """
    }

    static func handoverCausesQuery(_ filter: InsightsFilter) -> SQLQueryString {
        // The cause is in the conversation's progress (JSON), as `"handoverCause":"asked"`.
        var sums: [SQLQueryString] = []
        for cause in HandoverCause.allCases {
            let pattern = "%\"handoverCause\":\"\(cause.rawValue)\"%"
            sums.append("SUM(CASE WHEN c.progress LIKE \(bind: pattern) THEN 1 ELSE 0 END) AS \(ident: cause.rawValue)")
        }
        return "SELECT " + sums.joined(separator: ", ") + " FROM conversations c WHERE \(Self.insightsRange(filter)) AND c.handed_over_at IS NOT NULL"
    }

    /// A conversation `c` handed over and closed without a message from an agent.
    static let unanswered: SQLQueryString = """
        (c.handed_over_at IS NOT NULL AND c.state = 'closed'
         AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.role = 'agent'))
        """

    static func insightsRange(_ filter: InsightsFilter) -> SQLQueryString {
        let range: SQLQueryString = "c.created_at >= \(bind: filter.start) AND c.created_at < \(bind: filter.end)"
        guard let key = filter.widgetKey else { return range }
        return range + " AND c.widget_key = \(bind: key)"
    }
}
