import MattermostSandbox
import Synchronization
import Testing

@Suite struct ObservingTests {
    @Test func onPostSeesEveryNewPostInOrderFromRESTActingAndSystem() async throws {
        try await Seeded.run { s in
            let seen = Mutex<[MattermostSandbox.Post]>([])
            s.sandbox.onPost { post in seen.withLock { $0.append(post) } }
            let created = try await s.api(as: s.alice).post("/api/v4/posts", ["channel_id": s.townSquare, "message": "over REST"])
            #expect(created.status == 201)
            try s.sandbox.post(as: "bob", in: s.townSquare, "acting")
            let offTopic = try #require(s.sandbox.channel(team: "support", name: "off-topic")).id
            try s.sandbox.removeFromChannel("bob", channel: offTopic)
            let posts = seen.withLock { $0 }
            #expect(posts.map(\.message) == ["over REST", "acting", "bob left the channel."])
            #expect(posts.first?.id == created.string("id"))
            #expect(posts.last?.type == "system_leave_channel")
        }
    }
}
