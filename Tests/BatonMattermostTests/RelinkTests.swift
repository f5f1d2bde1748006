import BatonCore
import BatonMattermost
import BatonStore
import BatonTestSupport
import Foundation
import Logging
import MattermostSandbox
import Testing

/// Re-linking the integration with another relay user (a bot account instead of a
/// person's, say) must not cut open chats off: the new relay user joins their rooms and
/// the index channel, so agents' replies still reach visitors and visitors' messages
/// still reach the rooms.
@Suite struct RelinkTests {
    @Test func anotherRelayUserTakesOverTheOpenChats() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            let sandbox = rig.sandbox
            try await WidgetClient.connect(rig.baton.socketURL) { grace in
                let room = try await rig.waitForRoom(try await talkUntilHandover(grace))
                let index = try #require(rig.indexChannel)
                let erin = try #require(sandbox.user(named: "erin")?.id)
                #expect(!sandbox.members(of: room.id).contains(erin))
                try await rig.connect(as: .password(username: "erin", password: "agent-password"))
                try await eventually("erin in the open room and the index channel") {
                    sandbox.members(of: room.id).contains(erin) && sandbox.members(of: index.id).contains(erin)
                }
                try await eventually("the new link connected") {
                    rig.baton.services.mattermost.status(widgetKey: "demo")?.state == .connected
                }
                try sandbox.post(as: "alice", in: room.id, "Still here, Grace")
                _ = try await grace.message(containing: "Still here")
                _ = try await grace.say("great", clientID: "after")
                try await eventually("the visitor's message posted by erin") {
                    rig.messages(in: room.id, by: "erin").contains { $0.contains("great") }
                }
                // A new chat is announced and relayed by erin.
                try await WidgetClient.connect(rig.baton.socketURL) { henry in
                    let conversation = try await talkUntilHandover(henry, name: "Henry", email: "henry@example.com")
                    let newRoom = try await rig.waitForRoom(conversation)
                    #expect(sandbox.members(of: newRoom.id).contains(erin))
                }
            }
            #expect(try rig.contractViolations() == [])
        }
    }

    /// The internal prefix and the close command changed while a chat is open: its room
    /// keeps the ones its transcript told the agents (a note written with the old prefix
    /// reached the visitor, and the old close command too, as a message), and takes the
    /// new ones as well.
    @Test(arguments: ["!close", "/done"]) func anOpenRoomKeepsThePrefixAndCloseCommandItsAgentsWereTold(_ close: String) async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            try await WidgetClient.connect(rig.baton.socketURL) { grace in
                let room = try await rig.waitForRoom(try await talkUntilHandover(grace))
                try await eventually("the transcript naming // and !close") {
                    rig.messages(in: room.id, by: "relay").contains { $0.contains("`//`") && $0.contains("`!close`") }
                }
                try await rig.connect(internalPrefix: "note:", closeCommand: "/done")
                try rig.sandbox.post(as: "alice", in: room.id, "// old-style secret")
                try rig.sandbox.post(as: "alice", in: room.id, "note: new-style secret")
                try rig.sandbox.post(as: "alice", in: room.id, "visible")
                let texts = try await grace.until("visible") { $0.messageText == "visible" }.compactMap(\.messageText)
                #expect(texts.filter { $0.contains("secret") } == [])
                try rig.sandbox.post(as: "alice", in: room.id, close)
                let closing = try await grace.until("state")
                #expect(closing.last?.string("state") == "closed")
                #expect(!closing.compactMap(\.messageText).contains(close))
            }
        }
    }

    /// A connection saved by another process (`baton mattermost connect`) makes the failed
    /// tasks due, but the running link may try them once more under the old settings before
    /// it sees the new ones, and put them off again (30 s, at the longest backoff). The link
    /// of new settings runs them at once.
    @Test func tasksPutOffUnderTheOldSettingsRunAtOnceUnderTheNew() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            let store = rig.baton.services.store
            try await WidgetClient.connect(rig.baton.socketURL) { grace in
                let conversation = try await talkUntilHandover(grace)
                let room = try await rig.waitForRoom(conversation)
                try await eventually("the handover's tasks done") { try await store.taskCount(widgetKey: "demo") == 0 }
                rig.sandbox.fail(next: 1, status: 500, pathPrefix: "/api/v4/posts")
                _ = try await grace.say("sent while it failed", clientID: "failed")
                try await eventually("the relay failed once") {
                    try await store.tasks(of: ConversationID(conversation), widgetKey: "demo", limit: 10).contains { $0.attempts > 0 }
                }
                // Put off for ten minutes, as by the old link after the new settings were saved.
                try await store.rescheduleTasks(widgetKey: "demo", at: Millis.now() + 600_000)
                var integration = try #require(try await store.integration(widgetKey: "demo", kind: MattermostSettings.kind))
                integration.updatedAt += 1
                try await store.saveIntegration(integration)
                rig.baton.services.mattermost.reload()
                try await eventually("the message in the room", seconds: 15) {
                    rig.messages(in: room.id).contains { $0.contains("sent while it failed") }
                }
            }
        }
    }

    /// An agent added to the connection's default agents joins the chats already open: a
    /// channel room's members, a thread room's followers.
    @Test(arguments: [MattermostSettings.RoomKind.channel, .thread]) func aNewDefaultAgentJoinsTheChatsAlreadyOpen(_ kind: MattermostSettings.RoomKind) async throws {
        try await HandoverRig.run { rig in
            try await rig.connect(agents: ["alice"], rooms: kind)
            let sandbox = rig.sandbox
            let bob = try #require(sandbox.user(named: "bob")?.id)
            try await WidgetClient.connect(rig.baton.socketURL) { grace in
                let conversation = try await talkUntilHandover(grace)
                let store = rig.baton.services.store
                try await eventually("the room made") {
                    try await store.room(for: ConversationID(conversation))?.transcriptUntil != nil
                }
                let room = try #require(try await store.room(for: ConversationID(conversation)))
                #expect(!sandbox.members(of: room.channelID).contains(bob) || kind == .thread)
                #expect(!sandbox.followers(ofThread: room.externalID).contains("bob"))
                try await rig.connect(agents: ["alice", "bob"], rooms: kind)
                switch kind {
                case .channel:
                    try await eventually("bob in the open room") { sandbox.members(of: room.channelID).contains(bob) }
                case .thread:
                    try await eventually("bob following the open thread") { sandbox.followers(ofThread: room.externalID).contains("bob") }
                }
                // And he can answer there.
                try sandbox.post(as: "bob", in: room.channelID, "Bob here, Grace", rootID: room.rootID)
                _ = try await grace.message(containing: "Bob here")
            }
            #expect(try rig.contractViolations() == [])
        }
    }

    /// Agents added to the connection while Baton was stopped (`baton mattermost connect`,
    /// another Baton) join the chats open when it starts again; an agent who left a room
    /// is not brought back.
    @Test func agentsAddedWhileBatonWasStoppedJoinTheOpenChats() async throws {
        try await TestDatabase.sqlite.withLocation { location in try await MattermostSandbox.run { sandbox in
            HandoverRig.seed(sandbox)
            let conversation = Collected<String>()
            let bob = try #require(sandbox.user(named: "bob")?.id)
            let alice = try #require(sandbox.user(named: "alice")?.id)
            try await HandoverRig.run(database: location, sandbox: sandbox) { rig in
                try await rig.connect(agents: ["alice"])
                try await WidgetClient.connect(rig.baton.socketURL) { grace in
                    conversation.append(try await talkUntilHandover(grace))
                    let room = try await rig.waitForRoom(conversation.last!)
                    #expect(!sandbox.members(of: room.id).contains(bob))
                    try await eventually("the room's agents recorded") {
                        let agents = try await rig.baton.services.store.room(for: ConversationID(conversation.last!))?.agents ?? []
                        return agents.contains(alice) && !agents.contains(bob)
                    }
                    try sandbox.removeFromChannel("alice", channel: room.id)
                }
            }
            // While Baton is stopped, bob becomes a default agent (as `baton mattermost connect` would).
            let store = try await SQLStore.open(location, logger: Logger(label: "test"))
            var integration = try #require(try await store.integration(widgetKey: "demo", kind: MattermostSettings.kind))
            var settings = try JSONDecoder().decode(MattermostSettings.self, from: Data(integration.settings.utf8))
            settings.agents.append(.init(id: bob, name: "bob"))
            integration.settings = String(decoding: try JSONEncoder().encode(settings), as: UTF8.self)
            integration.updatedAt += 1
            try await store.saveIntegration(integration)
            await store.close()

            try await HandoverRig.run(database: location, sandbox: sandbox) { rig in
                let room = try #require(rig.room(for: conversation.last!))
                try await eventually("bob in the open room") { sandbox.members(of: room.id).contains(bob) }
                #expect(!sandbox.members(of: room.id).contains(alice))
                try await eventually("the record updated") {
                    let agents = try await rig.baton.services.store.room(for: ConversationID(conversation.last!))?.agents ?? []
                    return agents.contains(alice) && agents.last == bob
                }
            }
        } }
    }
}
