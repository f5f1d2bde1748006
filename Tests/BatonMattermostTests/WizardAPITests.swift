import BatonServer
import BatonTestSupport
import Foundation
import MattermostSandbox
import OpenAPIContract
import Synchronization
import Testing

/// The Connect-for-Mattermost wizard, through the admin API, against the stand-in.
@Suite struct WizardAPITests {
    static func withDashboard(baton tweak: @Sendable @escaping (inout BatonConfiguration) -> Void = { _ in },
                              _ body: @Sendable @escaping (HandoverRig, AdminClient) async throws -> Void) async throws {
        try await HandoverRig.run(baton: tweak) { rig in
            let client = AdminClient(base: rig.baton.http)
            let created = try await client.send("POST", "/api/v1/setup", json: ["token": rig.baton.services.setupToken ?? "", "email": "admin@example.com", "password": "a long enough password"])
            #expect(created.status == 200)
            try await body(rig, client)
            // Never a password in any answer.
            #expect(!client.exchanges.contains { $0.answer.text.contains("relay-password") })
        }
    }

    func server(_ rig: HandoverRig, password: String? = "relay-password", username: String = "relay") -> [String: Any] {
        var server: [String: Any] = ["url": rig.sandbox.url, "username": username]
        if let password { server["password"] = password }
        return server
    }

    @Test func stepOneChecksTheServerAndTheRelayUser() async throws {
        try await Self.withDashboard { rig, client in
            let ok = try await client.send("POST", "/api/v1/bots/demo/mattermost/server", json: ["server": server(rig)])
            #expect(ok.status == 200, "\(ok)")
            #expect((ok.json["relayUser"] as? [String: Any])?["username"] as? String == "relay")
            #expect((ok.json["teams"] as? [[String: Any]])?.map { $0["name"] as? String } == ["support"])

            let wrong = try await client.send("POST", "/api/v1/bots/demo/mattermost/server", json: ["server": server(rig, password: "nope")])
            #expect(wrong.status == 422)
            #expect(wrong.errorCode == "bad_credentials")
            #expect(wrong.errorMessage == "Mattermost refused the username \"relay\" or its password. Check both.")
            let notAdmin = try await client.send("POST", "/api/v1/bots/demo/mattermost/server", json: ["server": server(rig, password: "agent-password", username: "alice")])
            #expect(notAdmin.errorCode == "not_admin")
            let unreachable = try await client.send("POST", "/api/v1/bots/demo/mattermost/server", json: ["server": ["url": "http://127.0.0.1:9", "username": "relay", "password": "x"]])
            #expect(unreachable.status == 502)
            #expect(unreachable.errorCode == "unreachable")
            // Not an address at all: the admin's to mend, whichever step sends it.
            for (step, extra) in [("server", [:]), ("team", ["team": "support"]), ("users", ["team": "support", "prefix": "a"])] as [(String, [String: String])] {
                for url in ["ftp://chat.example.com", "https://", "https://chat.example.com/?q=1", "\u{7}", "http://127.0.0.1:99999", "http://127.0.0.1:0"] {
                    var body: [String: Any] = extra
                    body["server"] = ["url": url, "token": "t"]
                    let invalid = try await client.send("POST", "/api/v1/bots/demo/mattermost/\(step)", json: body)
                    #expect(invalid.status == 422, "\(step) \(url): \(invalid)")
                    #expect(invalid.errorCode == "invalid_url", "\(step) \(url): \(invalid)")
                }
            }
            // Each says what is wrong, once: the issue is the reason of the message.
            for (url, reason) in [("not a url", "it has a space in it; an address is written without any, such as https://chat.example.com"),
                                  ("ftp://chat.example.com", "it is not an http:// or https:// address, such as https://chat.example.com"),
                                  ("https://", "it names no server, as https://chat.example.com does")] {
                let refused = try await client.send("POST", "/api/v1/bots/demo/mattermost/server", json: ["server": ["url": url, "token": "t"]])
                #expect(refused.errorMessage == "\"\(url)\" cannot be used: \(reason).", "\(refused)")
                #expect(refused.issues.compactMap { $0["message"] as? String } == [reason], "\(refused)")
            }
            // A password in the address would be stored, shown and logged with it.
            for url in ["http://admin:s3cret@127.0.0.1:9/", "https://admin@chat.example.com", "chat:s3cret@chat.example.com"] {
                let userInfo = try await client.send("POST", "/api/v1/bots/demo/mattermost/server", json: ["server": ["url": url, "username": "relay", "password": "x"]])
                #expect(userInfo.status == 422 && userInfo.errorCode == "invalid_url", "\(url): \(userInfo)")
                #expect(userInfo.errorMessage?.contains("it has a user name or password in it") == true, "\(userInfo)")
                #expect(userInfo.errorMessage?.contains("s3cret") == false && userInfo.errorMessage?.contains("admin") == false, "\(userInfo)")
            }
            let query = try await client.send("POST", "/api/v1/bots/demo/mattermost/server", json: ["server": ["url": "https://chat.example.com/?q=1", "token": "t"]])
            #expect(query.errorMessage?.contains("it has a query (?…) or a fragment (#…)") == true, "\(query)")
            // (A port beyond 65535 once stopped the process.)
            let port = try await client.send("POST", "/api/v1/bots/demo/mattermost/server", json: ["server": ["url": "http://127.0.0.1:99999", "username": "relay", "password": "x"]])
            #expect(port.errorMessage == "\"http://127.0.0.1:99999\" cannot be used: its port 99999 is not one from 1 to 65535.", "\(port)")
            rig.sandbox.redirect(next: 1, to: "https://chat.example.com")
            let redirected = try await client.send("POST", "/api/v1/bots/demo/mattermost/server", json: ["server": server(rig)])
            #expect(redirected.status == 422)
            #expect(redirected.errorCode == "redirected")
            #expect(redirected.errorMessage?.contains("redirects to https://chat.example.com. Use that address") == true, "\(redirected)")
            let both = try await client.send("POST", "/api/v1/bots/demo/mattermost/server",
                                             json: ["server": ["url": rig.sandbox.url, "username": "relay", "password": "x", "token": "t"]])
            #expect(both.status == 400 && both.errorMessage == "Give an access token, or a username and password: not both.", "\(both)")
            let noPassword = try await client.send("POST", "/api/v1/bots/demo/mattermost/server", json: ["server": server(rig, password: nil)])
            #expect(noPassword.errorCode == "password_required")
            let token = try await client.send("POST", "/api/v1/bots/demo/mattermost/server",
                                              json: ["server": ["url": rig.sandbox.url, "token": rig.sandbox.personalAccessToken(for: "relay")]])
            #expect(token.status == 200)
        }
    }

