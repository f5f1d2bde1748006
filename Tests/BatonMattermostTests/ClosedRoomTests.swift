import BatonCore
import BatonMattermost
import BatonTestSupport
import MattermostSandbox
import Testing

/// What reaches a closed chat's room: an agent who writes there is told, in a note only
/// they see, that the visitor no longer reads it (once per room and agent); the visitor's
/// rating of the chat is posted there.
@Suite struct ClosedRoomTests {
    static let note = ":lock: This chat is closed: **Grace** does not see what is written here any more. If they write again, a new chat starts."

    @Test(arguments: [MattermostSettings.RoomKind.channel, .thread])
    func anAgentWritingInAClosedChatIsToldOnce(_ rooms: MattermostSettings.RoomKind) async throws {
        try await HandoverRig.run { rig in
            try await rig.connect(rooms: rooms)
            let sandbox = rig.sandbox
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let conversation = try await talkUntilHandover(client)
                let (channel, root): (String, String?)
                if rooms == .thread {
                    let thread = try await rig.waitForThread(conversation)
                    (channel, root) = (thread.channelID, thread.id)
                } else {
                    (channel, root) = (try await rig.waitForRoom(conversation).id, nil)
                }
                let hello = try sandbox.post(as: "alice", in: channel, "Hello Grace", rootID: root)
                let helloID = try #require(try await client.message(containing: "Hello Grace").messageID)
                // While the chat is open, nobody gets a note.
                #expect(sandbox.ephemeralPosts(for: "alice").isEmpty)
                try await client.send(["type": "end"])
                try await client.message(containing: "Grace ended the chat.")
                try await eventually("the room closed") {
                    try await rig.baton.services.store.room(for: ConversationID(conversation))?.closedAt != nil
                }
                // An internal note is meant for the agents: no note.
                try sandbox.post(as: "alice", in: channel, "// she left", rootID: root)
                try sandbox.post(as: "alice", in: channel, "Are you still there?", rootID: root)
                try await eventually("Alice told") { sandbox.ephemeralPosts(for: "alice").count == 1 }
                let told = try #require(sandbox.ephemeralPosts(for: "alice").first)
                #expect(told.message == Self.note)
                #expect(told.channelID == channel && told.rootID == (root ?? ""))
                #expect(told.userID == sandbox.user(named: "relay")?.id)
                // Once per agent: Alice again gets nothing more, Bob gets his own.
                try sandbox.post(as: "alice", in: channel, "Hello?", rootID: root)
                try sandbox.post(as: "bob", in: channel, "I'll call her", rootID: root)
                try await eventually("Bob told") { sandbox.ephemeralPosts(for: "bob").count == 1 }
                #expect(sandbox.ephemeralPosts(for: "alice").count == 1)
                // None of it reached the visitor.
                try await Task.sleep(for: .milliseconds(300))
                let messages = try await rig.baton.services.store.messages(in: ConversationID(conversation), after: 0, limit: 1000)
                #expect(!messages.contains { ["Are you still there?", "Hello?", "I'll call her"].contains($0.text) })
                // A correction of what the visitor has still reaches them, without a note.
                try sandbox.editPost(hello.id, message: "Hello Grace, see you soon", by: "alice")
                let fix = try await client.message(containing: "see you soon")
                #expect(fix.message["replaces"] as? Int == Int(helloID))
                #expect(sandbox.ephemeralPosts(for: "alice").count == 1)
                let stored = try #require(try await rig.baton.services.store.conversation(id: ConversationID(conversation)))
                #expect(stored.state == .closed)
            }
            #expect(try rig.contractViolations() == [])
        }
    }

    /// The rating goes to the room, or, when the room's channel was archived at the close,
    /// to the announcement's thread in the index channel.
    @Test(arguments: [false, true])
    func theVisitorsRatingReachesTheAgents(archiveOnClose: Bool) async throws {
        try await HandoverRig.run { rig in
            try await rig.connect(archiveOnClose: archiveOnClose)
            let sandbox = rig.sandbox
            let index = try #require(rig.indexChannel)
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let conversation = try await talkUntilHandover(client)
                let room = try await rig.waitForRoom(conversation)
                // Not while it is open.
                try await client.send(["type": "rate", "conversation": conversation, "rating": "good"])
                #expect(try await client.expect("error").string("code") == "cannot_rate")
                try sandbox.post(as: "alice", in: room.id, "!close")
                try await client.message(containing: "closed the chat")
                try await client.send(["type": "rate", "conversation": conversation, "rating": "good"])
                #expect(try await client.message(containing: "rated the chat").messageText == "Grace rated the chat: good.")
                let note = ":+1: **Grace** rated the chat: **good**."
                if archiveOnClose {
                    let announcement = try #require(try await rig.baton.services.store.room(for: ConversationID(conversation))?.announcementID)
                    try await eventually("the rating under the announcement") {
                        sandbox.posts(in: index.id).contains { $0.message == note && $0.rootID == announcement }
                    }
                } else {
                    try await eventually("the rating in the room") { rig.messages(in: room.id, by: "relay").last == note }
                }
                // Once only.
                try await client.send(["type": "rate", "conversation": conversation, "rating": "bad"])
                #expect(try await client.expect("error").string("code") == "cannot_rate")
                // The dashboard lists it among the chats rated good.
                let good = try await rig.baton.services.store.conversations(ConversationFilter(rating: .good))
                #expect(good.map(\.conversation.id.rawValue) == [conversation])
                #expect(try await rig.baton.services.store.conversations(ConversationFilter(rating: .bad)).isEmpty)
                try await eventually("the outbox to empty") { try await rig.baton.services.store.taskCount(widgetKey: "demo") == 0 }
            }
            #expect(try rig.contractViolations() == [])
        }
    }
}
