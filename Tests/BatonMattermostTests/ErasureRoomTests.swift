import BatonCore
import BatonTestSupport
import Foundation
import MattermostSandbox
import Testing

/// Deleting a chat that went to Mattermost: only once it is closed and its room's closing
/// is done; the room stays in Mattermost (what agents write there later brings nothing
/// back), unless the erasure asks for it to go too.
@Suite struct ErasureRoomTests {
    @Test func aClosedChatGoesFromBatonAndItsRoomStaysInMattermost() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            let chat = rig.baton.services.chat, store = rig.baton.services.store
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let first = try await talkUntilHandover(client)
                let id = ConversationID(first)
                let room = try await rig.waitForRoom(first)
                _ = try await client.say("I need help with my invoice", clientID: "u6")
                try await eventually("the message relayed") { rig.relayed(in: room.id).contains("I need help with my invoice") }
                #expect(try await chat.erase(conversation: id) == .open(id))

                try rig.sandbox.post(as: "bob", in: room.id, "!CLOSE")
                try await client.message(containing: "Bobby closed the chat.")
                // The announcement is updated first (queued work), then the chat may go.
                try await eventually("the chat deleted") { try await chat.erase(conversation: id) == .erased([id]) }
                #expect(try await client.until("error").last?.string("code") == "conversation_deleted")
                #expect(try await store.room(for: id) == nil)
                #expect(try await store.messages(in: id, after: 0, limit: 10).isEmpty)
                #expect(rig.sandbox.channel(id: room.id) != nil)
                #expect(rig.relayed(in: room.id) == ["I need help with my invoice"])

