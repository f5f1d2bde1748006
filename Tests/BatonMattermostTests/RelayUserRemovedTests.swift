import BatonCore
import BatonMattermost
import BatonTestSupport
import Foundation
import MattermostSandbox
import Testing

/// Mattermost sends a channel's events to its members only: an agent who removes Baton's
/// relay user from an open chat's room would cut the replies off. The relay user joins
/// again, says why, and the replies written meanwhile still reach the visitor.
@Suite struct RelayUserRemovedTests {
    /// A chat handed over to a channel room: the body gets the rig, the visitor's widget,
    /// the conversation, its room and the relay user's id.
    private func inARoom(checkContract: Bool = false,
                         _ body: @Sendable @escaping (HandoverRig, WidgetClient, String, MattermostSandbox.Channel, String) async throws -> Void)
        async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            let relay = try #require(rig.sandbox.user(named: "relay")?.id)
            try await WidgetClient.connect(rig.baton.socketURL) { grace in
                let conversation = try await talkUntilHandover(grace)
                let room = try await rig.waitForRoom(conversation)
                try await body(rig, grace, conversation, room, relay)
            }
            if checkContract { #expect(try rig.contractViolations() == []) }
        }
    }

    @Test func removedFromARoomTheRelayUserJoinsAgain() async throws {
        try await inARoom(checkContract: true) { rig, grace, conversation, room, relay in
            let sandbox = rig.sandbox
            try sandbox.removeFromChannel("relay", channel: room.id, by: "alice")
            // Most likely written before Baton is back in the room: no event brings it, the catch-up does.
            try sandbox.post(as: "alice", in: room.id, "Hi Grace, Alice here")
            _ = try await grace.message(containing: "Alice here")
            #expect(sandbox.members(of: room.id).contains(relay))
            let notes = rig.messages(in: room.id, by: "relay").filter { $0.contains("was removed from this channel") }
            #expect(notes.count == 1)
            #expect(notes.first?.contains("`!close`") == true)

            // Live again: the next reply comes as an event, and the visitor's message goes on.
            try sandbox.post(as: "alice", in: room.id, "How can I help?")
            _ = try await grace.message(containing: "How can I help?")
            _ = try await grace.say("my invoice", clientID: "after-removal")
            try await eventually("the visitor's message relayed") { rig.relayed(in: room.id).contains("my invoice") }
            let toGrace = try await rig.baton.services.store.messages(in: ConversationID(conversation), after: 0, limit: 1000)
            #expect(toGrace.filter { $0.text == "Hi Grace, Alice here" }.count == 1)
        }
    }

    /// Thread rooms live in the index channel: removed from it, the relay user joins it again.
    @Test func removedFromTheIndexChannelOfThreadRooms() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect(rooms: .thread)
            let sandbox = rig.sandbox
            let relay = try #require(sandbox.user(named: "relay")?.id)
            let index = try #require(rig.indexChannel)
            try await WidgetClient.connect(rig.baton.socketURL) { grace in
                let conversation = try await talkUntilHandover(grace)
                let root = try await rig.waitForThread(conversation)
                try sandbox.removeFromChannel("relay", channel: index.id, by: "erin")
                try await eventually("the relay user back in the index channel") { sandbox.members(of: index.id).contains(relay) }
                try sandbox.post(as: "alice", in: index.id, "Hello from the thread", rootID: root.id)
                _ = try await grace.message(containing: "Hello from the thread")
                // The note is posted after joining again: it may come after the agent's post.
                let note: @Sendable () -> [String] = { rig.messages(in: index.id, by: "relay").filter { $0.contains("was removed from this channel") } }
                try await eventually("the relay user's note") { !note().isEmpty }
                let notes = note()
                #expect(notes.count == 1)
                #expect(notes.first?.contains("in its thread") == true)
            }
            #expect(try rig.contractViolations() == [])
        }
    }

    /// The check after a reconnect that the relay user is still in the index channel gets
    /// no answer (Mattermost restarting): that is said as such, not as a removal that
    /// needs a person ("cannot join it again; add it there").
    @Test func aMembershipCheckWithoutAnAnswerIsNoRemoval() async throws {
        let logged = LoggedLines()
        try await LiveBaton.$logged.withValue(logged) {
            try await HandoverRig.run { rig in
                try await rig.connect()
                let index = try #require(rig.indexChannel).id
                rig.sandbox.fail(next: 3, status: 503, pathPrefix: "/api/v4/channels/\(index)/members/ids")
                rig.sandbox.dropWebSockets()
                try await eventually("the check refused") {
                    rig.sandbox.exchanges.contains { $0.path == "/api/v4/channels/\(index)/members/ids" && $0.status == 503 }
                }
                try await eventually("the failed check logged") {
                    logged.lines.withLock { $0.contains { $0.contains("Checking that the relay user is still in the index channel failed") } }
                }
                #expect(!logged.lines.withLock { $0.contains { $0.contains("cannot join it again") } })
            }
        }
    }

    /// Removed while the membership check gets no answer: it asks again until it does
    /// (it waited for the next reconnect, which may be hours away), rejoins and reads
    /// what was written meanwhile.
    @Test func aMembershipCheckWithoutAnAnswerIsAskedAgain() async throws {
        try await HandoverRig.run(baton: { $0.mattermostLimits.membershipRetry = .milliseconds(500) }) { rig in
            try await rig.connect()
            let relay = try #require(rig.sandbox.user(named: "relay")?.id)
            try await WidgetClient.connect(rig.baton.socketURL) { grace in
                let room = try await rig.waitForRoom(try await talkUntilHandover(grace)).id
                rig.sandbox.fail(next: 4, status: 502, pathPrefix: "/api/v4/channels/\(room)/members/ids")
                try rig.sandbox.removeFromChannel("relay", channel: room, by: "alice")
                try rig.sandbox.post(as: "alice", in: room, "Hi Grace, Alice here")
                _ = try await grace.message(containing: "Alice here")
                #expect(rig.sandbox.members(of: room).contains(relay))
            }
        }
    }

    /// Removed while Baton was not listening (Mattermost down, or Baton restarting): the
    /// catch-up after the reconnect finds the removal in the room's posts.
    @Test func removedWhileBatonWasNotListening() async throws {
        try await inARoom { rig, grace, _, room, relay in
            let sandbox = rig.sandbox
            await sandbox.goDown()
            try await eventually("Baton sees the event stream gone") {
                rig.baton.services.mattermost.status(widgetKey: "demo")?.state != .connected
            }
            try sandbox.removeFromChannel("relay", channel: room.id, by: "alice")
            try sandbox.post(as: "alice", in: room.id, "Sorry for the wait")
            try await sandbox.comeBack()
            _ = try await grace.message(containing: "Sorry for the wait")
            try await eventually("the relay user back in the room") { sandbox.members(of: room.id).contains(relay) }
            try sandbox.post(as: "alice", in: room.id, "Anything else?")
            _ = try await grace.message(containing: "Anything else?")
            #expect(rig.messages(in: room.id, by: "relay").filter { $0.contains("was removed from this channel") }.count == 1)
        }
    }

    /// With channel rooms the index channel holds only announcements, which no catch-up
    /// reads: after a reconnect the relay user's membership there is checked, so the next
    /// chat is announced (before, it joined again only when Baton restarted).
    @Test func removedFromTheIndexChannelWhileBatonWasNotListening() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            let sandbox = rig.sandbox
            let relay = try #require(sandbox.user(named: "relay")?.id)
            let index = try #require(rig.indexChannel)
            await sandbox.goDown()
            try await eventually("Baton sees the event stream gone") {
                rig.baton.services.mattermost.status(widgetKey: "demo")?.state != .connected
            }
            try sandbox.removeFromChannel("relay", channel: index.id, by: "erin")
            try await sandbox.comeBack()
            try await eventually("the relay user back in the index channel") { sandbox.members(of: index.id).contains(relay) }
            // It joins, then says why.
            let why = "Baton's relay user was removed from this channel and has joined it again: new chats are announced here."
            try await eventually("the note") { rig.messages(in: index.id, by: "relay").contains(why) }
            try await WidgetClient.connect(rig.baton.socketURL) { grace in
                let conversation = try await talkUntilHandover(grace)
                let room = try await rig.waitForRoom(conversation)
                try await eventually("the chat announced") {
                    rig.messages(in: index.id, by: "relay").contains { $0.contains(room.name) }
                }
            }
            #expect(rig.messages(in: index.id, by: "relay").filter { $0.contains("was removed from this channel") } == [why])
            #expect(try rig.contractViolations() == [])
        }
    }

    /// Removed while Baton was stopped, from a chat's room and from the index channel: at
    /// start it joins both again and says why in each, as when it sees a removal live. A
    /// room archived meanwhile is not joined (Mattermost would refuse): its chat closes.
    @Test func removedAndArchivedWhileBatonWasStopped() async throws {
        try await TestDatabase.sqlite.withLocation { location in try await MattermostSandbox.run { sandbox in
            HandoverRig.seed(sandbox)
            let conversations = Collected<String>(), rooms = Collected<String>()
            try await HandoverRig.run(database: location, sandbox: sandbox) { rig in
                try await rig.connect()
                for name in ["Grace", "Heidi"] {
                    try await WidgetClient.connect(rig.baton.socketURL) { visitor in
                        let conversation = try await talkUntilHandover(visitor, name: name, email: "\(name.lowercased())@example.com")
                        conversations.append(conversation)
                        rooms.append(try await rig.waitForRoom(conversation).id)
                    }
                }
            }
            let relay = try #require(sandbox.user(named: "relay")?.id)
            let index = try #require(sandbox.channel(team: "support", name: "live-chats"))
            let (removed, archived) = (rooms.all[0], rooms.all[1])
            try sandbox.removeFromChannel("relay", channel: removed, by: "alice")
            try sandbox.removeFromChannel("relay", channel: index.id, by: "erin")
            try sandbox.archive(archived, by: "erin")
            sandbox.clearExchanges()
            try await HandoverRig.run(database: location, sandbox: sandbox) { rig in
                let why: @Sendable (String) -> [String] = { rig.messages(in: $0, by: "relay").filter { $0.contains("was removed from this channel") } }
                try await eventually("the relay user back, and why") {
                    sandbox.members(of: removed).contains(relay) && sandbox.members(of: index.id).contains(relay)
                        && why(removed).count == 1 && why(index.id).count == 1
                }
                try await eventually("the archived room's chat closed") {
                    try await rig.baton.services.store.conversation(id: ConversationID(conversations.all[1]))?.state == .closed
                }
                #expect(!sandbox.exchanges.contains { $0.method == "POST" && $0.path == "/api/v4/channels/\(archived)/members" })
                #expect(try await rig.baton.services.store.conversation(id: ConversationID(conversations.all[0]))?.state != .closed)
                try await Task.sleep(for: .milliseconds(300))
                #expect(why(removed).count == 1 && why(index.id).count == 1)
            }
        } }
    }

    /// A closed chat's room is the agents' to tidy: the relay user stays out.
    @Test func aClosedChatsRoomIsLeftAlone() async throws {
        try await inARoom { rig, grace, conversation, room, relay in
            let sandbox = rig.sandbox
            try sandbox.post(as: "alice", in: room.id, "!close")
            _ = try await grace.message(containing: "closed the chat")
            try await eventually("the room closed") {
                try await rig.baton.services.store.room(for: ConversationID(conversation))?.closedAt != nil
            }
            try sandbox.removeFromChannel("relay", channel: room.id, by: "alice")
            try await Task.sleep(for: .milliseconds(500))
            #expect(!sandbox.members(of: room.id).contains(relay))
            #expect(!rig.messages(in: room.id, by: "relay").contains { $0.contains("was removed from this channel") })
        }
    }
}
