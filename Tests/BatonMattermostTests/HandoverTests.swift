import BatonCore
import BatonMattermost
import BatonStore
import BatonTestSupport
import Crypto
import Foundation
import HummingbirdWSClient
import Logging
import MattermostSandbox
import Testing

/// The product page, end to end: a visitor in the widget, agents in Mattermost.
@Suite(.serialized) struct HandoverTests {
    @Test(arguments: TestDatabase.available) func theWholeHandoverAsTheProductPageDescribesIt(_ database: TestDatabase) async throws {
        try await database.withLocation { location in try await HandoverRig.run(database: location) { rig in
            try await rig.connect()
            let sandbox = rig.sandbox
            // Carol was not on the team: connecting added her.
            #expect(sandbox.isMember("carol", ofTeam: "support"))
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let conversation = try await talkUntilHandover(client)
                let room = try await rig.waitForRoom(conversation)

                // The room: public, named for the conversation, with the agents and the relay user.
                #expect(room.type == "O")
                #expect(room.displayName == "Grace · Sales")
                let members = Set(sandbox.members(of: room.id).compactMap { sandbox.user(id: $0)?.username })
                #expect(members == ["relay", "alice", "bob", "carol"])
                // The transcript, with the collected answers, by the relay user.
                let transcript = rig.messages(in: room.id, by: "relay").joined(separator: "\n")
                #expect(transcript.contains("Grace"))
                #expect(transcript.contains("grace@example.com"))
                #expect(transcript.contains("qwerty uiop"))
                #expect(transcript.contains("the bot did not understand the visitor 2 times in a row"))
                // The announcement links to the room.
                let index = try #require(rig.indexChannel)
                let announcement = try #require(rig.messages(in: index.id).last)
                #expect(announcement.contains("[Join the conversation](\(sandbox.url)/support/channels/chat-\(conversation))"))
                #expect(announcement.contains("Grace"))

                // An agent replies: the visitor is told she joined, then reads her reply.
                try sandbox.post(as: "alice", in: room.id, "Hi Grace, Alice here. How can I help?")
                let joined = try await client.message(containing: "joined the chat")
                #expect(joined.messageText == "Alice Archer joined the chat.")
                #expect(joined.message["role"] as? String == "system")
                let reply = try await client.message(containing: "Alice here")
                #expect(reply.message["role"] as? String == "agent")
                #expect(reply.message["name"] as? String == "Alice Archer")

                // The visitor's @all reaches the room, but mentions nobody.
                _ = try await client.say("@all @channel @here @bob can anyone help?", clientID: "v1")
                try await eventually("the visitor's message in the room") {
                    rig.messages(in: room.id, by: "relay").contains { $0.contains("can anyone help?") }
                }
                let relayed = try #require(rig.messages(in: room.id, by: "relay").last)
                for mention in ["@all", "@channel", "@here", "@bob"] { #expect(!relayed.contains(mention)) }
                #expect(relayed.hasPrefix("**Grace:** "))

                // An internal note stays in Mattermost; a typing agent shows in the widget.
                try sandbox.post(as: "bob", in: room.id, "// I think she wants a discount")
                try sandbox.typing(as: "bob", in: room.id)
                // Every frame from the note on is kept, those before the typing frame too.
                let untilTyping = try await client.until("typing") { $0.type == "typing" }
                #expect(untilTyping.last?.string("name") == "Bobby")
                // A second agent speaks; the note before never reached the visitor, in any
                // frame, nor the conversation's stored messages.
                try sandbox.post(as: "bob", in: room.id, "Bob here too.")
                let frames = untilTyping + (try await client.until("Bob's message") { $0.type == "message" && $0.messageText == "Bob here too." })
                #expect(!frames.contains { $0.raw.contains("wants a discount") }, "\(frames)")
                #expect(frames.contains { $0.messageText == "Bobby joined the chat." })
                let storedTexts = try await rig.baton.services.store.messages(in: ConversationID(conversation), after: 0, limit: 1000).map(\.text)
                #expect(storedTexts.contains("Bob here too."))
                #expect(!storedTexts.contains { $0.contains("wants a discount") }, "\(storedTexts)")
                // Emoji from Mattermost's picker reach the visitor as emoji (a team's own, and
                // code, as written); the Markdown is the widget's to show.
                try sandbox.post(as: "alice", in: room.id, ":wave: See **you** soon :+1: :custom_logo: `:x:`")
                let emoji = try await client.message(containing: "See **you** soon")
                #expect(emoji.messageText == "👋 See **you** soon 👍 :custom_logo: `:x:`")

                // !close closes: the visitor is told, the announcement says who closed it.
                try sandbox.post(as: "alice", in: room.id, "!close")
                let closed = try await client.message(containing: "closed the chat")
                #expect(closed.messageText == "Alice Archer closed the chat.")
                try await eventually("the announcement edited") {
                    rig.messages(in: index.id).last?.contains("Closed by Alice Archer") == true
                }
                // The address stays beside the name.
                #expect(rig.messages(in: index.id).last?.contains("**Closed by Alice Archer** — Grace (grace@example.com)") == true)
                let stored = try await rig.baton.services.store.conversation(id: ConversationID(conversation))
                #expect(stored?.state == .closed)
                // The room stays (archiving is off by default), with a closing note.
                #expect(sandbox.channel(id: room.id)?.deleteAt == 0)
                try await eventually("the closing note") { rig.messages(in: room.id, by: "relay").last?.contains("closed by Alice Archer") == true }
                try await eventually("the outbox to empty") { try await rig.baton.services.store.taskCount(widgetKey: "demo") == 0 }
                // The insights count it: handed over, then answered by Alice within the test's time.
                let everything = InsightsFilter(start: 0, end: .now() + 1)
                let buckets = try await rig.baton.services.store.insightBuckets(everything)
                #expect(buckets.map(\.started).reduce(0, +) == 1 && buckets.map(\.handedOver).reduce(0, +) == 1)
                #expect(buckets.map(\.unanswered).reduce(0, +) == 0)
                let replies = try await rig.baton.services.store.firstReplies(everything)
                #expect(replies.count == 1 && (0..<60_000).contains(replies.first?.wait ?? -1), "\(replies)")
                let alice = rig.sandbox.user(named: "alice")?.id, bob = rig.sandbox.user(named: "bob")?.id
                #expect(replies.first?.agent == "Alice Archer" && replies.first?.agentID == alice)
                // Agents by who they are in Mattermost, named as they last showed.
                #expect(Set(try await rig.baton.services.store.agentActivity(everything))
                    == [AgentActivity(agent: "Alice Archer", agentID: alice, chats: 1, messages: 2),
                        AgentActivity(agent: "Bobby", agentID: bob, chats: 1, messages: 1)])
            }
            #expect(try rig.contractViolations() == [])
        } }
    }

    /// The visitor ends the chat from the widget: the room is told who ended it, the
    /// announcement says so, and the room is archived as when an agent closes it (here
    /// archiveOnClose is on).
    @Test func theVisitorEndsTheChatFromTheWidget() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect(archiveOnClose: true)
            let sandbox = rig.sandbox
            let index = try #require(rig.indexChannel)
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                // Nothing to end while the bot has the chat.
                _ = try await client.hello()
                try await client.send(["type": "end"])
                #expect(try await client.expect("error").string("code") == "nothing_to_end")
            }
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let conversation = try await talkUntilHandover(client)
                let room = try await rig.waitForRoom(conversation)
                try sandbox.post(as: "alice", in: room.id, "Hello Grace, how can I help?")
                try await client.message(containing: "how can I help?")
                // The other agents see the chat is in hand; the rest of the announcement stays.
                try await eventually("the announcement marked taken") {
                    let announcement = rig.messages(in: index.id).last ?? ""
                    return announcement.hasPrefix(":raising_hand: ~~New chat~~ **Taken by Alice Archer** — Grace (grace@example.com)")
                        && announcement.contains("[Join the conversation](")
                }
                // Bob helps: the announcement names him too (the chat handed on shows whose it is).
                try sandbox.post(as: "bob", in: room.id, "Bob here, I know about invoices")
                try await client.message(containing: "Bob here")
                try await eventually("the announcement naming both") {
                    rig.messages(in: index.id).last?.hasPrefix(":raising_hand: ~~New chat~~ **Taken by Alice Archer, Bobby** — Grace") == true
                }
                try await client.send(["type": "end"])
                #expect(try await client.message(containing: "ended the chat").messageText == "Grace ended the chat.")
                #expect(try await client.expect("state").string("state") == "closed")
                try await eventually("the room told") {
                    rig.messages(in: room.id, by: "relay").last
                        == ":wave: **Grace** ended the chat in the website's widget: replies here no longer reach them."
                }
                try await eventually("the announcement edited") {
                    rig.messages(in: index.id).last?.hasPrefix(":white_check_mark: ~~New chat~~ **Ended by the visitor** — Grace (grace@example.com)") == true
                }
                try await eventually("the room archived") { sandbox.channel(id: room.id)?.deleteAt != 0 }
                let stored = try await rig.baton.services.store.conversation(id: ConversationID(conversation))
                #expect(stored?.state == .closed)
                // Ending twice: nothing left to end.
                try await client.send(["type": "end"])
                #expect(try await client.expect("error").string("code") == "nothing_to_end")
                try await eventually("the outbox to empty") { try await rig.baton.services.store.taskCount(widgetKey: "demo") == 0 }
            }
            #expect(try rig.contractViolations() == [])
        }
    }

    /// An index channel an admin archived holds no chat up: a chat opened meanwhile goes
    /// on in its room unannounced (its messages both ways, its end), and one already open
    /// ends and is rated without its announcement marked.
    @Test func anArchivedIndexChannelHoldsNoChatUp() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            let index = try #require(rig.indexChannel)
            try await WidgetClient.connect(rig.baton.socketURL) { ann in
                let open = try await rig.waitForRoom(try await talkUntilHandover(ann, name: "Ann"))
                try rig.sandbox.archive(index.id, by: "relay")
                try await WidgetClient.connect(rig.baton.socketURL) { grace in
                    let conversation = try await talkUntilHandover(grace)
                    try await eventually("the room with its transcript") {
                        rig.room(for: conversation).map { !rig.messages(in: $0.id).isEmpty } ?? false
                    }
                    let room = try #require(rig.room(for: conversation))
                    // The status says so (the log too), and goes on saying it while chats work.
                    let problem = "The index channel ~\(index.name) is archived or deleted: new chats are not announced"
                    try await eventually("the status saying so") {
                        rig.baton.services.mattermost.status(widgetKey: "demo")?.lastError?.hasPrefix(problem) == true
                    }
                    _ = try await grace.say("are you there?", clientID: "g1")
                    try await eventually("the message in the room") { rig.relayed(in: room.id) == ["are you there?"] }
                    try rig.sandbox.post(as: "alice", in: room.id, "Yes, Grace.")
                    _ = try await grace.message(containing: "Yes, Grace.")
                    try await grace.send(["type": "end"])
                    try await eventually("the room told of the end") { rig.messages(in: room.id, by: "relay").last?.hasPrefix(":wave:") == true }
                }
                try rig.sandbox.post(as: "alice", in: open.id, "Hi Ann")
                _ = try await ann.message(containing: "Hi Ann")
                try await ann.send(["type": "end"])
                _ = try await ann.message(containing: "ended the chat")
                _ = try await ann.expect("state")
                let conversation = try #require(try await rig.baton.services.store.conversations(ConversationFilter(widgetKey: "demo"))
                    .first { rig.room(for: $0.conversation.id.rawValue)?.id == open.id }).conversation.id
                try await ann.send(["type": "rate", "conversation": conversation.rawValue, "rating": "good"])
                try await eventually("the rating in the room") { rig.messages(in: open.id, by: "relay").contains { $0.contains("rated the chat") } }
            }
            try await eventually("the outbox to empty") { try await rig.baton.services.store.taskCount(widgetKey: "demo") == 0 }
            #expect(rig.baton.services.mattermost.status(widgetKey: "demo")?.lastError?.contains("is archived or deleted") == true)
            // Restored: the next chat is announced, and the status says nothing more.
            try rig.sandbox.restore(index.id, by: "relay")
            try await WidgetClient.connect(rig.baton.socketURL) { henry in
                _ = try await rig.waitForRoom(try await talkUntilHandover(henry, name: "Henry", email: "henry@example.com"))
            }
            try await eventually("the status clear") { rig.baton.services.mattermost.status(widgetKey: "demo")?.lastError == nil }
            #expect(try rig.contractViolations() == [])
        }
    }

    /// The index channel deleted for good: the catch-up after a reconnect finds the relay
    /// user no longer in it, and says the channel is gone (it said "removed … add it there
    /// in Mattermost", advice nobody could follow).
    @Test func anIndexChannelDeletedForGoodIsSaidToBeGone() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            let index = try #require(rig.indexChannel)
            try rig.sandbox.deletePermanently(index.id)
            rig.sandbox.dropWebSockets()
            try await eventually("the status saying the index channel is gone") {
                rig.baton.services.mattermost.status(widgetKey: "demo")?.lastError?
                    .contains("The index channel ~\(index.name) is archived or deleted") == true
            }
        }
    }

    /// A Mattermost whose data is gone (restored from elsewhere, reinstalled at the same
    /// address): the connection's team is not there. The status says so and what to do (it
    /// said "Mattermost answered 400: Invalid team_id parameter."); a team of the same name
    /// made again is said to be another (it said the relay user was not in it, and it was).
    @Test(arguments: ["support", "elsewhere"]) func aTeamThatIsGoneIsSaid(_ name: String) async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            let connections = rig.baton.services.connections
            var (settings, credentials) = try #require(try await connections.load(widgetKey: "demo"))
            settings.team.id = "gonegonegonegonegonegonego"
            settings.team.name = name
            try await connections.save(settings, credentials: credentials, widgetKey: "demo")
            rig.baton.services.mattermost.reload()
            let words = name == "support"
                ? "The team support in Mattermost is not the one this bot was connected to (it was made again"
                : "The relay user relay is not in the team elsewhere any more, or the team is gone from Mattermost"
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                _ = try await talkUntilHandover(client)
                try await eventually("the status naming the team") {
                    rig.baton.services.mattermost.status(widgetKey: "demo")?.lastError?.hasPrefix(words) == true
                }
            }
        }
    }

    /// A returning visitor's new room, and its announcement, link the chat they had with
    /// the agents before; a first chat names none.
    @Test func aReturningVisitorsNewRoomLinksTheirEarlierChat() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            let index = try #require(rig.indexChannel)
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let first = try await talkUntilHandover(client)
                let firstRoom = try await rig.waitForRoom(first)
                let firstPost = try #require(rig.messages(in: firstRoom.id, by: "relay").first)
                #expect(firstPost.hasPrefix("#### Chat with Grace") && !firstPost.contains("Earlier chats"))
                #expect(rig.messages(in: index.id).last?.contains("Earlier chats") == false)
                try rig.sandbox.post(as: "alice", in: firstRoom.id, "!close")
                #expect(try await client.until("state").last?.string("state") == "closed")
                // Back again: the bot knows Grace and her email, and asks only the topic.
                try await client.send(["type": "message", "text": "qwerty uiop", "clientId": "v1"])
                let started = try await client.until("ack").first { $0.type == "conversation" }
                let secondID = try #require((started?.json["conversation"] as? [String: Any])?["id"] as? String)
                try await client.message(containing: "Sorry, I didn't get that")
                _ = try await client.say("zxcv bnm", clientID: "v2")
                try await client.message(containing: "What is it about?")
                _ = try await client.say("Support", clientID: "v3")
                try await client.message(containing: "handing you over to a person")
                let secondRoom = try await rig.waitForRoom(secondID)
                let link = "[just now](\(rig.sandbox.url)/support/channels/\(firstRoom.name))"
                let transcript = try #require(rig.messages(in: secondRoom.id, by: "relay").first)
                #expect(transcript.contains("\n**Earlier chats:** \(link)\n"))
                let announcement = try #require(rig.messages(in: index.id).last)
                #expect(announcement.contains("chat-\(secondID)") && announcement.contains("**Earlier chats:** \(link)\n"))
            }
            #expect(try rig.contractViolations() == [])
        }
    }

    @Test func archivingTheRoomClosesTheChatAndArchiveOnCloseArchivesIt() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect(archiveOnClose: true)
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let first = try await talkUntilHandover(client)
                let room = try await rig.waitForRoom(first)
                // The team lead archives the room in Mattermost.
                try rig.sandbox.archive(room.id, by: "erin")
                #expect(try await client.message(containing: "closed").messageText == "The chat was closed.")
                #expect(try await client.expect("state").string("state") == "closed")
                // Writing again starts a new conversation; a new handover, a new room. The
                // bot remembers the visitor's name and email: it only asks the topic.
                try await client.send(["type": "message", "clientId": "again-1", "text": "talk to a person"])
                let started = try await client.until("a new conversation") { $0.type == "conversation" }.last!
                let second = (started["conversation"] as? [String: Any])?["id"] as? String ?? ""
                #expect(second != first)
                try await client.message(containing: "What is it about?")
                _ = try await client.say("Support", clientID: "again-2")
                try await client.message(containing: "Thanks Grace! I'm handing you over")
                let newRoom = try await rig.waitForRoom(second)
                try rig.sandbox.post(as: "bob", in: newRoom.id, "!CLOSE")
                try await client.message(containing: "Bobby closed the chat.")
                try await eventually("the room archived") { rig.sandbox.channel(id: newRoom.id)?.deleteAt != 0 }
            }
            #expect(try rig.contractViolations() == [])
        }
    }

    @Test func longVisitorMessagesAreSplitAtAnOldServersLimit() async throws {
        var old = MattermostSandbox.Configuration()
        old.maxPostRunes = 4000
        old.supportsUserIDsOnAddMember = false
        try await HandoverRig.run(configuration: old) { rig in
            try await rig.connect()
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let conversation = try await talkUntilHandover(client)
                let room = try await rig.waitForRoom(conversation)
                // Agents were added one by one: this server does not take `user_ids`.
                #expect(rig.sandbox.members(of: room.id).count == 4)
                // 4,000 characters of `*` become 8,000 escaped: over this server's limit.
                _ = try await client.say(String(repeating: "*", count: 4000), clientID: "long")
                // "**Grace:** " and 4,000 escaped stars: 8,011 runes, three posts.
                let stars: @Sendable () -> [String] = { rig.messages(in: room.id, by: "relay").filter { $0.contains("\\*") } }
                try await eventually("the long message in the room") { stars().joined().filter { $0 == "*" }.count >= 4004 }
                #expect(stars().count == 3)
                #expect(stars().allSatisfy { $0.unicodeScalars.count <= 4000 })
                #expect(stars().joined().filter { $0 == "*" }.count == 4004)
            }
        }
    }
}

