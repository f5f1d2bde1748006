import Foundation
import MattermostSandbox
import OpenAPIContract
import Testing

/// A full scenario through every REST route of the sandbox, then every recorded exchange
/// is checked against the OpenAPI reference: the sandbox must answer as documented.
///
/// The scenario keeps to statuses the reference documents for each operation (plus the
/// README's deviations, 429 and outages); the real server also answers some that it does
/// not document (401 on a wrong password, 404 on a missing post or channel), which other
/// tests cover.
@Suite struct ContractScenarioTests {
    @Test func everyExchangeOfAFullScenarioConformsToTheReference() async throws {
        let contract = try OpenAPIContract.mattermost
        let exchanges = try await Seeded.run { s in
            try await Self.scenario(s)
            return s.sandbox.exchanges
        }
        #expect(exchanges.count > 50)
        let statuses = Set(exchanges.map(\.status))
        #expect(statuses.isSuperset(of: [200, 201, 400, 401, 403, 404, 429, 503]))
        let violations = contract.violations(of: exchanges.map(\.contractExchange))
        #expect(violations == [], "\(violations.count) violations:\n\(violations.joined(separator: "\n"))")
    }

    static func scenario(_ s: Seeded) async throws {
        let anonymous = s.api()
        #expect(try await anonymous.get("/api/v4/system/ping").status == 200)
        let login = try await anonymous.post("/api/v4/users/login", ["login_id": "relay", "password": "relay-password"])
        #expect(login.status == 200)
        #expect(try await anonymous.post("/api/v4/users/login", ["login_id": "relay"]).status == 400)
        let relay = s.api(login.headers.first(name: "Token"))
        let alice = s.api(as: s.alice)
        let carol = s.api(as: s.carol)

        // Users.
        #expect(try await relay.get("/api/v4/users/me").status == 200)
        #expect(try await relay.get("/api/v4/users/\(s.alice.id)").status == 200)
        #expect(try await relay.get("/api/v4/users/\(String(repeating: "x", count: 26))").status == 404)
        #expect(try await relay.post("/api/v4/users/usernames", ["alice", "bob", "nobody"]).status == 200)
        let dave = try await relay.post("/api/v4/users", ["username": "dave", "email": "dave@example.com", "password": "dave-password",
                                                          "first_name": "Dave", "last_name": "Dunn"])
        #expect(dave.status == 201)
        let daveID = try #require(dave.string("id"))
        #expect(try await relay.post("/api/v4/users", ["username": "dave", "email": "d2@example.com", "password": "dave-password"]).status == 400)
        #expect(try await alice.post("/api/v4/users", ["username": "eve", "email": "eve@example.com", "password": "eve-password"]).status == 403)
        #expect(try await relay.get("/api/v4/users?in_team=\(s.team.id)&page=0&per_page=100").status == 200)
        #expect(try await carol.get("/api/v4/users?in_team=\(s.team.id)").status == 403)
        #expect(try await relay.get("/api/v4/users/autocomplete?in_team=\(s.team.id)&name=a").status == 200)
        #expect(try await relay.get("/api/v4/users/me/teams").status == 200)

        // Teams.
        #expect(try await alice.get("/api/v4/teams/name/support").status == 200)
        #expect(try await alice.get("/api/v4/teams/name/elsewhere").status == 404)
        #expect(try await carol.get("/api/v4/teams/name/support").status == 403)
        #expect(try await alice.get("/api/v4/teams/\(s.team.id)").status == 200)
        #expect(try await alice.get("/api/v4/teams/\(s.team.id)/members/\(s.bob.id)").status == 200)
        #expect(try await alice.get("/api/v4/teams/\(s.team.id)/members/\(s.carol.id)").status == 404)
        #expect(try await alice.post("/api/v4/teams/\(s.team.id)/members", ["team_id": s.team.id, "user_id": s.carol.id]).status == 403)
        #expect(try await relay.post("/api/v4/teams/\(s.team.id)/members", ["team_id": s.team.id, "user_id": s.carol.id]).status == 201)

        // Channels.
        let created = try await relay.post("/api/v4/channels", ["team_id": s.team.id, "name": "visitor-1", "display_name": "Visitor 1",
                                                                "type": "P", "purpose": "A chat from the website"])
        #expect(created.status == 201)
        let channelID = try #require(created.string("id"))
        #expect(try await relay.post("/api/v4/channels", ["team_id": s.team.id, "name": "Bad Name", "display_name": "x", "type": "P"]).status == 400)
        #expect(try await s.api(s.sandbox.sessionToken(for: daveID)).post("/api/v4/channels",
                                                                            ["team_id": s.team.id, "name": "x", "display_name": "x", "type": "O"]).status == 403)
        #expect(try await relay.get("/api/v4/teams/\(s.team.id)/channels/name/visitor-1").status == 200)
        #expect(try await relay.get("/api/v4/teams/\(s.team.id)/channels/name/visitor-2").status == 404)
        #expect(try await relay.get("/api/v4/channels/\(channelID)").status == 200)
        #expect(try await carol.get("/api/v4/channels/\(channelID)").status == 403)
        #expect(try await relay.post("/api/v4/channels/\(channelID)/members", ["user_id": s.alice.id]).status == 201)
        #expect(try await relay.post("/api/v4/channels/\(channelID)/members", ["user_ids": [s.bob.id, s.carol.id]]).status == 201)
        #expect(try await relay.post("/api/v4/channels/\(channelID)/members", ["user_id": "nope"]).status == 400)
        #expect(try await relay.get("/api/v4/channels/\(channelID)/members?page=0&per_page=50").status == 200)
        #expect(try await relay.get("/api/v4/channels/\(channelID)/members/\(s.alice.id)").status == 200)
        #expect(try await carol.delete("/api/v4/channels/\(channelID)/members/me").status == 200)
        #expect(try await carol.get("/api/v4/channels/\(channelID)/members/\(s.alice.id)").status == 403)
        #expect(try await relay.put("/api/v4/channels/\(channelID)/patch", ["header": "Visitor: Zoë", "purpose": "Website chat"]).status == 200)
        #expect(try await carol.put("/api/v4/channels/\(channelID)/patch", ["header": "mine now"]).status == 403)
        #expect(try await relay.put("/api/v4/channels/\(channelID)/patch", ["display_name": ""]).status == 400)
        #expect(try await relay.get("/api/v4/users/me/teams/\(s.team.id)/channels").status == 200)
        #expect(try await alice.get("/api/v4/users/\(s.bob.id)/teams/\(s.team.id)/channels").status == 403)

        // Posts.
        let post = try await relay.post("/api/v4/posts", ["channel_id": channelID, "message": "Visitor: <hello> & welcome",
                                                          "props": ["baton_conversation": "c-1"], "pending_post_id": "relay:1"])
        #expect(post.status == 201)
        let postID = try #require(post.string("id"))
        #expect(try await alice.post("/api/v4/posts", ["channel_id": channelID, "message": "On it", "root_id": postID]).status == 201)
        #expect(try await alice.post("/api/v4/posts", ["channel_id": channelID, "message": String(repeating: "x", count: 16_384)]).status == 400)
        #expect(try await s.api(s.sandbox.sessionToken(for: daveID)).post("/api/v4/posts", ["channel_id": channelID, "message": "x"]).status == 403)
        let since = (post.int("create_at") ?? 1) - 1
        #expect(try await relay.get("/api/v4/channels/\(channelID)/posts?since=\(since)").status == 200)
        #expect(try await relay.get("/api/v4/channels/\(channelID)/posts?page=0&per_page=300").status == 200)
        #expect(try await relay.get("/api/v4/channels/\(channelID)/posts?after=\(postID)&per_page=10").status == 200)
        #expect(try await alice.get("/api/v4/posts/\(postID)").status == 200)
        #expect(try await s.api(s.sandbox.sessionToken(for: daveID)).get("/api/v4/posts/\(postID)").status == 403)
        #expect(try await relay.put("/api/v4/posts/\(postID)/patch", ["message": "Visitor: hello, edited"]).status == 200)
        #expect(try await alice.put("/api/v4/posts/\(postID)/patch", ["message": "not mine"]).status == 403)
        let doomed = try await alice.post("/api/v4/posts", ["channel_id": channelID, "message": "typo"])
        #expect(try await alice.delete("/api/v4/posts/\(try #require(doomed.string("id")))").status == 200)
        // Files.
        let fileID = try await alice.uploadFile("report.pdf", [37, 80, 68, 70, 0, 255], to: channelID)
        #expect(try await alice.send(.POST, "/api/v4/files?channel_id=\(channelID)&filename=raw.bin", body: Data([1]),
                                     contentType: "application/octet-stream").status == 201)
        #expect(try await carol.upload(TestForm().field("channel_id", channelID).file("x.txt", [1])).status == 403)
        #expect(try await alice.upload(TestForm().file("x.txt", [1])).status == 400)
        #expect(try await alice.post("/api/v4/posts", ["channel_id": channelID, "message": "report", "file_ids": [fileID]]).fileIDs == [fileID])
        #expect(try await relay.get("/api/v4/files/\(fileID)").status == 200)
        #expect(try await relay.get("/api/v4/files/\(fileID)/info").status == 200)
        #expect(try await carol.get("/api/v4/files/\(fileID)/info").status == 403)
        #expect(try await relay.get("/api/v4/files/\(String(repeating: "z", count: 26))").status == 404)
        #expect(try await alice.post("/api/v4/users/me/typing", ["channel_id": channelID, "parent_id": ""]).status == 200)
        #expect(try await alice.post("/api/v4/users/\(s.alice.id)/typing", ["channel_id": channelID]).status == 200)

        // Faults.
        s.sandbox.rateLimit(next: 1, resetSeconds: 1)
        #expect(try await relay.get("/api/v4/users/me").status == 429)
        s.sandbox.fail(next: 1, status: 503)
        #expect(try await relay.post("/api/v4/posts", ["channel_id": channelID, "message": "retry me"]).status == 503)

        // Archiving, then the session ends.
        #expect(try await relay.delete("/api/v4/channels/\(channelID)").status == 200)
        #expect(try await relay.delete("/api/v4/channels/\(channelID)").status == 400)
        #expect(try await relay.post("/api/v4/posts", ["channel_id": channelID, "message": "too late"]).status == 400)
        #expect(try await relay.get("/api/v4/teams/\(s.team.id)/channels/name/visitor-1?include_deleted=true").status == 200)
        s.sandbox.expireSessions()
        #expect(try await relay.get("/api/v4/users/me").status == 401)
    }
}
