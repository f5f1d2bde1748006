import BatonCore
import SQLKit
import Synchronization

/// What visitors saw of the agents' replies and what was emailed to them (`reply_mail`).
extension SQLStore: ReplyMailStore {
    public func markRepliesSeen(in conversation: ConversationID, upTo message: MessageID) async throws {
        // Lost to a power cut, the widget says it again the next time it shows a reply.
        try await write(durable: false) { db in
            try await db.raw("""
                INSERT INTO reply_mail (conversation_id, seen_id, mailed_id, attempts) VALUES (\(bind: conversation.rawValue), \(bind: message), 0, 0)
                ON CONFLICT (conversation_id) DO UPDATE SET seen_id = excluded.seen_id WHERE reply_mail.seen_id < excluded.seen_id
                """).run()
        }
    }

    public func unseenReplies(changedAfter after: Millis, until: Millis, limit: Int) async throws -> [UnseenReplies] {
        try await reader.raw("""
            SELECT c.id AS conversation_id,
                (SELECT MAX(m.id) FROM messages m WHERE m.conversation_id = c.id AND m.role = 'agent' AND m.replaces IS NULL) AS newest,
                r.seen_id, r.mailed_id, r.attempts
            FROM conversations c LEFT JOIN reply_mail r ON r.conversation_id = c.id
            WHERE c.updated_at > \(bind: after) AND c.updated_at <= \(bind: until) AND c.handed_over_at IS NOT NULL
            ORDER BY c.updated_at LIMIT \(unsafeRaw: String(max(0, limit)))
            """).all().compactMap(Self.unseenReplies)
    }

    public func replyMailRetries(dueBy now: Millis, limit: Int) async throws -> [UnseenReplies] {
        try await reader.raw("""
            SELECT r.conversation_id,
                (SELECT MAX(m.id) FROM messages m WHERE m.conversation_id = r.conversation_id AND m.role = 'agent' AND m.replaces IS NULL) AS newest,
                r.seen_id, r.mailed_id, r.attempts
            FROM reply_mail r WHERE r.retry_at IS NOT NULL AND r.retry_at <= \(bind: now)
            ORDER BY r.retry_at LIMIT \(unsafeRaw: String(max(0, limit)))
            """).all().compactMap(Self.unseenReplies)
    }

    public func claimReplyMail(_ unseen: UnseenReplies, upTo: MessageID) async throws -> Bool {
        let claimed = Mutex(false)
        try await write { db in
            let rows = try await db.raw("""
                INSERT INTO reply_mail (conversation_id, seen_id, mailed_id, attempts) VALUES (\(bind: unseen.conversationID.rawValue), 0, \(bind: upTo), 0)
                ON CONFLICT (conversation_id) DO UPDATE SET mailed_id = excluded.mailed_id, attempts = 0, retry_at = NULL
                    WHERE reply_mail.mailed_id = \(bind: unseen.mailed) AND reply_mail.seen_id = \(bind: unseen.seen)
                RETURNING conversation_id
                """).all()
            claimed.withLock { $0 = !rows.isEmpty }
        }
        return claimed.withLock { $0 }
    }

    public func replyMailFailed(_ conversation: ConversationID, upTo: MessageID, mailed: MessageID, attempts: Int, retryAt: Millis?) async throws {
        try await write { db in
            try await db.raw("""
                UPDATE reply_mail SET mailed_id = \(bind: mailed), attempts = \(bind: attempts), retry_at = \(bind: retryAt)
                WHERE conversation_id = \(bind: conversation.rawValue) AND mailed_id = \(bind: upTo)
                """).run()
        }
    }

    public func mailDelivery() async throws -> MailDelivery {
        guard let row = try await reader.raw("SELECT last_sent_at, last_failure, last_failure_at FROM mail_delivery WHERE id = 1").first() else {
            return MailDelivery()
        }
        return MailDelivery(lastSentAt: try row.decode(column: "last_sent_at", as: Int64?.self),
                            lastFailure: try row.decode(column: "last_failure", as: String?.self),
                            lastFailureAt: try row.decode(column: "last_failure_at", as: Int64?.self))
    }

    public func recordMailSent(at time: Millis) async throws {
        try await write(durable: false) { db in
            try await db.raw("""
                INSERT INTO mail_delivery (id, last_sent_at) VALUES (1, \(bind: time))
                ON CONFLICT (id) DO UPDATE SET last_sent_at = excluded.last_sent_at
                """).run()
        }
    }

    public func recordMailFailure(_ reason: String, at time: Millis) async throws {
        try await write(durable: false) { db in
            try await db.raw("""
                INSERT INTO mail_delivery (id, last_failure, last_failure_at) VALUES (1, \(bind: reason), \(bind: time))
                ON CONFLICT (id) DO UPDATE SET last_failure = excluded.last_failure, last_failure_at = excluded.last_failure_at
                """).run()
        }
    }

    /// A row of the queries above; nil for a conversation without agent replies.
    private static func unseenReplies(_ row: any SQLRow) throws -> UnseenReplies? {
        guard let newest = try row.decodeNil(column: "newest") ? nil : row.decode(column: "newest", as: Int64.self) else { return nil }
        func number(_ column: String) throws -> Int64 { try row.decodeNil(column: column) ? 0 : row.decode(column: column, as: Int64.self) }
        return UnseenReplies(conversationID: ConversationID(try row.decode(column: "conversation_id", as: String.self)),
                             newestReply: newest, seen: try number("seen_id"), mailed: try number("mailed_id"),
                             attempts: Int(try number("attempts")))
    }
}
