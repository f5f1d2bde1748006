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

    /// A visitor who came back is in a new chat: an agent writing in the old one is pointed
    /// to it.
    @Test func anAgentInAClosedChatIsPointedToTheVisitorsNewOne() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            let token = Collected<String>()
            let first = Collected<String>()
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                first.append(try await rig.waitForRoom(try await talkUntilHandover(client) { token.append($0.string("token") ?? "") }).id)
                try await client.send(["type": "end"])
                try await client.message(containing: "Grace ended the chat.")
            }
            // Back later, in a new chat.
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                _ = try await client.hello(token: token.last)
                // Asks for a person, which starts a new chat; the bot asks only what it does
                // not know yet.
                try await client.send(["type": "message", "clientId": "back-1", "text": "talk to a person"])
                let started = try await client.expect("conversation")
                let second = try #require((started["conversation"] as? [String: Any])?["id"] as? String)
                var said = 1
                while true {
                    let text = try await client.until("the bot's next words") { $0.type == "message" && $0.message["role"] as? String == "bot" }
                        .last?.messageText ?? ""
                    if text.contains("handing you over") { break }
                    let answer = text.contains("name?") ? "Grace" : text.contains("email") ? "grace@example.com" : text.contains("about?") ? "Sales" : nil
                    if let answer {
                        said += 1
                        _ = try await client.say(answer, clientID: "back-\(said)")
                    }
                }
                _ = try await rig.waitForRoom(second)
                let link = try #require(try await rig.baton.services.store.room(for: ConversationID(second))).link
                try rig.sandbox.post(as: "alice", in: try #require(first.last), "Are you still there?")
                try await eventually("Alice told") { rig.sandbox.ephemeralPosts(for: "alice").count == 1 }
                #expect(rig.sandbox.ephemeralPosts(for: "alice").first?.message == Self.note + " They are in a new chat now: [open it](\(link))")
            }
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
