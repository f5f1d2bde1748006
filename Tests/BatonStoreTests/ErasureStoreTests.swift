import BatonCore
@testable import BatonStore
import BatonTestSupport
import Foundation
import Testing

/// Erasing conversations and visitors: what may go, what must stay, and that nothing
/// pointing at what went is left behind. The same on SQLite, PostgreSQL and in memory.
@Suite struct ErasureStoreTests {
    @Test(arguments: StoreKind.available) func erasingInTheDatabase(_ kind: StoreKind) async throws {
        try await kind.withStore { store in try await Self.erasing(in: store) }
    }

    @Test func erasingInMemory() async throws {
        try await Self.erasing(in: InMemoryChatStore())
    }

    @Test(arguments: StoreKind.available) func erasingRoomsTooInTheDatabase(_ kind: StoreKind) async throws {
        try await kind.withStore { store in try await Self.erasingRoomsToo(in: store) }
    }

    @Test func erasingRoomsTooInMemory() async throws {
        try await Self.erasingRoomsToo(in: InMemoryChatStore())
    }

    /// Erased "in Mattermost too": in the same transaction, each room goes into the outbox
    /// with everything the agent side needs to erase it (its row is gone with the chat).
    static func erasingRoomsToo(in store: some ChatStore & AgentStore) async throws {
        let visitor = Visitor.new()
        func closedChat(at time: Millis, room: Room?) async throws -> Conversation {
            var conversation = Conversation.new(visitor.id, at: time)
            try conversation.move(to: .closed, at: time)
            _ = try await store.commit(ChangeSet(visitor: visitor, conversation: conversation,
                                                 messages: [NewMessage(role: .visitor, text: "hello", clientID: "c\(time)")]))
            if var room {
                room.conversationID = conversation.id
                try await store.saveRoom(room)
            }
            return conversation
        }
        let channel = try await closedChat(at: 1000, room: Room(conversationID: .random(), widgetKey: "w", externalID: "channel-1", name: "chat-1",
                                                                 link: "http://mm/chat-1", announcementID: "announcement-1", cursor: 5,
                                                                 createdAt: 1000, closedAt: 1100))
        let thread = try await closedChat(at: 2000, room: Room(conversationID: .random(), widgetKey: "w", externalID: "root-2",
                                                                threadChannelID: "index", name: "chat-2", link: "http://mm/root-2",
                                                                announcementID: "root-2", cursor: 6, createdAt: 2000, closedAt: 2100))
        let botOnly = try await closedChat(at: 3000, room: nil)
        let channelRoom = try #require(try await store.room(for: channel.id))
        let threadRoom = try #require(try await store.room(for: thread.id))

        #expect(try await store.eraseConversation(channel.id, eraseRooms: true) == .erased([channel.id]))
        #expect(try await store.room(for: channel.id) == nil)
        let queued = try await store.tasks(of: channel.id, widgetKey: "w", limit: 10)
        #expect(queued.map(\.task) == [.eraseRoom(channelRoom)])
        #expect(try await store.dueTasks(widgetKey: "w", now: .now(), limit: 10).map(\.task) == [.eraseRoom(channelRoom)])

        #expect(try await store.eraseVisitor(visitor.id, eraseRooms: true) == .erased([thread.id, botOnly.id]))
        #expect(try await store.tasks(of: thread.id, widgetKey: "w", limit: 10).map(\.task) == [.eraseRoom(threadRoom)])
        #expect(try await store.tasks(of: botOnly.id, widgetKey: "w", limit: 10).isEmpty)
        #expect(try await store.taskCount(widgetKey: "w") == 2)
    }

