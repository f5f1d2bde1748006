import Foundation
import MattermostSandbox
import OpenAPIContract
import Testing

@Suite struct ChannelMemberTests {
    @Test func membersAreReadAndRemoved() async throws {
        try await Seeded.run { s in
            let channel = s.sandbox.addChannel(team: "support", name: "visitor", displayName: "Visitor", type: "P", creator: "relay")
            try s.sandbox.addToChannel("alice", channel: channel.id, by: "relay")
            try s.sandbox.addToChannel("bob", channel: channel.id, by: "relay")
            let relay = s.api(as: s.relay)
            let member = try await relay.get("/api/v4/channels/\(channel.id)/members/\(s.alice.id)")
            #expect(member.status == 200)
            #expect(member.string("roles") == "channel_user")
            #expect(try await relay.get("/api/v4/channels/\(channel.id)/members/me").string("roles") == "channel_user channel_admin")
            let missing = try await relay.get("/api/v4/channels/\(channel.id)/members/\(s.carol.id)")
            #expect(missing.status == 404)
            #expect(missing.errorID == "app.channel.get_member.missing.app_error")
            #expect(try await s.api(as: s.carol).get("/api/v4/channels/\(channel.id)/members/\(s.alice.id)").status == 403)

            #expect(try await relay.delete("/api/v4/channels/\(channel.id)/members/\(s.alice.id)").status == 200)
            #expect(s.sandbox.posts(in: channel.id).last?.type == "system_remove_from_channel")
            #expect(try await s.api(as: s.bob).delete("/api/v4/channels/\(channel.id)/members/me").status == 200)
            #expect(s.sandbox.posts(in: channel.id).last?.message == "bob left the channel.")
            #expect(s.sandbox.members(of: channel.id) == [s.relay.id])
            #expect(try await s.api(as: s.alice).delete("/api/v4/channels/\(s.townSquare)/members/me").status == 400)
        }
    }

    /// `POST /channels/{id}/members/ids`: the members among the users named, as the
    /// reference documents it (an empty list, not a 404, when none is one).
    @Test func membersAmongTheUsersNamed() async throws {
        try await Seeded.run { s in
            let channel = s.sandbox.addChannel(team: "support", name: "visitor", displayName: "Visitor", type: "P", creator: "relay")
            try s.sandbox.addToChannel("alice", channel: channel.id, by: "relay")
            let relay = s.api(as: s.relay)
            let both = try await relay.post("/api/v4/channels/\(channel.id)/members/ids", [s.alice.id, s.bob.id, s.alice.id])
            #expect(both.status == 200)
            #expect(both.array.compactMap { $0["user_id"] as? String } == [s.alice.id])
            let none = try await relay.post("/api/v4/channels/\(channel.id)/members/ids", [s.bob.id])
            #expect(none.status == 200 && none.array.isEmpty)
            #expect(try await relay.post("/api/v4/channels/\(channel.id)/members/ids", [String]()).status == 400)
            #expect(try await s.api(as: s.bob).post("/api/v4/channels/\(channel.id)/members/ids", [s.alice.id]).status == 403)
            let violations = try OpenAPIContract.mattermost.violations(of: s.sandbox.exchanges.map(\.contractExchange))
            #expect(violations == [])
            // Not a list of ids (which the contract checker would rightly flag as a bad request).
            #expect(try await relay.post("/api/v4/channels/\(channel.id)/members/ids", ["user_id": s.bob.id]).status == 400)
        }
    }

    @Test func aUsersChannelsInATeam() async throws {
        try await Seeded.run { s in
            let open = s.sandbox.addChannel(team: "support", name: "open", displayName: "Open", creator: "alice")
            let gone = s.sandbox.addChannel(team: "support", name: "gone", displayName: "Gone", creator: "alice")
            try s.sandbox.archive(gone.id, by: "alice")
            let alice = s.api(as: s.alice)
            let names = try await alice.get("/api/v4/users/me/teams/\(s.team.id)/channels").array.compactMap { $0["name"] as? String }
            #expect(names == ["off-topic", "open", "town-square"])
            let all = try await alice.get("/api/v4/users/me/teams/\(s.team.id)/channels?include_deleted=true")
            #expect(all.array.compactMap { $0["name"] as? String } == ["gone", "off-topic", "open", "town-square"])
            #expect(try await alice.get("/api/v4/users/\(s.bob.id)/teams/\(s.team.id)/channels").status == 403)
            _ = open
        }
    }

    @Test func patchingAChannelPostsTheChangesAndAnnouncesThem() async throws {
        try await Seeded.run { s in
            let channel = s.sandbox.addChannel(team: "support", name: "visitor", displayName: "Visitor", creator: "relay")
            try await EventSocket.connect(s.sandbox.webSocketURL) { socket in
                _ = try await socket.authenticate(s.sandbox.personalAccessToken(for: "relay"))
                let patched = try await s.api(as: s.relay).put("/api/v4/channels/\(channel.id)/patch",
                                                                ["header": "Zoë · zoe@example.org", "display_name": "Zoë"])
                #expect(patched.status == 200)
                #expect(patched.string("header") == "Zoë · zoe@example.org")
                let types = s.sandbox.posts(in: channel.id).map(\.type)
                #expect(types == ["system_displayname_change", "system_header_change"])
                #expect(s.sandbox.posts(in: channel.id).last?.message == "relay updated the channel header to: Zoë · zoe@example.org")
                let updated = try await socket.next(event: "channel_updated")
                let body = try #require(updated.data["channel"] as? String)
                let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
                #expect(object?["display_name"] as? String == "Zoë")
            }
            #expect(try await s.api(as: s.carol).put("/api/v4/channels/\(channel.id)/patch", ["header": "x"]).status == 403)
            #expect(try await s.api(as: s.relay).put("/api/v4/channels/\(channel.id)/patch", ["name": "Not Valid"]).status == 400)
            try s.sandbox.patchChannel(channel.id, purpose: "Website chat", by: "relay")
            #expect(s.sandbox.channel(id: channel.id)?.purpose == "Website chat")
        }
    }

    @Test func logoutEndsTheSession() async throws {
        try await Seeded.run { s in
            let token = s.sandbox.sessionToken(for: "alice")
            let logout = try await s.api(token).post("/api/v4/users/logout", [String: String]())
            #expect(logout.status == 200)
            #expect(logout.string("status") == "OK")
            #expect(try await s.api(token).get("/api/v4/users/me").status == 401)
        }
    }
}
