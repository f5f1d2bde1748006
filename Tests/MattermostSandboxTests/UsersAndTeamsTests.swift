import Foundation
import MattermostSandbox
import Testing

@Suite struct UsersAndTeamsTests {
    @Test func usersAreFoundByIdUsernameAndPrefix() async throws {
        try await Seeded.run { s in
            let api = s.api(as: s.relay)
            let bob = try await api.get("/api/v4/users/\(s.bob.id)")
            #expect(bob.string("username") == "bob")
            #expect(bob.string("first_name") == "Bob")
            #expect(bob["notify_props"] == nil, "other users' profiles are sanitized")
            #expect(try await api.get("/api/v4/users/\(String(repeating: "a", count: 26))").status == 404)
            #expect(try await api.get("/api/v4/users/not-an-id").status == 400)

            let found = try await api.post("/api/v4/users/usernames", ["alice", "nobody", "BOB"])
            #expect(found.status == 200)
            #expect(Set(found.array.compactMap { $0["username"] as? String }) == ["alice", "bob"])

            let page = try await api.get("/api/v4/users?in_team=\(s.team.id)&page=0&per_page=2")
            #expect(page.array.compactMap { $0["username"] as? String } == ["alice", "bob"])
            let second = try await api.get("/api/v4/users?in_team=\(s.team.id)&page=1&per_page=2")
            #expect(second.array.compactMap { $0["username"] as? String } == ["relay"])

            let complete = try await api.get("/api/v4/users/autocomplete?in_team=\(s.team.id)&name=b")
            #expect(complete.status == 200)
            #expect((complete["users"] as? [[String: Any]])?.compactMap { $0["username"] as? String } == ["bob"])
            #expect(complete["out_of_channel"] == nil)
            let byFirstName = try await api.get("/api/v4/users/autocomplete?in_team=\(s.team.id)&name=ali")
            #expect((byFirstName["users"] as? [[String: Any]])?.count == 1)
        }
    }

    @Test func usersOutsideTheTeamAreNotVisibleToMembers() async throws {
        try await Seeded.run { s in
            let alice = s.api(as: s.alice)
            #expect(try await alice.get("/api/v4/users/\(s.carol.id)").status == 403)
            let found = try await alice.post("/api/v4/users/usernames", ["carol", "bob"])
            #expect(found.array.compactMap { $0["username"] as? String } == ["bob"])
            let carol = s.api(as: s.carol)
            #expect(try await carol.get("/api/v4/users?in_team=\(s.team.id)").status == 403)
            #expect(try await carol.get("/api/v4/users/me/teams").array.isEmpty)
        }
    }

    @Test func onlyAdminsCreateUsers() async throws {
        try await Seeded.run { s in
            let body = ["username": "dave", "email": "dave@example.com", "password": "dave-password", "first_name": "Dave"]
            #expect(try await s.api(as: s.alice).post("/api/v4/users", body).status == 403)
            let created = try await s.api(as: s.relay).post("/api/v4/users", body)
            #expect(created.status == 201)
            #expect(created.string("username") == "dave")
            #expect(s.sandbox.user(named: "dave")?.firstName == "Dave")
            let again = try await s.api(as: s.relay).post("/api/v4/users", body)
            #expect(again.status == 400)
            let badName = try await s.api(as: s.relay).post("/api/v4/users", ["username": "X", "email": "x@example.com", "password": "long-enough"])
            #expect(badName.status == 400)
        }
    }

