import Foundation
import MattermostSandbox
import Testing

@Suite struct PostTests {
    @Test func aPostHasEveryFieldAndEscapesMarkup() async throws {
        try await Seeded.run { s in
            let created = try await s.api(as: s.alice).post("/api/v4/posts", [
                "channel_id": s.townSquare, "message": "<b>Tom & Jerry</b>", "props": ["from_baton": "yes"],
            ])
            #expect(created.status == 201)
            for field in ["id", "create_at", "update_at", "edit_at", "delete_at", "user_id", "channel_id", "root_id",
                          "original_id", "message", "type", "props", "hashtags", "file_ids", "pending_post_id", "metadata"] {
                #expect(created[field] != nil, "missing \(field)")
            }
            #expect(created.string("id")?.count == 26)
            #expect(created.string("message") == "<b>Tom & Jerry</b>")
            #expect(created.text.contains("\\u003cb\\u003eTom \\u0026 Jerry\\u003c/b\\u003e"))
            #expect((created["props"] as? [String: Any])?["from_baton"] as? String == "yes")
            #expect(created["metadata"] is [String: Any])
            let id = try #require(created.string("id"))
            let fetched = try await s.api(as: s.bob).get("/api/v4/posts/\(id)")
            #expect(fetched.string("message") == "<b>Tom & Jerry</b>")
            #expect(try await s.api(as: s.carol).get("/api/v4/posts/\(id)").status == 403)
            #expect(try await s.api(as: s.bob).get("/api/v4/posts/\(String(repeating: "z", count: 26))").status == 404)
        }
    }

    /// `POST /posts/ephemeral`: a system admin shows a post to one user, over their event
    /// socket only; nothing is stored. Others may not; ids are checked for form.
    @Test func anEphemeralPostReachesOnlyItsUser() async throws {
        try await Seeded.run { s in
            let request: @Sendable () -> [String: Any] = { ["user_id": s.alice.id, "post": ["channel_id": s.townSquare, "message": "only for Alice"]] }
            try await EventSocket.connect(s.sandbox.webSocketURL) { alice in
                _ = try await alice.authenticate(s.sandbox.sessionToken(for: s.alice.id))
                try await EventSocket.connect(s.sandbox.webSocketURL) { bob in
                    _ = try await bob.authenticate(s.sandbox.sessionToken(for: s.bob.id))
                    let sent = try await s.api(as: s.relay).post("/api/v4/posts/ephemeral", request())
                    #expect(sent.status == 201)
                    #expect(sent.string("type") == "system_ephemeral")
                    #expect(sent.string("user_id") == s.relay.id)
                    #expect(sent.string("message") == "only for Alice")
                    let event = try await alice.next(event: "ephemeral_message")
                    #expect(event.broadcast["user_id"] as? String == s.alice.id)
                    let post = try JSONSerialization.jsonObject(with: Data((event.data["post"] as? String ?? "").utf8)) as? [String: Any]
                    #expect(post?["id"] as? String == sent.string("id"))
                    // Bob's socket gets nothing of it: the next thing it sees is a later post.
                    _ = try await s.api(as: s.alice).post("/api/v4/posts", ["channel_id": s.townSquare, "message": "for everyone"])
                    let frames = try await bob.frames(until: "posted")
                    #expect(!frames.contains { $0.event == "ephemeral_message" })
                }
            }
            #expect(!s.sandbox.posts(in: s.townSquare).contains { $0.message == "only for Alice" })
            #expect(s.sandbox.ephemeralPosts(for: "alice").map(\.message) == ["only for Alice"])
            #expect(try await s.api(as: s.alice).post("/api/v4/posts/ephemeral", request()).status == 403)
            let badUser = try await s.api(as: s.relay).post("/api/v4/posts/ephemeral", ["user_id": "nope", "post": ["channel_id": s.townSquare, "message": "x"]])
            #expect(badUser.status == 400)
            #expect(badUser.errorID == "api.context.invalid_param.app_error")
        }
    }

    @Test func textIsEscapedAsGoEscapesIt() async throws {
        try await Seeded.run { s in
            // Beyond ASCII only U+2028 and U+2029 are escaped; control characters as \u00XX.
            let message = "é ✓ 😀 \u{2028}\u{2029}\u{1}\"\\\n\t end"
            let created = try await s.api(as: s.alice).post("/api/v4/posts", ["channel_id": s.townSquare, "message": message])
            #expect(created.status == 201)
            #expect(created.string("message") == message)
            #expect(created.text.contains(#""message":"é ✓ 😀 \u2028\u2029\u0001\"\\\n\t end""#))
        }
    }

