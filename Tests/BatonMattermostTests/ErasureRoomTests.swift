import BatonCore
import BatonTestSupport
import Foundation
import MattermostSandbox
import Testing

/// Deleting a chat that went to Mattermost: only once it is closed and its room's closing
/// is done; the room stays in Mattermost, and what agents write there later brings
/// nothing back.
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
}
