import BatonCore
import SQLKit

/// The counts behind the dashboard's insights.
extension SQLStore {
    public func insightBuckets(_ filter: InsightsFilter) async throws -> [InsightsBucket] {
        func buckets(_ query: SQLQueryString) async throws -> [InsightsBucket] {
            try await reader.raw(query).all().map { row in
                InsightsBucket(start: try row.decode(column: "quarter", as: Int64.self) * InsightsBucket.length,
                               started: try row.decode(column: "started", as: Int.self),
                               handedOver: try row.decode(column: "handed_over", as: Int.self),
                               unanswered: try row.decode(column: "unanswered", as: Int.self),
                               ratedGood: try row.decode(column: "rated_good", as: Int.self),
                               ratedBad: try row.decode(column: "rated_bad", as: Int.self))
            }
        }
        return Self.merged(try await buckets(try Self.bucketsQuery(filter)), try await buckets(Self.sweptBucketsQuery(filter)))
    }

    public func firstReplies(_ filter: InsightsFilter) async throws -> [FirstReply] {
        func replies(_ query: SQLQueryString) async throws -> [FirstReply] {
            try await reader.raw(query).all().map { row in
                FirstReply(wait: try row.decode(column: "wait", as: Int64.self), agent: try row.decode(column: "agent", as: String?.self),
                           agentID: try row.decode(column: "agent_id", as: String?.self))
            }
        }
        return try await replies(Self.sweptFirstRepliesQuery(filter)) + replies(Self.firstRepliesQuery(filter))
    }