                // An agent writing in the old room later: nothing comes back to Baton.
                let late = try rig.sandbox.post(as: "alice", in: room.id, "Are you still there?")
                try await Task.sleep(for: .milliseconds(500))
                #expect(try await store.message(externalID: late.id) == nil)
                #expect(try await store.conversation(id: id) == nil)
            }
            #expect(try rig.contractViolations() == [])
        }
    }

    /// Whether a post not deleted in the channel names the visitor.
    private static func mentions(_ rig: HandoverRig, _ name: String, in channelID: String) -> Bool {
        rig.sandbox.posts(in: channelID).contains { $0.deleteAt == 0 && $0.message.contains(name) }
    }

    /// A chat handed over, reminded of, answered and closed (the room archived on close):
    /// returns its conversation and room.
    /// `again`: the visitor's second chat on the same widget (the bot knows their name and email).
    private static func closedChat(_ rig: HandoverRig, _ client: WidgetClient, name: String = "Grace", again: Bool = false) async throws
        -> (ConversationID, MattermostSandbox.Channel) {
        let conversation: String
        if again {
            // A new conversation: its frame, its greeting, then the ack.
            try await client.send(["type": "message", "clientId": "again-1", "text": "talk to a person"])
            let frames = try await client.until("ack")
            let started = try #require(frames.first { $0.type == "conversation" }?["conversation"] as? [String: Any])
            _ = try await client.message(containing: "What is it about?")
            _ = try await client.say("Support", clientID: "again-2")
            _ = try await client.message(containing: "handing you over")
            conversation = try #require(started["id"] as? String)
        } else {
            conversation = try await talkUntilHandover(client, name: name)
        }
        let room = try await rig.waitForRoom(conversation)
        try await eventually("the reminder") { ReminderTests.reminders(rig).contains { $0.contains("**\(name)**") } }
        try rig.sandbox.post(as: "alice", in: room.id, "Hello \(name), how can I help?")
        _ = try await client.message(containing: "how can I help?")
        try rig.sandbox.post(as: "alice", in: room.id, "!close")
        _ = try await client.message(containing: "closed the chat")
        let store = rig.baton.services.store
        try await eventually("the closing done") { try await store.taskCount(widgetKey: "demo") == 0 }
        return (ConversationID(conversation), room)
    }

    /// Where the server allows it, the room is deleted for good; the announcement and the
    /// reminder go from the index channel.
    @Test func erasedInMattermostTooAChannelRoomGoesForGood() async throws {
        var configuration = MattermostSandbox.Configuration()
        configuration.enableAPIChannelDeletion = true
        try await HandoverRig.run(configuration: configuration, baton: { $0.mattermostLimits.remindAgentsAfter = .milliseconds(200) }) { rig in
            try await rig.connect(archiveOnClose: true)
            let index = try #require(rig.indexChannel)
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let (id, room) = try await Self.closedChat(rig, client)
                #expect(Self.mentions(rig, "Grace", in: index.id))
                #expect(try await rig.baton.services.chat.erase(conversation: id, eraseRooms: true) == .erased([id]))
                try await eventually("the room deleted for good") { rig.sandbox.channel(id: room.id) == nil }
                try await eventually("the announcement and the reminder gone") { !Self.mentions(rig, "Grace", in: index.id) }
                try await eventually("the outbox empty") { try await rig.baton.services.store.taskCount(widgetKey: "demo") == 0 }
            }
            #expect(try rig.contractViolations() == [])
        }
    }

    /// Where permanent deletion is off (the default), the archived room is unarchived,
    /// renamed, emptied of its posts and archived again; a visitor erased with two chats
    /// has both rooms erased, and a chat erased without asking keeps its room.
    @Test func erasedInMattermostTooWherePermanentDeletionIsOff() async throws {
        try await HandoverRig.run(baton: { $0.mattermostLimits.remindAgentsAfter = .milliseconds(200) }) { rig in
            try await rig.connect(archiveOnClose: true)
            let index = try #require(rig.indexChannel)
            let chat = rig.baton.services.chat, store = rig.baton.services.store
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let (first, firstRoom) = try await Self.closedChat(rig, client)
                // Writing again starts a second chat, with a room of its own.
                let (second, secondRoom) = try await Self.closedChat(rig, client, again: true)
                #expect(first != second && firstRoom.id != secondRoom.id)
                let visitor = try #require(try await store.conversation(id: first)).visitorID
                #expect(try await chat.erase(visitor: visitor, eraseRooms: true) == .erased([first, second]))
                for room in [firstRoom, secondRoom] {
                    try await eventually("the room emptied and archived") {
                        guard let channel = rig.sandbox.channel(id: room.id), channel.deleteAt != 0 else { return false }
                        return channel.displayName == "Erased chat"
                            && rig.sandbox.posts(in: room.id).filter { $0.deleteAt == 0 }.allSatisfy { $0.type == "system_channel_deleted" }
                    }
                }
                try await eventually("the announcements and reminders gone") { !Self.mentions(rig, "Grace", in: index.id) }
                try await eventually("the outbox empty") { try await store.taskCount(widgetKey: "demo") == 0 }
                #expect(!rig.sandbox.posts(in: firstRoom.id).contains { $0.deleteAt == 0 && $0.message.contains("Grace") })
            }
            // Kept: a third visitor's chat erased in Baton only.
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let (id, room) = try await Self.closedChat(rig, client, name: "Henry")
                #expect(try await chat.erase(conversation: id) == .erased([id]))
                try await Task.sleep(for: .milliseconds(500))
                #expect(rig.sandbox.channel(id: room.id)?.displayName != "Erased chat")
                #expect(Self.mentions(rig, "Henry", in: index.id))
            }
            #expect(try rig.contractViolations() == [])
        }
    }

    /// The retention period erases rooms too when configured to (`--retention-mattermost erase`).
    @Test func theRetentionSweepMayEraseRoomsToo() async throws {
        var configuration = MattermostSandbox.Configuration()
        configuration.enableAPIChannelDeletion = true
        try await HandoverRig.run(configuration: configuration, baton: { $0.mattermostLimits.remindAgentsAfter = .milliseconds(200) }) { rig in
            try await rig.connect()
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let (id, room) = try await Self.closedChat(rig, client)
                let result = try await rig.baton.services.chat.sweep(before: .now() + 1000, eraseRooms: true)
                #expect(result.conversations == 1)
                #expect(try await rig.baton.services.store.conversation(id: id) == nil)
                try await eventually("the room deleted for good") { rig.sandbox.channel(id: room.id) == nil }
            }
        }
    }

    /// Thread rooms: the thread goes with its first post (the announcement).
    @Test func erasedInMattermostTooAThreadRoomGoesWithItsFirstPost() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect(rooms: .thread)
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let conversation = try await talkUntilHandover(client)
                let root = try await rig.waitForThread(conversation)
                try rig.sandbox.post(as: "alice", in: root.channelID, "Hello Grace", rootID: root.id)
                _ = try await client.message(containing: "Hello Grace")
                try rig.sandbox.post(as: "alice", in: root.channelID, "!close", rootID: root.id)
                _ = try await client.message(containing: "closed the chat")
                let store = rig.baton.services.store
                try await eventually("the closing done") { try await store.taskCount(widgetKey: "demo") == 0 }
                let id = ConversationID(conversation)
                #expect(try await rig.baton.services.chat.erase(conversation: id, eraseRooms: true) == .erased([id]))
                try await eventually("the thread deleted") {
                    rig.sandbox.posts(in: root.channelID).filter { $0.id == root.id || $0.rootID == root.id }.allSatisfy { $0.deleteAt != 0 }
                }
                try await eventually("the outbox empty") { try await store.taskCount(widgetKey: "demo") == 0 }
            }
            #expect(try rig.contractViolations() == [])
        }
    }

    /// A thread in an index channel an admin archived (which closed its chat): Mattermost
    /// deletes no post there, so the channel is unarchived for the erasure and archived
    /// again (the task failed for ever, and the visitor's name stayed).
    @Test func aThreadInAnArchivedIndexChannelIsErasedToo() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect(rooms: .thread)
            let chat = Collected<String>()
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let conversation = try await talkUntilHandover(client)
                let root = try await rig.waitForThread(conversation)
                try rig.sandbox.post(as: "alice", in: root.channelID, "Hello Grace", rootID: root.id)
                _ = try await client.message(containing: "Hello Grace")
                chat.append(conversation)
            }
            // (The visitor's widget gone first: the erasure ends its socket.)
            let root = try await rig.waitForThread(try #require(chat.last))
            try rig.sandbox.archive(root.channelID, by: "relay")
            let store = rig.baton.services.store
            let id = ConversationID(chat.last!)
            try await eventually("the chat closed", seconds: 30) { try await store.conversation(id: id)?.state == .closed }
            try await eventually("the closing done", seconds: 30) { try await store.taskCount(widgetKey: "demo") == 0 }
            #expect(try await rig.baton.services.chat.erase(conversation: id, eraseRooms: true) == .erased([id]))
            try await eventually("the thread deleted", seconds: 30) {
                rig.sandbox.posts(in: root.channelID).filter { $0.id == root.id || $0.rootID == root.id }.allSatisfy { $0.deleteAt != 0 }
            }
            try await eventually("the outbox empty", seconds: 30) { try await store.taskCount(widgetKey: "demo") == 0 }
            #expect(rig.sandbox.channel(id: root.channelID)?.deleteAt != 0, "archived again")
            #expect(try rig.contractViolations() == [])
        }
    }
}
