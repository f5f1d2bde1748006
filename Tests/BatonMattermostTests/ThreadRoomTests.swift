import BatonCore
import BatonMattermost
import BatonStore
import BatonTestSupport
import Foundation
import MattermostSandbox
import Testing

/// Thread-per-conversation mode: a chat is a thread under its announcement in the index
/// channel instead of a channel of its own.
@Suite(.serialized) struct ThreadRoomTests {
    @Test(arguments: TestDatabase.available) func aChatIsAThreadUnderItsAnnouncement(_ database: TestDatabase) async throws {
        try await database.withLocation { location in try await HandoverRig.run(database: location) { rig in
            // Archiving on close is on: it must not archive the index channel.
            try await rig.connect(archiveOnClose: true, rooms: .thread)
            let sandbox = rig.sandbox
            let index = try #require(rig.indexChannel)
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let conversation = try await talkUntilHandover(client)
                let root = try await rig.waitForThread(conversation)

                // No channel of its own: the announcement is the thread's first post.
                #expect(rig.room(for: conversation) == nil)
                #expect(root.channelID == index.id && root.rootID.isEmpty && root.userID == sandbox.user(named: "relay")?.id)
                #expect(root.message.contains("New chat** from **Grace**"))
                #expect(root.message.contains("Reply in this thread"))
                #expect(!root.message.contains("Join the conversation"))
                // The transcript is in the thread; the agents follow it and are in the channel.
                let transcript = rig.replies(to: root.id, by: "relay").joined(separator: "\n")
                #expect(transcript.contains("qwerty uiop") && transcript.contains("Grace"))
                #expect(sandbox.followers(ofThread: root.id) == ["alice", "bob", "carol"])
                #expect(Set(["alice", "bob", "carol"]).isSubset(of: sandbox.members(of: index.id).compactMap { sandbox.user(id: $0)?.username }))
                let stored = try #require(try await rig.baton.services.store.room(for: ConversationID(conversation)))
                #expect(stored.link == "\(sandbox.url)/support/pl/\(root.id)")

                // Alice answers in the thread.
                let reply = try sandbox.post(as: "alice", in: index.id, "Hi Grace, Alice here.", rootID: root.id)
                #expect(try await client.message(containing: "joined the chat").messageText == "Alice Archer joined the chat.")
                let received = try await client.message(containing: "Alice here")
                #expect(received.message["role"] as? String == "agent" && received.message["name"] as? String == "Alice Archer")
                // Posts outside the thread stay in Mattermost: the channel itself, another thread.
                try sandbox.post(as: "alice", in: index.id, "Team: lunch at noon?")
                let other = try sandbox.post(as: "bob", in: index.id, "Unrelated thread")
                try sandbox.post(as: "alice", in: index.id, "Yes!", rootID: other.id)

                // The visitor's messages go to the thread.
                _ = try await client.say("@all I need a discount", clientID: "v1")
                try await eventually("the visitor's message in the thread") {
                    rig.replies(to: root.id, by: "relay").contains { $0.contains("I need a discount") }
                }
                #expect(rig.replies(to: root.id, by: "relay").last?.hasPrefix("**Grace:** ") == true)
                #expect(rig.replies(to: root.id, by: "relay").last?.contains("@all") == false)

                // A note stays; typing in the thread shows; an edit is relayed.
                try sandbox.post(as: "bob", in: index.id, "// VIP customer", rootID: root.id)
                try sandbox.typing(as: "bob", in: index.id, parentID: root.id)
                let typing = try await client.until("typing") { $0.type == "typing" }.last!
                #expect(typing.string("name") == "Bobby")
                try sandbox.editPost(reply.id, message: "Hi Grace, Alice from sales here.", by: "alice")
                let fix = try await client.message(containing: "Alice from sales")
                #expect(fix.message["replaces"] as? Int == received.messageID.map(Int.init))
                try sandbox.post(as: "bob", in: index.id, "Bob here too.", rootID: root.id)
                let frames = try await client.until("Bob's message") { $0.messageText == "Bob here too." }
                let texts = frames.compactMap(\.messageText)
                #expect(!texts.contains { $0.contains("lunch") || $0.contains("Yes!") || $0.contains("VIP") || $0.contains("Unrelated") })
                #expect(texts.contains("Bobby joined the chat."))

                // !close in the thread closes; the announcement says so; the channel stays.
                try sandbox.post(as: "alice", in: index.id, "!close", rootID: root.id)
                #expect(try await client.message(containing: "closed the chat").messageText == "Alice Archer closed the chat.")
                try await eventually("the announcement edited") { sandbox.post(id: root.id)?.message.contains("Closed by Alice Archer") == true }
                try await eventually("the closing note") { rig.replies(to: root.id, by: "relay").last?.contains("closed by Alice Archer") == true }
                #expect(sandbox.channel(id: index.id)?.deleteAt == 0)
                #expect(sandbox.post(id: root.id)?.message.contains("Reply in this thread") == false)
                try await eventually("the outbox to empty") { try await rig.baton.services.store.taskCount(widgetKey: "demo") == 0 }
            }
            #expect(try rig.contractViolations() == [])
        } }
    }

    /// The index channel archived: a new chat cannot start its thread there, and waits
    /// for it; the status says why (it said "Mattermost answered 400: Can not post to
    /// deleted channel."), and the chat goes on once the channel is restored.
    @Test func aNewChatWaitsForAnArchivedIndexChannelSayingWhy() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect(rooms: .thread)
            let index = try #require(rig.indexChannel)
            try rig.sandbox.archive(index.id, by: "relay")
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let conversation = try await talkUntilHandover(client)
                try await eventually("the status saying why") {
                    rig.baton.services.mattermost.status(widgetKey: "demo")?.lastError?
                        .contains("The index channel ~\(index.name) is archived or deleted: new chats wait until it is restored") == true
                }
                // Its retry put off (30 s) first, then made due, as a settings change does.
                let store = rig.baton.services.store
                try await eventually("the failure recorded") {
                    try await store.tasks(of: ConversationID(conversation), widgetKey: "demo", limit: 10).contains { $0.attempts > 0 }
                }
                try rig.sandbox.restore(index.id, by: "relay")
                try await store.rescheduleTasks(widgetKey: "demo", at: Millis.now())
                _ = try await rig.waitForThread(conversation)
                try await eventually("the status clear") { rig.baton.services.mattermost.status(widgetKey: "demo")?.lastError == nil }
            }
        }
    }

    @Test func twoChatsInOneChannelStayApart() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect(rooms: .thread)
            let sandbox = rig.sandbox
            let store = rig.baton.services.store
            let index = try #require(rig.indexChannel)
            /// A visitor hands over and writes once in the chat; returns the conversation and its thread.
            func chat(_ name: String) async throws -> (ConversationID, String) {
                let found = Collected<String>()
                try await WidgetClient.connect(rig.baton.socketURL) { client in
                    let conversation = try await talkUntilHandover(client, name: name, email: "\(name.lowercased())@example.com")
                    found.append(conversation)
                    _ = try await client.say("from \(name)", clientID: "after")
                }
                let conversation = try #require(found.all.first)
                return (ConversationID(conversation), try await rig.waitForThread(conversation).id)
            }
            let (grace, first) = try await chat("Grace")
            let (henry, second) = try await chat("Henry")
            #expect(first != second)
            try await eventually("each visitor's message in their thread") {
                rig.replies(to: first).contains { $0.contains("from Grace") } && rig.replies(to: second).contains { $0.contains("from Henry") }
            }
            #expect(!rig.replies(to: first).contains { $0.contains("from Henry") })
            #expect(!rig.replies(to: second).contains { $0.contains("from Grace") })
            // Alice answers both: each visitor is told she joined, and gets only their answer.
            try sandbox.post(as: "alice", in: index.id, "For Grace", rootID: first)
            try sandbox.post(as: "alice", in: index.id, "For Henry", rootID: second)
            @Sendable func texts(_ conversation: ConversationID) async throws -> [String] {
                try await store.messages(in: conversation, after: 0, limit: 200).filter { $0.role != .visitor && $0.role != .bot }.map(\.text)
            }
            try await eventually("both answers stored") {
                let (toGrace, toHenry) = (try await texts(grace), try await texts(henry))
                return toGrace.contains("For Grace") && toHenry.contains("For Henry")
            }
            let (toGrace, toHenry) = (try await texts(grace), try await texts(henry))
            #expect(toGrace.contains("Alice Archer joined the chat.") && !toGrace.contains("For Henry"))
            #expect(toHenry.contains("Alice Archer joined the chat.") && !toHenry.contains("For Grace"))
            // Deleting a thread's first post closes its chat only.
            try sandbox.deletePost(second, by: "erin")
            try await eventually("Henry's chat closed") { try await store.conversation(id: henry)?.state == .closed }
            #expect(try await store.conversation(id: grace)?.state == .withAgent)
            #expect(try await texts(henry).last == "The chat was closed.")
        }
    }

    /// Agents answer while Baton's event stream is down, and faster than it handles them.
    @Test func threadsCatchUpAfterADropAndAnOverflow() async throws {
        try await HandoverRig.run(baton: { $0.mattermostLimits.roomEventLimit = 3 }) { rig in
            try await rig.connect(rooms: .thread)
            let sandbox = rig.sandbox
            let index = try #require(rig.indexChannel)
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let root = try await rig.waitForThread(try await talkUntilHandover(client)).id
                try sandbox.post(as: "alice", in: index.id, "one", rootID: root)
                var frames = try await client.until("one") { $0.messageText == "one" }
                sandbox.dropWebSockets()
                for text in ["two", "three"] { try sandbox.post(as: "alice", in: index.id, text, rootID: root) }
                frames += try await client.until("three") { $0.messageText == "three" }
                let texts = (1...30).map { "burst \($0)" }
                for text in texts { try sandbox.post(as: "alice", in: index.id, text, rootID: root) }
                frames += try await client.until("burst 30") { $0.messageText == "burst 30" }
                let agent = frames.filter { $0.type == "message" && $0.message["role"] as? String == "agent" }.compactMap(\.messageText)
                #expect(agent == ["one", "two", "three"] + texts)
            }
        }
    }

    /// Re-linking the integration (here: switching new chats to channels) leaves the open
    /// threads working: no broken threads.
    @Test func openThreadsKeepWorkingAfterTheConnectionChanges() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect(rooms: .thread)
            let sandbox = rig.sandbox
            let index = try #require(rig.indexChannel)
            try await WidgetClient.connect(rig.baton.socketURL) { grace in
                let root = try await rig.waitForThread(try await talkUntilHandover(grace)).id
                try await rig.connect(rooms: .channel)
                try sandbox.post(as: "alice", in: index.id, "Still here, Grace", rootID: root)
                _ = try await grace.message(containing: "Still here")
                _ = try await grace.say("great", clientID: "after")
                try await eventually("the reply in the old thread") { rig.replies(to: root).contains { $0.contains("great") } }
                // A new chat gets a channel.
                try await WidgetClient.connect(rig.baton.socketURL) { henry in
                    let conversation = try await talkUntilHandover(henry, name: "Henry", email: "henry@example.com")
                    _ = try await rig.waitForRoom(conversation)
                }
            }
        }
    }
}