    @Test func stepsTwoAndThreeFindTheTeamItsChannelsAndItsPeople() async throws {
        try await Self.withDashboard { rig, client in
            let missing = try await client.send("POST", "/api/v1/bots/demo/mattermost/team", json: ["server": server(rig), "team": "sales"])
            #expect(missing.status == 422)
            #expect(missing.errorCode == "team_not_found")
            _ = rig.sandbox.addTeam(name: "sales-1", displayName: "Sales")
            _ = rig.sandbox.addTeam(name: "sales-2", displayName: "Sales")
            let two = try await client.send("POST", "/api/v1/bots/demo/mattermost/team", json: ["server": server(rig), "team": "sales"])
            #expect(two.status == 422 && two.errorCode == "team_ambiguous", "\(two)")
            #expect(((two.json["error"] as? [String: Any])?["message"] as? String)?.contains("sales-1, sales-2") == true, "\(two)")
            let shown = try await client.send("POST", "/api/v1/bots/demo/mattermost/team", json: ["server": server(rig), "team": "Support"])
            #expect((shown.json["team"] as? [String: Any])?["name"] as? String == "support", "\(shown)")
            let team = try await client.send("POST", "/api/v1/bots/demo/mattermost/team", json: ["server": server(rig), "team": "support"])
            #expect(team.status == 200, "\(team)")
            #expect(Set((team.json["channels"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []) == ["town-square", "off-topic"])
            let people = try await client.send("POST", "/api/v1/bots/demo/mattermost/users", json: ["server": server(rig), "team": "support", "prefix": "Al"])
            let users = try #require(people.json["users"] as? [[String: Any]])
            #expect(users.map { $0["username"] as? String } == ["alice"])
            #expect(users.first?["displayName"] as? String == "Alice Archer")
            #expect(users.first?["inTeam"] as? Bool == true)
            // A user outside the team is found too, after the team's: connecting adds them.
            let outside = try await client.send("POST", "/api/v1/bots/demo/mattermost/users", json: ["server": server(rig), "team": "support", "prefix": "car"])
            let carol = try #require(outside.json["users"] as? [[String: Any]])
            #expect(carol.map { $0["username"] as? String } == ["carol"])
            #expect(carol.first?["inTeam"] as? Bool == false)
        }
    }