    @Test func messagesAreLimitedInRunesNotBytes() async throws {
        try await Seeded.run { s in
            let alice = s.api(as: s.alice)
            let longest = String(repeating: "é", count: 16_383)
            #expect(try await alice.post("/api/v4/posts", ["channel_id": s.townSquare, "message": longest]).status == 201)
            let tooLong = try await alice.post("/api/v4/posts", ["channel_id": s.townSquare, "message": longest + "a"])
            #expect(tooLong.status == 400)
            #expect(tooLong.errorID == "model.post.is_valid.msg.app_error")
        }
        try await Seeded.run(configure: { $0.maxPostRunes = 4000 }) { s in
            let tooLong = try await s.api(as: s.alice).post("/api/v4/posts", ["channel_id": s.townSquare, "message": String(repeating: "x", count: 4001)])
            #expect(tooLong.status == 400)
        }
    }

    @Test func followingAThreadNeedsTheUserOrAnAdminAndARootPostTheyCanRead() async throws {
        try await Seeded.run { s in
            let root = try await s.api(as: s.alice).post("/api/v4/posts", ["channel_id": s.townSquare, "message": "root"])
            let rootID = try #require(root.string("id"))
            let reply = try await s.api(as: s.alice).post("/api/v4/posts", ["channel_id": s.townSquare, "message": "reply", "root_id": rootID])
            let follow = { (user: String, team: String, thread: String) in "/api/v4/users/\(user)/teams/\(team)/threads/\(thread)/following" }
            // Oneself, and (an admin) for someone else.
            #expect(try await s.api(as: s.bob).send(.PUT, follow("me", s.team.id, rootID), body: nil).status == 200)
            #expect(try await s.api(as: s.relay).send(.PUT, follow(s.alice.id, s.team.id, rootID), body: nil).status == 200)
            #expect(s.sandbox.followers(ofThread: rootID) == ["alice", "bob"])
            // Not for someone else without admin rights; not a reply, not a channel one cannot read.
            #expect(try await s.api(as: s.bob).send(.PUT, follow(s.alice.id, s.team.id, rootID), body: nil).status == 403)
            #expect(try await s.api(as: s.bob).send(.PUT, follow("me", s.team.id, try #require(reply.string("id"))), body: nil).status == 403)
            #expect(try await s.api(as: s.relay).send(.PUT, follow(s.carol.id, s.team.id, rootID), body: nil).status == 403)
            #expect(try await s.api(as: s.bob).send(.PUT, follow("me", s.team.id, "nothing"), body: nil).status == 400)
        }
    }

    @Test func repliesNeedARootPostOfTheSameChannel() async throws {
        try await Seeded.run { s in
            let alice = s.api(as: s.alice)
            let offTopic = try #require(s.sandbox.channel(team: "support", name: "off-topic")).id
            let root = try await alice.post("/api/v4/posts", ["channel_id": s.townSquare, "message": "root"])
            let rootID = try #require(root.string("id"))
            let reply = try await alice.post("/api/v4/posts", ["channel_id": s.townSquare, "message": "reply", "root_id": rootID])
            #expect(reply.status == 201)
            #expect(reply.string("root_id") == rootID)
            let replyID = try #require(reply.string("id"))
            let replyToReply = try await alice.post("/api/v4/posts", ["channel_id": s.townSquare, "message": "x", "root_id": replyID])
            #expect(replyToReply.status == 400)
            #expect(replyToReply.errorID == "api.post.create_post.root_id.app_error")
            let missingRoot = try await alice.post("/api/v4/posts", ["channel_id": s.townSquare, "message": "x", "root_id": String(repeating: "q", count: 26)])
            #expect(missingRoot.status == 400)
            let otherChannel = try await alice.post("/api/v4/posts", ["channel_id": offTopic, "message": "x", "root_id": rootID])
            #expect(otherChannel.status == 400)
            let fetched = try await alice.get("/api/v4/posts/\(rootID)")
            #expect(fetched.int("reply_count") == 1)
        }
    }