/// What agents see of the visitor, live.
@Suite struct AgentViewTests {
    @Test func theVisitorTypingShowsAsTheRelayUserTypingInTheRoom() async throws {
        // Alice's app below is WSClient, whose Origin lacks the port: as a Mattermost that
        // allows cross-origin requests.
        var allowingOrigins = MattermostSandbox.Configuration()
        allowingOrigins.allowCorsFrom = "*"
        try await HandoverRig.run(configuration: allowingOrigins) { rig in
            try await rig.connect()
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let room = try await rig.waitForRoom(try await talkUntilHandover(client)).id
                let relayID = rig.sandbox.user(named: "relay")!.id
                let token = rig.sandbox.sessionToken(for: "alice")
                let widget = client.outbound
                // Alice's Mattermost app: an event socket of her own.
                try await WebSocketClient.connect(url: rig.sandbox.webSocketURL, logger: Logger(label: "alice")) { inbound, outbound, _ in
                    try await outbound.write(.text(#"{"seq":1,"action":"authentication_challenge","data":{"token":"\#(token)"}}"#))
                    var typed = false
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message else { continue }
                        if text.contains("\"seq_reply\":1") {
                            try await widget.write(.text(#"{"type":"typing","active":true}"#))
                            continue
                        }
                        // Events are JSON in the server's own spacing: read them as JSON.
                        let event = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
                        let data = event["data"] as? [String: Any], broadcast = event["broadcast"] as? [String: Any]
                        if event["event"] as? String == "typing", data?["user_id"] as? String == relayID,
                           broadcast?["channel_id"] as? String == room {
                            typed = true
                            break
                        }
                    }
                    #expect(typed)
                }
            }
        }
    }

    @Test func batonsOwnPostsNeverComeBackToTheVisitor() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let room = try await rig.waitForRoom(try await talkUntilHandover(client)).id
                _ = try await client.say("a message for the room", clientID: "own-1")
                try await eventually("the relayed message") { rig.messages(in: room, by: "relay").count == 2 }
                try rig.sandbox.post(as: "alice", in: room, "marker")
                let frames = try await client.until("the marker") { $0.messageText == "marker" }
                // Between: only Alice's join notice, never the transcript or the relayed message.
                let texts = frames.filter { $0.type == "message" }.compactMap(\.messageText)
                #expect(texts == ["Alice Archer joined the chat.", "marker"])
            }
        }
    }

    @Test func aSignedInVisitorIsAskedOnlyWhatTheWebsiteDidNotSayAndShownAsVerified() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            let admin = AdminClient(base: rig.baton.http)
            _ = try await admin.send("POST", "/api/v1/setup", json: ["token": rig.baton.services.setupToken ?? "", "email": "a@example.com",
                                                                   "password": "correct horse battery"])
            let secret = try #require(try await admin.send("POST", "/api/v1/bots/demo/identity-secret").json["secret"] as? String)
            let hash = HMAC<SHA256>.authenticationCode(for: Data("cust-981".utf8), using: SymmetricKey(data: Data(secret.utf8)))
                .map { String(format: "%02x", $0) }.joined()
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                try await client.send(["type": "hello", "widget": "demo",
                                       "user": ["id": "cust-981", "hash": hash, "name": "Grace Hopper", "email": "grace@example.com"]])
                let welcome = try await client.expect("welcome")
                #expect(welcome["identified"] as? Bool == true)
                let conversation = (welcome["conversation"] as? [String: Any])?["id"] as? String ?? ""
                // The website gave the name and email: only the topic is asked.
                _ = try await client.say("Talk to a person", clientID: "s1", action: "handover")
                try await client.message(containing: "What is it about?")
                _ = try await client.say("Support", clientID: "s2")
                try await client.message(containing: "handing you over to a person")
                let room = try await rig.waitForRoom(conversation)
                #expect(room.displayName == "Grace Hopper · Support")
                let index = try #require(rig.indexChannel)
                let announcement = try #require(rig.messages(in: index.id).last)
                #expect(announcement.contains("**Signed in on the website as:** cust-981 (verified)"))
                // The room's transcript says so too.
                #expect(rig.messages(in: room.id, by: "relay").first?.contains("Signed in on the website as cust-981 (verified).") == true)
                #expect(announcement.contains("grace@"))
            }
        }
    }

    /// A note the visitor never had, edited: into the close command it closes nothing, as
    /// an edit of a reply does not (it closed the chat); into a reply it reaches the visitor
    /// once, and a catch-up reading that edit again sends no "correction" of it (it did,
    /// with the same text, marked "Edited").
    @Test func aNoteEditedIntoTheCloseCommandOrAReply() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            let sandbox = rig.sandbox
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let conversation = try await talkUntilHandover(client)
                let room = try await rig.waitForRoom(conversation).id
                let note = try sandbox.post(as: "alice", in: room, "// to become the command")
                try sandbox.editPost(note.id, message: "!close", by: "alice")
                let other = try sandbox.post(as: "alice", in: room, "// to become a reply")
                try sandbox.editPost(other.id, message: "Now for you to read", by: "alice")
                var frames = try await client.until("the reply") { $0.messageText == "Now for you to read" }
                // A catch-up reads the edit again.
                sandbox.dropWebSockets()
                try await eventually("the stream back") { rig.baton.services.mattermost.status(widgetKey: "demo")?.state == .connected }
                try sandbox.post(as: "alice", in: room, "after the catch-up")
                frames += try await client.until("the next reply") { $0.messageText == "after the catch-up" }
                #expect(!frames.contains { $0.string("state") == "closed" })
                #expect(frames.filter { $0.message["replaces"] != nil }.isEmpty, "\(frames)")
                #expect(frames.compactMap(\.messageText).filter { $0 == "Now for you to read" }.count == 1)
                let state = try await rig.baton.services.store.conversation(id: ConversationID(conversation))?.state
                #expect(state == .withAgent)
            }
        }
    }

    @Test func anAgentsEditsAndDeletionsReachTheVisitorAlsoAfterBeingAway() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            let sandbox = rig.sandbox
            let seen = Collected<String>()
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let conversation = try await talkUntilHandover(client) { seen.append($0.string("token") ?? "") }
                let room = try await rig.waitForRoom(conversation).id
                let typo = try sandbox.post(as: "alice", in: room, "We open at 9 on Mondy.")
                let original = try #require(try await client.message(containing: "Mondy").messageID)
                // Live: the correction replaces the text in place.
                try sandbox.editPost(typo.id, message: "We open at 9 on Monday.", by: "alice")
                let fix = try await client.message(containing: "on Monday.")
                #expect(fix.message["replaces"] as? Int == Int(original))
                #expect(fix.message["role"] as? String == "agent" && fix.message["name"] as? String == "Alice Archer")
                // Edited into an internal note: gone for the visitor.
                let second = try sandbox.post(as: "alice", in: room, "Let me check with Bob.")
                let secondID = try #require(try await client.message(containing: "check with Bob").messageID)
                try sandbox.editPost(second.id, message: "// she is a VIP", by: "alice")
                let hidden = try await client.until("the note hidden") { $0.message["replaces"] as? Int == Int(secondID) }.last!
                #expect(hidden.messageText == "")
                // Edited into the close command: gone too (an edit closes nothing).
                let fourth = try sandbox.post(as: "alice", in: room, "one more thing")
                let fourthID = try #require(try await client.message(containing: "one more thing").messageID)
                try sandbox.editPost(fourth.id, message: "!close", by: "alice")
                let unsaid = try await client.until("the command hidden") { $0.message["replaces"] as? Int == Int(fourthID) }.last!
                #expect(unsaid.messageText == "")
                let third = try sandbox.post(as: "alice", in: room, "Wrong chat, sorry")
                let last = try #require(try await client.message(containing: "Wrong chat").messageID)
                seen.append(String(last))
                seen.append(third.id)
                seen.append(String(original))
                seen.append(conversation)
            }
            let (token, lastSeen, third, original, conversation) = (seen.all[0], Int64(seen.all[1])!, seen.all[2], Int64(seen.all[3])!, seen.all[4])
            // While Baton's event stream is silent, Alice deletes a post and edits another:
            // the catch-up after the reconnect finds both.
            sandbox.silenceWebSockets(true)
            try sandbox.deletePost(third, by: "alice")
            let room = try #require(rig.room(for: conversation)).id
            let first = try #require(sandbox.posts(in: room).first { $0.message.contains("on Monday.") })
            try sandbox.editPost(first.id, message: "We open at 8 on Monday.", by: "alice")
            sandbox.silenceWebSockets(false)
            sandbox.dropWebSockets()
            let store = rig.baton.services.store
            try await eventually("both corrections stored") {
                let messages = try await store.messages(in: ConversationID(conversation), after: 0, limit: 200)
                return messages.contains { $0.text == "We open at 8 on Monday." && $0.replaces == original }
                    && messages.contains { $0.replaces != nil && $0.replaces != original && $0.text.isEmpty && $0.externalID == "\(third):deleted" }
            }
            // Each correction is stored once, and a widget that was away gets them with what it missed.
            let stored = try await store.messages(in: ConversationID(conversation), after: 0, limit: 200)
            #expect(stored.filter { $0.externalID?.hasPrefix(first.id + ":edit:") == true }.count == 2)
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let welcome = try await client.hello(token: token, lastSeen: lastSeen)
                let corrections = welcome.messages.compactMap { message -> String? in
                    guard message["replaces"] != nil else { return nil }
                    return message["text"] as? String
                }
                #expect(corrections == ["", "We open at 8 on Monday."] || corrections == ["We open at 8 on Monday.", ""], "\(welcome.messages)")
            }
        }
    }
}
