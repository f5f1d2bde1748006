import BatonCore
@testable import BatonStore
import BatonTestSupport
import Foundation
import Logging
import SQLKit
import Testing

/// The outbox, rooms, integrations, admins and the conversation list, on each database.
@Suite struct AgentAndAdminStoreTests {
    /// A conversation waiting for an agent, with a visitor message and a relay task.
    private func waiting(in store: SQLStore, name: String, text: String, at time: Millis = 1000) async throws -> (Conversation, [Message]) {
        try await Self.waiting(in: store, name: name, text: text, at: time)
    }

    private static func waiting(in store: some ChatStore, name: String, text: String, at time: Millis = 1000) async throws -> (Conversation, [Message]) {
        var visitor = Visitor.new()
        visitor.name = name
        var conversation = Conversation.new(visitor.id, at: time)
        try conversation.move(to: .waitingForAgent, at: time)
        let stored = try await store.commit(ChangeSet(visitor: visitor, conversation: conversation,
                                                      messages: [NewMessage(role: .visitor, text: text, clientID: "c-\(text)")],
                                                      tasks: [.openRoom, .relay]))
        return (conversation, stored)
    }

    @Test(arguments: StoreKind.available) func theOutboxRunsEachConversationsTasksInOrder(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (first, firstMessages) = try await waiting(in: store, name: "Ann", text: "one")
            let (second, _) = try await waiting(in: store, name: "Bob", text: "two")
            #expect(try await store.taskCount(widgetKey: "w") == 4)
            // Only each conversation's oldest task is due, with its message's text.
            var due = try await store.dueTasks(widgetKey: "w", now: Millis.now(), limit: 10)
            #expect(due.map(\.conversationID) == [first.id, second.id])
            #expect(due.map(\.task) == [.openRoom, .openRoom])
            #expect(due[0].messageID == firstMessages[0].id && due[0].messageText == "one")
            #expect(try await store.dueTasks(widgetKey: "w", now: Millis.now(), limit: 1).count == 1)
            #expect(try await store.dueTasks(widgetKey: "other", now: Millis.now(), limit: 10).isEmpty)
            // A failed task waits; the conversation's later task waits behind it.
            try await store.retryTask(due[0].id, at: Millis.now() + 60_000, error: "Mattermost is down")
            due = try await store.dueTasks(widgetKey: "w", now: Millis.now(), limit: 10)
            #expect(due.map(\.conversationID) == [second.id])
            let retried = try #require(try await store.tasks(of: first.id, widgetKey: "w", limit: 10).first)
            #expect(retried.attempts == 1 && retried.lastError == "Mattermost is down")
            #expect(try await store.nextTaskTime(widgetKey: "w") ?? 0 <= Millis.now())
            // Rescheduling moves every task of the widget.
            try await store.rescheduleTasks(widgetKey: "w", at: 5)
            #expect(try await store.nextTaskTime(widgetKey: "w") == 5)
            // Completing removes; more tasks can be added afterwards.
            let all = try await store.tasks(of: first.id, widgetKey: "w", limit: 10)
            #expect(all.map(\.task) == [.openRoom, .relay])
            try await store.completeTasks(all.map(\.id))
            try await store.completeTask(try #require(try await store.tasks(of: second.id, widgetKey: "w", limit: 1).first).id)
            try await store.addTasks([(first.id, .closeRoom(closedBy: "Alice", roomArchived: true), nil)], widgetKey: "w")
            #expect(try await store.tasks(of: first.id, widgetKey: "w", limit: 10).map(\.task) == [.closeRoom(closedBy: "Alice", roomArchived: true)])
            #expect(try await store.taskCount(widgetKey: "w") == 2)
            try await store.deleteTasks(widgetKey: "w")
            #expect(try await store.taskCount(widgetKey: "w") == 0)
            #expect(try await store.nextTaskTime(widgetKey: "w") == nil)
        }
    }

