import BatonCore
import BatonTestSupport
import MattermostSandbox
import Testing

/// A default agent taken off the team after the connection was made: Mattermost still
/// answers their old team membership (`delete_at` set) and refuses to add them to a
/// channel. New chats are made without them; they used to wait for them, every one.
@Suite struct AgentLeftTeamTests {
    @Test(arguments: [true, false]) func newChatsAreMadeWithoutAnAgentNoLongerInTheTeam(_ newerServer: Bool) async throws {
        var configuration = MattermostSandbox.Configuration()
        configuration.supportsUserIDsOnAddMember = newerServer
        try await HandoverRig.run(configuration: configuration) { rig in
            try await rig.connect(agents: ["alice", "bob"])
            try rig.sandbox.removeFromTeam("bob", team: "support", by: "erin")
            #expect(!rig.sandbox.isMember("bob", ofTeam: "support"))
            let bob = try #require(rig.sandbox.user(named: "bob")).id
            let alice = try #require(rig.sandbox.user(named: "alice")).id
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let conversation = try await talkUntilHandover(client)
                let room = try await rig.waitForRoom(conversation)
                let members = rig.sandbox.members(of: room.id)
                #expect(members.contains(alice) && !members.contains(bob))
                // Bob is not counted as added: should he join the team again, the open
                // chats he lacks are his at the next start of the link.
                #expect(try await rig.baton.services.store.room(for: ConversationID(conversation))?.agents?.contains(bob) == false)
                try rig.sandbox.post(as: "alice", in: room.id, "Hello Grace")
                try await client.message(containing: "Hello Grace")
            }
            #expect(try rig.contractViolations() == [])
        }
    }
}