    @Test func teamsByNameAndMembership() async throws {
        try await Seeded.run { s in
            let alice = s.api(as: s.alice)
            let team = try await alice.get("/api/v4/teams/name/support")
            #expect(team.status == 200)
            #expect(team.string("id") == s.team.id)
            #expect(team.string("display_name") == "Support")
            let missing = try await alice.get("/api/v4/teams/name/nope")
            #expect(missing.status == 404)
            #expect(missing.errorID == "app.team.get_by_name.missing.app_error")
            #expect(try await s.api(as: s.carol).get("/api/v4/teams/name/support").status == 403)

            let member = try await alice.get("/api/v4/teams/\(s.team.id)/members/\(s.bob.id)")
            #expect(member.status == 200)
            #expect(member.string("roles") == "team_user")
            #expect(try await alice.get("/api/v4/teams/\(s.team.id)/members/\(s.carol.id)").status == 404)
            let teams = try await alice.get("/api/v4/users/me/teams")
            #expect(teams.array.compactMap { $0["name"] as? String } == ["support"])
        }
    }

    @Test func addingATeamMemberJoinsTheDefaultChannels() async throws {
        try await Seeded.run { s in
            let body = ["team_id": s.team.id, "user_id": s.carol.id]
            #expect(try await s.api(as: s.alice).post("/api/v4/teams/\(s.team.id)/members", body).status == 403)
            let added = try await s.api(as: s.relay).post("/api/v4/teams/\(s.team.id)/members", body)
            #expect(added.status == 201)
            #expect(added.string("user_id") == s.carol.id)
            #expect(s.sandbox.isMember("carol", ofTeam: "support"))
            for name in ["town-square", "off-topic"] {
                let channel = try #require(s.sandbox.channel(team: "support", name: name))
                #expect(s.sandbox.members(of: channel.id).contains(s.carol.id))
            }
            let townSquare = s.sandbox.posts(in: s.townSquare).last
            #expect(townSquare?.type == "system_add_to_team")
            #expect(townSquare?.message == "carol added to the team by relay.")
            let mismatch = try await s.api(as: s.relay).post("/api/v4/teams/\(s.team.id)/members",
                                                               ["team_id": String(repeating: "b", count: 26), "user_id": s.carol.id])
            #expect(mismatch.status == 400)
        }
    }

    /// A user taken off the team keeps a membership with `delete_at` set, which
    /// `GET /teams/{id}/members/{user_id}` still answers; adding them to a channel of the
    /// team is refused until they are added to the team again.
    @Test func aUserRemovedFromTheTeamKeepsADeletedMembership() async throws {
        try await Seeded.run { s in
            let channel = s.sandbox.addChannel(team: "support", name: "visitor", displayName: "Visitor", creator: "relay")
            #expect(throws: MattermostSandbox.APIError.self) { try s.sandbox.removeFromTeam("bob", team: "support", by: "alice") }
            try s.sandbox.removeFromTeam("bob", team: "support", by: "relay")
            #expect(!s.sandbox.isMember("bob", ofTeam: "support"))
            #expect(!s.sandbox.members(of: s.townSquare).contains(s.bob.id))
            #expect(s.sandbox.posts(in: s.townSquare).last?.type == "system_remove_from_team")
            let member = try await s.api(as: s.alice).get("/api/v4/teams/\(s.team.id)/members/\(s.bob.id)")
            #expect(member.status == 200)
            #expect((member.object["delete_at"] as? NSNumber)?.int64Value ?? 0 > 0)
            let relay = s.api(as: s.relay)
            let refused = try await relay.post("/api/v4/channels/\(channel.id)/members", ["user_id": s.bob.id])
            #expect(refused.status == 400)
            #expect(refused.errorID == "api.channel.add_user.to.channel.failed.deleted.app_error")
            #expect(try await relay.post("/api/v4/channels/\(channel.id)/members", ["user_ids": [s.alice.id, s.bob.id]]).status == 400)
            // Added again: a member once more.
            #expect(try await relay.post("/api/v4/teams/\(s.team.id)/members", ["team_id": s.team.id, "user_id": s.bob.id]).status == 201)
            let again = try await relay.get("/api/v4/teams/\(s.team.id)/members/\(s.bob.id)")
            #expect((again.object["delete_at"] as? NSNumber)?.int64Value == 0)
            #expect(try await relay.post("/api/v4/channels/\(channel.id)/members", ["user_id": s.bob.id]).status == 201)
        }
    }
}