    @Test(arguments: StoreKind.available) func aVisitorsEarlierRoomsAreFoundNewestFirst(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            var visitor = Visitor.new()
            visitor.name = "Ann"
            var conversations: [Conversation] = []
            for time: Millis in [1000, 2000, 3000, 4000, 5000] {
                var conversation = Conversation.new(visitor.id, at: time)
                try conversation.move(to: .waitingForAgent, at: time)
                _ = try await store.commit(ChangeSet(visitor: conversations.isEmpty ? visitor : nil, conversation: conversation))
                conversations.append(conversation)
            }
            let (stranger, _) = try await waiting(in: store, name: "Bob", text: "hi", at: 4500)
            // Rooms for all but the second of Ann's chats (the bot answered it alone) and for Bob's.
            for conversation in [conversations[0], conversations[2], conversations[3], conversations[4], stranger] {
                try await store.saveRoom(Room(conversationID: conversation.id, widgetKey: "w", externalID: "ch-\(conversation.id)",
                                              name: "chat", link: "http://mm/t/channels/\(conversation.id)", cursor: 0,
                                              createdAt: conversation.createdAt + 5, closedAt: conversation.createdAt + 100))
            }
            let earlier = try await store.earlierRooms(of: visitor.id, excluding: conversations[4].id, limit: 2)
            #expect(earlier.rooms.map(\.conversationID) == [conversations[3].id, conversations[2].id])
            #expect(earlier.count == 3)
            #expect(try await store.earlierRooms(of: visitor.id, excluding: conversations[4].id, limit: 10).rooms.count == 3)
            #expect(try await store.earlierRooms(of: stranger.visitorID, excluding: stranger.id, limit: 3) == EarlierRooms(rooms: [], count: 0))
        }
    }

    @Test(arguments: StoreKind.available) func roomsAndIntegrationsAreKept(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (conversation, _) = try await waiting(in: store, name: "Ann", text: "one")
            let (other, _) = try await waiting(in: store, name: "Bob", text: "two", at: 2000)
            #expect(try await store.conversationsWithoutRoom(widgetKey: "w", state: .waitingForAgent, since: 0).map(\.id) == [conversation.id, other.id])
            var room = Room(conversationID: conversation.id, widgetKey: "w", externalID: "ch1", name: "ann-support", link: "http://mm/t/channels/ann",
                            announcementID: nil, transcriptUntil: nil, cursor: 10, joinedAgents: [], createdAt: 1000, closedAt: nil)
            try await store.saveRoom(room)
            room.announcementID = "post9"
            room.transcriptUntil = 3
            try await store.saveRoom(room)
            #expect(try await store.room(for: conversation.id) == room)
            #expect(try await store.room(externalID: "ch1") == room)
            #expect(try await store.openRooms(widgetKey: "w") == [room])
            #expect(try await store.conversationsWithoutRoom(widgetKey: "w", state: .waitingForAgent, since: 0).map(\.id) == [other.id])
            // The cursor only moves forward; the joined agents are replaced.
            try await store.advanceRoom(conversation.id, cursor: 50, joinedAgents: ["alice"])
            try await store.advanceRoom(conversation.id, cursor: 20, joinedAgents: ["alice", "bob"])
            let advanced = try #require(try await store.room(for: conversation.id))
            #expect(advanced.cursor == 50 && advanced.joinedAgents == ["alice", "bob"])
            room = advanced
            room.closedAt = 9000
            try await store.saveRoom(room)
            #expect(try await store.openRooms(widgetKey: "w").isEmpty)
            // A thread in a shared channel: named by its root post, in its channel.
            let thread = Room(conversationID: other.id, widgetKey: "w", externalID: "root7", threadChannelID: "index1", name: "Bob",
                              link: "http://mm/t/pl/root7", announcementID: "root7", cursor: 10, createdAt: 2000)
            try await store.saveRoom(thread)
            #expect(try await store.room(externalID: "root7") == thread)
            #expect(thread.channelID == "index1" && thread.rootID == "root7" && room.channelID == "ch1" && room.rootID == nil)
            #expect(try await store.openRooms(widgetKey: "w") == [thread])

            let integration = Integration(widgetKey: "w", kind: "mattermost", settings: "{\"url\":\"http://mm\"}", secret: [1, 2, 3, 250],
                                          createdAt: 1, updatedAt: 2)
            try await store.saveIntegration(integration)
            #expect(try await store.integration(widgetKey: "w", kind: "mattermost") == integration)
            #expect(try await store.integrations(kind: "mattermost") == [integration])
            let status = IntegrationStatus(state: "connected", lastEventAt: 7, lastError: nil, updatedAt: 8)
            try await store.saveIntegrationStatus(status, widgetKey: "w", kind: "mattermost")
            try await store.saveIntegrationStatus(IntegrationStatus(state: "failing", lastEventAt: 7, lastError: "401", updatedAt: 9),
                                                  widgetKey: "w", kind: "mattermost")
            #expect(try await store.integrationStatus(widgetKey: "w", kind: "mattermost")?.lastError == "401")
            try await store.deleteIntegration(widgetKey: "w", kind: "mattermost")
            #expect(try await store.integration(widgetKey: "w", kind: "mattermost") == nil)
            #expect(try await store.integrationStatus(widgetKey: "w", kind: "mattermost") == nil)
        }
    }

    @Test(arguments: StoreKind.available) func roomsNobodyJoinedAreFoundForReminders(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (ann, _) = try await waiting(in: store, name: "Ann", text: "one")
            let (bob, _) = try await waiting(in: store, name: "Bob", text: "two", at: 2000)
            let (cat, _) = try await waiting(in: store, name: "Cat", text: "three", at: 3000)
            func room(_ c: Conversation, _ id: String, at time: Millis, announced: Bool = true) -> Room {
                Room(conversationID: c.id, widgetKey: "w", externalID: id, name: id, link: "http://mm/t/channels/\(id)",
                     announcementID: announced ? "a-\(id)" : nil, cursor: time, createdAt: time)
            }
            try await store.saveRoom(room(ann, "ann", at: 1000))
            try await store.saveRoom(room(bob, "bob", at: 2000))
            // Not announced yet: not complete, no reminder.
            try await store.saveRoom(room(cat, "cat", at: 1500, announced: false))
            #expect(try await store.roomsAwaitingAgents(widgetKey: "w", createdBefore: 5000, limit: 10).map(\.externalID) == ["ann", "bob"])
            #expect(try await store.roomsAwaitingAgents(widgetKey: "w", createdBefore: 1500, limit: 10).map(\.externalID) == ["ann"])
            #expect(try await store.roomsAwaitingAgents(widgetKey: "other", createdBefore: 5000, limit: 10).isEmpty)
            // Reminded once; an agent joined Bob's.
            try await store.markReminded(ann.id, at: 4000, post: "r-ann")
            try await store.advanceRoom(bob.id, cursor: 2500, joinedAgents: ["alice"])
            #expect(try await store.roomsAwaitingAgents(widgetKey: "w", createdBefore: 5000, limit: 10).isEmpty)
            // Saving the room again (the link does) keeps the reminder recorded.
            var saved = try #require(try await store.room(for: ann.id))
            saved.transcriptUntil = 7
            try await store.saveRoom(saved)
            let reminded = try #require(try await store.room(for: ann.id))
            #expect(reminded.remindedAt == 4000 && reminded.reminderID == "r-ann" && reminded.transcriptUntil == 7)
            #expect(try await store.room(for: bob.id)?.reminderID == nil)
            try await store.advanceRoom(bob.id, cursor: 2600, joinedAgents: [])
            #expect(try await store.roomsAwaitingAgents(widgetKey: "w", createdBefore: 5000, limit: 10).map(\.externalID) == ["bob"])
        }
    }

    @Test(arguments: StoreKind.available) func aLostRoomIsReplacedOnce(_ kind: StoreKind) async throws {
        try await kind.withStore { store in try await Self.replacingLostRooms(in: store) }
    }

    @Test func aLostRoomIsReplacedOnceInMemory() async throws {
        try await Self.replacingLostRooms(in: InMemoryChatStore())
    }

    /// A room gone from Mattermost is forgotten and, for a chat still open, a new one
    /// queued, once: the same call again, or for a room made since, does nothing.
    static func replacingLostRooms(in store: some ChatStore & AgentStore) async throws {
        let (conversation, _) = try await waiting(in: store, name: "Ann", text: "hello")
        try await store.completeTasks(try await store.tasks(of: conversation.id, widgetKey: "w", limit: 10).map(\.id))
        let room = Room(conversationID: conversation.id, widgetKey: "w", externalID: "old", name: "chat", link: "http://mm/t/channels/chat",
                        announcementID: "a1", transcriptUntil: 1, cursor: 1000, createdAt: 1000)
        try await store.saveRoom(room)
        try await store.markReminded(conversation.id, at: 2000, post: "r1")

        #expect(try await !store.replaceRoom(of: conversation.id, externalID: "another"))
        #expect(try await store.room(for: conversation.id) != nil)
        #expect(try await store.taskCount(widgetKey: "w") == 0)

        #expect(try await store.replaceRoom(of: conversation.id, externalID: "old"))
        #expect(try await store.room(for: conversation.id) == nil)
        #expect(try await store.openRooms(widgetKey: "w").isEmpty)
        let queued = try await store.tasks(of: conversation.id, widgetKey: "w", limit: 10)
        #expect(queued.map(\.task) == [.openRoom])
        #expect(queued.first?.messageID == nil)
        // Already replaced: nothing more.
        #expect(try await !store.replaceRoom(of: conversation.id, externalID: "old"))
        #expect(try await store.taskCount(widgetKey: "w") == 1)

        // The new room starts afresh (no reminder recorded); a closed one is not replaced.
        var new = room
        new.externalID = "new"
        new.createdAt = 1
        try await store.saveRoom(new)
        #expect(try await store.roomsAwaitingAgents(widgetKey: "w", createdBefore: 5000, limit: 10).map(\.externalID) == ["new"])
        new.closedAt = 3000
        try await store.saveRoom(new)
        #expect(try await !store.replaceRoom(of: conversation.id, externalID: "new"))
        #expect(try await store.room(for: conversation.id)?.closedAt == 3000)

        // The default agents a room was given: none recorded, then recorded, kept by saves.
        #expect(try await store.room(for: conversation.id)?.agents == nil)
        try await store.recordRoomAgents(conversation.id, agents: ["alice", "bob"])
        #expect(try await store.room(for: conversation.id)?.agents == ["alice", "bob"])
        var saved = try #require(try await store.room(for: conversation.id))
        saved.announcementID = "a2"
        try await store.saveRoom(saved)
        #expect(try await store.room(for: conversation.id)?.agents == ["alice", "bob"])
        saved.agents = ["carol"]
        try await store.saveRoom(saved)
        #expect(try await store.room(for: conversation.id)?.agents == ["carol"])
    }

    @Test(arguments: StoreKind.available) func adminsSessionsAndTheConversationList(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            #expect(try await store.adminCount() == 0)
            let admin = Admin(id: "a1", email: "Ops@Example.com", passwordHash: "$2b$hash", createdAt: 1)
            #expect(try await store.createAdmin(admin))
            #expect(try await !store.createAdmin(Admin(id: "a2", email: "ops@example.com", passwordHash: "x", createdAt: 2)))
            #expect(try await store.adminCount() == 1)
            #expect(try await store.admin(email: "OPS@example.com")?.id == "a1")
            #expect(try await store.admin(id: "a1")?.email == "ops@example.com")
            var session = AdminSession(tokenHash: "t1", adminID: "a1", csrfToken: "csrf", createdAt: 1, expiresAt: 100)
            try await store.saveSession(session)
            session.expiresAt = 200
            try await store.saveSession(session)
            #expect(try await store.session(tokenHash: "t1") == session)
            try await store.saveSession(AdminSession(tokenHash: "t2", adminID: "a1", csrfToken: "c", createdAt: 1, expiresAt: 50))
            try await store.deleteExpiredSessions(now: 150)
            #expect(try await store.session(tokenHash: "t2") == nil)
            #expect(try await store.session(tokenHash: "t1") != nil)
            try await store.deleteSession(tokenHash: "t1")
            #expect(try await store.session(tokenHash: "t1") == nil)

            let (ann, _) = try await waiting(in: store, name: "Ann 100%", text: "my invoice_42", at: 1000)
            let (bob, _) = try await waiting(in: store, name: "Bob", text: "hello", at: 2000)
            let all = try await store.conversations(ConversationFilter())
            #expect(all.map(\.conversation.id) == [bob.id, ann.id])
            #expect(all[1].visitorName == "Ann 100%" && all[1].messageCount == 1 && all[1].lastMessage == "my invoice_42")
            // Search words match names and texts, case-insensitively; % and _ are plain characters.
            #expect(try await store.conversations(ConversationFilter(search: "INVOICE_42")).map(\.conversation.id) == [ann.id])
            #expect(try await store.conversations(ConversationFilter(search: "100%")).map(\.conversation.id) == [ann.id])
            #expect(try await store.conversations(ConversationFilter(search: "in_oice")).isEmpty)
            // Letters beyond ASCII match in either case too (names and texts); accents count.
            let (özil, _) = try await waiting(in: store, name: "Özil Ærøe", text: "ΣΟΦΙΑ asks about Ärger", at: 3000)
            for word in ["özil", "ÖZIL", "ærøe", "σοφια", "ärger", "ÄRGER"] {
                #expect(try await store.conversations(ConversationFilter(search: word)).map(\.conversation.id) == [özil.id], "\(word)")
            }
            #expect(try await store.conversations(ConversationFilter(search: "ozil")).isEmpty)
            #expect(try await store.conversations(ConversationFilter(search: "özil 100%")).isEmpty)
            #expect(try await store.conversations(ConversationFilter(search: "Ann")).map(\.conversation.id) == [ann.id])
            #expect(try await store.conversations(ConversationFilter(state: .closed)).isEmpty)
            // Rated chats: a rating is one of the conversation's variables.
            var rated = bob
            rated.set(ChatRating.variable, to: ChatRating.bad.rawValue)
            rated.set("topic", to: "chat rating good")
            _ = try await store.commit(ChangeSet(conversation: rated, basis: bob))
            #expect(try await store.conversations(ConversationFilter(rating: .bad)).map(\.conversation.id) == [bob.id])
            #expect(try await store.conversations(ConversationFilter(rating: .good)).isEmpty)
            // One visitor's chats.
            #expect(try await store.conversations(ConversationFilter(visitorID: ann.visitorID)).map(\.conversation.id) == [ann.id])
            #expect(try await store.conversations(ConversationFilter(visitorID: VisitorID("nobodynobodynobodyno"))).isEmpty)
            // Pages go on from the last one listed.
            let next = try await store.conversations(ConversationFilter(limit: 1, before: rated.updatedAt, beforeID: bob.id))
            #expect(next.map(\.conversation.id) == [ann.id])
            #expect(try await store.listing(of: bob.id)?.visitorName == "Bob")
            // The bot's words are listed without the escapes of a visitor's answer put into them.
            let thanks = "Thanks " + BotMarkdown.escaped("**Ann** [x](y)") + "!"
            _ = try await store.commit(ChangeSet(conversation: ann, messages: [NewMessage(role: .bot, text: thanks)]))
            #expect(try await store.listing(of: ann.id)?.lastMessage == "Thanks **Ann** [x](y)!")
            _ = try await store.commit(ChangeSet(conversation: ann, messages: [NewMessage(role: .visitor, text: #"a \* b"#, clientID: "c-esc")]))
            #expect(try await store.listing(of: ann.id)?.lastMessage == #"a \* b"#)
        }
    }

    /// Admins are listed, get new passwords and are removed; either ends their sessions,
    /// and no one else's.
    @Test(arguments: StoreKind.available) func adminsAreListedChangedAndRemoved(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            for (id, email) in [("a1", "zoe@example.com"), ("a2", "ann@example.com")] {
                #expect(try await store.createAdmin(Admin(id: id, email: email, passwordHash: "old", createdAt: 1)))
                for token in ["\(id)-s1", "\(id)-s2"] {
                    try await store.saveSession(AdminSession(tokenHash: token, adminID: id, csrfToken: "c", createdAt: 1, expiresAt: 100))
                }
            }
            #expect(try await store.admins().map(\.email) == ["ann@example.com", "zoe@example.com"])

            try await store.setPasswordHash("new", adminID: "a1")
            #expect(try await store.admin(id: "a1")?.passwordHash == "new")
            #expect(try await store.admin(id: "a2")?.passwordHash == "old")
            #expect(try await store.session(tokenHash: "a1-s1") == nil)
            #expect(try await store.session(tokenHash: "a1-s2") == nil)
            #expect(try await store.session(tokenHash: "a2-s1") != nil)

            #expect(try await store.deleteAdmin(id: "a2", keepingOne: true))
            #expect(try await !store.deleteAdmin(id: "a2", keepingOne: false))
            #expect(try await store.session(tokenHash: "a2-s1") == nil)
            #expect(try await store.session(tokenHash: "a2-s2") == nil)
            #expect(try await store.admins().map(\.id) == ["a1"])
            #expect(try await store.adminCount() == 1)
            #expect(try await !store.deleteAdmin(id: "a1", keepingOne: true), "the only admin stays")
            #expect(try await store.deleteAdmin(id: "a1", keepingOne: false))
            #expect(try await store.adminCount() == 0)
        }
    }

    /// Two admins removing each other at the same moment: one of them stays (both were
    /// removed, and nobody could sign in).
    @Test(arguments: StoreKind.available) func adminsRemovingEachOtherLeaveOne(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            for round in 0..<10 {
                let (a, b) = ("a\(round)", "b\(round)")
                for id in [a, b] {
                    #expect(try await store.createAdmin(Admin(id: id, email: "\(id)@example.com", passwordHash: "h", createdAt: 1)))
                }
                async let first = store.deleteAdmin(id: a, keepingOne: true)
                async let second = store.deleteAdmin(id: b, keepingOne: true)
                let removed = try await [first, second].filter { $0 }.count
                #expect(removed == 1, "round \(round)")
                #expect(try await store.adminCount() == 1)
                for admin in try await store.admins() { #expect(try await store.deleteAdmin(id: admin.id, keepingOne: false)) }
            }
        }
    }
}