    /// Step 4 of an edit does not offer the chats' own rooms (the relay user is in each)
    /// as the index channel.
    @Test func theIndexChannelIsNotOfferedAChatsRoom() async throws {
        try await Self.withDashboard { rig, client in
            try await rig.connect()
            let found = Mutex<String?>(nil)
            try await WidgetClient.connect(rig.baton.socketURL) { grace in
                let room = try await rig.waitForRoom(try await talkUntilHandover(grace))
                found.withLock { $0 = room.name }
            }
            let room = try #require(found.withLock { $0 })
            #expect(room.hasPrefix("chat-"))
            let team = try await client.send("POST", "/api/v1/bots/demo/mattermost/team", json: ["server": server(rig), "team": "support"])
            let names = (team.json["channels"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
            #expect(names.contains("live-chats"))
            #expect(!names.contains(room), "\(names)")
        }
    }

    @Test func confirmingConnectsAtOnceAndTheStatusShows() async throws {
        try await Self.withDashboard { rig, client in
            let unknownAgent = try await client.send("PUT", "/api/v1/bots/demo/mattermost", json: [
                "server": server(rig), "team": "support", "agents": ["alice", "ghost"], "indexChannel": ["create": "Live chats"],
            ])
            #expect(unknownAgent.status == 422)
            #expect(unknownAgent.errorCode == "users_not_found")
            #expect(unknownAgent.issues.first?["message"] as? String == "Mattermost has no user named \"ghost\".")
            let both = try await client.send("PUT", "/api/v1/bots/demo/mattermost", json: [
                "server": server(rig), "team": "support", "agents": ["alice"], "indexChannel": ["create": "a", "existing": "b"],
            ])
            #expect(both.status == 400 && both.errorMessage?.hasSuffix("indexChannel: give at most 1 of create, existing") == true, "\(both)")
            let badRooms = try await client.send("PUT", "/api/v1/bots/demo/mattermost", json: [
                "server": server(rig), "team": "support", "agents": ["alice"], "indexChannel": ["create": "Live chats"], "rooms": "forum",
            ])
            #expect(badRooms.status == 400 && badRooms.issues.first?["path"] as? String == "rooms", "\(badRooms)")
            let neither = try await client.send("PUT", "/api/v1/bots/demo/mattermost", json: [
                "server": server(rig), "team": "support", "agents": ["alice"], "indexChannel": [String: String](),
            ])
            // (Refused by the API's document: exactly one of the two.)
            #expect(neither.status == 400 && neither.errorMessage?.hasSuffix("indexChannel: give at least 1 of create, existing") == true, "\(neither)")

            // A blank close command would close the chat at a file posted alone; a blank
            // prefix would keep every reply from the visitor; a command behind the prefix
            // would never be seen.
            for (field, value, reason) in [("closeCommand", "   ", "it is blank"),
                                           ("internalPrefix", " ", "it is blank"), ("closeCommand", "//close", "starts with the internal prefix")] {
                let refused = try await client.send("PUT", "/api/v1/bots/demo/mattermost", json: [
                    "server": server(rig), "team": "support", "agents": ["alice"], "indexChannel": ["create": "Live chats"], field: value,
                ])
                #expect(refused.status == 422 && refused.errorCode == "invalid_settings" && refused.issues.first?["path"] as? String == field, "\(field) \(value): \(refused)")
                #expect(refused.errorMessage?.contains(reason) == true, "\(refused)")
            }

            let connected = try await client.send("PUT", "/api/v1/bots/demo/mattermost", json: [
                "server": server(rig), "team": "support", "agents": ["alice", "bob"], "indexChannel": ["create": "Live chats"],
                "closeCommand": "!done", "archiveOnClose": true,
            ])
            #expect(connected.status == 200, "\(connected)")
            #expect(connected.json["agents"] as? [String] == ["relay", "alice", "bob"])
            #expect(connected.json["indexChannelLink"] as? String == "\(rig.sandbox.url)/support/channels/live-chats")
            #expect(connected.json["indexChannelDisplayName"] as? String == "Live chats")
            #expect(connected.json["teamDisplayName"] as? String == rig.sandbox.team(named: "support")?.displayName)
            #expect(connected.json["rooms"] as? String == "channel")
            #expect(connected.json["language"] as? String == "en")
            try await eventually("the connection to be live") {
                let status = try await client.get("/api/v1/bots/demo/mattermost").json["status"] as? [String: Any]
                return status?["state"] as? String == "connected"
            }
            let list = try await client.get("/api/v1/bots")
            #expect((list.json["bots"] as? [[String: Any]])?.first?["mattermost"] as? String == "connected")
            // Editing without the password keeps the stored one; so with the settings left out.
            let edited = try await client.send("PUT", "/api/v1/bots/demo/mattermost", json: [
                "server": server(rig, password: nil), "team": "support", "agents": ["alice"], "indexChannel": ["existing": "live-chats"],
            ])
            #expect(edited.status == 200, "\(edited)")
            #expect(edited.json["closeCommand"] as? String == "!done" && edited.json["archiveOnClose"] as? Bool == true, "\(edited)")
            #expect(edited.json["internalPrefix"] as? String == "//")
            // A visitor handed over now lands in Mattermost.
            try await WidgetClient.connect(rig.baton.socketURL) { visitor in
                _ = try await rig.waitForRoom(try await talkUntilHandover(visitor))
            }
            // Threads instead of channels, from the next chat on.
            let threads = try await client.send("PUT", "/api/v1/bots/demo/mattermost", json: [
                "server": server(rig, password: nil), "team": "support", "agents": ["alice"], "indexChannel": ["existing": "live-chats"],
                "rooms": "thread",
            ])
            #expect(threads.status == 200 && threads.json["rooms"] as? String == "thread", "\(threads)")
            // Threads stay: archiving on close is off with them (it was kept, said off and
            // done to channel rooms left from before).
            #expect(threads.json["archiveOnClose"] as? Bool == false, "\(threads)")
            // Baton's posts for the agents in German; a language it has no words in is refused.
            let german = try await client.send("PUT", "/api/v1/bots/demo/mattermost", json: [
                "server": server(rig, password: nil), "team": "support", "agents": ["alice"], "indexChannel": ["existing": "live-chats"],
                "rooms": "thread", "language": "de",
            ])
            #expect(german.status == 200 && german.json["language"] as? String == "de", "\(german)")
            let klingon = try await client.send("PUT", "/api/v1/bots/demo/mattermost", json: [
                "server": server(rig, password: nil), "team": "support", "agents": ["alice"], "indexChannel": ["existing": "live-chats"],
                "language": "tlh",
            ])
            #expect(klingon.status == 400, "\(klingon)")
            #expect(try await client.get("/api/v1/bots/demo/mattermost").json["language"] as? String == "de")
            let untouched = try await client.send("PUT", "/api/v1/bots/demo/mattermost", json: [
                "server": server(rig, password: nil), "team": "support", "agents": ["alice"], "indexChannel": ["existing": "live-chats"],
                "closeCommand": "!close", "archiveOnClose": false,
            ])
            #expect(untouched.json["language"] as? String == "de" && untouched.json["rooms"] as? String == "thread", "\(untouched)")
            #expect(untouched.json["closeCommand"] as? String == "!close" && untouched.json["archiveOnClose"] as? Bool == false)
            try await WidgetClient.connect(rig.baton.socketURL) { visitor in
                let conversation = try await talkUntilHandover(visitor)
                #expect(try await rig.waitForThread(conversation).channelID == rig.indexChannel?.id)
            }
            #expect(try await client.send("DELETE", "/api/v1/bots/demo/mattermost").status == 204)
            #expect(try await client.get("/api/v1/bots/demo/mattermost").json["connected"] as? Bool == false)
            let violations = try AdminAPITestsSupport.contractViolations(client)
            #expect(violations == [], "\(violations)")
        }
    }
}

/// Checks recorded admin API exchanges against the API document.
enum AdminAPITestsSupport {
    static func contractViolations(_ client: AdminClient) throws -> [String] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Sources/BatonServer/Public/api/openapi.yaml").standardized.path
        let contract = try OpenAPIContract(contentsOf: path, deviations: [])
        return client.exchanges.filter { $0.path.hasPrefix("/api/v1/") }.flatMap { exchange in
            contract.violations(of: HTTPExchange(method: exchange.method, path: exchange.path, query: exchange.query,
                                                 requestBody: exchange.requestBody, status: exchange.answer.status,
                                                 responseContentType: exchange.answer.headers.first(name: "Content-Type"),
                                                 responseBody: exchange.answer.body))
            .filter { !(exchange.answer.status == 400 && $0.contains(" request")) }
        }
    }
}
