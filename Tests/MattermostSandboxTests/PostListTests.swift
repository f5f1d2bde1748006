import Foundation
import MattermostSandbox
import Testing

@Suite struct PostListTests {
    @Test func sinceReturnsEverythingUpdatedAfterTheTimeEditedAndDeletedIncluded() async throws {
        try await Seeded.run { s in
            let channel = s.sandbox.addChannel(team: "support", name: "visitor", displayName: "Visitor", creator: "relay")
            try s.sandbox.addToChannel("alice", channel: channel.id, by: "relay")
            let old = try s.sandbox.post(as: "relay", in: channel.id, "old")
            let doomed = try s.sandbox.post(as: "relay", in: channel.id, "doomed")
            try await Task.sleep(for: .milliseconds(5))
            let since = Int64(Date().timeIntervalSince1970 * 1000)
            try await Task.sleep(for: .milliseconds(5))
            let new = try s.sandbox.post(as: "alice", in: channel.id, "new")
            try s.sandbox.editPost(old.id, message: "old, edited", by: "relay")
            try s.sandbox.deletePost(doomed.id, by: "relay")

            let list = try await s.api(as: s.relay).get("/api/v4/channels/\(channel.id)/posts?since=\(since)")
            #expect(list.status == 200)
            let order = try #require(list["order"] as? [String])
            let posts = try #require(list["posts"] as? [String: [String: Any]])
            // The edit left its history row: the text before it, as a deleted post of its own
            // that names the edited one.
            let history = try #require(posts.first { $0.value["original_id"] as? String == old.id })
            #expect(Set(order) == [old.id, doomed.id, new.id, history.key])
            #expect(history.value["message"] as? String == "old" && ((history.value["delete_at"] as? NSNumber)?.int64Value ?? 0) > 0)
            #expect(order.first == new.id, "newest first")
            #expect(posts[old.id]?["message"] as? String == "old, edited")
            #expect(posts[old.id]?["original_id"] as? String == "")
            #expect(((posts[doomed.id]?["delete_at"] as? NSNumber)?.int64Value ?? 0) > 0)
            #expect(list.string("next_post_id") == "")
            #expect(list.string("prev_post_id") == "")

            let nothing = try await s.api(as: s.relay).get("/api/v4/channels/\(channel.id)/posts?since=\(Int64.max / 2)")
            #expect((nothing["order"] as? [String])?.isEmpty == true)
            #expect(try await s.api(as: s.relay).get("/api/v4/channels/\(channel.id)/posts?since=yesterday").status == 400)
        }
    }

    @Test func sinceBringsTheRootOfAnUpdatedReply() async throws {
        try await Seeded.run { s in
            let root = try s.sandbox.post(as: "alice", in: s.townSquare, "root")
            try await Task.sleep(for: .milliseconds(5))
            let since = Int64(Date().timeIntervalSince1970 * 1000)
            try await Task.sleep(for: .milliseconds(5))
            let reply = try s.sandbox.post(as: "bob", in: s.townSquare, "reply", rootID: root.id)
            let list = try await s.api(as: s.alice).get("/api/v4/channels/\(s.townSquare)/posts?since=\(since)")
            #expect(Set(list["order"] as? [String] ?? []) == [root.id, reply.id])
        }
    }

    @Test func pagesAreNewestFirstAndPerPageIsCappedAt200() async throws {
        try await Seeded.run { s in
            let channel = s.sandbox.addChannel(team: "support", name: "busy", displayName: "Busy", creator: "relay")
            var ids: [String] = []
            for index in 0..<250 { ids.append(try s.sandbox.post(as: "relay", in: channel.id, "message \(index)").id) }
            let relay = s.api(as: s.relay)
            let capped = try await relay.get("/api/v4/channels/\(channel.id)/posts?per_page=1000")
            #expect((capped["order"] as? [String])?.count == 200)
            #expect((capped["order"] as? [String])?.first == ids.last)
            let first = try await relay.get("/api/v4/channels/\(channel.id)/posts?page=0&per_page=10")
            let order = try #require(first["order"] as? [String])
            #expect(order == Array(ids.suffix(10).reversed()))
            #expect(first.string("prev_post_id") == ids[ids.count - 11])
            #expect(first.string("next_post_id") == "")
            let second = try await relay.get("/api/v4/channels/\(channel.id)/posts?page=1&per_page=10")
            #expect((second["order"] as? [String]) == Array(ids.dropLast(10).suffix(10).reversed()))
            let defaults = try await relay.get("/api/v4/channels/\(channel.id)/posts")
            #expect((defaults["order"] as? [String])?.count == 60)
            let after = try await relay.get("/api/v4/channels/\(channel.id)/posts?after=\(ids[244])&per_page=3")
            #expect((after["order"] as? [String]) == [ids[247], ids[246], ids[245]])
            #expect(after.string("prev_post_id") == ids[244])
            let before = try await relay.get("/api/v4/channels/\(channel.id)/posts?before=\(ids[5])&per_page=3")
            #expect((before["order"] as? [String]) == [ids[4], ids[3], ids[2]])
            #expect(before.string("next_post_id") == ids[5])
            #expect(try await s.api(as: s.carol).get("/api/v4/channels/\(channel.id)/posts").status == 403)
        }
    }
}
