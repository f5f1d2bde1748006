import BatonCore
import BatonMattermost
import BatonTestSupport
import MattermostSandbox
import Testing

/// An agent who writes in a closed chat's room is told, in a note only they see, that the
/// visitor no longer reads it: once per room and agent.
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
                try sandbox.post(as: "alice", in: channel, "Hello Grace", rootID: root)
                try await client.message(containing: "Hello Grace")
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
            }
            #expect(try rig.contractViolations() == [])
        }
    }
}
