import BatonCore
import BatonMattermost
import BatonTestSupport
import Foundation
import MattermostSandbox
import Testing

/// A chat whose room is gone from Mattermost for good (its channel deleted permanently, or
/// left on the old server after a re-link to another one) goes on in a new room, with the
/// transcript so far: the visitor's messages are not lost, and agents' replies come back.
@Suite struct LostRoomTests {
    @Test func aRoomDeletedForGoodIsOpenedAgain() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            let sandbox = rig.sandbox
            try await WidgetClient.connect(rig.baton.socketURL) { grace in
                let conversation = try await talkUntilHandover(grace)
                let old = try await rig.waitForRoom(conversation)
                try sandbox.post(as: "alice", in: old.id, "Hi Grace, Alice here")
                _ = try await grace.message(containing: "Alice here")
                try sandbox.deletePermanently(old.id)
                #expect(rig.room(for: conversation) == nil)

                // Posting there fails (403): Baton finds the channel gone and makes a new one.
                _ = try await grace.say("are you still there?", clientID: "lost-1")
                try await eventually("a new room with the transcript so far") {
                    guard let room = rig.room(for: conversation), room.id != old.id else { return false }
                    return rig.messages(in: room.id, by: "relay").joined().contains("are you still there?")
                }
                let new = try #require(rig.room(for: conversation))
                let transcript = rig.messages(in: new.id, by: "relay").joined(separator: "\n")
                #expect(transcript.contains("Alice here"))
                #expect(sandbox.members(of: new.id).contains(try #require(sandbox.user(named: "alice")?.id)))
                let stored = try #require(try await rig.baton.services.store.room(for: ConversationID(conversation)))
                #expect(stored.externalID == new.id)
                // The announcement links to the room by its name, which the new one has.
                let index = try #require(rig.indexChannel)
                #expect(rig.messages(in: index.id).contains { $0.contains("chat-\(conversation)") })

                // The chat goes on there, both ways, nothing twice.
                try sandbox.post(as: "alice", in: new.id, "Sorry, the room moved")
                _ = try await grace.message(containing: "room moved")
                // Grace was told Alice joined when she first spoke in the old room, not again.
                let toGrace = try await rig.baton.services.store.messages(in: ConversationID(conversation), after: 0, limit: 1000)
                #expect(toGrace.filter { $0.text == "Alice Archer joined the chat." }.count == 1)
                _ = try await grace.say("no problem", clientID: "lost-2")
                try await eventually("the next message relayed") { rig.relayed(in: new.id).contains("no problem") }
                let all = rig.messages(in: new.id, by: "relay").joined(separator: "\n")
                #expect(all.components(separatedBy: "are you still there?").count == 2)
                try await eventually("the outbox empty") { try await rig.baton.services.store.taskCount(widgetKey: "demo") == 0 }
                #expect(try await rig.baton.services.store.room(for: ConversationID(conversation))?.externalID == new.id)
            }
            #expect(try rig.contractViolations() == [])
        }
    }

    /// Re-linked to another Mattermost server, the chats open on the old one move to the new
    /// one when the link starts (channel rooms and thread rooms alike).
    @Test(arguments: [MattermostSettings.RoomKind.channel, .thread]) func openChatsMoveToANewServer(_ kind: MattermostSettings.RoomKind) async throws {
        try await HandoverRig.run { rig in
            try await rig.connect(rooms: kind)
            let store = rig.baton.services.store
            try await MattermostSandbox.run { second in
                HandoverRig.seed(second)
                try await WidgetClient.connect(rig.baton.socketURL) { grace in
                    let conversation = ConversationID(try await talkUntilHandover(grace))
                    try await eventually("the room on the first server") { try await store.room(for: conversation)?.announcementID != nil }
                    let old = try #require(try await store.room(for: conversation))

                    try await rig.connect(rooms: kind, to: second)
                    try await eventually("the chat's new room on the second server") {
                        guard let room = try await store.room(for: conversation), room.externalID != old.externalID,
                              room.announcementID != nil else { return false }
                        return second.posts(in: room.channelID).contains { $0.message.contains("Transcript") }
                    }
                    let room = try #require(try await store.room(for: conversation))
                    #expect(second.post(id: try #require(room.announcementID)) != nil)
                    let before = rig.sandbox.posts(in: old.channelID).count
                    _ = try await grace.say("did you get this?", clientID: "moved-1")
                    try await eventually("the visitor's message on the second server") {
                        second.posts(in: room.channelID).contains { $0.message.contains("did you get this?") && $0.rootID == (room.rootID ?? "") }
                    }
                    try second.post(as: "alice", in: room.channelID, "Yes, from the new server", rootID: room.rootID)
                    _ = try await grace.message(containing: "from the new server")
                    #expect(rig.sandbox.posts(in: old.channelID).count == before)
                }
            }
        }
    }

    /// A chat closed after its room was deleted for good closes without retrying forever:
    /// there is nobody left to tell in the room, and no new room is made for it (a message
    /// the visitor wrote before the closing, still waiting for Mattermost, is not relayed).
    @Test func aChatClosedAfterItsRoomWasDeletedClosesQuietly() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect(archiveOnClose: true)
            let store = rig.baton.services.store
            try await WidgetClient.connect(rig.baton.socketURL) { grace in
                let conversation = try await talkUntilHandover(grace)
                let old = try await rig.waitForRoom(conversation)
                try rig.sandbox.deletePermanently(old.id)
                await rig.sandbox.goDown()
                _ = try await grace.say("one more thing", clientID: "late")
                try await rig.baton.services.chat.closeConversation(ConversationID(conversation), closedBy: "Ops")
                try await rig.sandbox.comeBack()
                _ = try await grace.message(containing: "Ops closed the chat.")
                try await eventually("the closing done") { try await store.taskCount(widgetKey: "demo") == 0 }
                #expect(try await store.room(for: ConversationID(conversation))?.closedAt != nil)
                #expect(rig.room(for: conversation) == nil)
                let index = try #require(rig.indexChannel)
                #expect(rig.messages(in: index.id).contains { $0.contains("Closed by Ops") })
            }
        }
    }
}