    /// The agents of the swept conversations first (each once, by id or else by name, named
    /// as they last wrote there), then those of the kept ones: the report names an agent
    /// by the last row with their id.
    public func agentActivity(_ filter: InsightsFilter) async throws -> [AgentActivity] {
        var swept: [String: (activity: AgentActivity, latest: Millis)] = [:]
        for row in try await reader.raw(Self.sweptAgentsQuery(filter)).all() {
            let (name, id) = (try row.decode(column: "agent", as: String?.self), try row.decode(column: "agent_id", as: String?.self))
            let (messages, latest) = (try row.decode(column: "messages", as: Int.self), try row.decode(column: "latest_at", as: Int64.self))
            let key = AgentActivity.key(id: id, name: name)
            var entry = swept[key] ?? (AgentActivity(agent: name, agentID: id, chats: 0, messages: 0), latest)
            entry.activity.chats += 1
            entry.activity.messages += messages
            if latest >= entry.latest { (entry.activity.agent, entry.latest) = (name, latest) }
            swept[key] = entry
        }
        let kept = try await reader.raw(Self.agentActivityQuery(filter)).all().map { row in
            AgentActivity(agent: try row.decode(column: "agent", as: String?.self), agentID: try row.decode(column: "agent_id", as: String?.self),
                          chats: try row.decode(column: "chats", as: Int.self), messages: try row.decode(column: "messages", as: Int.self))
        }
        return swept.values.sorted { $0.latest < $1.latest }.map(\.activity) + kept
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
        var counts: [HandoverCause: Int] = [:]
        if let row = try await reader.raw(Self.handoverCausesQuery(filter)).first() {
            for cause in HandoverCause.allCases {
                counts[cause] = try row.decode(column: cause.rawValue, as: Int?.self) ?? 0
            }
        }
        for row in try await reader.raw(Self.sweptCausesQuery(filter)).all() {
            guard let cause = HandoverCause(rawValue: try row.decode(column: "cause", as: String.self)) else { continue }
            counts[cause, default: 0] += try row.decode(column: "n", as: Int.self)
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

    /// Two lists of buckets in order of their start as one, a quarter in both added up.
    static func merged(_ a: [InsightsBucket], _ b: [InsightsBucket]) -> [InsightsBucket] {
        guard !b.isEmpty else { return a }
        var byStart: [Millis: InsightsBucket] = [:]
        for bucket in a + b {
            guard var sum = byStart[bucket.start] else { byStart[bucket.start] = bucket; continue }
            sum.started += bucket.started
            sum.handedOver += bucket.handedOver
            sum.unanswered += bucket.unanswered
            sum.ratedGood += bucket.ratedGood
            sum.ratedBad += bucket.ratedBad
            byStart[bucket.start] = sum
        }
        return byStart.values.sorted { $0.start < $1.start }
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
        // An agent's first message is their conversation's agent message with the lowest id
        // (one the agent deleted answered nothing).
        """
            SELECT f.created_at - c.handed_over_at AS wait, f.author_name AS agent, f.author_id AS agent_id
            FROM conversations c
            JOIN messages f ON f.id = (SELECT MIN(m.id) FROM messages m WHERE m.conversation_id = c.id AND m.role = 'agent' AND \(Self.standing))
            WHERE \(Self.insightsRange(filter)) AND c.handed_over_at IS NOT NULL
            """
    }

    static func agentActivityQuery(_ filter: InsightsFilter) -> SQLQueryString {
        // Agents' corrections (`replaces`) are not messages of their own, and a message they
        // deleted is none. An agent is their id where it was kept (else their name), named by
        // their latest message.
        """
            SELECT n.author_name AS agent, n.author_id AS agent_id, a.chats, a.messages
            FROM (SELECT MAX(m.id) AS latest, COUNT(DISTINCT m.conversation_id) AS chats, COUNT(*) AS messages
                  FROM conversations c JOIN messages m ON m.conversation_id = c.id
                  WHERE \(Self.insightsRange(filter)) AND m.role = 'agent' AND \(Self.standing)
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
         AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.role = 'agent' AND \(standing)))
        """

    /// A message `m` that stands: not a correction of another (`replaces`), and not
    /// deleted by its last correction (no text, no files). Through the index of the
    /// conversation's messages.
    static let standing: SQLQueryString = """
        m.replaces IS NULL AND NOT EXISTS (
            SELECT 1 FROM messages d WHERE d.conversation_id = m.conversation_id AND d.text = '' AND d.files IS NULL
                AND d.id = (SELECT MAX(e.id) FROM messages e WHERE e.conversation_id = m.conversation_id AND e.replaces = m.id))
        """

    /// The conversations `c` started in the range (of the widget), an admin's tries left out.
    static func insightsRange(_ filter: InsightsFilter) -> SQLQueryString {
        startedIn(filter) + " AND NOT EXISTS (SELECT 1 FROM tried_conversations t WHERE t.conversation_id = c.id)"
    }

    /// The conversations `c` started in the range (of the widget).
    static func startedIn(_ filter: InsightsFilter) -> SQLQueryString {
        let range: SQLQueryString = "c.created_at >= \(bind: filter.start) AND c.created_at < \(bind: filter.end)"
        guard let key = filter.widgetKey else { return range }
        return range + " AND c.widget_key = \(bind: key)"
    }
}

// MARK: Swept conversations
//
// The retention period deletes conversations; the insights go on counting them from what
// the sweep kept of each (`swept_conversations`, and a row per agent who wrote in it in
// `swept_agents`): numbers and the agents' names, none of the visitor's data or anyone's
// words. Their not-understood messages are gone with them. Each read below adds the swept
// conversations of the range to those still kept, which are disjoint: a conversation is
// swept in the transaction that deletes it.
extension SQLStore {
    /// Keeps what the insights count of conversation `id`, which is about to be deleted in
    /// the same transaction.
    static func keepInsights(of id: ConversationID, on db: any SQLDatabase) async throws {
        guard let row = try await db.raw("SELECT * FROM conversations WHERE id = \(bind: id.rawValue)").first() else { return }
        // An admin's try counted for nothing while it was kept.
        if try await db.raw("SELECT 1 FROM tried_conversations WHERE conversation_id = \(bind: id.rawValue)").first() != nil { return }
        let conversation = try Rows.conversation(row)
        let handedOverAt = try row.decode(column: "handed_over_at", as: Int64?.self)
        // The agents' messages that stand, in order, as the kept conversations' queries count
        // them (`standing`).
        let written = try await db.raw("""
            SELECT m.author_name, m.author_id, m.created_at FROM messages m
            WHERE m.conversation_id = \(bind: id.rawValue) AND m.role = 'agent' AND \(Self.standing) ORDER BY m.id
            """).all().map { row in
            (name: try row.decode(column: "author_name", as: String?.self), id: try row.decode(column: "author_id", as: String?.self),
             at: try row.decode(column: "created_at", as: Int64.self))
        }
        let first = handedOverAt == nil ? nil : written.first
        let rating = conversation.variable(ChatRating.variable).flatMap(ChatRating.init(rawValue:))
        try await db.raw("""
            INSERT INTO swept_conversations (widget_key, created_at, handed_over_at, unanswered, rating, handover_cause,
                                             first_reply_wait, first_reply_agent, first_reply_agent_id)
            VALUES (\(bind: conversation.widgetKey), \(bind: conversation.createdAt), \(bind: handedOverAt),
                    \(bind: handedOverAt != nil && conversation.state == .closed && written.isEmpty ? 1 : 0),
                    \(bind: rating?.rawValue), \(bind: handedOverAt == nil ? nil : conversation.progress.handoverCause?.rawValue),
                    \(bind: first.map { $0.at - (handedOverAt ?? 0) }), \(bind: first?.name), \(bind: first?.id))
            """).run()
        // One row per agent, as the kept conversations' query groups them: by id, else by
        // name; named by their latest message.
        var agents: [String: (name: String?, id: String?, messages: Int, latest: Millis)] = [:]
        for message in written {
            let key = AgentActivity.key(id: message.id, name: message.name)
            agents[key] = (message.name, message.id, (agents[key]?.messages ?? 0) + 1, message.at)
        }
        for agent in agents.values {
            try await db.raw("""
                INSERT INTO swept_agents (widget_key, created_at, agent_name, agent_id, messages, latest_at)
                VALUES (\(bind: conversation.widgetKey), \(bind: conversation.createdAt), \(bind: agent.name), \(bind: agent.id),
                        \(bind: agent.messages), \(bind: agent.latest))
                """).run()
        }
    }

    public func triedConversationCount(_ filter: InsightsFilter) async throws -> Int {
        try await reader.raw("SELECT COUNT(*) AS n FROM tried_conversations t JOIN conversations c ON c.id = t.conversation_id WHERE "
                             + Self.startedIn(filter))
            .first()?.decode(column: "n", as: Int.self) ?? 0
    }

    public func sweptConversationCount(_ filter: InsightsFilter) async throws -> Int {
        try await reader.raw("SELECT COUNT(*) AS n FROM swept_conversations s WHERE \(Self.sweptRange(filter))").first()?
            .decode(column: "n", as: Int.self) ?? 0
    }

    static func sweptBucketsQuery(_ filter: InsightsFilter) -> SQLQueryString {
        """
            SELECT s.created_at / \(unsafeRaw: String(InsightsBucket.length)) AS quarter, COUNT(*) AS started,
                COUNT(s.handed_over_at) AS handed_over, SUM(s.unanswered) AS unanswered,
                SUM(CASE WHEN s.rating = 'good' THEN 1 ELSE 0 END) AS rated_good,
                SUM(CASE WHEN s.rating = 'bad' THEN 1 ELSE 0 END) AS rated_bad
            FROM swept_conversations s
            WHERE \(sweptRange(filter))
            GROUP BY quarter ORDER BY quarter
            """
    }

    static func sweptFirstRepliesQuery(_ filter: InsightsFilter) -> SQLQueryString {
        """
            SELECT s.first_reply_wait AS wait, s.first_reply_agent AS agent, s.first_reply_agent_id AS agent_id
            FROM swept_conversations s
            WHERE \(sweptRange(filter)) AND s.first_reply_wait IS NOT NULL
            """
    }

    static func sweptAgentsQuery(_ filter: InsightsFilter) -> SQLQueryString {
        // Each row is one conversation of one agent; the name is that of their latest
        // message, picked in `agentActivity`.
        """
            SELECT s.agent_name AS agent, s.agent_id AS agent_id, s.messages, s.latest_at
            FROM swept_agents s
            WHERE \(sweptRange(filter))
            """
    }

    static func sweptCausesQuery(_ filter: InsightsFilter) -> SQLQueryString {
        """
            SELECT s.handover_cause AS cause, COUNT(*) AS n FROM swept_conversations s
            WHERE \(sweptRange(filter)) AND s.handover_cause IS NOT NULL GROUP BY s.handover_cause
            """
    }

    static func sweptRange(_ filter: InsightsFilter) -> SQLQueryString {
        let range: SQLQueryString = "s.created_at >= \(bind: filter.start) AND s.created_at < \(bind: filter.end)"
        guard let key = filter.widgetKey else { return range }
        return range + " AND s.widget_key = \(bind: key)"
    }
}
