import Foundation
import MattermostSandbox
import OpenAPIContract
import Testing

@Suite struct ChannelTests {
    @Test func creatingAChannelFollowsTheNameRules() async throws {
        try await Seeded.run { s in
            let relay = s.api(as: s.relay)
            func create(_ name: String, _ display: String = "Chat", type: String = "P") async throws -> APIResponse {
                try await relay.post("/api/v4/channels", ["team_id": s.team.id, "name": name, "display_name": display, "type": type])
            }
            let created = try await create("chat-1_a")
            #expect(created.status == 201)
            #expect(created.string("type") == "P")
            #expect(created.string("creator_id") == s.relay.id)
            let channelID = try #require(created.string("id"))
            #expect(s.sandbox.members(of: channelID) == [s.relay.id])
            #expect(try await create(String(repeating: "a", count: 64)).status == 201)
            for bad in ["", "Upper", "has space", "dot.name", "-lead", String(repeating: "a", count: 65)] {
                let refused = try await create(bad)
                #expect(refused.status == 400, "\(bad.debugDescription) should be refused")
            }
            #expect(try await create("long-display", String(repeating: "é", count: 65)).status == 400)
            #expect(try await create("sixty-four", String(repeating: "é", count: 64)).status == 201)
            #expect(try await create("bad-type", type: "D").status == 400)
            let duplicate = try await create("chat-1_a")
            #expect(duplicate.status == 400)
            #expect(duplicate.errorID == "store.sql_channel.save_channel.exists.app_error")
            #expect(try await s.api(as: s.carol).post("/api/v4/channels", ["team_id": s.team.id, "name": "x", "display_name": "X", "type": "O"]).status == 403)
            let wrongTypes = try await relay.post("/api/v4/channels", ["team_id": s.team.id, "name": 5, "display_name": "X", "type": "O"])
            #expect(wrongTypes.status == 400)
        }
    }

    @Test func channelsAreFoundByNameAndArchivedOnesOnlyOnRequest() async throws {
        try await Seeded.run { s in
            let channel = s.sandbox.addChannel(team: "support", name: "visitor-1", displayName: "Visitor 1", creator: "relay")
            let alice = s.api(as: s.alice)
            let found = try await alice.get("/api/v4/teams/\(s.team.id)/channels/name/visitor-1")
            #expect(found.status == 200)
            #expect(found.string("id") == channel.id)
            let missing = try await alice.get("/api/v4/teams/\(s.team.id)/channels/name/visitor-2")
            #expect(missing.status == 404)
            #expect(missing.errorID == "app.channel.get_by_name.missing.app_error")

            let archive = try await s.api(as: s.relay).delete("/api/v4/channels/\(channel.id)")
            #expect(archive.status == 200)
            #expect(archive.string("status") == "OK")
            #expect(s.sandbox.channel(id: channel.id)?.isArchived == true)
            #expect(try await alice.get("/api/v4/teams/\(s.team.id)/channels/name/visitor-1").status == 404)
            let archived = try await alice.get("/api/v4/teams/\(s.team.id)/channels/name/visitor-1?include_deleted=true")
            #expect(archived.status == 200)
            #expect((archived.int("delete_at") ?? 0) > 0)
            let last = s.sandbox.posts(in: channel.id).last
            #expect(last?.type == "system_channel_deleted")
            #expect(last?.message == "relay archived the channel.")
            #expect(try await s.api(as: s.relay).delete("/api/v4/channels/\(channel.id)").status == 400)
            // Alice may archive (every member of a channel may, as in the default scheme),
            // but not the team's default channel.
            let square = try await alice.delete("/api/v4/channels/\(s.townSquare)")
            #expect(square.status == 400)
            #expect(square.errorID == "api.channel.delete_channel.cannot.app_error")
        }
    }

    /// The default permission scheme gives `delete_public_channel` and
    /// `delete_private_channel` to `channel_user`: any member archives; a team member
    /// outside the channel may not.
    @Test func membersOfAChannelMayArchiveIt() async throws {
        try await Seeded.run { s in
            for type in ["O", "P"] {
                let created = try await s.api(as: s.relay).post("/api/v4/channels", ["team_id": s.team.id, "name": "room-\(type.lowercased())",
                                                                                    "display_name": "Room", "type": type])
                let channelID = try #require(created.string("id"))
                try s.sandbox.addToChannel("alice", channel: channelID, by: "relay")
                #expect(try await s.api(as: s.bob).delete("/api/v4/channels/\(channelID)").status == 403)
                #expect(try await s.api(as: s.alice).delete("/api/v4/channels/\(channelID)").status == 200)
                #expect(s.sandbox.channel(id: channelID)?.isArchived == true)
                #expect(s.sandbox.posts(in: channelID).last?.message == "alice archived the channel.")
            }
        }
    }