    @Test func aRetriedPostWithTheSamePendingIDIsCreatedOnce() async throws {
        try await Seeded.run { s in
            let alice = s.api(as: s.alice)
            let body = ["channel_id": s.townSquare, "message": "once", "pending_post_id": "\(s.alice.id):1700000000000"]
            let first = try await alice.post("/api/v4/posts", body)
            let second = try await alice.post("/api/v4/posts", body)
            #expect(first.status == 201)
            #expect(second.status == 201)
            #expect(first.string("id") == second.string("id"))
            #expect(first.string("pending_post_id") == "\(s.alice.id):1700000000000")
            #expect(s.sandbox.posts(in: s.townSquare).filter { $0.message == "once" }.count == 1)
            let other = try await alice.post("/api/v4/posts", ["channel_id": s.townSquare, "message": "once", "pending_post_id": "other"])
            #expect(other.string("id") != first.string("id"))
        }
        try await Seeded.run(configure: { $0.pendingPostWindow = .zero }) { s in
            let body = ["channel_id": s.townSquare, "message": "twice", "pending_post_id": "p1"]
            _ = try await s.api(as: s.alice).post("/api/v4/posts", body)
            _ = try await s.api(as: s.alice).post("/api/v4/posts", body)
            #expect(s.sandbox.posts(in: s.townSquare).filter { $0.message == "twice" }.count == 2)
        }
    }

    @Test func nonMembersCannotPostButAdminsCan() async throws {
        try await Seeded.run { s in
            let channel = s.sandbox.addChannel(team: "support", name: "private", displayName: "Private", type: "P", creator: "alice")
            let body = ["channel_id": channel.id, "message": "hello"]
            let refused = try await s.api(as: s.bob).post("/api/v4/posts", body)
            #expect(refused.status == 403)
            #expect(refused.errorID == "api.context.permissions.app_error")
            #expect(try await s.api(as: s.relay).post("/api/v4/posts", body).status == 201)
            #expect(try await s.api(as: s.alice).post("/api/v4/posts", ["channel_id": String(repeating: "n", count: 26), "message": "x"]).status == 403)
        }
    }

    @Test func badBodiesAre400NeverACrash() async throws {
        try await Seeded.run { s in
            let alice = s.api(as: s.alice)
            for body in ["", "{", "[]", "null", "\"text\"", "{\"channel_id\": 5, \"message\": \"x\"}", "{\"channel_id\": \"\(s.townSquare)\", \"message\": [1]}",
                         "{\"channel_id\": \"\(s.townSquare)\", \"message\": \"x\", \"props\": \"not an object\"}"] {
                let response = try await alice.send(.POST, "/api/v4/posts", body: Data(body.utf8))
                #expect(response.status == 400, "\(body) → \(response)")
                #expect(response.errorID != nil)
            }
            for (path, body) in [("/api/v4/channels", "{\"team_id\": true}"), ("/api/v4/users/usernames", "{\"a\": 1}"),
                                 ("/api/v4/users/me/typing", "[1]")] {
                let response = try await alice.send(.POST, path, body: Data(body.utf8))
                #expect(response.status == 400, "\(path) \(body) → \(response)")
            }
            let patch = try await alice.send(.PUT, "/api/v4/posts/\(String(repeating: "q", count: 26))/patch", body: Data("{\"message\": 1}".utf8))
            #expect(patch.status == 400)
        }
    }

    @Test func editingAndArchivingFollowTheServer() async throws {
        try await Seeded.run { s in
            let channel = s.sandbox.addChannel(team: "support", name: "visitor", displayName: "Visitor", creator: "relay")
            try s.sandbox.addToChannel("alice", channel: channel.id, by: "relay")
            let alice = s.api(as: s.alice)
            let post = try await alice.post("/api/v4/posts", ["channel_id": channel.id, "message": "first"])
            let id = try #require(post.string("id"))
            #expect(post.int("edit_at") == 0)
            let edited = try await alice.put("/api/v4/posts/\(id)/patch", ["message": "second"])
            #expect(edited.status == 200)
            #expect(edited.string("message") == "second")
            #expect((edited.int("edit_at") ?? 0) > 0)
            #expect(edited.int("update_at") == edited.int("edit_at"))
            #expect(try await s.api(as: s.bob).put("/api/v4/posts/\(id)/patch", ["message": "hijack"]).status == 403)

            try s.sandbox.archive(channel.id, by: "relay")
            let refused = try await alice.post("/api/v4/posts", ["channel_id": channel.id, "message": "too late"])
            #expect(refused.status == 400)
            #expect(refused.errorID == "api.post.create_post.can_not_post_to_deleted.error")
            #expect(try await alice.put("/api/v4/posts/\(id)/patch", ["message": "third"]).status == 400)
            #expect(throws: MattermostSandbox.APIError.self) { try s.sandbox.post(as: "alice", in: channel.id, "late") }
        }
    }
}
