import BatonCore
@testable import BatonStore
import BatonTestSupport
import Foundation
import Testing

/// What visitors saw of the agents' replies and what was emailed to them: the same on
/// SQLite, PostgreSQL and in memory.
@Suite struct ReplyMailStoreTests {
    @Test(arguments: StoreKind.available) func inTheDatabase(_ kind: StoreKind) async throws {
        try await kind.withStore { store in try await Self.keepingTrack(in: store) }
    }

    @Test func inMemory() async throws {
        try await Self.keepingTrack(in: InMemoryChatStore())
        try await Self.howTheEmailsWent(in: InMemoryChatStore())
    }

    @Test(arguments: StoreKind.available) func howTheEmailsWentInTheDatabase(_ kind: StoreKind) async throws {
        try await kind.withStore { store in try await Self.howTheEmailsWent(in: store) }
    }

    /// The last email sent and the last failure, each kept when the other comes.
    static func howTheEmailsWent(in store: some ChatStore) async throws {
        #expect(try await store.mailDelivery() == MailDelivery())
        try await store.recordMailFailure("cannot reach the mail server", at: 1000)
        #expect(try await store.mailDelivery() == MailDelivery(lastFailure: "cannot reach the mail server", lastFailureAt: 1000))
        try await store.recordMailSent(at: 2000)
        try await store.recordMailSent(at: 3000)
        #expect(try await store.mailDelivery() == MailDelivery(lastSentAt: 3000, lastFailure: "cannot reach the mail server", lastFailureAt: 1000))
        try await store.recordMailFailure("451 try again", at: 4000)
        #expect(try await store.mailDelivery() == MailDelivery(lastSentAt: 3000, lastFailure: "451 try again", lastFailureAt: 4000))
    }

    static func keepingTrack(in store: some ChatStore) async throws {
        let visitor = Visitor.new()
        var conversation = Conversation.new(visitor.id, at: 1000)
        try conversation.move(to: .waitingForAgent, at: 1000)
        _ = try await store.commit(ChangeSet(visitor: visitor, conversation: conversation,
                                             messages: [NewMessage(role: .visitor, text: "a person please", clientID: "c1")]))
        // A conversation that never left the bot is not looked at.
        var botOnly = Conversation.new(visitor.id, at: 1500)
        botOnly.updatedAt = 1500
        _ = try await store.commit(ChangeSet(conversation: botOnly, messages: [NewMessage(role: .visitor, text: "hi", clientID: "c0")]))
        #expect(try await store.unseenReplies(changedAfter: 0, until: 10_000, limit: 10).isEmpty)

        func agentSays(_ text: String, at time: Millis, replacing: MessageID? = nil) async throws -> MessageID {
            let basis = conversation
            conversation.updatedAt = time
            if conversation.state == .waitingForAgent { try conversation.move(to: .withAgent, at: time) }
            let stored = try await store.commit(ChangeSet(conversation: conversation, messages: [
                NewMessage(role: .agent, authorName: "Alice", text: text, externalID: "p\(time)", replaces: replacing)], basis: basis))
            return stored[0].id
        }
        let first = try await agentSays("Hello", at: 2000)
        let second = try await agentSays("Shipped", at: 3000)
        _ = try await agentSays("Shipped today", at: 4000, replacing: second)  // a correction is not the newest reply

        // Found by when the conversation last changed, within the window only.
        #expect(try await store.unseenReplies(changedAfter: 4000, until: 10_000, limit: 10).isEmpty)
        #expect(try await store.unseenReplies(changedAfter: 0, until: 3999, limit: 10).isEmpty)
        let found = try #require(try await store.unseenReplies(changedAfter: 3999, until: 4000, limit: 10).first)
        #expect(found == UnseenReplies(conversationID: conversation.id, newestReply: second, seen: 0, mailed: 0))

        // The widget showed the first; saying less later changes nothing.
        try await store.markRepliesSeen(in: conversation.id, upTo: first)
        try await store.markRepliesSeen(in: conversation.id, upTo: first - 1)
        let seen = try #require(try await store.unseenReplies(changedAfter: 0, until: 10_000, limit: 10).first)
        #expect(seen.seen == first && seen.hasNews)
        // A claim of what was read before the widget said so fails; of what is now, once.
        #expect(try await !store.claimReplyMail(found, upTo: second))
        #expect(try await store.claimReplyMail(seen, upTo: second))
        #expect(try await !store.claimReplyMail(seen, upTo: second))
        #expect(try await store.unseenReplies(changedAfter: 0, until: 10_000, limit: 10).first?.hasNews == false)

        // It failed: back to what was mailed before, tried again when due.
        try await store.replyMailFailed(conversation.id, upTo: second, mailed: 0, attempts: 1, retryAt: 70_000)
        #expect(try await store.replyMailRetries(dueBy: 69_999, limit: 10).isEmpty)
        let retry = try #require(try await store.replyMailRetries(dueBy: 70_000, limit: 10).first)
        #expect(retry == UnseenReplies(conversationID: conversation.id, newestReply: second, seen: first, mailed: 0, attempts: 1))
        #expect(try await store.claimReplyMail(retry, upTo: second))
        #expect(try await store.replyMailRetries(dueBy: .max, limit: 10).isEmpty)

        // Erased with the conversation.
        let basis = conversation
        try conversation.move(to: .closed, at: 5000)
        _ = try await store.commit(ChangeSet(conversation: conversation, basis: basis))
        #expect(try await store.eraseConversation(conversation.id, eraseRooms: false, keepingInsights: false) == .erased([conversation.id]))
        try await store.replyMailFailed(conversation.id, upTo: second, mailed: 0, attempts: 1, retryAt: 70_000)
        #expect(try await store.replyMailRetries(dueBy: .max, limit: 10).isEmpty)
        #expect(try await store.unseenReplies(changedAfter: 0, until: .max, limit: 10).isEmpty)
    }
}
