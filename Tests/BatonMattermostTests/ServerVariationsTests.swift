import BatonCore
import BatonMattermost
import BatonTestSupport
import MattermostSandbox
import Synchronization
import Testing

/// Ways a real Mattermost differs from the stand-in's defaults: limits an admin sets that
/// Baton cannot lift (a team full of channels, `MaxChannelsPerTeam`, 2,000 by default,
/// archived channels counted; posts that may be edited for a while only,
/// `PostEditTimeLimit`), and the order of the event stream's first frames. Chats go on
/// regardless.
@Suite struct ServerVariationsTests {
    @Test func aChatInAFullTeamGoesToAThreadInTheIndexChannel() async throws {
        var configuration = MattermostSandbox.Configuration()
        configuration.maxChannelsPerTeam = 4
        try await HandoverRig.run(configuration: configuration) { rig in
            let sandbox = rig.sandbox
            try await rig.connect(archiveOnClose: true)
            // The team holds town-square, off-topic and the index channel: one room's room left.
            #expect(sandbox.channels(team: "support").count == 3)
            let firstRoom = Mutex("")
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let first = try await talkUntilHandover(client)
                let room = try await rig.waitForRoom(first)
                firstRoom.withLock { $0 = room.id }
                try await rig.baton.services.chat.closeConversation(ConversationID(first), closedBy: nil)
                try await eventually("the first room archived") { sandbox.channel(id: room.id)?.deleteAt != 0 }
            }
            // Full, the archived room counted: the next chat is a thread in the index
            // channel, and works as one.
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let second = try await talkUntilHandover(client, name: "Ada", email: "ada@example.com")
                let root = try await rig.waitForThread(second)
                #expect(rig.room(for: second) == nil)
                #expect(root.message.contains("Ada"))
                _ = try await client.say("Is anyone there?", clientID: "t1")
                try await eventually("the message in the thread") { rig.replies(to: root.id, by: "relay").contains { $0.contains("Is anyone there?") } }
                try sandbox.post(as: "alice", in: root.channelID, "Yes, Alice here", rootID: root.id)
                try await client.message(containing: "Yes, Alice here")
                // The status says why, and what to do.
                let status = try #require(rig.baton.services.mattermost.status(widgetKey: "demo"))
                #expect(status.lastError?.hasPrefix("The team support holds as many channels as Mattermost allows") == true, "\(status)")
                #expect(status.lastError?.contains("~live-chats") == true)
                // Closed, it is closed as a thread: told in the thread, the index channel left
                // open (archiving is for a chat's own channel).
                try await rig.baton.services.chat.closeConversation(ConversationID(second), closedBy: nil)
                try await eventually("the thread closed") {
                    try await rig.baton.services.store.room(for: ConversationID(second))?.closedAt != nil
                }
                #expect(rig.replies(to: root.id, by: "relay").last?.contains("The chat was closed") == true)
                #expect(rig.indexChannel?.deleteAt == 0)
            }
            // A place in the team again (a room deleted for good): the next chat has a channel
            // of its own, and the status no longer speaks of the limit.
            try sandbox.deletePermanently(firstRoom.withLock { $0 })
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let third = try await talkUntilHandover(client, name: "Lin", email: "lin@example.com")
                _ = try await rig.waitForRoom(third)
                try await eventually("the status clear of the limit") {
                    rig.baton.services.mattermost.status(widgetKey: "demo")?.lastError?.contains("as many channels") != true
                }
            }
        }
    }

    @Test func aChatClosesWhereItsAnnouncementCanNoLongerBeEdited() async throws {
        var configuration = MattermostSandbox.Configuration()
        configuration.postEditTimeLimit = 0
        try await HandoverRig.run(configuration: configuration) { rig in
            try await rig.connect()
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let conversation = try await talkUntilHandover(client)
                let room = try await rig.waitForRoom(conversation)
                try rig.sandbox.post(as: "alice", in: room.id, "Hello Grace")
                try await client.message(containing: "Hello Grace")
                try await rig.baton.services.chat.closeConversation(ConversationID(conversation), closedBy: nil)
                // The room is told and closed, although its announcement stays as it was.
                try await eventually("the room closed") {
                    try await rig.baton.services.store.room(for: ConversationID(conversation))?.closedAt != nil
                }
                #expect(rig.messages(in: room.id).last?.contains("closed") == true, "\(rig.messages(in: room.id))")
                let index = try #require(rig.indexChannel)
                let announcement = try #require(rig.sandbox.posts(in: index.id).first { $0.message.contains("chat-\(conversation)") })
                #expect(announcement.editAt == 0)
                // Nothing is left to try again (the close's own task ends just after the room's record).
                try await eventually("the outbox empty") { try await rig.baton.services.store.taskCount(widgetKey: "demo") == 0 }
            }
        }
    }

    /// The event stream's `hello` may come before the reply to the authentication (as the
    /// stand-in sends them by default, as a current server's hub usually does) or after it
    /// (as the API notes describe): either way, agents' replies reach the visitor.
    @Test func theEventStreamWorksWithTheAuthenticationReplyFirst() async throws {
        var configuration = MattermostSandbox.Configuration()
        configuration.helloBeforeAuthenticationReply = false
        try await HandoverRig.run(configuration: configuration) { rig in
            try await rig.connect()
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let conversation = try await talkUntilHandover(client)
                let room = try await rig.waitForRoom(conversation)
                try rig.sandbox.post(as: "alice", in: room.id, "Hello Grace, Alice here")
                try await client.message(containing: "Alice here")
            }
        }
    }
}
