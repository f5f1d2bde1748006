import BatonTestSupport
import Foundation
import MattermostSandbox
import Synchronization
import Testing

/// Visitor messages of many chats share a few places in Baton's outbox worker: a visitor who
/// keeps writing must not keep the others waiting until they stop.
@Suite struct RelayFairnessTests {
    @Test func aVisitorWhoKeepsWritingDoesNotHoldUpAnother() async throws {
        // One conversation's tasks at a time, and every request to Mattermost takes 100 ms.
        try await HandoverRig.run(baton: { $0.mattermostLimits.concurrentConversations = 1 }) { rig in
            try await rig.connect()
            let rooms = Rooms()
            @Sendable func handOver(_ client: WidgetClient, _ name: String) async throws {
                let room = try await rig.waitForRoom(try await talkUntilHandover(client, name: name)).id
                rooms.names.withLock { $0[name] = room }
                try await eventually("both rooms") { rooms.names.withLock { $0.count } == 2 }
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await WidgetClient.connect(rig.baton.socketURL) { ada in
                        try await handOver(ada, "Ada")
                        rig.sandbox.delay(.milliseconds(100))
                        // Ada writes every 30 ms for about a second: her queue is never empty.
                        for index in 1...30 {
                            _ = try await ada.say("chatter \(index)", clientID: "chatter-\(index)")
                            try await Task.sleep(for: .milliseconds(30))
                        }
                    }
                }
                group.addTask {
                    try await WidgetClient.connect(rig.baton.socketURL) { bob in
                        try await handOver(bob, "Bob")
                        try await Task.sleep(for: .milliseconds(200))
                        _ = try await bob.say("me too", clientID: "bob-1")
                    }
                }
                try await group.waitForAll()
            }
            let adaRoom = try #require(rooms.names.withLock { $0["Ada"] }), bobRoom = try #require(rooms.names.withLock { $0["Bob"] })
            @Sendable func post(in room: String, containing text: String) -> MattermostSandbox.Post? {
                rig.sandbox.posts(in: room).first { $0.message.contains(text) }
            }
            try await eventually("every message in its room", seconds: 30) {
                post(in: adaRoom, containing: "chatter 30") != nil && post(in: bobRoom, containing: "me too") != nil
            }
            rig.sandbox.delay(nil)
            // Bob's message went out while Ada was still writing, not after her.
            let bobs = try #require(post(in: bobRoom, containing: "me too"))
            let adasLast = try #require(post(in: adaRoom, containing: "chatter 30"))
            #expect(bobs.createAt < adasLast.createAt)
            // All of Ada's arrived, in order, once each.
            let lines = rig.messages(in: adaRoom, by: "relay").flatMap { $0.split(separator: "\n") }.filter { $0.contains("chatter") }
            #expect(lines == (1...30).map { "**Ada:** chatter \($0)" })
        }
    }

    /// Each visitor's room, by the visitor's name.
    final class Rooms: Sendable {
        let names = Mutex<[String: String]>([:])
    }
}
