import Synchronization

/// What visitors saw of the agents' replies and what was emailed to them, in memory.
extension InMemoryChatStore: ReplyMailStore {
    public func markRepliesSeen(in conversation: ConversationID, upTo message: MessageID) async throws {
        tables.withLock { tables in
            var record = tables.replyMail[conversation] ?? UnseenReplies(conversationID: conversation, newestReply: 0, seen: 0, mailed: 0)
            record.seen = max(record.seen, message)
            tables.replyMail[conversation] = record
        }
    }

    public func unseenReplies(changedAfter after: Millis, until: Millis, limit: Int) async throws -> [UnseenReplies] {
        tables.withLock { tables in
            let changed = tables.conversations.values.filter { $0.updatedAt > after && $0.updatedAt <= until }.sorted { $0.updatedAt < $1.updatedAt }
            return changed.compactMap { tables.unseen($0.id) }.prefix(limit).map { $0 }
        }
    }

    public func replyMailRetries(dueBy now: Millis, limit: Int) async throws -> [UnseenReplies] {
        tables.withLock { tables in
            tables.replyMailRetries.filter { $0.value <= now }.sorted { $0.value < $1.value }.compactMap { tables.unseen($0.key) }
                .prefix(limit).map { $0 }
        }
    }

    public func claimReplyMail(_ unseen: UnseenReplies, upTo: MessageID) async throws -> Bool {
        tables.withLock { tables in
            let id = unseen.conversationID
            var record = tables.replyMail[id] ?? UnseenReplies(conversationID: id, newestReply: 0, seen: 0, mailed: 0)
            guard record.mailed == unseen.mailed, record.seen == unseen.seen else { return false }
            record.mailed = upTo
            tables.replyMail[id] = record
            tables.replyMailRetries[id] = nil
            return true
        }
    }

    public func replyMailFailed(_ conversation: ConversationID, upTo: MessageID, mailed: MessageID, attempts: Int, retryAt: Millis?) async throws {
        tables.withLock { tables in
            guard var record = tables.replyMail[conversation], record.mailed == upTo else { return }
            record.mailed = mailed
            record.attempts = attempts
            tables.replyMail[conversation] = record
            tables.replyMailRetries[conversation] = retryAt
        }
    }

    public func mailDelivery() async throws -> MailDelivery { tables.withLock { $0.mailDelivery } }

    public func recordMailSent(at time: Millis) async throws { tables.withLock { $0.mailDelivery.lastSentAt = time } }

    public func recordMailFailure(_ reason: String, at time: Millis) async throws {
        tables.withLock {
            $0.mailDelivery.lastFailure = reason
            $0.mailDelivery.lastFailureAt = time
        }
    }
}

extension InMemoryChatStore.Tables {
    /// The conversation's reply-mail record with its newest agent reply; nil without one.
    func unseen(_ id: ConversationID) -> UnseenReplies? {
        guard let newest = messages.last(where: { $0.conversationID == id && $0.role == .agent && $0.replaces == nil }) else { return nil }
        var record = replyMail[id] ?? UnseenReplies(conversationID: id, newestReply: 0, seen: 0, mailed: 0)
        record.newestReply = newest.id
        return record
    }
}