    static func erasing(in store: some ChatStore & AgentStore) async throws {
        // Visitor A: a closed chat that went to Mattermost, one still with the bot, one
        // with the agents; an upload never sent.
        let a = Visitor.new()
        var closed = Conversation.new(a.id, at: 1000)
        _ = try await store.commit(ChangeSet(visitor: a, conversation: closed))
        let plan = Attachment(id: .newFile(), name: "plan.pdf", contentType: "application/pdf", size: 3)
        try await store.saveFile(StoredFile(attachment: plan, visitorID: a.id, data: [1, 2, 3]))
        let basis = closed
        try closed.move(to: .closed, at: 1000)
        let sent = try await store.commit(ChangeSet(conversation: closed, messages: [
            NewMessage(role: .visitor, text: "my plan", clientID: "c1", files: [plan]),
            NewMessage(role: .system, text: "The chat was closed."),
        ], basis: basis))
        try await store.saveRoom(Room(conversationID: closed.id, widgetKey: "w", externalID: "room-1", name: "chat-1", link: "http://mm/room-1",
                                      cursor: 0, createdAt: 1000, closedAt: 1000))
        let withBot = Conversation.new(a.id, at: 2000)
        _ = try await store.commit(ChangeSet(conversation: withBot, messages: [NewMessage(role: .bot, text: "Hello")]))
        var withAgents = Conversation.new(a.id, at: 1500)
        try withAgents.move(to: .waitingForAgent, at: 1500)
        _ = try await store.commit(ChangeSet(conversation: withAgents, messages: [NewMessage(role: .visitor, text: "help", clientID: "c2")],
                                             tasks: [.relay]))
        let upload = Attachment(id: .newFile(), name: "later.png", contentType: "image/png", size: 1)
        try await store.saveFile(StoredFile(attachment: upload, visitorID: a.id, data: [9]))

        // Visitor B: a closed chat whose Mattermost work is still queued.
        let b = Visitor.new()
        var closing = Conversation.new(b.id, at: 1200)
        try closing.move(to: .closed, at: 1200)
        _ = try await store.commit(ChangeSet(visitor: b, conversation: closing, tasks: [.closeRoom(closedBy: "Alice", roomArchived: false)]))

        // What may not go yet stays, and says why.
        #expect(try await store.eraseConversation(withAgents.id) == .open(withAgents.id))
        #expect(try await store.eraseConversation(closing.id) == .busy(closing.id))
        #expect(try await store.eraseConversation(.random()) == .notFound)
        #expect(try await store.eraseVisitor(.random()) == .notFound)

        // Old enough and allowed to go, oldest change first, page by page.
        let expired = try await store.expiredConversations(before: 3000, after: nil, limit: 10)
        #expect(expired.map(\.id) == [closed.id, closing.id, withBot.id])
        #expect(expired.first?.visitorID == a.id)
        let first = try await store.expiredConversations(before: 3000, after: nil, limit: 1)
        let second = try await store.expiredConversations(before: 3000, after: first.last, limit: 1)
        #expect(first.map(\.id) == [closed.id] && second.map(\.id) == [closing.id])
        #expect(try await store.expiredConversations(before: 1100, after: nil, limit: 10).map(\.id) == [closed.id])

        // The closed chat goes with its messages, their file and its room.
        #expect(try await store.eraseConversation(closed.id) == .erased([closed.id]))
        #expect(try await store.conversation(id: closed.id) == nil)
        #expect(try await store.messages(in: closed.id, after: 0, limit: 10).isEmpty)
        #expect(try await store.message(id: sent[0].id) == nil)
        #expect(try await store.fileRecord(id: plan.id) == nil)
        #expect(try await store.room(for: closed.id) == nil)
        #expect(try await store.room(externalID: "room-1") == nil)
        #expect(try await store.eraseConversation(closed.id) == .notFound)
        // The rest of the visitor's is untouched.
        #expect(try await store.conversation(id: withBot.id) != nil)
        #expect(try await store.fileRecord(id: upload.id) != nil)

        // A visitor goes whole or not at all.
        #expect(try await store.eraseVisitor(a.id) == .open(withAgents.id))
        #expect(try await store.conversation(id: withBot.id) != nil)
        var over = withAgents
        try over.move(to: .closed, at: 1600)
        _ = try await store.commit(ChangeSet(conversation: over, basis: withAgents))
        #expect(try await store.eraseVisitor(a.id) == .busy(withAgents.id))
        let tasks = try await store.tasks(of: withAgents.id, widgetKey: "w", limit: 10)
        try await store.completeTasks(tasks.map(\.id))
        #expect(try await store.eraseVisitor(a.id) == .erased([withAgents.id, withBot.id]))
        #expect(try await store.visitor(id: a.id) == nil)
        #expect(try await store.visitor(tokenHash: a.tokenHash) == nil)
        #expect(try await store.latestConversation(of: a.id) == nil)
        #expect(try await store.fileRecord(id: upload.id) == nil)
        #expect(try await store.unsentFileCount(of: a.id) == 0)

        // Message ids are never given again, even after the newest messages went: a
        // widget resumes from the last id it saw.
        let c = Visitor.new()
        let fresh = Conversation.new(c.id, at: 5000)
        let next = try await store.commit(ChangeSet(visitor: c, conversation: fresh, messages: [NewMessage(role: .bot, text: "Hi")]))
        #expect(next[0].id > sent[1].id)
        // A visitor whose last conversation went is found as one without conversations.
        #expect(try await store.eraseConversation(fresh.id) == .erased([fresh.id]))
        #expect(try await store.visitorsWithoutConversations(createdBefore: 10, limit: 10) == [c.id])
        #expect(try await store.visitorsWithoutConversations(createdBefore: 1, limit: 10).isEmpty)
        #expect(try await store.eraseVisitor(c.id) == .erased([]))
        // B still has its conversation.
        #expect(try await store.visitor(id: b.id) != nil)
    }
}