    /// Posts of an archived channel cannot be deleted; unarchiving (`manage_team`) says so
    /// in the channel, and then they can.
    @Test func anArchivedChannelIsRestoredBeforeItsPostsAreDeleted() async throws {
        try await Seeded.run { s in
            let channel = s.sandbox.addChannel(team: "support", name: "visitor-1", displayName: "Visitor 1", creator: "relay")
            let post = try s.sandbox.post(as: "relay", in: channel.id, "Grace wrote in")
            try s.sandbox.archive(channel.id, by: "relay")
            let relay = s.api(as: s.relay)
            let refused = try await relay.delete("/api/v4/posts/\(post.id)")
            #expect(refused.status == 400 && refused.errorID == "api.post.delete_post.can_not_delete_post_in_deleted.error")
            #expect(try await s.api(as: s.alice).post("/api/v4/channels/\(channel.id)/restore", [String: String]()).status == 403)
            let restored = try await relay.post("/api/v4/channels/\(channel.id)/restore", [String: String]())
            #expect(restored.status == 200 && restored.int("delete_at") == 0)
            #expect(s.sandbox.posts(in: channel.id).last?.type == "system_channel_restored")
            #expect(try await relay.delete("/api/v4/posts/\(post.id)").status == 200)
            // Deleted for good only where the server allows it.
            let permanent = try await relay.delete("/api/v4/channels/\(channel.id)?permanent=true")
            #expect(permanent.status == 401 && permanent.errorID == "api.user.delete_channel.not_enabled.app_error")
            let violations = try OpenAPIContract.mattermost.violations(of: s.sandbox.exchanges.map(\.contractExchange))
            #expect(violations == [])
            // Restoring a channel that is not archived: the real server's 400, which the
            // reference leaves out (Baton restores only an archived channel).
            #expect(try await relay.post("/api/v4/channels/\(channel.id)/restore", [String: String]()).status == 400)
        }
    }

    @Test func addingMembersByIdOrIds() async throws {
        try await Seeded.run { s in
            let channel = s.sandbox.addChannel(team: "support", name: "visitor-1", displayName: "Visitor 1", type: "P", creator: "relay")
            let relay = s.api(as: s.relay)
            let one = try await relay.post("/api/v4/channels/\(channel.id)/members", ["user_id": s.alice.id])
            #expect(one.status == 201)
            #expect(one.string("user_id") == s.alice.id)
            #expect(one.string("channel_id") == channel.id)
            let many = try await relay.post("/api/v4/channels/\(channel.id)/members", ["user_ids": [s.bob.id, s.alice.id]])
            #expect(many.status == 201)
            #expect(many.array.count == 2)
            #expect(Set(s.sandbox.members(of: channel.id)) == [s.relay.id, s.alice.id, s.bob.id])
            let posts = s.sandbox.posts(in: channel.id)
            #expect(posts.map(\.type) == ["system_add_to_channel", "system_add_to_channel"])
            #expect(posts.first?.message == "alice added to the channel by relay.")
            #expect(posts.first?.props["addedUserId"] == .string(s.alice.id))

            // Users must be on the team first.
            let outsider = try await relay.post("/api/v4/channels/\(channel.id)/members", ["user_id": s.carol.id])
            #expect(outsider.status == 404)
            #expect(outsider.errorID == "app.team.get_member.missing.app_error")
            #expect(try await relay.post("/api/v4/channels/\(channel.id)/members", ["user_id": "bad"]).status == 400)
            #expect(try await relay.post("/api/v4/channels/\(channel.id)/members", ["user_ids": Array(repeating: s.bob.id, count: 1001)]).status == 400)
            #expect(try await s.api(as: s.carol).post("/api/v4/channels/\(channel.id)/members", ["user_id": s.carol.id]).status == 403)

            let members = try await s.api(as: s.alice).get("/api/v4/channels/\(channel.id)/members")
            #expect(members.array.count == 3)
        }
    }

    @Test func anOlderServerRefusesUserIDs() async throws {
        try await Seeded.run(configure: { $0.supportsUserIDsOnAddMember = false }) { s in
            let channel = s.sandbox.addChannel(team: "support", name: "visitor-1", displayName: "Visitor 1", creator: "relay")
            let refused = try await s.api(as: s.relay).post("/api/v4/channels/\(channel.id)/members", ["user_ids": [s.alice.id]])
            #expect(refused.status == 400)
            #expect(refused.errorID == "api.context.invalid_param.app_error")
            #expect(try await s.api(as: s.relay).post("/api/v4/channels/\(channel.id)/members", ["user_id": s.alice.id]).status == 201)
        }
    }

    @Test func joiningByLinkIsForPublicChannels() async throws {
        try await Seeded.run { s in
            let open = s.sandbox.addChannel(team: "support", name: "open", displayName: "Open", type: "O", creator: "relay")
            let closed = s.sandbox.addChannel(team: "support", name: "closed", displayName: "Closed", type: "P", creator: "relay")
            try s.sandbox.join("alice", channel: open.id)
            #expect(s.sandbox.members(of: open.id).contains(s.alice.id))
            #expect(s.sandbox.posts(in: open.id).last?.type == "system_join_channel")
            #expect(s.sandbox.posts(in: open.id).last?.message == "alice joined the channel.")
            #expect(throws: MattermostSandbox.APIError.self) { try s.sandbox.join("alice", channel: closed.id) }
            // Joining by the API works the same way for a public channel.
            let joined = try await s.api(as: s.bob).post("/api/v4/channels/\(open.id)/members", ["user_id": s.bob.id])
            #expect(joined.status == 201)
            #expect(try await s.api(as: s.bob).post("/api/v4/channels/\(closed.id)/members", ["user_id": s.bob.id]).status == 403)
        }
    }
}
